// TCPRoute and UDPRoute status scenarios ported from kubernetes-sigs/gateway-api
// conformance/tests/tcproute-*.go and udproute-*.go at tag v1.6.1 (ShortName = node:test name).
//
// Out of scope here (running data plane): the TCP/UDP traffic the tests send (echo through each
// listener, weighted distribution, DNS via CoreDNS, "only the oldest route receives traffic", the
// cross-namespace backend being reachable while a ReferenceGrant exists).

import test from 'node:test';
import {
  APP,
  check,
  cond,
  type Doc,
  gatewayAndRoutesMustBeAccepted,
  gatewayMustHaveAddress,
  gatewayMustHaveZeroRoutes,
  gatewayParent,
  gatewayStatusMustHaveListeners,
  INFRA,
  infra,
  kinds,
  listener,
  type NN,
  namespacesMustBeReady,
  type Result,
  routeMustHaveCondition,
  routeMustHaveParents,
  scenario,
  WEB,
} from './harness.ts';

async function accepted(
  t: import('node:test').TestContext,
  r: Result,
  kind: string,
  gw: NN,
  routes: NN[],
  listenerNames?: string[],
) {
  await check(t, `GatewayAnd${kind}sMustBeAccepted: ${gw.name} has an address`, gatewayMustHaveAddress(r, gw));
  await check(
    t,
    `GatewayAnd${kind}sMustBeAccepted: ${routes.map((x) => x.name).join(', ')} accepted by ${gw.name}, listeners ready`,
    gatewayAndRoutesMustBeAccepted(r, { nn: gw, listenerNames }, kind, routes),
  );
}

const acceptedParent = (gw: NN) => gatewayParent(gw, [cond('Accepted', 'True', 'Accepted')]);

// ---------------------------------------------------------------------------------------------- TCP

test('TCPRouteInvalidBackendRefNonexistent', async (t) => {
  const r = await scenario(['tcproute-invalid-backendref-nonexistent.yaml']).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'TCPRoute with a nonexistent backend has ResolvedRefs=False and reason BackendNotFound',
    routeMustHaveCondition(
      r,
      'TCPRoute',
      infra('tcp-route-invalid-backend-ref-nonexistent'),
      infra('tcp-gateway-invalid-backend'),
      cond('ResolvedRefs', 'False', 'BackendNotFound'),
    ),
  );
});

test('TCPRouteInvalidCrossNamespaceBackendRef', async (t) => {
  const r = await scenario(['tcproute-invalid-cross-namespace-backend-ref.yaml']).run();
  const gw = infra('tcp-invalid-cross-namespace-backend-ref-gateway');
  const route = infra('tcp-invalid-cross-namespace-backend-ref');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA, WEB]));
  await accepted(t, r, 'TCPRoute', gw, [route], ['tcp']);
  await check(
    t,
    'TCPRoute with a cross-namespace backendRef and no ReferenceGrant has ResolvedRefs=False with reason RefNotPermitted',
    routeMustHaveCondition(r, 'TCPRoute', route, gw, cond('ResolvedRefs', 'False', 'RefNotPermitted')),
  );
});

test('TCPRouteInvalidNonTCPListener', async (t) => {
  const r = await scenario(['tcproute-invalid-non-tcp-listener.yaml']).run();
  const gw = infra('tcp-mixed-protocol-gateway');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'TCPRoute targeting a listener that has no protocol type TCP must have Accepted=False with reason NotAllowedByListeners',
    routeMustHaveCondition(r, 'TCPRoute', infra('tcp-route'), gw, cond('Accepted', 'False', 'NotAllowedByListeners')),
  );
  await check(t, 'Gateway should have 0 Routes attached', gatewayMustHaveZeroRoutes(r, gw));
});

for (const [kind, lower, port] of [
  ['TCPRoute', 'tcp', 3000],
  ['UDPRoute', 'udp', 8080],
] as const) {
  test(`${kind}MultipleRoutesAttachment`, async (t) => {
    const s = scenario([`${lower}route-multiple-routes-attachment.yaml`]);
    const gw = infra(`${lower}-multi-route-attach-gateway`);
    const older = infra(`${lower}route-attach-older`);
    const newer = infra(`${lower}route-attach-newer`);
    let r = await s.run();
    await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
    await accepted(t, r, kind, gw, [older], [lower]);
    // Created by the Go test once the older route is accepted (a second later, so it is newer).
    const newerRoute: Doc = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind,
      metadata: { name: newer.name, namespace: newer.namespace },
      spec: {
        parentRefs: [{ name: gw.name, sectionName: lower }],
        rules: [{ backendRefs: [{ name: `${lower}-attach-backend-2`, port }] }],
      },
    };
    const olderDoc = s.find(kind, older);
    olderDoc.metadata.creationTimestamp ??= '2026-01-01T00:00:00Z';
    newerRoute.metadata.creationTimestamp = '2026-01-01T00:00:01Z';
    s.add(newerRoute);
    r = await s.run();
    await check(
      t,
      `Both ${kind}s should be Accepted by the Gateway`,
      routeMustHaveCondition(r, kind, older, gw, cond('Accepted', 'True', 'Accepted')),
      routeMustHaveCondition(r, kind, newer, gw, cond('Accepted', 'True', 'Accepted')),
    );
    await check(
      t,
      'Gateway listener should report 2 attached Routes',
      gatewayStatusMustHaveListeners(r, gw, [listener(lower, kinds(kind), [cond('Accepted', 'True', 'Accepted')], 2)]),
    );
  });
}

test('TCPRouteParentRefAttachAll', async (t) => {
  const r = await scenario(['tcproute-parentref-attach-all.yaml']).run();
  const gw = infra('tcp-attach-all-gateway');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'TCPRoute is Accepted on the Gateway',
    routeMustHaveParents(r, 'TCPRoute', infra('tcp-route-attach-all'), [acceptedParent(gw)], false),
  );
});

test('TCPRouteParentRefPortAndSectionName', async (t) => {
  const r = await scenario(['tcproute-parentref-port-and-section-name.yaml']).run();
  const gw = infra('tcp-multi-listener-gateway');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  for (const [name, route] of [
    ['TCPRoute attaches to a TCP listener by port', 'tcp-route-by-port'],
    ['TCPRoute attaches to a TCP listener by sectionName', 'tcp-route-by-section'],
    ['TCPRoute attaches to a TCP listener by sectionName and port', 'tcp-route-by-section-and-port'],
  ] as const) {
    await check(t, name, routeMustHaveParents(r, 'TCPRoute', infra(route), [acceptedParent(gw)], false));
  }
});

test('TCPRouteReferenceGrant', async (t) => {
  const s = scenario(['tcproute-reference-grant.yaml']);
  const gw = infra('tcp-reference-grant-gateway');
  const route = infra('tcp-reference-grant');
  let r = await s.run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA, WEB]));
  await accepted(t, r, 'TCPRoute', gw, [route], ['tcp']);
  s.remove('ReferenceGrant', { namespace: WEB, name: 'tcp-reference-grant' });
  r = await s.run();
  await check(
    t,
    'TCPRoute ResolvedRefs becomes False with reason RefNotPermitted after the ReferenceGrant is deleted',
    routeMustHaveCondition(r, 'TCPRoute', route, gw, cond('ResolvedRefs', 'False', 'RefNotPermitted')),
  );
});

test('TCPRouteWeightedRouting', async (t) => {
  const r = await scenario(['tcproute-weighted-routing.yaml']).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await accepted(t, r, 'TCPRoute', infra('tcp-weighted-gateway'), [infra('tcp-weighted-route')], ['tcp']);
});

// ---------------------------------------------------------------------------------------------- UDP

test('UDPRoute', async (t) => {
  const r = await scenario(['udproute-simple.yaml']).run();
  await t.test(
    'Simple UDP request matching UDPRoute should reach coredns backend (status preconditions)',
    async (t) => {
      await accepted(t, r, 'UDPRoute', infra('udp-gateway'), [infra('udp-coredns')]);
    },
  );
});

test('UDPRouteInvalidBackendRefNonexistent', async (t) => {
  const r = await scenario(['udproute-invalid-backendref-nonexistent.yaml']).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'UDPRoute with a nonexistent backend has ResolvedRefs=False and reason BackendNotFound',
    routeMustHaveCondition(
      r,
      'UDPRoute',
      infra('udp-route-invalid-backend-ref-nonexistent'),
      infra('udp-gateway-invalid-backend'),
      cond('ResolvedRefs', 'False', 'BackendNotFound'),
    ),
  );
});

test('UDPRouteInvalidCrossNamespaceBackendRef', async (t) => {
  const r = await scenario(['udproute-invalid-cross-namespace-backend-ref.yaml']).run();
  const gw = infra('udp-gateway-invalid-cross-namespace-backend-ref');
  const route = infra('udp-route-invalid-cross-namespace-backend-ref');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await accepted(t, r, 'UDPRoute', gw, [route]);
  await check(
    t,
    'UDPRoute with a cross-namespace BackendRef and no ReferenceGrant has a ResolvedRefs Condition with status False and Reason RefNotPermitted',
    routeMustHaveCondition(r, 'UDPRoute', route, gw, cond('ResolvedRefs', 'False', 'RefNotPermitted')),
  );
});

test('UDPRouteNotAllowedByListeners', async (t) => {
  // Upstream returns early unless TLSRoute is supported; Portunus supports TLSRoute.
  const r = await scenario(['udproute-not-allowed-by-listeners.yaml']).run();
  const gw = infra('udproute-tls-only-gateway');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'UDPRoute should have Accepted=False with reason NotAllowedByListeners',
    routeMustHaveCondition(
      r,
      'UDPRoute',
      infra('udproute-not-allowed-by-listeners'),
      gw,
      cond('Accepted', 'False', 'NotAllowedByListeners'),
    ),
  );
  await check(t, 'Gateway should have 0 Routes attached on the TLS listener', gatewayMustHaveZeroRoutes(r, gw));
});

test('UDPRouteParentRefAttachAllListeners', async (t) => {
  const r = await scenario(['udproute-parentref-attach-all-listeners.yaml']).run();
  const gw = infra('udp-attach-all-listeners-gateway');
  const ready = [cond('Accepted', 'True'), cond('ResolvedRefs', 'True')];
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'UDPRoute is accepted by the Gateway',
    routeMustHaveParents(r, 'UDPRoute', infra('udp-route-attach-all'), [acceptedParent(gw)], false),
  );
  await check(
    t,
    'Every UDP listener on the Gateway has the UDPRoute attached',
    gatewayStatusMustHaveListeners(r, gw, [
      listener('udp-1', kinds('UDPRoute'), ready, 1),
      listener('udp-2', kinds('UDPRoute'), ready, 1),
      listener('udp-3', kinds('UDPRoute'), ready, 1),
    ]),
  );
});

test('UDPRouteParentRefPortAndSectionName', async (t) => {
  const r = await scenario(['udproute-parentref-port-and-section-name.yaml']).run();
  const gw = infra('udp-multi-listener-gateway');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  for (const [name, route] of [
    ['UDPRoute attaches to a UDP listener by port', 'udp-route-by-port'],
    ['UDPRoute attaches to a UDP listener by sectionName', 'udp-route-by-section'],
    ['UDPRoute attaches to a UDP listener by sectionName and port', 'udp-route-by-section-and-port'],
  ] as const) {
    await check(t, name, routeMustHaveParents(r, 'UDPRoute', infra(route), [acceptedParent(gw)], false));
  }
});

test('UDPRouteReferenceGrant', async (t) => {
  const s = scenario(['udproute-reference-grant.yaml']);
  const gw = infra('udp-gateway-reference-grant');
  const route = infra('udp-route-reference-grant');
  let r = await s.run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await accepted(t, r, 'UDPRoute', gw, [route]);
  await check(
    t,
    'UDPRoute with cross-namespace backendRef and a permitting ReferenceGrant has ResolvedRefs=True',
    routeMustHaveCondition(r, 'UDPRoute', route, gw, cond('ResolvedRefs', 'True', 'ResolvedRefs')),
  );
  s.remove('ReferenceGrant', { namespace: APP, name: 'udp-reference-grant' });
  r = await s.run();
  await check(
    t,
    'UDPRoute has ResolvedRefs=False with reason RefNotPermitted after deleting the ReferenceGrant',
    routeMustHaveCondition(r, 'UDPRoute', route, gw, cond('ResolvedRefs', 'False', 'RefNotPermitted')),
  );
});

test('UDPRouteWeightedRouting', async (t) => {
  const r = await scenario(['udproute-weighted-routing.yaml']).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await accepted(t, r, 'UDPRoute', infra('udp-weighted-gateway'), [infra('udp-weighted-route')], ['udp']);
});
