// HTTPRoute status scenarios ported from kubernetes-sigs/gateway-api conformance/tests/httproute-*.go
// at tag v1.6.1. Each node:test is named after the upstream ShortName; each subtest is one upstream
// t.Run or one precondition helper call, with the same conditions (type, status, reason).
//
// Out of scope here (another suite, with a running data plane): every HTTP request the upstream
// tests send after their status preconditions: matching, redirects, rewrites, header modifiers,
// mirrors, CORS, retries, timeouts, weights, h2c/WebSocket, misdirected-request (421) handling,
// and the "500 after deleting the ReferenceGrant" request of HTTPRouteReferenceGrant (upstream
// asserts no status after that deletion). HTTPRouteServiceTypes' manual EndpointSlices are created
// by the Go test at runtime and only matter for traffic.

import test from 'node:test';
import {
  check,
  cond,
  gatewayAndRoutesMustBeAccepted,
  gatewayMustHaveAddress,
  gatewayMustHaveZeroRoutes,
  gatewayParent,
  gatewayStatusMustHaveListeners,
  httpRouteMustHaveLatestConditions,
  INFRA,
  infra,
  kinds,
  listener,
  type NN,
  namespacesMustBeReady,
  type Result,
  routeMustHaveCondition,
  routeMustHaveNoAcceptedParents,
  routeMustHaveParents,
  routeMustHaveResolvedRefsTrue,
  scenario,
  WEB,
} from './harness.ts';

const sameNamespace = infra('same-namespace');
const httpsGateway = infra('same-namespace-with-https-listener');

/** GatewayAndHTTPRoutesMustBeAccepted, split into the address wait and the status checks. */
async function accepted(t: import('node:test').TestContext, r: Result, gw: NN, routes: NN[], listenerNames?: string[]) {
  const names = listenerNames ? ` (listeners ${listenerNames.join(', ')})` : '';
  await check(t, `GatewayAndHTTPRoutesMustBeAccepted: ${gw.name} has an address`, gatewayMustHaveAddress(r, gw));
  await check(
    t,
    `GatewayAndHTTPRoutesMustBeAccepted: ${routes.map((x) => x.name).join(', ') || 'no routes'} accepted by ${gw.name}${names}, listeners ready`,
    gatewayAndRoutesMustBeAccepted(r, { nn: gw, listenerNames }, 'HTTPRoute', routes),
  );
}

async function resolved(t: import('node:test').TestContext, r: Result, gw: NN, routes: NN[]) {
  await check(
    t,
    `HTTPRouteMustHaveResolvedRefsConditionsTrue: ${routes.map((x) => x.name).join(', ')}`,
    ...routes.map((route) => routeMustHaveResolvedRefsTrue(r, 'HTTPRoute', route, gw)),
  );
}

// The tests whose only status expectation is GatewayAndHTTPRoutesMustBeAccepted (+ ResolvedRefs).
// [ShortName, manifests, gateway, accepted routes, routes that must have ResolvedRefs=True]
const simple: [string, string[], NN, NN[], NN[]][] = [];
function add(
  shortName: string,
  manifest: string | string[],
  gw: NN,
  routes: string[],
  resolvedRoutes: string[] | 'same' = 'same',
) {
  const ns = gw.namespace ?? INFRA;
  const rr = resolvedRoutes === 'same' ? routes : resolvedRoutes;
  simple.push([
    shortName,
    Array.isArray(manifest) ? manifest : [manifest],
    gw,
    routes.map((n) => ({ namespace: ns, name: n })),
    rr.map((n) => ({ namespace: ns, name: n })),
  ]);
}
add('HTTPRoute303Redirect', 'httproute-303-redirect.yaml', sameNamespace, ['303-redirect']);
add('HTTPRoute307Redirect', 'httproute-307-redirect.yaml', sameNamespace, ['307-redirect']);
add('HTTPRoute308Redirect', 'httproute-308-redirect.yaml', sameNamespace, ['308-redirect']);
add('HTTPRouteBackendProtocolH2C', 'httproute-backend-protocol-h2c.yaml', sameNamespace, ['backend-protocol-h2c'], []);
add(
  'HTTPRouteBackendProtocolWebSocket',
  'httproute-backend-protocol-websocket.yaml',
  sameNamespace,
  ['backend-protocol-ws'],
  [],
);
add(
  'HTTPRouteCORS',
  'httproute-cors.yaml',
  sameNamespace,
  ['cors-multiple-origins-methods-headers', 'cors-wildcard-methods'],
  [
    'cors-multiple-origins-methods-headers',
    'cors-wildcard-methods',
    'cors-wildcard-origin',
    'cors-wildcard-methods-headers',
  ],
);
add('HTTPRouteExactPathMatching', 'httproute-exact-path-matching.yaml', sameNamespace, ['exact-matching']);
add('HTTPRouteHeaderMatching', 'httproute-header-matching.yaml', sameNamespace, ['header-matching']);
add(
  'HTTPRouteHTTPSListenerDetectMisdirectedRequests',
  'httproute-https-listener-detect-misdirected-requests.yaml',
  httpsGateway,
  [
    'https-listener-detect-misdirected-requests-test-1',
    'https-listener-detect-misdirected-requests-test-2',
    'https-listener-detect-misdirected-requests-test-3',
    'https-listener-detect-misdirected-requests-test-4',
  ],
);
add('HTTPRouteHTTPSListener', 'httproute-https-listener.yaml', httpsGateway, [
  'httproute-https-test',
  'httproute-https-test-no-hostname',
]);
add('HTTPRouteMatchingAcrossRoutes', 'httproute-matching-across-routes.yaml', sameNamespace, [
  'matching-part1',
  'matching-part2',
]);
add('HTTPRouteMatching', 'httproute-matching.yaml', sameNamespace, ['matching']);
add('HTTPRouteMethodMatching', 'httproute-method-matching.yaml', sameNamespace, ['method-matching']);
add('HTTPRouteNamedRule', 'httproute-named-rule.yaml', sameNamespace, ['http-named-rules']);
add('HTTPRouteNoBackendRefs', 'httproute-omitted-backendrefs.yaml', sameNamespace, ['omitted-backendrefs']);
add('HTTPRoutePathMatchOrder', 'httproute-path-match-order.yaml', sameNamespace, ['path-matching-order']);
add('HTTPRouteQueryParamMatching', 'httproute-query-param-matching.yaml', sameNamespace, ['query-param-matching']);
add('HTTPRouteRedirectHostAndStatus', 'httproute-redirect-host-and-status.yaml', sameNamespace, [
  'redirect-host-and-status',
]);
add('HTTPRouteRedirectPath', 'httproute-redirect-path.yaml', sameNamespace, ['redirect-path']);
add('HTTPRouteRedirectPort', 'httproute-redirect-port.yaml', sameNamespace, ['redirect-port']);
add('HTTPRouteRedirectScheme', 'httproute-redirect-scheme.yaml', sameNamespace, ['redirect-scheme']);
add('HTTPRouteReferenceGrant', 'httproute-reference-grant.yaml', sameNamespace, ['reference-grant']);
add(
  'HTTPRouteRequestHeaderModifierBackendWeights',
  'httproute-request-header-modifier-backend-weights.yaml',
  sameNamespace,
  ['request-header-modifier-backend-weights'],
);
add('HTTPRouteBackendRequestHeaderModifier', 'httproute-request-header-modifier-backend.yaml', sameNamespace, [
  'request-header-modifier',
]);
add('HTTPRouteRequestHeaderModifier', 'httproute-request-header-modifier.yaml', sameNamespace, [
  'request-header-modifier',
]);
add('HTTPRouteRequestMirror', 'httproute-request-mirror.yaml', sameNamespace, ['request-mirror'], []);
add(
  'HTTPRouteRequestMultipleMirrors',
  'httproute-request-multiple-mirrors.yaml',
  sameNamespace,
  ['request-multiple-mirrors'],
  [],
);
add('HTTPRouteRequestPercentageMirror', 'httproute-request-percentage-mirror.yaml', sameNamespace, [
  'request-percentage-mirror',
]);
add('HTTPRouteResponseHeaderModifier', 'httproute-response-header-modifier.yaml', sameNamespace, [
  'response-header-modifier',
]);
add('HTTPRouteRetry', 'httproute-retry.yaml', sameNamespace, ['retries']);
add('HTTPRouteRewriteHost', 'httproute-rewrite-host.yaml', sameNamespace, ['rewrite-host']);
add('HTTPRouteRewritePath', 'httproute-rewrite-path.yaml', sameNamespace, ['rewrite-path']);
add('HTTPRouteServiceTypes', 'httproute-service-types.yaml', sameNamespace, ['service-types']);
add('HTTPRouteSimpleSameNamespace', 'httproute-simple-same-namespace.yaml', sameNamespace, [
  'gateway-conformance-infra-test',
]);
add('HTTPRouteTimeoutBackendRequest', 'httproute-timeout-backend-request.yaml', sameNamespace, [
  'backend-request-timeout',
]);
add('HTTPRouteTimeoutRequest', 'httproute-timeout-request.yaml', sameNamespace, ['request-timeout']);
add('HTTPRouteWeight', 'httproute-weight.yaml', sameNamespace, ['weighted-backends']);

for (const [shortName, manifests, gw, routes, rr] of simple) {
  test(shortName, async (t) => {
    const r = await scenario(manifests).run();
    await accepted(t, r, gw, routes);
    if (rr.length > 0) await resolved(t, r, gw, rr);
  });
}

test('HTTPRouteCrossNamespace', async (t) => {
  const r = await scenario(['httproute-cross-namespace.yaml']).run();
  const gw = infra('backend-namespaces');
  const route = { namespace: WEB, name: 'cross-namespace' };
  await accepted(t, r, gw, [route]);
  await resolved(t, r, gw, [route]);
});

test('HTTPRouteMultipleGateways', async (t) => {
  const r = await scenario(['httproute-multiple-gateways.yaml']).run();
  await t.test('Gateway same-namespace', async (t) => {
    await accepted(t, r, sameNamespace, [
      infra('multiple-gateways-shared-route'),
      infra('same-namespace-dedicated-route'),
    ]);
  });
  await t.test('Gateway all-namespaces', async (t) => {
    await accepted(t, r, infra('all-namespaces'), [
      infra('multiple-gateways-shared-route'),
      infra('all-namespaces-dedicated-route'),
    ]);
  });
});

test('HTTPRouteRedirectPortAndScheme', async (t) => {
  const r = await scenario(['httproute-redirect-port-and-scheme.yaml']).run();
  for (const [gw, route] of [
    [sameNamespace, 'http-route-for-listener-on-port-80'],
    [infra('same-namespace-with-http-listener-on-8080'), 'http-route-for-listener-on-port-8080'],
    [httpsGateway, 'http-route-for-listener-on-port-443'],
  ] as const) {
    await accepted(t, r, gw, [infra(route)]);
    await resolved(t, r, gw, [infra(route)]);
  }
});

for (const [shortName, manifest, gwName, listeners] of [
  [
    'HTTPRouteListenerHostnameMatching',
    'httproute-listener-hostname-matching.yaml',
    'httproute-listener-hostname-matching',
    ['listener-3', 'listener-4'],
  ],
  [
    'HTTPRouteListenerPortMatching',
    'httproute-listener-port-matching.yaml',
    'httproute-listener-port-matching',
    ['listener-4'],
  ],
] as const) {
  test(shortName, async (t) => {
    const r = await scenario([manifest]).run();
    const gw = infra(gwName);
    await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
    await accepted(t, r, gw, [infra('backend-v1')], ['listener-1']);
    await resolved(t, r, gw, [infra('backend-v1')]);
    await accepted(t, r, gw, [infra('backend-v2')], ['listener-2']);
    await resolved(t, r, gw, [infra('backend-v2')]);
    await accepted(t, r, gw, [infra('backend-v3')], [...listeners]);
    await resolved(t, r, gw, [infra('backend-v3')]);
  });
}

test('HTTPRouteHostnameIntersection', async (t) => {
  const r = await scenario(['httproute-hostname-intersection.yaml']).run();
  const gw = infra('httproute-hostname-intersection');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await t.test('HTTPRoutes that do intersect with listener hostnames', async (t) => {
    const routes = [
      'specific-host-matches-listener-specific-host',
      'specific-host-matches-listener-wildcard-host',
      'wildcard-host-matches-listener-specific-host',
      'wildcard-host-matches-listener-wildcard-host',
    ].map(infra);
    await accepted(t, r, gw, routes);
    await resolved(t, r, gw, routes);
  });
  await t.test('HTTPRoutes that do not intersect with listener hostnames', async (t) => {
    await accepted(t, r, gw, []);
    await check(
      t,
      'no-intersecting-hosts has Accepted=False/NoMatchingListenerHostname',
      routeMustHaveParents(
        r,
        'HTTPRoute',
        infra('no-intersecting-hosts'),
        [gatewayParent(gw, [cond('Accepted', 'False', 'NoMatchingListenerHostname')])],
        true,
      ),
    );
  });
  const ready = [cond('Accepted', 'True'), cond('ResolvedRefs', 'True')];
  const HTTPRoute = kinds('HTTPRoute');
  await check(
    t,
    'HTTPRoutes have to be counted in AttachedRoutes only if they are Accepted',
    gatewayStatusMustHaveListeners(r, gw, [
      listener('listener-1', HTTPRoute, ready, 2),
      listener('listener-2', HTTPRoute, ready, 1),
      listener('listener-3', HTTPRoute, ready, 1),
    ]),
  );
  await t.test('HTTPRoutes intersects with an unspecified hostname listener', async (t) => {
    const all = infra('httproute-hostname-intersection-all');
    await accepted(t, r, all, [infra('httproute-hostname-intersection-all')]);
    await resolved(t, r, all, [infra('httproute-hostname-intersection-all')]);
  });
});

test('HTTPRouteDisallowedKind', async (t) => {
  const r = await scenario(['httproute-disallowed-kind.yaml']).run();
  const route = infra('disallowed-kind');
  const gw = infra('tlsroutes-only');
  await check(
    t,
    'preconditions: NamespacesMustBeReady, HTTPRouteMustHaveResolvedRefsConditionsTrue',
    namespacesMustBeReady(r, [INFRA]),
    routeMustHaveResolvedRefsTrue(r, 'HTTPRoute', route, gw),
  );
  await check(
    t,
    'Route should not have been accepted with reason NotAllowedByListeners',
    routeMustHaveCondition(r, 'HTTPRoute', route, gw, cond('Accepted', 'False', 'NotAllowedByListeners')),
  );
  await check(t, 'Route should not have Parents set in status', routeMustHaveNoAcceptedParents(r, 'HTTPRoute', route));
  await check(t, 'Gateway should have 0 Routes attached', gatewayMustHaveZeroRoutes(r, gw));
});

for (const [shortName, manifest, route, reason, name] of [
  [
    'HTTPRouteInvalidBackendRefUnknownKind',
    'httproute-invalid-backendref-unknown-kind.yaml',
    'invalid-backend-ref-unknown-kind',
    'InvalidKind',
    'HTTPRoute with Invalid Kind has a ResolvedRefs Condition with status False and Reason InvalidKind',
  ],
  [
    'HTTPRouteInvalidCrossNamespaceBackendRef',
    'httproute-invalid-cross-namespace-backend-ref.yaml',
    'invalid-cross-namespace-backend-ref',
    'RefNotPermitted',
    'HTTPRoute with a cross-namespace BackendRef and no ReferenceGrant has a ResolvedRefs Condition with status False and Reason RefNotPermitted',
  ],
  [
    'HTTPRouteInvalidNonExistentBackendRef',
    'httproute-invalid-nonexistent-backendref.yaml',
    'invalid-nonexistent-backend-ref',
    'BackendNotFound',
    'HTTPRoute with only a nonexistent BackendRef has a ResolvedRefs Condition with status False and Reason BackendNotFound',
  ],
  [
    'HTTPRouteInvalidReferenceGrant',
    'httproute-invalid-reference-grant.yaml',
    'reference-grant',
    'RefNotPermitted',
    'HTTPRoute with BackendRef in another namespace and no ReferenceGrant covering the Service has a ResolvedRefs Condition with status False and Reason RefNotPermitted',
  ],
  [
    'HTTPRoutePartiallyInvalidViaInvalidReferenceGrant',
    'httproute-partially-invalid-via-invalid-reference-grant.yaml',
    'invalid-reference-grant',
    'RefNotPermitted',
    'HTTPRoute with BackendRef in another namespace and no ReferenceGrant covering the Service has a ResolvedRefs Condition with status False and Reason RefNotPermitted',
  ],
] as const) {
  test(shortName, async (t) => {
    const r = await scenario([manifest]).run();
    await accepted(t, r, sameNamespace, [infra(route)]);
    await check(
      t,
      name,
      routeMustHaveCondition(r, 'HTTPRoute', infra(route), sameNamespace, cond('ResolvedRefs', 'False', reason)),
    );
  });
}

for (const [shortName, manifest, route, gw, reason, name] of [
  [
    'HTTPRouteInvalidCrossNamespaceParentRef',
    'httproute-invalid-cross-namespace-parent-ref.yaml',
    { namespace: WEB, name: 'invalid-cross-namespace-parent-ref' },
    sameNamespace,
    'NotAllowedByListeners',
    'HTTPRoute should have an Accepted: false condition with reason NotAllowedByListeners',
  ],
  [
    'HTTPRouteInvalidParentRefNotMatchingListenerPort',
    'httproute-invalid-parentref-not-matching-listener-port.yaml',
    infra('httproute-listener-not-matching-route-port'),
    sameNamespace,
    'NoMatchingParent',
    'HTTPRoute with no matching port in ParentRef has an Accepted Condition with status False and Reason NoMatchingParent',
  ],
  [
    'HTTPRouteInvalidParentRefNotMatchingSectionName',
    'httproute-invalid-parentref-not-matching-section-name.yaml',
    infra('httproute-listener-not-matching-section-name'),
    sameNamespace,
    'NoMatchingParent',
    'HTTPRoute with no matching sectionName in ParentRef has an Accepted Condition with status False and Reason NoMatchingParent',
  ],
  [
    'HTTPRouteInvalidParentRefSectionNameNotMatchingPort',
    'httproute-invalid-parentref-section-name-not-matching-port.yaml',
    infra('httproute-listener-section-name-not-matching-port'),
    infra('gateway-with-one-not-matching-port-and-section-name-route'),
    'NoMatchingParent',
    'HTTPRoute with sectionName does not match Port in ParentRef has an Accepted Condition with status False and Reason NoMatchingParent',
  ],
] as const) {
  test(shortName, async (t) => {
    const r = await scenario([manifest]).run();
    // Upstream calls HTTPRouteMustHaveResolvedRefsConditionsTrue first in two of these four tests
    // (cross-namespace parent, listener port); the other two do not.
    if (
      shortName === 'HTTPRouteInvalidCrossNamespaceParentRef' ||
      shortName === 'HTTPRouteInvalidParentRefNotMatchingListenerPort'
    ) {
      await check(
        t,
        'HTTPRouteMustHaveResolvedRefsConditionsTrue',
        routeMustHaveResolvedRefsTrue(r, 'HTTPRoute', route, gw),
      );
    }
    await check(t, name, routeMustHaveCondition(r, 'HTTPRoute', route, gw, cond('Accepted', 'False', reason)));
    await check(
      t,
      'Route should not have Parents accepted in status',
      routeMustHaveNoAcceptedParents(r, 'HTTPRoute', route),
    );
    await check(t, 'Gateway should have 0 Routes attached', gatewayMustHaveZeroRoutes(r, gw));
  });
}

test('HTTPRouteObservedGenerationBump', async (t) => {
  const s = scenario(['httproute-observed-generation-bump.yaml']);
  const route = infra('observed-generation-bump');
  let r = await s.run();
  await check(
    t,
    'before the patch: NamespacesMustBeReady, HTTPRouteMustHaveLatestConditions',
    namespacesMustBeReady(r, [INFRA]),
    httpRouteMustHaveLatestConditions(r, route),
  );
  s.patch('HTTPRoute', route, (d) => {
    d.spec.rules[0].backendRefs[0].name = 'infra-backend-v2';
  });
  r = await s.run();
  await check(
    t,
    'observedGeneration should increment',
    routeMustHaveCondition(r, 'HTTPRoute', route, sameNamespace, cond('Accepted', 'True')),
    routeMustHaveResolvedRefsTrue(r, 'HTTPRoute', route, sameNamespace),
    httpRouteMustHaveLatestConditions(r, route),
  );
});
