// Gateway and GatewayClass status scenarios ported from kubernetes-sigs/gateway-api
// conformance/tests/gateway*.go at tag v1.6.1. Each node:test is named after the upstream ShortName;
// each subtest is one upstream t.Run (or one precondition helper call), asserting the same
// conditions (type, status, reason), listener names, supportedKinds and attachedRoutes.
//
// Not ported here (data plane only, no status expectation beyond what is ported):
//   - the HTTP/TLS requests of GatewayHTTPListenerIsolation, GatewayFrontend*ClientCertificateValidation*
//     and GatewayTLSBackendClientCertificate (traffic through a running proxy);
//   - GatewayInfrastructure's check that generated ServiceAccounts/Pods/Services carry the
//     infrastructure labels (needs a Kubernetes infra provisioner); its Accepted check is ported.

import test from 'node:test';
import {
  backendTLSPolicyMustHaveCondition,
  CLASS,
  check,
  cond,
  gatewayAndRoutesMustBeAccepted,
  gatewayClassMustBeAccepted,
  gatewayClassMustHaveLatestConditions,
  gatewayListenerMustHaveConditions,
  gatewayMustHaveAddress,
  gatewayMustHaveCondition,
  gatewayMustHaveLatestConditions,
  gatewayStatusMustHaveListeners,
  INFRA,
  infra,
  kinds,
  listener,
  namespacesMustBeReady,
  routeMustHaveCondition,
  routeMustHaveResolvedRefsTrue,
  scenario,
} from './harness.ts';

const HTTPRoute = kinds('HTTPRoute');
const acceptedAndResolved = [cond('Accepted', 'True'), cond('ResolvedRefs', 'True')];
const listenerReady = [cond('ResolvedRefs', 'True'), cond('Accepted', 'True'), cond('Programmed', 'True')];

test('SuiteSetup (GWCMustHaveAcceptedConditionTrue, base Gateways ready)', async (t) => {
  const r = await scenario([]).run();
  await check(t, `GatewayClass ${CLASS} is Accepted`, gatewayClassMustBeAccepted(r, CLASS, 'True'));
  await check(
    t,
    'NamespacesMustBeReady: base Gateways are Accepted and Programmed',
    namespacesMustBeReady(r, [INFRA, 'gateway-conformance-app-backend', 'gateway-conformance-web-backend']),
  );
});

test('GatewayInvalidRouteKind', async (t) => {
  const r = await scenario(['gateway-invalid-route-kind.yaml']).run();
  await check(
    t,
    'Gateway listener should have a false ResolvedRefs condition with reason InvalidRouteKinds and no supportedKinds',
    gatewayStatusMustHaveListeners(r, infra('gateway-only-invalid-route-kind'), [
      listener('http', [], [cond('ResolvedRefs', 'False', 'InvalidRouteKinds')], 0),
    ]),
  );
  await check(
    t,
    'Gateway listener should have a false ResolvedRefs condition with reason InvalidRouteKinds and HTTPRoute must be put in the supportedKinds',
    gatewayStatusMustHaveListeners(r, infra('gateway-supported-and-invalid-route-kind'), [
      listener('http', HTTPRoute, [cond('ResolvedRefs', 'False', 'InvalidRouteKinds')], 0),
    ]),
  );
});

test('GatewayListenerUnsupportedProtocol', async (t) => {
  const r = await scenario(['gateway-invalid-listeners-unsupported-protocol.yaml']).run();
  const only = infra('gateway-only-unsupported-protocols');
  await check(
    t,
    'Gateway with no accepted listeners should not be accepted and the listener should have the Accepted condition set to False with reason UnsupportedProtocol',
    gatewayMustHaveLatestConditions(r, only),
    gatewayMustHaveCondition(r, only, cond('Accepted', 'False', 'ListenersNotValid')),
    gatewayStatusMustHaveListeners(r, only, [
      listener('invalid', [], [cond('Accepted', 'False', 'UnsupportedProtocol')], 0),
    ]),
  );
  const mixed = infra('gateway-supported-and-unsupported-protocols');
  await check(
    t,
    'Gateway with at least one accepted listeners should be accepted and the listeners should have the Accepted condition set accordingly',
    gatewayMustHaveLatestConditions(r, mixed),
    gatewayMustHaveCondition(r, mixed, cond('Accepted', 'True', 'ListenersNotValid')),
    gatewayStatusMustHaveListeners(r, mixed, [
      listener('http', HTTPRoute, [cond('Accepted', 'True', 'Accepted')], 0),
      listener('invalid', [], [cond('Accepted', 'False', 'UnsupportedProtocol')], 0),
    ]),
  );
});

test('GatewayInvalidParametersRef', async (t) => {
  const r = await scenario(['gateway-invalid-parameters-ref.yaml']).run();
  const gw = infra('gateway-invalid-parameters-ref');
  await check(
    t,
    'Gateway Accepted=False with reason InvalidParameters',
    gatewayMustHaveLatestConditions(r, gw),
    gatewayMustHaveCondition(r, gw, cond('Accepted', 'False', 'InvalidParameters')),
  );
});

test('GatewayInvalidTLSConfiguration', async (t) => {
  const r = await scenario(['gateway-invalid-tls-configuration.yaml']).run();
  const listeners = [listener('https', HTTPRoute, [cond('ResolvedRefs', 'False', 'InvalidCertificateRef')], 0)];
  for (const [name, gw] of [
    ['Nonexistent secret referenced as CertificateRef in a Gateway listener', 'gateway-certificate-nonexistent-secret'],
    [
      'Unsupported group resource referenced as CertificateRef in a Gateway listener',
      'gateway-certificate-unsupported-group',
    ],
    [
      'Unsupported kind resource referenced as CertificateRef in a Gateway listener',
      'gateway-certificate-unsupported-kind',
    ],
    ['Malformed secret referenced as CertificateRef in a Gateway listener', 'gateway-certificate-malformed-secret'],
  ] as const) {
    await check(t, name, gatewayStatusMustHaveListeners(r, infra(gw), listeners));
  }
});

test('GatewayInvalidTLSBackendConfiguration', async (t) => {
  const r = await scenario(['gateway-invalid-tls-backend-configuration.yaml']).run();
  for (const [name, gw, reason] of [
    [
      'Nonexistent secret referenced as ClientCertificateRef in Gateway backend TLS configuration',
      'gateway-client-certificate-nonexistent-secret',
      'InvalidClientCertificateRef',
    ],
    [
      'Unsupported group resource referenced as ClientCertificateRef in Gateway backend TLS configuration',
      'gateway-client-certificate-unsupported-group',
      'InvalidClientCertificateRef',
    ],
    [
      'Unsupported kind resource referenced as ClientCertificateRef inGateway backend TLS configuration',
      'gateway-client-certificate-unsupported-kind',
      'InvalidClientCertificateRef',
    ],
    [
      'Malformed secret referenced as ClientCertificateRef in Gateway backend TLS configuration',
      'gateway-client-certificate-malformed-secret',
      'InvalidClientCertificateRef',
    ],
    [
      'Secret referenced from another namespace without any ReferenceGrant as ClientCertificateRef in Gateway backend TLS configuration',
      'gateway-client-certificate-missing-reference-grant',
      'RefNotPermitted',
    ],
  ] as const) {
    await check(
      t,
      name,
      gatewayMustHaveLatestConditions(r, infra(gw)),
      gatewayMustHaveCondition(r, infra(gw), cond('ResolvedRefs', 'False', reason)),
      gatewayMustHaveCondition(r, infra(gw), cond('Accepted', 'True', 'Accepted')),
    );
  }
});

for (const [shortName, manifest, gw, reason] of [
  [
    'GatewaySecretInvalidReferenceGrant',
    'gateway-secret-invalid-reference-grant.yaml',
    'gateway-secret-invalid-reference-grant',
    'RefNotPermitted',
  ],
  [
    'GatewaySecretMissingReferenceGrant',
    'gateway-secret-missing-reference-grant.yaml',
    'gateway-secret-missing-reference-grant',
    'RefNotPermitted',
  ],
] as const) {
  test(shortName, async (t) => {
    const r = await scenario([manifest]).run();
    await check(
      t,
      `Gateway listener should have a false ResolvedRefs condition with reason ${reason}`,
      gatewayStatusMustHaveListeners(r, infra(gw), [
        listener('https', HTTPRoute, [cond('ResolvedRefs', 'False', reason)], 0),
      ]),
    );
  });
}

for (const [shortName, manifest, gw] of [
  [
    'GatewaySecretReferenceGrantAllInNamespace',
    'gateway-secret-reference-grant-all-in-namespace.yaml',
    'gateway-secret-reference-grant-all-in-namespace',
  ],
  [
    'GatewaySecretReferenceGrantSpecific',
    'gateway-secret-reference-grant-specific.yaml',
    'gateway-secret-reference-grant-specific',
  ],
] as const) {
  test(shortName, async (t) => {
    const r = await scenario([manifest]).run();
    await check(
      t,
      'Gateway listener should have a true ResolvedRefs condition and a true Programmed condition',
      gatewayStatusMustHaveListeners(r, infra(gw), [
        listener('https', HTTPRoute, [cond('Programmed', 'True', 'Programmed'), cond('ResolvedRefs', 'True')], 0),
      ]),
    );
  });
}

test('GatewayWithAttachedRoutes', async (t) => {
  const r = await scenario(['gateway-with-attached-routes.yaml']).run();
  await check(
    t,
    'Gateway listener should have one valid http routes attached',
    gatewayStatusMustHaveListeners(r, infra('gateway-with-one-attached-route'), [
      listener('http', HTTPRoute, acceptedAndResolved, 1),
    ]),
  );
  const two = infra('gateway-with-two-attached-routes');
  await check(
    t,
    'Gateway listener should have two valid http routes attached',
    gatewayStatusMustHaveListeners(r, two, [listener('http', HTTPRoute, acceptedAndResolved, 2)]),
    routeMustHaveCondition(
      r,
      'HTTPRoute',
      infra('http-route-not-accepted'),
      two,
      cond('Accepted', 'False', 'NoMatchingListenerHostname'),
    ),
  );
  const unresolved = infra('unresolved-gateway-with-one-attached-unresolved-route');
  await check(
    t,
    'Gateway listener should have AttachedRoutes set even when Gateway has unresolved refs',
    gatewayStatusMustHaveListeners(r, unresolved, [
      listener('tls', HTTPRoute, [cond('Programmed', 'False'), cond('ResolvedRefs', 'False')], 1),
    ]),
    routeMustHaveCondition(r, 'HTTPRoute', infra('http-route-4'), unresolved, cond('ResolvedRefs', 'False')),
  );
});

test('GatewayWithAttachedRoutesWithPort8080', async (t) => {
  const r = await scenario(['gateway-with-attached-routes-with-port-8080.yaml']).run();
  await check(
    t,
    'Gateway listener should have attached route by specifying the sectionName',
    gatewayStatusMustHaveListeners(r, infra('gateway-with-two-listeners-and-one-attached-route'), [
      listener('http-unattached', HTTPRoute, acceptedAndResolved, 0),
      listener('http', HTTPRoute, acceptedAndResolved, 1),
    ]),
  );
});

test('GatewayModifyListeners', async (t) => {
  const s = scenario(['gateway-modify-listeners.yaml']);
  const add = infra('gateway-add-listener');
  let r = await s.run();
  await check(
    t,
    'add listener: before the patch (NamespacesMustBeReady, GatewayMustHaveLatestConditions)',
    namespacesMustBeReady(r, [INFRA]),
    gatewayMustHaveLatestConditions(r, add),
  );
  s.patch('Gateway', add, (gw) => {
    gw.spec.listeners.push({
      name: 'http',
      port: 80,
      protocol: 'HTTP',
      hostname: 'data.test.com',
      allowedRoutes: { namespaces: { from: 'All' } },
    });
  });
  r = await s.run();
  await check(
    t,
    'should be able to add a listener that then becomes available for routing traffic',
    namespacesMustBeReady(r, [INFRA]),
    gatewayStatusMustHaveListeners(r, add, [
      listener('https', HTTPRoute, acceptedAndResolved, 1),
      listener('http', HTTPRoute, acceptedAndResolved, 1),
    ]),
    gatewayMustHaveLatestConditions(r, add),
  );

  const remove = infra('gateway-remove-listener');
  await check(
    t,
    'remove listener: before the patch (GatewayMustHaveLatestConditions)',
    gatewayMustHaveLatestConditions(r, remove),
  );
  s.patch('Gateway', remove, (gw) => {
    gw.spec.listeners = gw.spec.listeners.filter((l: { name: string }) => l.name === 'http');
  });
  r = await s.run();
  await check(
    t,
    'should be able to remove listeners, which would then stop routing the relevant traffic',
    namespacesMustBeReady(r, [INFRA]),
    gatewayStatusMustHaveListeners(r, remove, [listener('http', HTTPRoute, acceptedAndResolved, 1)]),
    gatewayMustHaveLatestConditions(r, remove),
  );
});

test('GatewayObservedGenerationBump', async (t) => {
  const s = scenario(['gateway-observed-generation-bump.yaml']);
  const gw = infra('gateway-observed-generation-bump');
  let r = await s.run();
  await check(
    t,
    'before the patch: conditions at generation 1',
    namespacesMustBeReady(r, [INFRA]),
    gatewayMustHaveLatestConditions(r, gw),
  );
  s.patch('Gateway', gw, (d) => {
    d.spec.listeners.push({
      name: 'alternate',
      hostname: 'foo.com',
      port: 80,
      protocol: 'HTTP',
      allowedRoutes: { namespaces: { from: 'All' } },
    });
  });
  r = await s.run();
  await check(
    t,
    'observedGeneration should increment',
    namespacesMustBeReady(r, [INFRA]),
    gatewayMustHaveLatestConditions(r, gw),
  );
});

test('GatewayClassObservedGenerationBump', async (t) => {
  const s = scenario(['gatewayclass-observed-generation-bump.yaml']);
  const name = 'gatewayclass-observed-generation-bump';
  let r = await s.run();
  await check(
    t,
    'before the patch: Accepted (any status) at generation 1',
    gatewayClassMustBeAccepted(r, name, ''),
    gatewayClassMustHaveLatestConditions(r, name),
  );
  s.patch('GatewayClass', { name }, (d) => {
    d.spec.description = 'new';
  });
  r = await s.run();
  await check(
    t,
    'observedGeneration should increment',
    gatewayClassMustBeAccepted(r, name, ''),
    gatewayClassMustHaveLatestConditions(r, name),
  );
});

test('GatewayInfrastructure', async (t) => {
  const r = await scenario(['gateway-infrastructure.yaml']).run();
  const gw = infra('gateway-with-infrastructure-metadata');
  await check(
    t,
    'Gateway with infrastructure declared is Accepted',
    namespacesMustBeReady(r, [INFRA]),
    gatewayMustHaveLatestConditions(r, gw),
    gatewayMustHaveCondition(r, gw, cond('Accepted', 'True')),
  );
});

test('GatewayOptionalAddressValue', async (t) => {
  const r = await scenario(['gateway-optional-address-value.yaml']).run();
  const gw = infra('gateway-without-address-value');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(
    t,
    'Gateway with an address type and no value gets an address assigned',
    gatewayMustHaveLatestConditions(r, gw),
    gatewayMustHaveAddress(r, gw),
  );
});

test('GatewayStaticAddresses', async (t) => {
  // Upstream injects the caller's address pools for the PLACEHOLDER_* values. For standalone
  // Portunus, usable = a loopback address it can bind, unusable = TEST-NET-1 (RFC 5737), which no
  // host owns.
  const usable = { type: 'IPAddress', value: '127.0.0.1' };
  const unusable = { type: 'IPAddress', value: '192.0.2.1' };
  const s = scenario(['gateway-static-addresses.yaml']);
  const gw = infra('gateway-static-addresses');
  const doc = s.find('Gateway', gw);
  doc.spec.addresses = [
    ...doc.spec.addresses.filter((a: { type?: string }) => a.type === 'test/fake-invalid-type'),
    unusable,
    usable,
  ];
  let r = await s.run();
  await check(
    t,
    'Gateway is NOT accepted due to an address type that the implementation does not support',
    gatewayMustHaveLatestConditions(r, gw),
    gatewayMustHaveCondition(r, gw, cond('Accepted', 'False', 'UnsupportedAddress')),
  );
  s.patch('Gateway', gw, (d) => {
    d.spec.addresses = d.spec.addresses.filter((a: { value: string }) => a.value !== 'fake address teehee!');
  });
  r = await s.run();
  await check(
    t,
    'Gateway is accepted, but not programmed due to an address that cannot be used',
    gatewayMustHaveLatestConditions(r, gw),
    gatewayMustHaveCondition(r, gw, cond('Accepted', 'True', 'Accepted')),
    gatewayMustHaveCondition(r, gw, cond('Programmed', 'False', 'AddressNotUsable')),
  );
  s.patch('Gateway', gw, (d) => {
    d.spec.addresses = d.spec.addresses.filter((a: { value: string }) => a.value !== unusable.value);
  });
  r = await s.run();
  const addrs = (r.status('Gateway', gw)?.addresses ?? []) as { type?: string; value: string }[];
  const addrProblems: string[] = [];
  if (addrs.length !== 1) addrProblems.push(`want exactly 1 status address, got ${JSON.stringify(addrs)}`);
  if (!addrs.some((a) => a.value === usable.value && a.type === usable.type)) {
    addrProblems.push(`status addresses must contain ${usable.type} ${usable.value}, got ${JSON.stringify(addrs)}`);
  }
  await check(
    t,
    'Gateway is accepted and programmed with the usable static address assigned',
    gatewayMustHaveLatestConditions(r, gw),
    gatewayMustHaveCondition(r, gw, cond('Accepted', 'True', 'Accepted')),
    gatewayMustHaveCondition(r, gw, cond('Programmed', 'True', 'Programmed')),
    gatewayStatusMustHaveListeners(r, gw, [listener('http', HTTPRoute, acceptedAndResolved, 0)]),
    addrProblems,
  );
});

test('GatewayHTTPListenerIsolation', async (t) => {
  const r = await scenario([
    'gateway-http-listener-isolation.yaml',
    'gateway-http-listener-isolation-with-hostname-intersection.yaml',
  ]).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  for (const [name, gwName, suffix] of [
    ['hostnames are configured only in listeners', 'http-listener-isolation', ''],
    [
      'intersecting hostnames are configured in listeners and HTTPRoutes',
      'http-listener-isolation-with-hostname-intersection',
      '-with-hostname-intersection',
    ],
  ] as const) {
    const gw = infra(gwName);
    const routes = ['empty-hostname', 'wildcard-example-com', 'wildcard-foo-example-com', 'abc-foo-example-com'].map(
      (n) => infra(`attaches-to-${n}${suffix}`),
    );
    await check(
      t,
      name,
      gatewayMustHaveAddress(r, gw),
      gatewayAndRoutesMustBeAccepted(r, { nn: gw }, 'HTTPRoute', routes),
      ...routes.map((route) => routeMustHaveResolvedRefsTrue(r, 'HTTPRoute', route, gw)),
    );
  }
});

test('GatewayFrontendInvalidDefaultClientCertificateValidation', async (t) => {
  const r = await scenario(['gateway-invalid-default-frontend-client-certificate-validation.yaml']).run();
  const gw = infra('invalid-default-client-validation-config');
  await check(t, 'WaitForGatewayAddress', gatewayMustHaveAddress(r, gw));
  await check(
    t,
    'Validate tls configuration does not impact HTTP listener',
    gatewayListenerMustHaveConditions(r, gw, 'http', listenerReady),
  );
  await check(
    t,
    'Validate that invalid default configuration is impacting HTTPS listener',
    gatewayListenerMustHaveConditions(r, gw, 'https', [
      cond('ResolvedRefs', 'False', 'InvalidCACertificateRef'),
      cond('Accepted', 'False', 'NoValidCACertificate'),
      cond('Programmed', 'False'),
    ]),
  );
});

test('GatewayTLSBackendClientCertificate', async (t) => {
  const r = await scenario(['gateway-tls-backend-client-certificate.yaml']).run();
  const gw = infra('gateway-tls-backend-client-certificate');
  const route = infra('gateway-tls-backend-client-certificate');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await check(t, 'WaitForGatewayAddress', gatewayMustHaveAddress(r, gw));
  await check(
    t,
    'Gateway and HTTPRoute accepted, refs resolved, BackendTLSPolicy accepted, Gateway ResolvedRefs',
    gatewayAndRoutesMustBeAccepted(r, { nn: gw }, 'HTTPRoute', [route]),
    routeMustHaveResolvedRefsTrue(r, 'HTTPRoute', route, gw),
    backendTLSPolicyMustHaveCondition(
      r,
      infra('gateway-tls-backend-client-certificate-test'),
      gw,
      cond('Accepted', 'True', 'Accepted'),
    ),
    gatewayMustHaveCondition(r, gw, cond('ResolvedRefs', 'True', 'ResolvedRefs')),
  );
});

test('GatewayFrontendClientCertificateValidationInsecureFallback', async (t) => {
  const r = await scenario(['gateway-with-clientcertificate-validation-insecure-fallback.yaml']).run();
  const gw = infra('client-validation-insecure-fallback');
  const routes = [
    infra('client-cert-validation-insecure-fallback-test'),
    infra('client-cert-validation-insecure-fallback-test-no-hostname'),
  ];
  await check(t, 'WaitForGatewayAddress', gatewayMustHaveAddress(r, gw));
  await check(
    t,
    'Gateway and HTTPRoutes accepted with refs resolved',
    gatewayAndRoutesMustBeAccepted(r, { nn: gw }, 'HTTPRoute', routes),
    ...routes.map((route) => routeMustHaveResolvedRefsTrue(r, 'HTTPRoute', route, gw)),
  );
  await check(
    t,
    'Validate InsecureFrontendValidationMode status condition on the Gateway',
    gatewayMustHaveCondition(r, gw, cond('InsecureFrontendValidationMode', 'True', 'ConfigurationChanged')),
  );
});

test('GatewayFrontendClientCertificateValidation', async (t) => {
  const r = await scenario(['gateway-with-clientcertificate-validation.yaml']).run();
  const gw = infra('client-validation-default');
  const routes = [
    infra('client-certificate-validation-https-test'),
    infra('client-certificate-validation-https-test-no-hostname'),
  ];
  await check(t, 'WaitForGatewayAddress', gatewayMustHaveAddress(r, gw));
  await check(
    t,
    'Gateway and HTTPRoutes accepted with refs resolved',
    gatewayAndRoutesMustBeAccepted(r, { nn: gw }, 'HTTPRoute', routes),
    ...routes.map((route) => routeMustHaveResolvedRefsTrue(r, 'HTTPRoute', route, gw)),
  );
});

test('GatewayInvalidFrontendClientCertificateValidation', async (t) => {
  const r = await scenario(['gateway-with-invalid-clientcertificate-validation.yaml']).run();
  const gw = infra('gateway-with-invalid-client-cert-validation');
  const invalid = (reason: string) => [
    cond('ResolvedRefs', 'False', reason),
    cond('Accepted', 'False', 'NoValidCACertificate'),
    cond('Programmed', 'False'),
  ];
  await check(t, 'default valid configuration', gatewayListenerMustHaveConditions(r, gw, 'https', listenerReady));
  await check(
    t,
    'unresolved reference',
    gatewayListenerMustHaveConditions(r, gw, 'https-unresolved', invalid('InvalidCACertificateRef')),
  );
  await check(
    t,
    'invalid kind',
    gatewayListenerMustHaveConditions(r, gw, 'https-invalid-kind', invalid('InvalidCACertificateKind')),
  );
  await check(
    t,
    'reference grant missing',
    gatewayListenerMustHaveConditions(r, gw, 'https-grant-missing', invalid('RefNotPermitted')),
  );
});
