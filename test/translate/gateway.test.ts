// The contract the route passes rely on (GatewayContext / ListenerContext), exercised the way
// translate() runs the passes, with a stand-in for the route pass in between.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatewayStatus, ListenerSetStatus } from '../../src/api/types.ts';
import { CertificateResolver } from '../../src/translate/certificates.ts';
import type { TranslateContext } from '../../src/translate/context.ts';
import { finalizeGateways, prepareListeners } from '../../src/translate/finalize.ts';
import { type GatewayState, translateGateways } from '../../src/translate/gateway.ts';
import { translateGatewayClasses } from '../../src/translate/gatewayclass.ts';
import { translate } from '../../src/translate/index.ts';
import { attachListenerSets } from '../../src/translate/listenerset.ts';
import { ReferenceGrantIndex } from '../../src/translate/referencegrant.ts';
import { CONTROLLER, NOW, snapshotFromYaml } from './helpers.ts';

const INPUT = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: portunus}
spec: {controllerName: ${CONTROLLER}}
---
apiVersion: v1
kind: Namespace
metadata: {name: labelled, labels: {env: prod}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: portunus
  allowedListeners: {namespaces: {from: All}}
  listeners:
  - {name: same, port: 80, protocol: HTTP, hostname: same.example.com}
  - name: all
    port: 80
    protocol: HTTP
    hostname: all.example.com
    allowedRoutes: {namespaces: {from: All}}
  - name: selector
    port: 80
    protocol: HTTP
    hostname: selector.example.com
    allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {env: prod}}}}
  - name: by-name
    port: 80
    protocol: HTTP
    hostname: by-name.example.com
    allowedRoutes:
      namespaces:
        from: Selector
        selector: {matchLabels: {kubernetes.io/metadata.name: no-object}}
  - {name: conflict-a, port: 81, protocol: HTTP}
  - {name: conflict-b, port: 81, protocol: HTTP}
  - {name: bad-cert, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: missing}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: extra, namespace: apps}
spec:
  parentRef: {name: gw, namespace: infra}
  listeners:
  - {name: same, port: 8080, protocol: HTTP}
`;

function runGatewayPasses(): { ctx: TranslateContext; gateways: GatewayState[] } {
  const snapshot = snapshotFromYaml(INPUT);
  const ctx: TranslateContext = {
    snapshot,
    options: { controllerName: CONTROLLER, now: NOW },
    diagnostics: [],
    statuses: new Map(),
  };
  const certs = new CertificateResolver(snapshot, new ReferenceGrantIndex(snapshot));
  const gateways = translateGateways(ctx, translateGatewayClasses(ctx), certs);
  attachListenerSets(ctx, gateways, certs);
  prepareListeners(gateways);
  return { ctx, gateways };
}

test('listener contexts: ready, allowsNamespace, listenerSet, IR names', () => {
  const { gateways } = runGatewayPasses();
  assert.equal(gateways.length, 1);
  const gw = gateways[0]!;
  const byName = new Map(gw.listeners.map((l) => [l.ir.name, l]));
  assert.deepEqual(
    [...byName.keys()],
    [
      'infra/gw/same',
      'infra/gw/all',
      'infra/gw/selector',
      'infra/gw/by-name',
      'infra/gw/conflict-a',
      'infra/gw/conflict-b',
      'infra/gw/bad-cert',
      'apps/extra/same',
    ],
  );

  const same = byName.get('infra/gw/same')!;
  assert.equal(same.ready, true);
  assert.equal(same.allowsNamespace('infra'), true);
  assert.equal(same.allowsNamespace('apps'), false);
  assert.equal(same.listenerSet, undefined);

  assert.equal(byName.get('infra/gw/all')!.allowsNamespace('anything'), true);

  const selector = byName.get('infra/gw/selector')!;
  assert.equal(selector.allowsNamespace('labelled'), true);
  assert.equal(selector.allowsNamespace('infra'), false);

  // A namespace without a Namespace object still has its kubernetes.io/metadata.name label.
  const byNameListener = byName.get('infra/gw/by-name')!;
  assert.equal(byNameListener.allowsNamespace('no-object'), true);
  assert.equal(byNameListener.allowsNamespace('labelled'), false);

  // Conflicted listeners are not ready; a listener with an unresolved certificate is (routes
  // attach and are counted) but it is not programmed.
  assert.equal(byName.get('infra/gw/conflict-a')!.ready, false);
  const badCert = byName.get('infra/gw/bad-cert')!;
  assert.equal(badCert.ready, true);
  assert.equal(badCert.programmed, false);

  // ListenerSet listeners: "Same" is the ListenerSet's namespace.
  const ls = byName.get('apps/extra/same')!;
  assert.equal(ls.listenerSet?.metadata.name, 'extra');
  assert.equal(ls.ready, true);
  assert.equal(ls.allowsNamespace('apps'), true);
  assert.equal(ls.allowsNamespace('infra'), false);
  assert.deepEqual(ls.supportedKinds, [
    { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' },
    { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' },
  ]);
});

test('finalize reports attachedRoutes, sorts clusters and keeps only programmed listeners in the IR', () => {
  const { ctx, gateways } = runGatewayPasses();
  const gw = gateways[0]!;
  // What a route pass does: count attachments, add clusters (the same name twice is kept once).
  for (const l of gw.listeners) {
    if (l.ready) l.attachedRoutes += 2;
  }
  gw.listeners.find((l) => l.ir.name === 'infra/gw/bad-cert')!.attachedRoutes = 1;
  const cluster = (name: string) => ({
    name,
    protocol: 'http1' as const,
    endpoints: [],
    discovery: 'static' as const,
    loadBalancer: 'RoundRobin' as const,
  });
  gw.addCluster(cluster('service/b/web/80'));
  gw.addCluster(cluster('service/a/web/80'));
  gw.addCluster(cluster('service/b/web/80'));

  const ir = finalizeGateways(ctx, gateways);
  assert.equal(ir.length, 1);
  assert.deepEqual(
    ir[0]!.clusters.map((c) => c.name),
    ['service/a/web/80', 'service/b/web/80'],
  );
  assert.deepEqual(
    ir[0]!.listeners.map((l) => l.name),
    ['infra/gw/same', 'infra/gw/all', 'infra/gw/selector', 'infra/gw/by-name', 'apps/extra/same'],
  );

  const status = ctx.statuses.get('Gateway/infra/gw')!.status as GatewayStatus;
  const attached = Object.fromEntries(status.listeners!.map((l) => [l.name, l.attachedRoutes]));
  assert.deepEqual(attached, {
    same: 2,
    all: 2,
    selector: 2,
    'by-name': 2,
    'conflict-a': 0,
    'conflict-b': 0,
    'bad-cert': 1,
  });
  assert.equal(status.attachedListenerSets, 1);
  const lsStatus = ctx.statuses.get('ListenerSet/apps/extra')!.status as ListenerSetStatus;
  assert.equal(lsStatus.listeners?.[0]?.attachedRoutes, 2);
});

test('translate is deterministic and does not modify its input', () => {
  const snapshot = snapshotFromYaml(INPUT);
  const before = JSON.stringify(snapshot.all());
  const a = translate(snapshot, { controllerName: CONTROLLER, now: NOW });
  const b = translate(snapshot, { controllerName: CONTROLLER, now: NOW });
  assert.equal(JSON.stringify(a), JSON.stringify(b));
  assert.equal(JSON.stringify(snapshot.all()), before);
  assert.deepEqual(
    a.statuses.map((s) => `${s.resource.kind}/${s.resource.metadata.name}`),
    ['GatewayClass/portunus', 'Gateway/gw', 'ListenerSet/extra'],
  );
});

test('a different controllerName manages nothing', () => {
  const result = translate(snapshotFromYaml(INPUT), { controllerName: 'example.com/other', now: NOW });
  assert.deepEqual(result.statuses, []);
  assert.deepEqual(result.ir.gateways, []);
});
