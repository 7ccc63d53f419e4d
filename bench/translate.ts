// bench:translate — translator throughput and memory on large route sets.
// Each case runs in a fresh child process so its peak RSS is its own.
// Prints: routes, translate wall ms (median of runs), load+validate ms, peak RSS MiB, targets.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { translate } from '../src/translate/index.ts';
import { Snapshot } from '../src/provider/snapshot.ts';
import { loadTexts } from '../src/provider/file/load.ts';

const HOSTNAMES = 100;

/** One Gateway with 3 listeners (HTTP 80, HTTP 8080 wildcard, HTTPS 443), N HTTPRoutes over 100 hostnames. */
export function generateManifests(routes: number): string {
  const docs: string[] = [];
  docs.push(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: portunus}
spec: {controllerName: portunus.dev/gateway-controller}`);
  docs.push(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: portunus
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - {name: http-alt, port: 8080, protocol: HTTP, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
  - {name: http-other, port: 8081, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}`);
  for (let s = 0; s < 50; s++) {
    docs.push(`apiVersion: v1
kind: Service
metadata: {name: svc-${s}, namespace: default}
spec: {ports: [{name: http, port: 80, targetPort: 8080}]}`);
    docs.push(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc-${s}-abc, namespace: default, labels: {kubernetes.io/service-name: svc-${s}}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [127.0.0.${(s % 200) + 1}]}, {addresses: [127.0.1.${(s % 200) + 1}]}]`);
  }
  for (let i = 0; i < routes; i++) {
    const host = `app-${i % HOSTNAMES}.example.com`;
    docs.push(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route-${i}, namespace: default, creationTimestamp: "2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: ["${host}"]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /api/v${i}}
      headers: [{name: x-tenant, value: t${i % 7}}]
    - path: {type: Exact, value: /exact/${i}}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-route, value: r${i}}]}
    backendRefs:
    - {name: svc-${i % 50}, port: 80, weight: 90}
    - {name: svc-${(i + 1) % 50}, port: 80, weight: 10}
  - matches:
    - path: {type: RegularExpression, value: "/re/[0-9]+/${i}"}
    backendRefs:
    - {name: svc-${i % 50}, port: 80}`);
  }
  return docs.join('\n---\n');
}

function runCase(routes: number, runs: number): void {
  const text = generateManifests(routes);
  const t0 = performance.now();
  const loaded = loadTexts([{ file: `generated-${routes}.yaml`, text }]);
  const loadMs = performance.now() - t0;
  const snapshot: Snapshot = loaded.snapshot;
  const times: number[] = [];
  let attached = 0;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const result = translate(snapshot, {
      controllerName: 'portunus.dev/gateway-controller',
      now: '2026-01-01T00:00:00Z',
    });
    times.push(performance.now() - start);
    attached =
      result.ir.gateways[0]?.listeners.reduce(
        (n, l) => n + (l.virtualHosts?.reduce((m, v) => m + v.routes.length, 0) ?? 0),
        0,
      ) ?? 0;
  }
  times.sort((a, b) => a - b);
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `${JSON.stringify({ routes, loadMs: Math.round(loadMs), translateMs: Math.round(times[Math.floor(times.length / 2)]!), translateMaxMs: Math.round(times[times.length - 1]!), irRoutes: attached, peakRssMiB: Math.round(rssMiB) })}\n`,
  );
}

const self = fileURLToPath(import.meta.url);
if (!import.meta.main) {
  // imported for generateManifests()
} else if (process.argv[2] === '--case') {
  runCase(Number(process.argv[3]), Number(process.argv[4] ?? 5));
} else {
  const targets: Record<number, number> = { 1000: 100, 10000: 1000 };
  console.log('bench:translate — translate() wall time (median of runs), one process per case');
  console.log('routes   load+validate   translate(p50)   translate(max)   IR routes   peak RSS   target');
  let failed = false;
  for (const routes of [1000, 10000]) {
    const out = spawnSync(process.execPath, [self, '--case', String(routes), routes >= 10000 ? '3' : '7'], {
      encoding: 'utf8',
    });
    if (out.status !== 0) {
      console.error(out.stderr);
      process.exit(1);
    }
    const r = JSON.parse(out.stdout.trim().split('\n').pop()!) as Record<string, number>;
    const target = targets[routes]!;
    const ok = r.translateMs! < target && (routes < 10000 || r.peakRssMiB! < 300);
    failed ||= !ok;
    console.log(
      `${String(routes).padEnd(8)} ${`${r.loadMs} ms`.padEnd(15)} ${`${r.translateMs} ms`.padEnd(16)} ${`${r.translateMaxMs} ms`.padEnd(16)} ${String(r.irRoutes).padEnd(11)} ${`${r.peakRssMiB} MiB`.padEnd(10)} ${routes >= 10000 ? '<1000 ms, <300 MiB' : '<100 ms'} ${ok ? 'OK' : 'MISSED'}`,
    );
  }
  process.exitCode = failed ? 1 : 0;
}
