// TLSRoute status scenarios ported from kubernetes-sigs/gateway-api conformance/tests/tlsroute-*.go at
// tag v1.6.1 (ShortName = node:test name).
//
// Out of scope here (running data plane): the TLS connections each test opens after its status
// preconditions (passthrough/terminate reaching the backend, SNI not matching being refused).
//
// Feature-gated tests: upstream runs TLSRouteListenerTerminateNotSupported only when the
// implementation declares TLSRoute but not TLSRouteModeTerminate, and
// TLSRouteListenerMixedTerminationNotSupported only when it declares TLSRoute and
// TLSRouteModeTerminate but not TLSRouteModeMixed (features inferred from the GatewayClass's
// status.supportedFeatures, suite.go). Those two follow the declared features exactly, since their
// expectation is "not supported"; every other scenario here runs regardless of declarations.

import test from 'node:test';
import {
  check,
  declaredFeatures,
  cond,
  gatewayAndTLSRoutesMustBeAccepted,
  gatewayMustHaveAddress,
  gatewayMustHaveZeroRoutes,
  gatewayStatusMustHaveListeners,
  INFRA,
  infra,
  kinds,
  listener,
  type NN,
  namespacesMustBeReady,
  type Result,
  routeMustHaveCondition,
  routeMustHaveNoAcceptedParents,
  scenario,
} from './harness.ts';

const features = await declaredFeatures();
const runTerminateNotSupported = features.has('TLSRoute') && !features.has('TLSRouteModeTerminate');
const runMixedNotSupported =
  features.has('TLSRoute') && features.has('TLSRouteModeTerminate') && !features.has('TLSRouteModeMixed');
const declaredList = `declared: ${[...features].sort().join(', ') || 'none'}`;

async function tlsAccepted(t: import('node:test').TestContext, r: Result, gw: NN, routes: NN[], resolvedRefs: boolean) {
  await check(t, `GatewayAndTLSRoutesMustBeAccepted: ${gw.name} has an address`, gatewayMustHaveAddress(r, gw));
  await check(
    t,
    `GatewayAndTLSRoutesMustBeAccepted: ${routes.map((x) => x.name).join(', ')} accepted by ${gw.name}`,
    gatewayAndTLSRoutesMustBeAccepted(r, { nn: gw }, routes),
  );
  if (resolvedRefs) {
    await check(
      t,
      `TLSRouteMustHaveResolvedRefsConditionsTrue: ${routes.map((x) => x.name).join(', ')}`,
      ...routes.map((route) =>
        routeMustHaveCondition(r, 'TLSRoute', route, gw, cond('ResolvedRefs', 'True', 'ResolvedRefs')),
      ),
    );
  }
}

test('TLSRouteSimpleSameNamespace', async (t) => {
  const r = await scenario(['tlsroute-simple-same-namespace.yaml']).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await tlsAccepted(t, r, infra('gateway-tlsroute'), [infra('gateway-conformance-infra-test')], false);
});

test('TLSRouteTerminateSimpleSameNamespace', async (t) => {
  const r = await scenario(['tlsroute-terminate-simple-same-namespace.yaml']).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await tlsAccepted(t, r, infra('gateway-tlsroute-terminate'), [infra('tlsroute-terminated-test')], false);
});

test('TLSRouteMixedTerminationSameNamespace', async (t) => {
  const r = await scenario(['tlsroute-mixed-termination-same-namespace.yaml']).run();
  const gw = infra('gateway-tlsroute-mixed-termination');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await tlsAccepted(t, r, gw, [infra('gateway-conformance-mixed-passthroughroute')], false);
  await check(
    t,
    'both listeners Accepted with TLSRoute supported and one route attached each',
    gatewayStatusMustHaveListeners(r, gw, [
      listener('tls-terminate', kinds('TLSRoute'), [cond('Accepted', 'True', 'Accepted')], 1),
      listener('tls-passthrough', kinds('TLSRoute'), [cond('Accepted', 'True', 'Accepted')], 1),
    ]),
  );
  await tlsAccepted(t, r, gw, [infra('gateway-conformance-mixed-terminateroute')], false);
});

test('TLSRouteListenerMixedTerminationNotSupported', {
  skip:
    !runMixedNotSupported &&
    `the official suite runs it only for TLSRoute + TLSRouteModeTerminate without TLSRouteModeMixed (${declaredList})`,
}, async (t) => {
  const r = await scenario(['tlsroute-listener-mixed-termination-not-supported.yaml']).run();
  await check(
    t,
    'Listener with unsupported mixed Terminate/Passthrough must have Accepted=False with Reason=ProtocolConflict',
    gatewayStatusMustHaveListeners(r, infra('gateway-tlsroute-mixed-termination-not-supported'), [
      listener('tls-terminate', [], [cond('Accepted', 'False', 'ProtocolConflict')], 0),
      listener('tls-passthrough', [], [cond('Accepted', 'False', 'ProtocolConflict')], 0),
    ]),
  );
});

test('TLSRouteListenerTerminateNotSupported', {
  skip:
    !runTerminateNotSupported &&
    `the official suite runs it only for TLSRoute without TLSRouteModeTerminate (${declaredList})`,
}, async (t) => {
  const r = await scenario(['tlsroute-listener-terminate-not-supported.yaml']).run();
  await check(
    t,
    'Listener with unsupported mode Terminate must have Accepted=False with Reason=UnsupportedValue',
    gatewayStatusMustHaveListeners(r, infra('gateway-tlsroute-terminate-unsupported'), [
      listener('tls-terminate', [], [cond('Accepted', 'False', 'UnsupportedValue')], 0),
    ]),
  );
});

test('TLSRouteListenerTerminateSupportedKinds', async (t) => {
  const r = await scenario(['tlsroute-listener-terminate-supported-kinds.yaml']).run();
  await check(
    t,
    'Listener with mode Terminate must have TLSRoute in SupportedKinds',
    gatewayStatusMustHaveListeners(r, infra('gateway-tlsroute-terminate-supported'), [
      listener('tls-terminate', kinds('TLSRoute'), [cond('Accepted', 'True', 'Accepted')], 0),
    ]),
  );
});

test('TLSRouteListenerPassthroughSupportedKinds', async (t) => {
  const r = await scenario(['tlsroute-listener-passthrough-supported-kinds.yaml']).run();
  await check(
    t,
    'TLS listener should have a false ResolvedRefs condition with reason InvalidRouteKinds for TCPRoute, and TLSRoute must be put in the supportedKinds',
    gatewayStatusMustHaveListeners(r, infra('gateway-tlsroute-passthrough-supported-kind'), [
      listener('tls-passthrough', kinds('TLSRoute'), [cond('ResolvedRefs', 'False', 'InvalidRouteKinds')], 0),
    ]),
  );
});

test('TLSRouteHostnameIntersection', async (t) => {
  const r = await scenario(['tlsroute-hostname-intersection.yaml']).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  for (const [name, gw, routes] of [
    [
      'TLSRoutes intersect with exact listener hostname',
      'gw-tlsroute-exact-hostname-x-1',
      ['tlsroute-more-specific-wc-hostname-x-1'],
    ],
    [
      'TLSRoutes intersect with more specific wildcard listener hostname',
      'gw-tlsroute-more-specific-wc-hostname-x-2',
      ['tlsroute-exact-hostname-x-2', 'tlsroute-less-specific-wc-hostname-x-2'],
    ],
    [
      'TLSRoutes intersect with less specific wildcard listener hostname',
      'gw-tlsroute-less-specific-wc-hostname-x-3',
      ['tlsroute-exact-hostname-x-3', 'tlsroute-more-specific-wc-hostname-x-3'],
    ],
    [
      'TLSRoutes intersect with empty listener hostname',
      'gw-tlsroute-empty-hostname-x-4',
      ['tlsroute-exact-hostname-x-4', 'tlsroute-less-specific-wc-hostname-x-4'],
    ],
  ] as const) {
    await t.test(name, async (t) => {
      await tlsAccepted(t, r, infra(gw), routes.map(infra), true);
    });
  }
});

for (const [shortName, manifest, route, gw, reason, name] of [
  [
    'TLSRouteInvalidBackendRefNonexistent',
    'tlsroute-invalid-backendref-nonexistent.yaml',
    'invalid-backend-ref-nonexistent',
    'gateway-tlsroute-invalid-backend-ref-nonexistent',
    'BackendNotFound',
    'TLSRoute with only a nonexistent BackendRef has a ResolvedRefs Condition with status False and Reason BackendNotFound',
  ],
  [
    'TLSRouteInvalidBackendRefUnknownKind',
    'tlsroute-invalid-backendref-unknown-kind.yaml',
    'invalid-backend-ref-unknown-kind',
    'gateway-tlsroute-invalid-backend-ref-unknown-kind',
    'InvalidKind',
    'TLSRoute with Invalid Kind has a ResolvedRefs Condition with status False and Reason InvalidKind',
  ],
] as const) {
  test(shortName, async (t) => {
    const r = await scenario([manifest]).run();
    await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
    await tlsAccepted(t, r, infra(gw), [infra(route)], false);
    await check(
      t,
      name,
      routeMustHaveCondition(r, 'TLSRoute', infra(route), infra(gw), cond('ResolvedRefs', 'False', reason)),
    );
  });
}

test('TLSRouteInvalidReferenceGrant', async (t) => {
  const r = await scenario(['tlsroute-invalid-reference-grant.yaml']).run();
  const gw = infra('gateway-tlsroute-referencegrant');
  const route = infra('gateway-conformance-infra-test');
  await tlsAccepted(t, r, gw, [route], false);
  await check(
    t,
    'TLSRoute with BackendRef in another namespace and no ReferenceGrant covering the Service has a ResolvedRefs Condition with status False and Reason RefNotPermitted',
    routeMustHaveCondition(r, 'TLSRoute', route, gw, cond('ResolvedRefs', 'False', 'RefNotPermitted')),
  );
});

test('TLSRouteInvalidNoMatchingListenerHostname', async (t) => {
  const r = await scenario(['tlsroute-invalid-no-matching-listener-hostname.yaml']).run();
  const route1 = infra('tlsroute-hostname-mismatch-1');
  const route2 = infra('tlsroute-hostname-mismatch-2');
  const exact = infra('gateway-tls-exact-hostname');
  const wildcard = infra('gateway-tls-wildcard-hostname');
  const notAccepted = cond('Accepted', 'False', 'NoMatchingListenerHostname');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'TLSRoute 1 has Accepted=False for exact hostname Gateway',
    routeMustHaveCondition(r, 'TLSRoute', route1, exact, notAccepted),
  );
  await check(
    t,
    'TLSRoute 2 has Accepted=False for wildcard hostname Gateway',
    routeMustHaveCondition(r, 'TLSRoute', route2, wildcard, notAccepted),
  );
  await check(t, 'TLSRoute 1 must have no accepted parents', routeMustHaveNoAcceptedParents(r, 'TLSRoute', route1));
  await check(t, 'TLSRoute 2 must have no accepted parents', routeMustHaveNoAcceptedParents(r, 'TLSRoute', route2));
  await check(t, 'Exact hostname Gateway must have 0 Routes attached', gatewayMustHaveZeroRoutes(r, exact));
  await check(t, 'Wildcard hostname Gateway must have 0 Routes attached', gatewayMustHaveZeroRoutes(r, wildcard));
});

test('TLSRouteInvalidNoMatchingListener', async (t) => {
  const r = await scenario(['tlsroute-invalid-no-matching-listener.yaml']).run();
  const httpRoute = infra('tlsroute-not-allowed-protocol-http');
  const httpsRoute = infra('tlsroute-not-allowed-protocol-https');
  const sectionRoute = infra('tlsroute-no-matching-section-name');
  const passthroughOnly = infra('gateway-tlsroute-tls-passthrough-only');
  const httpOnly = infra('gateway-tlsroute-http-only');
  const httpsOnly = infra('gateway-tlsroute-https-only');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'TLSRoute rejected when listener protocol is HTTP',
    routeMustHaveCondition(r, 'TLSRoute', httpRoute, httpOnly, cond('Accepted', 'False', 'NotAllowedByListeners')),
  );
  await check(
    t,
    'TLSRoute rejected when listener protocol is HTTPS',
    routeMustHaveCondition(r, 'TLSRoute', httpsRoute, httpsOnly, cond('Accepted', 'False', 'NotAllowedByListeners')),
  );
  await check(
    t,
    'TLSRoute rejected when sectionName not found',
    routeMustHaveCondition(r, 'TLSRoute', sectionRoute, passthroughOnly, cond('Accepted', 'False', 'NoMatchingParent')),
  );
  await check(
    t,
    'TLSRoute (HTTP listener) should not have Parents accepted',
    routeMustHaveNoAcceptedParents(r, 'TLSRoute', httpRoute),
  );
  await check(
    t,
    'TLSRoute (HTTPS listener) should not have Parents accepted',
    routeMustHaveNoAcceptedParents(r, 'TLSRoute', httpsRoute),
  );
  await check(
    t,
    'TLSRoute (wrong sectionName) should not have Parents accepted',
    routeMustHaveNoAcceptedParents(r, 'TLSRoute', sectionRoute),
  );
  await check(t, 'Gateway HTTP-only should have 0 Routes attached', gatewayMustHaveZeroRoutes(r, httpOnly));
  await check(t, 'Gateway HTTPS-only should have 0 Routes attached', gatewayMustHaveZeroRoutes(r, httpsOnly));
});
