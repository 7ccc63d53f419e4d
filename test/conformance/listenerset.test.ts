// ListenerSet status scenarios ported from kubernetes-sigs/gateway-api conformance/tests/listenerset-*.go
// at tag v1.6.1 (ShortName = node:test name). Out of scope here (running data plane): the HTTP requests
// the routing tests send through Gateway and ListenerSet listeners.

import test from 'node:test';
import {
  check,
  type Cond,
  cond,
  CONTROLLER,
  type ExpectedListener,
  GROUP,
  gatewayListenersMustHaveConditions,
  gatewayAndRoutesMustBeAccepted,
  gatewayMustHaveAddress,
  gatewayMustHaveAttachedListeners,
  gatewayMustHaveCondition,
  gatewayParent,
  INFRA,
  infra,
  kinds,
  listenerSetListenersMustHaveConditions,
  listenerSetMustHaveCondition,
  listenerSetStatusMustHaveListeners,
  type NN,
  namespacesMustBeReady,
  routeMustHaveCondition,
  routeMustHaveParents,
  routesAndParentMustBeAccepted,
  scenario,
} from './harness.ts';

/** generateAcceptedListenerConditions() */
const acceptedListener: Cond[] = [cond('ResolvedRefs', 'True'), cond('Accepted', 'True'), cond('Programmed', 'True')];
/** generateSupportedRouteKinds() */
const HTTPRoute = kinds('HTTPRoute');
const gatewayAccepted = cond('Accepted', 'True');

function entry(name: string, attachedRoutes: number): ExpectedListener {
  return { name, supportedKinds: HTTPRoute, conditions: acceptedListener, attachedRoutes };
}

function lsRef(nn: NN) {
  return { group: GROUP, kind: 'ListenerSet' as const, nn };
}

for (const [shortName, manifest, gwName, attached, allowed, disallowed] of [
  [
    'ListenerSetAllowedNamespaceNone',
    'listenerset-allowed-namespace-none.yaml',
    'gateway-does-not-allow-listenerset',
    0,
    undefined,
    infra('listenerset-not-allowed'),
  ],
  [
    'ListenerSetDefaultNotAllowed',
    'listenerset-default-not-allowed.yaml',
    'gateway-default-does-not-allow-listenerset',
    0,
    undefined,
    infra('listenerset-default-not-allowed'),
  ],
  [
    'ListenerSetAllowedNamespaceSame',
    'listenerset-allowed-namespace-same.yaml',
    'gateway-allows-listenerset-in-same-namespace',
    1,
    [infra('listenerset-in-same-namespace'), 'listenerset-in-same-namespace-listener'],
    { namespace: 'gateway-api-listenerset-not-allowed-ns', name: 'listenerset-in-different-namespace' },
  ],
  [
    'ListenerSetAllowedNamespaceSelector',
    'listenerset-allowed-namespace-selector.yaml',
    'gateway-allows-listenerset-in-selected-namespace',
    1,
    [
      { namespace: 'gateway-api-listenerset-selector-allowed-ns', name: 'listenerset-in-selected-namespace' },
      'listenerset-in-selected-namespace-listener',
    ],
    { namespace: 'gateway-api-listenerset-selector-not-allowed-ns', name: 'listenerset-not-in-selected-namespace' },
  ],
] as const) {
  test(shortName, async (t) => {
    const r = await scenario([manifest]).run();
    const gw = infra(gwName);
    await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
    await check(
      t,
      `Gateway is Accepted with ${attached} attached ListenerSets`,
      gatewayMustHaveCondition(r, gw, gatewayAccepted),
      gatewayMustHaveAttachedListeners(r, gw, attached),
    );
    if (allowed) {
      const [ls, listenerName] = allowed;
      await check(
        t,
        `ListenerSet ${ls.name} is Accepted and Programmed, its listener ready`,
        listenerSetMustHaveCondition(r, ls, cond('Accepted', 'True', 'Accepted')),
        listenerSetMustHaveCondition(r, ls, cond('Programmed', 'True', 'Programmed')),
        listenerSetListenersMustHaveConditions(r, ls, acceptedListener, listenerName),
      );
    }
    await check(
      t,
      `ListenerSet ${disallowed.name} is rejected with NotAllowed`,
      listenerSetMustHaveCondition(r, disallowed, cond('Accepted', 'False', 'NotAllowed')),
      listenerSetMustHaveCondition(r, disallowed, cond('Programmed', 'False', 'NotAllowed')),
    );
  });
}

test('ListenerSetAllowedRoutesNamespaces', async (t) => {
  const r = await scenario(['listenerset-allowed-routes-namespaces.yaml']).run();
  const gw = infra('gateway-with-listener-sets-test-allowed-routes');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'Gateway has an address, is Accepted, 2 attached ListenerSets',
    gatewayMustHaveAddress(r, gw),
    gatewayMustHaveCondition(r, gw, gatewayAccepted),
    gatewayMustHaveAttachedListeners(r, gw, 2),
  );
  const same = infra('listenerset-test-allowed-routes-namespaces');
  await check(
    t,
    'Same-namespace ListenerSet',
    routesAndParentMustBeAccepted(r, lsRef(same), 'HTTPRoute', [
      infra('route-in-same-namespace'),
      { namespace: 'gateway-api-routes-allowed-ns', name: 'route-in-selected-namespace' },
      { namespace: 'gateway-api-routes-not-allowed-ns', name: 'route-not-in-selected-namespace' },
    ]),
    listenerSetStatusMustHaveListeners(r, same, [
      entry('listener-set-listener-allowed-routes-all', 3),
      entry('listener-set-listener-allowed-routes-same', 1),
      entry('listener-set-listener-allowed-routes-selector', 1),
    ]),
  );
  const cross = { namespace: 'gateway-api-ls-cross-ns', name: 'listenerset-test-allowed-routes-cross-ns' };
  await check(
    t,
    'Cross-namespace ListenerSet',
    routesAndParentMustBeAccepted(r, lsRef(cross), 'HTTPRoute', [
      { namespace: cross.namespace, name: 'route-in-listenerset-namespace' },
    ]),
    routeMustHaveCondition(
      r,
      'HTTPRoute',
      infra('route-in-gateway-namespace'),
      cross,
      cond('Accepted', 'False', 'NotAllowedByListeners'),
    ),
    listenerSetStatusMustHaveListeners(r, cross, [entry('listener-set-listener-allowed-routes-cross-ns-same', 1)]),
  );
});

test('ListenerSetAllowedRoutesSupportedKinds', async (t) => {
  const r = await scenario(['listenerset-allowed-routes-supported-kinds.yaml']).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'Gateway Accepted; TLS-only listener of the ListenerSet has ResolvedRefs=False/InvalidRouteKinds',
    gatewayMustHaveCondition(r, infra('gateway-with-listener-sets-test-supported-route-kinds'), gatewayAccepted),
    listenerSetListenersMustHaveConditions(
      r,
      infra('listenerset-test-allowed-routes-supported-kinds'),
      [cond('ResolvedRefs', 'False', 'InvalidRouteKinds')],
      'listener-set-listener-allowed-routes-tls-only',
    ),
  );
});

test('ListenerSetDualParentRefIndependence', async (t) => {
  const r = await scenario(['listenerset-dual-parentref-independence.yaml']).run();
  const gw = infra('gateway-dual-parentref');
  const ls = infra('ls-dual-parentref');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'Gateway has an address, is Accepted, 1 attached ListenerSet; ListenerSet listener has 2 routes',
    gatewayMustHaveAddress(r, gw),
    gatewayMustHaveCondition(r, gw, gatewayAccepted),
    gatewayMustHaveAttachedListeners(r, gw, 1),
    listenerSetStatusMustHaveListeners(r, ls, [entry('ls-dual-parentref-listener', 2)]),
  );
  const both = infra('route-dual-parentref-both');
  await check(
    t,
    'Both parentRefs are Accepted',
    routeMustHaveCondition(r, 'HTTPRoute', both, gw, cond('Accepted', 'True')),
    routeMustHaveCondition(r, 'HTTPRoute', both, ls, cond('Accepted', 'True')),
  );
  const one = infra('route-dual-parentref-one');
  await check(
    t,
    'One of two parentRefs is Accepted',
    routeMustHaveCondition(r, 'HTTPRoute', one, gw, cond('Accepted', 'False', 'NoMatchingParent')),
    routeMustHaveCondition(r, 'HTTPRoute', one, ls, cond('Accepted', 'True')),
    routesAndParentMustBeAccepted(r, lsRef(ls), 'HTTPRoute', [one]),
  );
});

test('ListenerSetGatewayParentSectionNameNotFound', async (t) => {
  const r = await scenario(['listenerset-gateway-parent-section-name-not-found.yaml']).run();
  const gw = infra('gateway-section-name');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'Gateway has an address, is Accepted, 1 attached ListenerSet',
    gatewayMustHaveAddress(r, gw),
    gatewayMustHaveCondition(r, gw, gatewayAccepted),
    gatewayMustHaveAttachedListeners(r, gw, 1),
  );
  await check(
    t,
    'route-via-listenerset is accepted by the ListenerSet; route-via-gateway gets NoMatchingParent',
    routesAndParentMustBeAccepted(r, lsRef(infra('listenerset-section-name')), 'HTTPRoute', [
      infra('route-via-listenerset'),
    ]),
    routeMustHaveCondition(
      r,
      'HTTPRoute',
      infra('route-via-gateway'),
      gw,
      cond('Accepted', 'False', 'NoMatchingParent'),
    ),
  );
});

for (const [shortName, manifest, what, reason] of [
  ['ListenerSetHostnameConflict', 'listenerset-hostname-conflict.yaml', 'hostname', 'HostnameConflict'],
  ['ListenerSetProtocolConflict', 'listenerset-protocol-conflict.yaml', 'protocol', 'ProtocolConflict'],
] as const) {
  test(shortName, async (t) => {
    const r = await scenario([manifest]).run();
    const conflicted = [
      cond('Accepted', 'False', reason),
      cond('Programmed', 'False', reason),
      cond('Conflicted', 'True', reason),
    ];
    const gw = infra(`gateway-with-listenerset-${what}-conflict`);
    await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
    await check(
      t,
      'Gateway Accepted, its listeners win the conflicts, 2 attached ListenerSets',
      gatewayMustHaveCondition(r, gw, gatewayAccepted),
      gatewayListenersMustHaveConditions(r, gw, acceptedListener, 'gateway-listener'),
      gatewayListenersMustHaveConditions(r, gw, acceptedListener, `${what}-conflict-with-gateway-listener`),
      gatewayMustHaveAttachedListeners(r, gw, 2),
    );
    const ls1 = infra(`listenerset-with-${what}-conflict-with-gateway-1`);
    await check(
      t,
      `${ls1.name}: accepted, its listener conflicting with the Gateway listener is ${reason}`,
      listenerSetMustHaveCondition(r, ls1, cond('Accepted', 'True')),
      listenerSetMustHaveCondition(r, ls1, cond('Programmed', 'True', 'Programmed')),
      listenerSetListenersMustHaveConditions(r, ls1, acceptedListener, 'listener-set-1-listener'),
      listenerSetListenersMustHaveConditions(r, ls1, conflicted, `${what}-conflict-with-gateway-listener`),
      listenerSetListenersMustHaveConditions(r, ls1, acceptedListener, `${what}-conflict-with-listener-set-listener`),
    );
    const ls2 = infra(`listenerset-with-${what}-conflict-with-gateway-2`);
    await check(
      t,
      `${ls2.name}: its only listener conflicts, so ListenersNotValid`,
      listenerSetMustHaveCondition(r, ls2, cond('Accepted', 'False', 'ListenersNotValid')),
      listenerSetMustHaveCondition(r, ls2, cond('Programmed', 'False', 'ListenersNotValid')),
      listenerSetListenersMustHaveConditions(r, ls2, conflicted, `${what}-conflict-with-gateway-listener`),
    );
    const ls3 = infra(`listenerset-with-${what}-conflict-with-listener-set-1`);
    await check(
      t,
      `${ls3.name}: accepted, its listener conflicting with an older ListenerSet listener is ${reason}`,
      listenerSetMustHaveCondition(r, ls3, cond('Accepted', 'True')),
      listenerSetMustHaveCondition(r, ls3, cond('Programmed', 'True', 'Programmed')),
      listenerSetListenersMustHaveConditions(r, ls3, acceptedListener, 'listener-set-2-listener'),
      listenerSetListenersMustHaveConditions(r, ls3, conflicted, `${what}-conflict-with-listener-set-listener`),
    );
    const ls4 = infra(`listenerset-with-${what}-conflict-with-listener-set-2`);
    await check(
      t,
      `${ls4.name}: its only listener conflicts, so ListenersNotValid`,
      listenerSetMustHaveCondition(r, ls4, cond('Accepted', 'False', 'ListenersNotValid')),
      listenerSetMustHaveCondition(r, ls4, cond('Programmed', 'False', 'ListenersNotValid')),
      listenerSetListenersMustHaveConditions(r, ls4, conflicted, `${what}-conflict-with-listener-set-listener`),
    );
  });
}

test('ListenerSetHTTPRouting', async (t) => {
  const r = await scenario(['listenerset-http-routing.yaml']).run();
  const gw = infra('gateway-with-listener-sets-http-routing');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(t, 'GatewayAndHTTPRoutesMustBeAccepted: gateway has an address', gatewayMustHaveAddress(r, gw));
  await check(
    t,
    'Gateway routes accepted (listener gateway-listener), 2 attached ListenerSets',
    gatewayAndRoutesMustBeAccepted(r, { nn: gw, listenerNames: ['gateway-listener'] }, 'HTTPRoute', [
      infra('attaches-to-all-listeners'),
      infra('gateway-route'),
      infra('gateway-section-route'),
    ]),
    gatewayMustHaveAttachedListeners(r, gw, 2),
  );
  const ls1 = infra('listener-set-http-routing-1');
  await check(
    t,
    'listener-set-http-routing-1 routes accepted and listener status',
    routesAndParentMustBeAccepted(r, lsRef(ls1), 'HTTPRoute', [
      infra('attaches-to-all-listeners'),
      infra('listener-set-http-routing-1-route'),
      infra('listener-set-http-routing-1-section-route'),
    ]),
    listenerSetStatusMustHaveListeners(r, ls1, [
      entry('listener-set-http-routing-1-listener-1', 3),
      entry('listener-set-http-routing-1-listener-2', 2),
    ]),
  );
  const ls2 = infra('listener-set-http-routing-2');
  await check(
    t,
    'listener-set-http-routing-2 routes accepted and listener status',
    routesAndParentMustBeAccepted(r, lsRef(ls2), 'HTTPRoute', [
      infra('attaches-to-all-listeners'),
      infra('listener-set-http-routing-2-route'),
    ]),
    listenerSetStatusMustHaveListeners(r, ls2, [
      entry('listener-set-http-routing-2-listener-1', 2),
      entry('listener-set-http-routing-2-listener-2', 2),
    ]),
  );
});

test('ListenerSetReferenceGrant', async (t) => {
  const r = await scenario(['listenerset-reference-grant.yaml']).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'Gateway is Accepted',
    gatewayMustHaveCondition(r, infra('gateway-with-listener-sets-test-reference-grant'), gatewayAccepted),
  );
  const granted = infra('listenerset-with-reference-grant');
  await check(
    t,
    'ListenerSet with a ReferenceGrant for its certificate: accepted, listener ResolvedRefs=True',
    listenerSetMustHaveCondition(r, granted, cond('Accepted', 'True')),
    listenerSetMustHaveCondition(r, granted, cond('Programmed', 'True')),
    listenerSetListenersMustHaveConditions(
      r,
      granted,
      [cond('ResolvedRefs', 'True')],
      'listenerset-with-reference-grant-listener',
    ),
  );
  const denied = {
    namespace: 'gateway-api-listener-sets-test-reference-grant-ns',
    name: 'listenerset-without-reference-grant',
  };
  await check(
    t,
    'ListenerSet without a ReferenceGrant: ListenersNotValid, listener ResolvedRefs=False/RefNotPermitted',
    listenerSetMustHaveCondition(r, denied, cond('Accepted', 'False', 'ListenersNotValid')),
    listenerSetMustHaveCondition(r, denied, cond('Programmed', 'False', 'ListenersNotValid')),
    listenerSetListenersMustHaveConditions(
      r,
      denied,
      [cond('ResolvedRefs', 'False', 'RefNotPermitted')],
      'listenerset-without-reference-grant-listener',
    ),
  );
});

test('ListenerSetRouteStatusScopedToParentRef', async (t) => {
  const r = await scenario(['listenerset-route-status-scoped-to-parentref.yaml']).run();
  const gw = infra('gateway-parentref');
  const ls = infra('listenerset-parentref');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'Gateway Accepted, 1 attached ListenerSet, ListenerSet listener has 1 route',
    gatewayMustHaveCondition(r, gw, gatewayAccepted),
    gatewayMustHaveAttachedListeners(r, gw, 1),
    listenerSetStatusMustHaveListeners(r, ls, [entry('listenerset-parentref-listener', 1)]),
  );
  const gwOnly = infra('route-parentref-gwonly');
  await check(
    t,
    'Gateway-only parentRef',
    routeMustHaveCondition(r, 'HTTPRoute', gwOnly, gw, cond('Accepted', 'True')),
    routeMustHaveParents(r, 'HTTPRoute', gwOnly, [gatewayParent(gw, [cond('Accepted', 'True')])], true),
  );
  const lsOnly = infra('route-parentref-lsonly');
  await check(
    t,
    'ListenerSet-only parentRef',
    routesAndParentMustBeAccepted(r, lsRef(ls), 'HTTPRoute', [lsOnly]),
    routeMustHaveParents(
      r,
      'HTTPRoute',
      lsOnly,
      [
        {
          parentRef: { group: GROUP, kind: 'ListenerSet', name: ls.name, namespace: ls.namespace },
          controllerName: CONTROLLER,
          conditions: [cond('Accepted', 'True')],
        },
      ],
      true,
    ),
  );
});
