// BackendTLSPolicy status scenarios ported from kubernetes-sigs/gateway-api
// conformance/tests/backendtlspolicy*.go at tag v1.6.1 (ShortName = node:test name). Out of scope here
// (running data plane): the HTTPS requests towards TLS backends (success with a valid policy, errors
// on hostname/SAN/CA mismatch, 5xx with an invalid policy).

import test from 'node:test';
import {
  backendTLSPolicyMustHaveCondition,
  backendTLSPolicyMustHaveLatestConditions,
  check,
  cond,
  gatewayAndRoutesMustBeAccepted,
  gatewayMustHaveAddress,
  INFRA,
  infra,
  type NN,
  namespacesMustBeReady,
  type Result,
  routeMustHaveResolvedRefsTrue,
  scenario,
} from './harness.ts';

const sameNamespace = infra('same-namespace');
const accepted = cond('Accepted', 'True', 'Accepted');
const resolvedRefs = cond('ResolvedRefs', 'True', 'ResolvedRefs');

async function routeAccepted(t: import('node:test').TestContext, r: Result, gw: NN, route: NN, resolved: boolean) {
  await check(t, `GatewayAndRoutesMustBeAccepted: ${gw.name} has an address`, gatewayMustHaveAddress(r, gw));
  await check(
    t,
    `GatewayAndRoutesMustBeAccepted: ${route.name} accepted by ${gw.name}, listeners ready${resolved ? ', ResolvedRefs=True' : ''}`,
    gatewayAndRoutesMustBeAccepted(r, { nn: gw }, 'HTTPRoute', [route]),
    resolved ? routeMustHaveResolvedRefsTrue(r, 'HTTPRoute', route, gw) : [],
  );
}

test('BackendTLSPolicy', async (t) => {
  const s = scenario(['backendtlspolicy.yaml']);
  let r = await s.run();
  await t.test('Re-encrypt HTTPS request sent to Service with valid BackendTLSPolicy should succeed', async (t) => {
    const gw = infra('same-namespace-with-https-listener');
    await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
    await routeAccepted(t, r, gw, infra('backendtlspolicy-reencrypt'), true);
    await check(
      t,
      'normative-test is Accepted and ResolvedRefs for the HTTPS Gateway',
      backendTLSPolicyMustHaveCondition(r, infra('normative-test'), gw, accepted),
      backendTLSPolicyMustHaveCondition(r, infra('normative-test'), gw, resolvedRefs),
    );
  });
  await routeAccepted(t, r, sameNamespace, infra('backendtlspolicy'), true);
  for (const [name, policy] of [
    ['HTTP request sent to Service with valid BackendTLSPolicy should succeed', 'normative-test'],
    [
      'HTTP request sent to Service targeted by BackendTLSPolicy with mismatched hostname should return an HTTP error',
      'host-mismatch',
    ],
    [
      'HTTP request send to Service targeted by BackendTLSPolicy with mismatched cert should return HTTP error',
      'cert-mismatch',
    ],
  ] as const) {
    await check(
      t,
      `${name} (status part: policy ${policy} Accepted, ResolvedRefs)`,
      backendTLSPolicyMustHaveCondition(r, infra(policy), sameNamespace, accepted),
      backendTLSPolicyMustHaveCondition(r, infra(policy), sameNamespace, resolvedRefs),
    );
  }

  await t.test(
    'Changing the content of a ConfigMap used by BackendTLSPolicy as CA certificate should be reconciled by the controller',
    async (t) => {
      const policy = infra('reconcile-test');
      const valid = () => [
        backendTLSPolicyMustHaveCondition(r, policy, sameNamespace, accepted),
        backendTLSPolicyMustHaveCondition(r, policy, sameNamespace, resolvedRefs),
      ];
      const invalid = () => [
        backendTLSPolicyMustHaveCondition(r, policy, sameNamespace, cond('Accepted', 'False', 'NoValidCACertificate')),
        backendTLSPolicyMustHaveCondition(
          r,
          policy,
          sameNamespace,
          cond('ResolvedRefs', 'False', 'InvalidCACertificateRef'),
        ),
      ];
      await check(t, 'initially valid', ...valid());
      const caData = s.find('ConfigMap', infra('tls-checks-ca-certificate')).data['ca.crt'];
      const testCM = 'tls-checks-ca-certificate-reconcile-test';
      const originalRefs = structuredClone(s.find('BackendTLSPolicy', policy).spec.validation.caCertificateRefs);
      s.patch('BackendTLSPolicy', policy, (d) => {
        d.spec.validation.caCertificateRefs = [{ group: '', kind: 'ConfigMap', name: testCM }];
      });
      r = await s.run();
      await check(
        t,
        'pointing at a ConfigMap that does not exist: NoValidCACertificate / InvalidCACertificateRef',
        ...invalid(),
      );
      s.add({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: testCM, namespace: INFRA },
        data: { 'ca.crt': caData },
      });
      r = await s.run();
      await check(t, 'after the ConfigMap is created: Accepted and ResolvedRefs', ...valid());
      s.find('ConfigMap', infra(testCM)).data['ca.crt'] = '';
      r = await s.run();
      await check(t, 'after ca.crt is emptied: NoValidCACertificate / InvalidCACertificateRef', ...invalid());
      s.find('ConfigMap', infra(testCM)).data['ca.crt'] = caData;
      r = await s.run();
      await check(t, 'after ca.crt is restored: Accepted and ResolvedRefs', ...valid());
      s.patch('BackendTLSPolicy', policy, (d) => {
        d.spec.validation.caCertificateRefs = originalRefs;
      });
    },
  );
});

test('BackendTLSPolicyConflictResolution', async (t) => {
  const r = await scenario(['backendtlspolicy-conflict-resolution.yaml']).run();
  const conflicted = cond('Accepted', 'False', 'Conflicted');
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await routeAccepted(t, r, sameNamespace, infra('backendtlspolicy-conflict-resolution'), true);
  await t.test('Conflicting BackendTLSPolicies targeting the same Service without a section name', async (t) => {
    await check(
      t,
      'First BackendTLSPolicy should be accepted',
      backendTLSPolicyMustHaveCondition(r, infra('conflicted-without-section-name-1'), sameNamespace, accepted),
    );
    await check(
      t,
      'Second BackendTLSPolicy should have a false Accepted condition with reason Conflicted',
      backendTLSPolicyMustHaveCondition(r, infra('conflicted-without-section-name-2'), sameNamespace, conflicted),
    );
  });
  await t.test('Conflicting BackendTLSPolicies targeting the same Service with the same section name', async (t) => {
    await check(
      t,
      'First BackendTLSPolicy should be accepted',
      backendTLSPolicyMustHaveCondition(r, infra('conflicted-with-section-name-1'), sameNamespace, accepted),
    );
    await check(
      t,
      'Second BackendTLSPolicy should have a false Accepted condition with reason Conflicted',
      backendTLSPolicyMustHaveCondition(r, infra('conflicted-with-section-name-2'), sameNamespace, conflicted),
    );
  });
  await t.test('BackendTLSPolicies targeting the same Service with and without a section name', async (t) => {
    await check(
      t,
      'BackendTLSPolicy with section name should be accepted',
      backendTLSPolicyMustHaveCondition(r, infra('not-conflicted-with-section-name'), sameNamespace, accepted),
    );
    await check(
      t,
      'BackendTLSPolicy without section name should be accepted',
      backendTLSPolicyMustHaveCondition(r, infra('not-conflicted-without-section-name'), sameNamespace, accepted),
    );
  });
});

test('BackendTLSPolicyInvalidCACertificateRef', async (t) => {
  const r = await scenario(['backendtlspolicy-invalid-ca-certificate-ref.yaml']).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await routeAccepted(t, r, sameNamespace, infra('backendtlspolicy-invalid-ca-certificate-ref'), false);
  for (const policy of ['nonexistent-ca-certificate-ref', 'malformed-ca-certificate-ref']) {
    await t.test(`BackendTLSPolicy_${policy}`, async (t) => {
      await check(
        t,
        'BackendTLSPolicy with a single invalid CACertificateRef has a Accepted Condition with status False and Reason NoValidCACertificate',
        backendTLSPolicyMustHaveCondition(
          r,
          infra(policy),
          sameNamespace,
          cond('Accepted', 'False', 'NoValidCACertificate'),
        ),
      );
      await check(
        t,
        'BackendTLSPolicy with a single invalid CACertificateRef has a ResolvedRefs Condition with status False and Reason InvalidCACertificateRef',
        backendTLSPolicyMustHaveCondition(
          r,
          infra(policy),
          sameNamespace,
          cond('ResolvedRefs', 'False', 'InvalidCACertificateRef'),
        ),
      );
    });
  }
});

test('BackendTLSPolicyInvalidKind', async (t) => {
  const r = await scenario(['backendtlspolicy-invalid-kind.yaml']).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await routeAccepted(t, r, sameNamespace, infra('backendtlspolicy-invalid-kind-test'), false);
  await check(
    t,
    'BackendTLSPolicy with a single invalid CACertificateRef has a Accepted Condition with status False and Reason NoValidCACertificate',
    backendTLSPolicyMustHaveCondition(
      r,
      infra('invalid-kind'),
      sameNamespace,
      cond('Accepted', 'False', 'NoValidCACertificate'),
    ),
  );
  await check(
    t,
    'BackendTLSPolicy with a single invalid CACertificateRef has a ResolvedRefs Condition with status False and Reason InvalidKind',
    backendTLSPolicyMustHaveCondition(
      r,
      infra('invalid-kind'),
      sameNamespace,
      cond('ResolvedRefs', 'False', 'InvalidKind'),
    ),
  );
});

test('BackendTLSPolicyObservedGenerationBump', async (t) => {
  const s = scenario(['backendtlspolicy-observed-generation-bump.yaml']);
  const policy = infra('observed-generation-bump');
  let r = await s.run();
  await check(
    t,
    'before the patch: NamespacesMustBeReady, latest conditions',
    namespacesMustBeReady(r, [INFRA]),
    backendTLSPolicyMustHaveLatestConditions(r, policy),
  );
  s.patch('BackendTLSPolicy', policy, (d) => {
    d.spec.validation.hostname = 'foo.example.com';
  });
  r = await s.run();
  await check(
    t,
    'observedGeneration should increment',
    backendTLSPolicyMustHaveCondition(r, policy, sameNamespace, cond('Accepted', 'True')),
    backendTLSPolicyMustHaveLatestConditions(r, policy),
  );
});

test('BackendTLSPolicySANValidation', async (t) => {
  const r = await scenario(['backendtlspolicy-san.yaml']).run();
  await check(t, 'NamespacesMustBeReady', namespacesMustBeReady(r, [INFRA]));
  await routeAccepted(t, r, sameNamespace, infra('backendtlspolicy-san-test'), true);
  for (const [name, policy] of [
    ['HTTP request sent to Service with valid BackendTLSPolicy containing dns SAN should succeed', 'san-dns'],
    [
      'HTTP request sent to Service targeted by BackendTLSPolicy with mismatched dns SAN should return an HTTP error',
      'san-dns-mismatch',
    ],
    ['HTTP request sent to Service with valid BackendTLSPolicy containing uri SAN should succeed', 'san-uri'],
    [
      'HTTP request sent to Service targeted by BackendTLSPolicy with mismatched uri SAN should return an HTTP error',
      'san-uri-mismatch',
    ],
    ['HTTP request sent to Service with valid BackendTLSPolicy containing multi SAN should succeed', 'multiple-sans'],
    [
      'HTTP request sent to Service targeted by BackendTLSPolicy with mismatched multi SAN should return an HTTP error',
      'multiple-mismatch-sans',
    ],
  ] as const) {
    await check(
      t,
      `${name} (status part: policy ${policy} Accepted)`,
      backendTLSPolicyMustHaveCondition(r, infra(policy), sameNamespace, accepted),
    );
  }
});
