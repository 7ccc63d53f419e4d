// Gateway API conformance (v1.6.1) TLSRoute scenarios (GATEWAY-TLS profile: TLSRoute core,
// TLSRouteModeTerminate, TLSRouteModeMixed) with real TLS through `portunus serve`: passthrough to
// the TCP echo server's TLS port (the backend reports the SNI it saw), termination at the gateway
// (the backend sees plaintext), both on one port, HTTPS through passthrough by hostname
// intersection, and connections without a usable route closed during the handshake.

import { after, test } from 'node:test';
import { type Doc, INFRA, infra } from '../conformance/harness.ts';
import { suiteSetupResources } from '../conformance/certs.ts';
import { startEnv } from './env.ts';
import {
  curlHTTPS,
  expectHTTPSResponse,
  expectTCPResponse,
  expectTCPResponseOpenSSL,
  expectTLSRejection,
} from './l4.ts';

const ns = INFRA;

const env = await startEnv({
  manifests: [
    'tlsroute-simple-same-namespace.yaml',
    'tlsroute-terminate-simple-same-namespace.yaml',
    'tlsroute-mixed-termination-same-namespace.yaml',
    'tlsroute-hostname-intersection.yaml',
    'tlsroute-invalid-backendref-nonexistent.yaml',
    'tlsroute-invalid-backendref-unknown-kind.yaml',
  ],
  l4Backends: true,
});
after(() => env.close());

/** kubernetes.GetConfigMapData(...)["ca.crt"] of a suite-setup ConfigMap. */
function configMapCA(name: string): string {
  const docs = suiteSetupResources().docs as Doc[];
  const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata?.namespace === ns && d.metadata?.name === name);
  const ca = cm?.data?.['ca.crt'];
  if (!ca) throw new Error(`TEST BUG: ca.crt not found in configmap ${ns}/${name}`);
  return ca;
}

const ca = configMapCA('tls-checks-ca-certificate');

test('TLSRouteSimpleSameNamespace', async (t) => {
  await env.use(['tlsroute-simple-same-namespace.yaml']);
  const gwAddr = env.gatewayAddr(infra('gateway-tlsroute'), 443);
  const serverStr = 'abc.example.com';
  await t.test('Simple TLS request matching TLSRoute should reach infra-backend', () =>
    expectTCPResponse(
      gwAddr,
      { serverName: serverStr, ca },
      { BackendIsTLS: true, Backend: 'tcp-backend', Namespace: INFRA, Hostname: serverStr },
    ),
  );
  await t.test('the same with openssl s_client', () =>
    expectTCPResponseOpenSSL(
      gwAddr,
      { serverName: serverStr, ca },
      { BackendIsTLS: true, Backend: 'tcp-backend', Namespace: INFRA, Hostname: serverStr },
    ),
  );
});

test('TLSRouteTerminateSimpleSameNamespace', async (t) => {
  await env.use(['tlsroute-terminate-simple-same-namespace.yaml']);
  const gwAddr = env.gatewayAddr(infra('gateway-tlsroute-terminate'), 8443);
  await t.test('Simple TLS request matching terminated TLSRoute should reach tcp-backend with plain text', () =>
    expectTCPResponse(
      gwAddr,
      { serverName: 'tls.example.com', ca },
      // Terminated: the backend sees no TLS and so no SNI.
      { BackendIsTLS: false, Backend: 'tcp-backend', Namespace: INFRA, Hostname: '' },
    ),
  );
  await t.test('the same with openssl s_client', () =>
    expectTCPResponseOpenSSL(
      gwAddr,
      { serverName: 'tls.example.com', ca },
      { BackendIsTLS: false, Backend: 'tcp-backend', Namespace: INFRA, Hostname: '' },
    ),
  );
});

test('TLSRouteMixedTerminationSameNamespace', { concurrency: true }, async (t) => {
  await env.use(['tlsroute-mixed-termination-same-namespace.yaml']);
  const gwAddr = env.gatewayAddr(infra('gateway-tlsroute-mixed-termination'), 8883);
  await Promise.all([
    t.test('Simple TLS request matching terminated TLSRoute should reach tcp-backend unencrypted', () =>
      expectTCPResponse(
        gwAddr,
        { serverName: 'tls.example.com', ca },
        { BackendIsTLS: false, Backend: 'tcp-backend', Namespace: INFRA, Hostname: '' },
      ),
    ),
    t.test('Simple TLS request matching TLSRoute Passthrough should reach infra-backend', () =>
      expectTCPResponse(
        gwAddr,
        { serverName: 'abc.example.com', ca },
        { BackendIsTLS: true, Backend: 'tcp-backend', Namespace: INFRA, Hostname: 'abc.example.com' },
      ),
    ),
  ]);
});

test('TLSRouteHostnameIntersection', async (t) => {
  await env.use(['tlsroute-hostname-intersection.yaml']);
  // The certificate both tls-backend Deployments serve (upstream GetTLSSecret of tls-checks-certificate).
  const serverCertPem = env.secretCert(ns, 'tls-checks-certificate');
  const reach = (gwAddr: string, host: string, backend: string) =>
    expectHTTPSResponse(gwAddr, host, serverCertPem, {
      Request: { Host: host, Path: '/' },
      Backend: backend,
      Namespace: ns,
    });
  const groups: [string, string, boolean, string][] = [
    ['TLSRoutes intersect with exact listener hostname', 'gw-tlsroute-exact-hostname-x-1', false, 'non.matching.com'],
    [
      'TLSRoutes intersect with more specific wildcard listener hostname',
      'gw-tlsroute-more-specific-wc-hostname-x-2',
      true,
      'non.matching.com',
    ],
    [
      'TLSRoutes intersect with less specific wildcard listener hostname',
      'gw-tlsroute-less-specific-wc-hostname-x-3',
      true,
      'non.matching.com',
    ],
    ['TLSRoutes intersect with empty listener hostname', 'gw-tlsroute-empty-hostname-x-4', true, 'non.matching.org'],
  ];
  for (const [name, gw, second, nonMatching] of groups) {
    await t.test(name, { concurrency: true }, async (t) => {
      const gwAddr = env.gatewayAddr(infra(gw), 443);
      const cases = [
        t.test('TLS request matching exact hostnames intersection should reach backend', () =>
          reach(gwAddr, 'abc.example.com', 'tls-backend'),
        ),
        t.test('TLS request not matching hostnames intersection should not reach backend', () =>
          expectTLSRejection(gwAddr, nonMatching),
        ),
      ];
      if (second)
        cases.push(
          t.test('TLS request matching wildcard hostnames intersection should reach backend 2', () =>
            reach(gwAddr, 'other.example.com', 'tls-backend-2'),
          ),
        );
      await Promise.all(cases);
    });
  }
  await t.test('curl through the exact-hostname Gateway reaches tls-backend', async () => {
    const gwAddr = env.gatewayAddr(infra('gw-tlsroute-exact-hostname-x-1'), 443);
    const r = await curlHTTPS(gwAddr, 'abc.example.com', serverCertPem);
    if (r.status !== 200 || r.body.namespace !== ns || !r.body.pod?.startsWith('tls-backend-'))
      throw new Error(`curl: expected 200 from tls-backend in ${ns}, got ${r.status} ${JSON.stringify(r.body)}`);
  });
});

test('TLSRouteInvalidBackendRefNonexistent', async (t) => {
  await env.use(['tlsroute-invalid-backendref-nonexistent.yaml']);
  const gwAddr = env.gatewayAddr(infra('gateway-tlsroute-invalid-backend-ref-nonexistent'), 443);
  await t.test('TLS connection to nonexistent backend should be rejected', () =>
    expectTLSRejection(gwAddr, 'example.com'),
  );
});

test('TLSRouteInvalidBackendRefUnknownKind', async (t) => {
  await env.use(['tlsroute-invalid-backendref-unknown-kind.yaml']);
  const gwAddr = env.gatewayAddr(infra('gateway-tlsroute-invalid-backend-ref-unknown-kind'), 443);
  await t.test('TLS connection to invalid backend with invalid Kind should be rejected', () =>
    expectTLSRejection(gwAddr, 'example.com'),
  );
});

// Upstream TLSRoute tests that make no connection: their listener and route conditions are the
// whole test, and they run in the status suite (test/conformance/tlsroute.test.ts).
const statusOnly = 'status-only upstream (no connection is made); see test/conformance/tlsroute.test.ts';
test.todo(`TLSRouteInvalidNoMatchingListenerHostname: ${statusOnly}`);
test.todo(`TLSRouteInvalidNoMatchingListener: ${statusOnly}`);
test.todo(`TLSRouteInvalidReferenceGrant: ${statusOnly}`);
test.todo(`TLSRouteListenerPassthroughSupportedKinds: ${statusOnly}`);
test.todo(`TLSRouteListenerTerminateSupportedKinds: ${statusOnly}`);
test.todo(
  `TLSRouteListenerTerminateNotSupported: ${statusOnly} (and skipped upstream by implementations that terminate)`,
);
test.todo(
  `TLSRouteListenerMixedTerminationNotSupported: ${statusOnly} (and skipped upstream by implementations that support mixed termination)`,
);

// The rest of the GATEWAY-TLS profile: upstream tests whose features are Gateway, ReferenceGrant,
// ListenerSet or another Gateway extended feature (no HTTPRoute). None of them makes a connection;
// they run in the status suite (test/conformance/gateway.test.ts, listenerset.test.ts).
const gatewayStatusOnly = 'status-only upstream (no connection is made); see test/conformance/';
for (const name of [
  'GatewayInfrastructure',
  'GatewayListenerUnsupportedProtocol',
  'GatewayInvalidParametersRef',
  'GatewayInvalidRouteKind',
  'GatewayInvalidTLSConfiguration',
  'GatewayModifyListeners',
  'GatewayObservedGenerationBump',
  'GatewayOptionalAddressValue',
  'GatewaySecretInvalidReferenceGrant',
  'GatewaySecretMissingReferenceGrant',
  'GatewaySecretReferenceGrantAllInNamespace',
  'GatewaySecretReferenceGrantSpecific',
  'GatewayStaticAddresses',
  'GatewayClassObservedGenerationBump',
  'ListenerSetAllowedNamespaceNone',
  'ListenerSetAllowedNamespaceSame',
  'ListenerSetAllowedNamespaceSelector',
  'ListenerSetAllowedRoutesSupportedKinds',
  'ListenerSetDefaultNotAllowed',
  'ListenerSetHostnameConflict',
  'ListenerSetProtocolConflict',
  'ListenerSetReferenceGrant',
])
  test.todo(`${name}: ${gatewayStatusOnly}`);
