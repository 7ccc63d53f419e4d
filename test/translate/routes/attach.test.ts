// translateRoutes against hand-built gateway/listener contexts, independent of the gateway pass:
// attachment, attachedRoutes counting, status entries and listener IR.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Listener, RouteStatus } from '../../../src/api/types.ts';
import type { ClusterIR, GatewayIR, ListenerIR, ListenerProtocol } from '../../../src/ir/types.ts';
import type { GatewayContext, ListenerContext, TranslateContext } from '../../../src/translate/context.ts';
import { translateRoutes } from '../../../src/translate/routes/index.ts';
import { CONTROLLER, NOW, snapshotFromYaml } from '../helpers.ts';

function gatewayContext(
  namespace: string,
  name: string,
  listeners: (Listener & { kinds: string[]; ready?: boolean })[],
): GatewayContext {
  const ir: GatewayIR = {
    name: `${namespace}/${name}`,
    namespace,
    gatewayClassName: 'portunus',
    addresses: [],
    listeners: [],
    clusters: [],
  };
  const gw: GatewayContext = {
    gateway: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { namespace, name } },
    gatewayClass: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'portunus' } },
    namespace,
    name,
    listeners: [],
    conditions: [],
    ir,
    addCluster(c: ClusterIR) {
      if (!ir.clusters.some((x) => x.name === c.name)) ir.clusters.push(c);
    },
  };
  for (const l of listeners) {
    const lir: ListenerIR = {
      name: `${namespace}/${name}/${l.name}`,
      sectionName: l.name,
      port: l.port,
      protocol: l.protocol as ListenerProtocol,
      hostname: l.hostname ?? null,
    };
    if (l.protocol === 'HTTP') lir.virtualHosts = [];
    const lc: ListenerContext = {
      gateway: gw,
      listener: l,
      supportedKinds: l.kinds.map((kind) => ({ group: 'gateway.networking.k8s.io', kind })),
      ready: l.ready ?? true,
      allowsNamespace: (ns) => ns === namespace,
      attachedRoutes: 0,
      ir: lir,
    };
    gw.listeners.push(lc);
  }
  return gw;
}

function run(yaml: string, gateways: GatewayContext[]): TranslateContext {
  const ctx: TranslateContext = {
    snapshot: snapshotFromYaml(yaml),
    options: { controllerName: CONTROLLER, now: NOW },
    diagnostics: [],
    statuses: new Map(),
  };
  translateRoutes(ctx, gateways);
  return ctx;
}

function conditions(ctx: TranslateContext, key: string): string[][] {
  const st = ctx.statuses.get(key)?.status as RouteStatus | undefined;
  assert.ok(st, `no status for ${key}`);
  return st.parents.map((p) => p.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`));
}

test('routes attach to ready listeners that allow their kind and namespace; attachedRoutes counts them', () => {
  const gw = gatewayContext('ns', 'gw', [
    { name: 'http', port: 80, protocol: 'HTTP', hostname: '*.example.com', kinds: ['HTTPRoute'] },
    { name: 'broken', port: 81, protocol: 'HTTP', kinds: ['HTTPRoute'], ready: false },
    { name: 'tcp', port: 9000, protocol: 'TCP', kinds: ['TCPRoute'] },
  ]);
  const ctx = run(
    `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: ns }
spec:
  parentRefs: [{ name: gw }, { name: gw, sectionName: broken }, { name: gw, sectionName: tcp }]
  hostnames: [a.example.com, b.example.org]
  rules:
  - backendRefs: [{ name: svc, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: elsewhere, namespace: other }
spec:
  parentRefs: [{ name: gw, namespace: ns }]
---
apiVersion: v1
kind: Service
metadata: { name: svc, namespace: ns }
spec:
  clusterIP: 10.0.0.1
  ports: [{ port: 80 }]
`,
    [gw],
  );
  assert.deepEqual(conditions(ctx, 'HTTPRoute/ns/web'), [
    ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs'],
    ['Accepted=False/NotAllowedByListeners', 'ResolvedRefs=True/ResolvedRefs'],
    ['Accepted=False/NotAllowedByListeners', 'ResolvedRefs=True/ResolvedRefs'],
  ]);
  assert.deepEqual(conditions(ctx, 'HTTPRoute/other/elsewhere'), [
    ['Accepted=False/NotAllowedByListeners', 'ResolvedRefs=True/ResolvedRefs'],
  ]);
  assert.deepEqual(
    gw.listeners.map((l) => l.attachedRoutes),
    [1, 0, 0],
  );
  const http = gw.listeners[0]!.ir;
  assert.deepEqual(
    http.virtualHosts?.map((v) => v.hostname),
    ['a.example.com'],
  );
  assert.deepEqual(
    gw.ir.clusters.map((c) => c.name),
    ['service/ns/svc/80'],
  );
});

test('a route naming no Gateway of ours gets no status; parentRef to an unknown kind is ignored', () => {
  const gw = gatewayContext('ns', 'gw', [{ name: 'http', port: 80, protocol: 'HTTP', kinds: ['HTTPRoute'] }]);
  const ctx = run(
    `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: ns }
spec:
  parentRefs: [{ name: not-ours }, { group: "", kind: Service, name: gw }]
`,
    [gw],
  );
  assert.equal(ctx.statuses.size, 0);
  assert.equal(gw.listeners[0]!.attachedRoutes, 0);
});

test('TCP listener: every attached route is counted, the oldest is served', () => {
  const gw = gatewayContext('ns', 'gw', [{ name: 'tcp', port: 9000, protocol: 'TCP', kinds: ['TCPRoute'] }]);
  const route = (name: string, ts: string) => `
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: { name: ${name}, namespace: ns, creationTimestamp: "${ts}" }
spec:
  parentRefs: [{ name: gw }]
  rules: [{ backendRefs: [{ name: svc, port: 5432 }] }]
`;
  const ctx = run(
    [
      route('a-new', '2025-02-01T00:00:00Z'),
      route('z-old', '2025-01-01T00:00:00Z'),
      'apiVersion: v1\nkind: Service\nmetadata: { name: svc, namespace: ns }\nspec: { clusterIP: 10.0.0.2, ports: [{ port: 5432 }] }',
    ].join('\n---\n'),
    [gw],
  );
  assert.equal(gw.listeners[0]!.attachedRoutes, 2);
  assert.equal(gw.listeners[0]!.ir.tcpRoute?.route, 'TCPRoute/ns/z-old');
  assert.deepEqual(conditions(ctx, 'TCPRoute/ns/a-new'), [
    ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs'],
  ]);
});
