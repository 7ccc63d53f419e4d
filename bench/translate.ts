// bench:translate — translator throughput and memory on large route sets.
// Each case runs in a fresh child process so its peak RSS is its own.
// Prints: routes, translate wall ms (median of runs), load+validate ms, peak RSS MiB, targets.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

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

/** The same manifests as one JSON List (`kubectl get -o json` shape), read by the loader's JSON path. */
function toJsonList(yamlText: string): string {
  const items = parseAllDocuments(yamlText).map((d) => d.toJS());
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

const caseScript = fileURLToPath(new URL('./translate-case.mjs', import.meta.url));
if (!import.meta.main) {
  // imported for generateManifests()
} else {
  // Targets: translate() of 1,000 routes < 100 ms; of 10,000 routes < 1 s with peak RSS < 300 MiB.
  // Peak RSS is the whole process: input read, parsed, validated and translated.
  console.log('bench:translate: translate() wall time (median of runs), one process per case');
  console.log(
    'each case runs the compiled build (dist/); peak RSS: that process after reading, validating and translating the input once',
  );
  console.log('routes   input  load+validate   translate(p50)   translate(max)   IR routes   peak RSS   target');
  let failed = false;
  const dir = mkdtempSync(join(tmpdir(), 'portunus-bench-translate-'));
  for (const routes of [1000, 10000]) {
    const yamlText = generateManifests(routes);
    writeFileSync(join(dir, `routes-${routes}.yaml`), yamlText);
    writeFileSync(join(dir, `routes-${routes}.json`), toJsonList(yamlText));
    for (const format of ['json', 'yaml'] as const) {
      const runs = routes >= 10000 ? '5' : '9';
      const file = join(dir, `routes-${routes}.${format}`);
      const out = spawnSync(process.execPath, [caseScript, file, runs], { encoding: 'utf8' });
      if (out.status !== 0) {
        console.error(out.stderr);
        process.exit(1);
      }
      const r = JSON.parse(out.stdout.trim().split('\n').pop()!) as Record<string, number>;
      const big = routes >= 10000;
      const ok = r.translateMs! < (big ? 1000 : 100) && (!big || r.peakRssMiB! < 300);
      failed ||= !ok;
      console.log(
        `${String(routes).padEnd(8)} ${format.padEnd(6)} ${`${r.loadMs} ms`.padEnd(15)} ${`${r.translateMs} ms`.padEnd(16)} ${`${r.translateMaxMs} ms`.padEnd(16)} ${String(r.irRoutes).padEnd(11)} ${`${r.peakRssMiB} MiB`.padEnd(10)} ${big ? '<1000 ms, <300 MiB' : '<100 ms'} ${ok ? 'OK' : 'MISSED'}`,
      );
    }
  }
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = failed ? 1 : 0;
}
