// Gateway API conformance (v1.6.1) frontend client-certificate validation (mTLS) with real TLS
// through `portunus serve`: GatewayFrontendClientCertificateValidation (AllowValidOnly, default
// and per-port CAs), ...InsecureFallback (AllowInsecureFallback: every client gets through), and
// GatewayFrontendInvalidDefaultClientCertificateValidation (an unusable CA takes the HTTPS listener
// down, not the HTTP one). These Gateway extended features are listed by the GATEWAY-TLS profile;
// upstream the tests also need HTTPRoute. Client certificates are the suite-setup ones.

import { after, test } from 'node:test';
import { suiteSetupResources } from '../conformance/certs.ts';
import { type Doc, INFRA, infra } from '../conformance/harness.ts';
import { startEnv } from './env.ts';
import { expectResponse } from './http.ts';
import { type ClientCertificate, certificateRequested, expectHTTPSFailure, expectHTTPSResponse } from './l4.ts';

const ns = INFRA;

const env = await startEnv({
  manifests: [
    'gateway-with-clientcertificate-validation.yaml',
    'gateway-with-clientcertificate-validation-insecure-fallback.yaml',
    'gateway-invalid-default-frontend-client-certificate-validation.yaml',
  ],
});
after(() => env.close());

/** kubernetes.GetTLSSecret: tls.crt and tls.key of a suite-setup Secret. */
function secret(name: string): ClientCertificate {
  const docs = suiteSetupResources().docs as Doc[];
  const s = docs.find((d) => d.kind === 'Secret' && d.metadata?.namespace === ns && d.metadata?.name === name);
  const crt = s?.data?.['tls.crt'];
  const key = s?.data?.['tls.key'];
  if (typeof crt !== 'string' || typeof key !== 'string') throw new Error(`TEST BUG: no TLS Secret ${ns}/${name}`);
  return { certPem: Buffer.from(crt, 'base64').toString('utf8'), keyPem: Buffer.from(key, 'base64').toString('utf8') };
}

const serverCertPem = env.secretCert(ns, 'tls-validity-checks-certificate');
const clientCert = secret('tls-validity-checks-client-certificate');
const clientCertPerPort = secret('tls-validity-checks-per-port-client-certificate');

/** MakeTLSRequestAndExpectEventuallyConsistentResponse, with its "client certificate presented" check. */
async function expectWithClient(
  addr: string,
  serverName: string,
  backend: string,
  client: ClientCertificate | undefined,
): Promise<void> {
  await expectHTTPSResponse(
    addr,
    serverName,
    serverCertPem,
    { Request: { Host: serverName, Path: '/' }, Response: { StatusCode: 200 }, Backend: backend, Namespace: ns },
    client ? { client } : {},
  );
  if (client && !(await certificateRequested(addr, serverName, serverCertPem, client)))
    throw new Error('client certificate was not presented during the handshake (no CertificateRequest)');
}

test('GatewayFrontendClientCertificateValidation', async (t) => {
  await env.use(['gateway-with-clientcertificate-validation.yaml']);
  const gw = infra('client-validation-default');
  await t.test('Validate default configuration', async () => {
    const addr = env.gatewayAddr(gw, 443);
    await expectWithClient(addr, 'example.org', 'infra-backend-v1', clientCert);
    await expectHTTPSFailure(addr, 'example.org', serverCertPem, 'example.org', clientCertPerPort);
  });
  await t.test('Validate per port configuration', async () => {
    const addr = env.gatewayAddr(gw, 8443);
    await expectWithClient(addr, 'second-example.org', 'infra-backend-v2', clientCertPerPort);
    await expectHTTPSFailure(addr, 'second-example.org', serverCertPem, 'second-example.org', clientCert);
  });
});

test('GatewayFrontendClientCertificateValidationInsecureFallback', async (t) => {
  await env.use(['gateway-with-clientcertificate-validation-insecure-fallback.yaml']);
  const gw = infra('client-validation-insecure-fallback');
  await t.test('Validate default TLS configuration', { concurrency: true }, async (t) => {
    const addr = env.gatewayAddr(gw, 443);
    await Promise.all([
      t.test(
        'Send request to the first listener with matching client certificate and validate that it is passing',
        () => expectWithClient(addr, 'example.org', 'infra-backend-v1', clientCert),
      ),
      t.test(
        'Send request to the first listener with non-matching client certificate and validate that it is passing',
        () => expectWithClient(addr, 'example.org', 'infra-backend-v1', clientCertPerPort),
      ),
      t.test('Send request to the first listener without client certificate and validate that it is passing', () =>
        expectWithClient(addr, 'example.org', 'infra-backend-v1', undefined),
      ),
    ]);
  });
  await t.test('Validate per port TLS configuration', { concurrency: true }, async (t) => {
    const addr = env.gatewayAddr(gw, 8443);
    await Promise.all([
      t.test(
        'Send request to the second listener with matching client certificate and validate that it is passing',
        () => expectWithClient(addr, 'second-example.org', 'infra-backend-v2', clientCertPerPort),
      ),
      t.test(
        'Send request to the second listener with non-matching client certificate and validate that it is passing',
        () => expectWithClient(addr, 'second-example.org', 'infra-backend-v2', clientCert),
      ),
      t.test('Send request to the second listener without client certificate and validate that it is passing', () =>
        expectWithClient(addr, 'second-example.org', 'infra-backend-v2', undefined),
      ),
    ]);
  });
});

test('GatewayFrontendInvalidDefaultClientCertificateValidation', async (t) => {
  await env.use(['gateway-invalid-default-frontend-client-certificate-validation.yaml']);
  const gw = infra('invalid-default-client-validation-config');
  await t.test('Validate tls configuration does not impact HTTP listener', () =>
    expectResponse(env.gatewayAddr(gw, 80), {
      Request: { Host: 'example.org', Path: '/' },
      Response: { StatusCode: 200 },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    }),
  );
  await t.test('Validate that invalid default configuration is impacting HTTPS listener', () =>
    expectHTTPSFailure(env.gatewayAddr(gw, 443), 'example.org', serverCertPem, 'example.org'),
  );
});

const statusOnly = 'status-only upstream (no request is made); see test/conformance/gateway.test.ts';
test.todo(`GatewayInvalidFrontendClientCertificateValidation: ${statusOnly}`);
