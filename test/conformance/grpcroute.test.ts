// GRPCRoute status scenarios ported from kubernetes-sigs/gateway-api conformance/tests/grpcroute-*.go
// at tag v1.6.1 (ShortName = node:test name). Out of scope here: the gRPC calls each test makes after
// its status preconditions (method/header matching, hostname matching, named rules, weights) — they
// need a running data plane.

import test from 'node:test';
import {
  check,
  gatewayAndRoutesMustBeAccepted,
  gatewayMustHaveAddress,
  INFRA,
  infra,
  namespacesMustBeReady,
  scenario,
} from './harness.ts';

const sameNamespace = infra('same-namespace');

for (const [shortName, manifest, route] of [
  ['GRPCExactMethodMatching', 'grpcroute-exact-method-matching.yaml', 'exact-matching'],
  ['GRPCRouteHeaderMatching', 'grpcroute-header-matching.yaml', 'grpc-header-matching'],
  ['GRPCRouteNamedRule', 'grpcroute-named-rule.yaml', 'grpc-named-rules'],
  ['GRPCRouteWeight', 'grpcroute-weight.yaml', 'weighted-backends'],
] as const) {
  test(shortName, async (t) => {
    const r = await scenario([manifest]).run();
    await check(
      t,
      'GatewayAndRoutesMustBeAccepted: same-namespace has an address',
      gatewayMustHaveAddress(r, sameNamespace),
    );
    await check(
      t,
      `GatewayAndRoutesMustBeAccepted: GRPCRoute ${route} accepted by same-namespace, listeners ready`,
      gatewayAndRoutesMustBeAccepted(r, { nn: sameNamespace }, 'GRPCRoute', [infra(route)]),
    );
  });
}

test('GRPCRouteListenerHostnameMatching', async (t) => {
  const r = await scenario(['grpcroute-listener-hostname-matching.yaml']).run();
  const gw = infra('grpcroute-listener-hostname-matching');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(t, 'GatewayAndRoutesMustBeAccepted: gateway has an address', gatewayMustHaveAddress(r, gw));
  for (const [route, listeners] of [
    ['backend-v1', ['listener-1']],
    ['backend-v2', ['listener-2']],
    ['backend-v3', ['listener-3', 'listener-4']],
  ] as const) {
    await check(
      t,
      `GatewayAndRoutesMustBeAccepted: GRPCRoute ${route} accepted (listeners ${listeners.join(', ')}), listeners ready`,
      gatewayAndRoutesMustBeAccepted(r, { nn: gw, listenerNames: [...listeners] }, 'GRPCRoute', [infra(route)]),
    );
  }
});
