// Gateway API conformance (v1.6.1) HTTPS listener scenarios with real TLS through `portunus serve`:
// routing by Host on an HTTPS listener, misdirected-request detection (421) over HTTP/2, and
// redirects that change scheme and port. The client trusts the suite-setup certificate and sends
// the scenario's SNI, as upstream's tls.MakeTLSRequestAndExpectEventuallyConsistentResponse.

import { after, test } from 'node:test';
import { INFRA, infra } from '../conformance/harness.ts';
import { startEnv } from './env.ts';
import { type ExpectedResponse, caseName, expectResponse, runCases } from './http.ts';

const ns = INFRA;

const env = await startEnv({
  manifests: [
    'httproute-https-listener.yaml',
    'httproute-https-listener-detect-misdirected-requests.yaml',
    'httproute-redirect-port-and-scheme.yaml',
  ],
});
after(() => env.close());

const httpsGw = infra('same-namespace-with-https-listener');
const gw8080 = infra('same-namespace-with-http-listener-on-8080');
const tlsFor = (serverName: string) => ({
  serverName,
  serverCertificate: env.secretCert(INFRA, 'tls-validity-checks-certificate'),
});

test('HTTPRouteHTTPSListener', { concurrency: true }, async (t) => {
  await env.use(['httproute-https-listener.yaml']);
  const addr = env.gatewayAddr(httpsGw, 443);
  const cases: [string, number, string][] = [
    ['example.org', 200, 'infra-backend-v1'],
    ['unknown-example.org', 404, ''],
    ['second-example.org', 200, 'infra-backend-v2'],
  ];
  await Promise.all(
    cases.map(([host, statusCode, backend], i) => {
      const expected: ExpectedResponse = {
        Request: { Host: host, Path: '/' },
        Response: { StatusCode: statusCode },
        Backend: backend,
        Namespace: INFRA,
      };
      return t.test(caseName(expected, i), () => expectResponse(addr, expected, { tls: tlsFor(host) }));
    }),
  );
});

test('HTTPRouteHTTPSListenerDetectMisdirectedRequests', { concurrency: true }, async (t) => {
  await env.use(['httproute-https-listener-detect-misdirected-requests.yaml']);
  const addr = env.gatewayAddr(httpsGw, 443);
  const cases: [string, string, number, string][] = [
    ['example.org', 'example.org', 200, 'infra-backend-v1'],
    ['example.org', 'second-example.org', 421, ''],
    ['example.org', 'unknown-example.org', 404, ''],
    ['second-example.org', 'second-example.org', 200, 'infra-backend-v2'],
    ['second-example.org', 'example.org', 421, ''],
    ['second-example.org', 'unknown-example.org', 421, ''],
    ['third-example.wildcard.org', 'third-example.wildcard.org', 200, 'infra-backend-v3'],
    ['third-example.wildcard.org', 'fith-example.wildcard.org', 200, 'infra-backend-v3'],
    ['third-example.wildcard.org', 'fourth-example.wildcard.org', 421, ''],
    ['third-example.wildcard.org', 'second-example.org', 421, ''],
    ['third-example.wildcard.org', 'unknown-example.org', 421, ''],
    ['fourth-example.wildcard.org', 'fourth-example.wildcard.org', 200, 'infra-backend-v1'],
    ['fourth-example.wildcard.org', 'fith-example.wildcard.org', 421, ''],
    ['unknown-example.org', 'example.org', 200, 'infra-backend-v1'],
    ['unknown-example.org', 'unknown-example.org', 404, ''],
  ];
  await Promise.all(
    cases.map(([serverName, host, statusCode, backend], i) => {
      const expected: ExpectedResponse = {
        Request: { Host: host, Path: '/detect-misdirected-requests', Protocol: 'HTTP/2' },
        Response: { StatusCodes: [statusCode] },
        Backend: backend,
        Namespace: INFRA,
      };
      return t.test(`${caseName(expected, i)} (SNI ${serverName})`, () =>
        expectResponse(addr, expected, { tls: tlsFor(serverName) }),
      );
    }),
  );
});

test('HTTPRouteRedirectPortAndScheme', { concurrency: true }, async (t) => {
  await env.use(['httproute-redirect-port-and-scheme.yaml']);
  // A redirect without port or scheme keeps the listener's port, which is rewritten here; a scheme
  // change without port means the scheme's well-known port (80/443 or none).
  const on80: ExpectedResponse[] = [
    {
      Request: {
        Path: '/scheme-nil-and-port-nil',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'http',
        Host: 'example.org',
      },
      Namespace: ns,
    },
    {
      Request: {
        Path: '/scheme-nil-and-port-80',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'http',
        Host: 'example.org',
      },
      Namespace: ns,
    },
    {
      Request: {
        Path: '/scheme-nil-and-port-8080',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'http',
        Port: '8080',
        Host: 'example.org',
      },
      Namespace: ns,
    },
    {
      Request: {
        Path: '/scheme-https-and-port-nil',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'https',
        Host: 'example.org',
      },
      Namespace: ns,
    },
    {
      Request: {
        Path: '/scheme-https-and-port-443',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'https',
        Host: 'example.org',
      },
      Namespace: ns,
    },
    {
      Request: {
        Path: '/scheme-https-and-port-8443',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'https',
        Port: '8443',
        Host: 'example.org',
      },
      Namespace: ns,
    },
  ];
  await t.test('http-listener-on-80', { concurrency: true }, (t) =>
    runCases(t, env.gatewayAddr(infra('same-namespace')), on80, {
      defaultPorts: { http: env.port(80, infra('same-namespace')), https: 443 },
    }),
  );
  const on8080: ExpectedResponse[] = [
    {
      Request: {
        Path: '/scheme-nil-and-port-nil',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'http',
        Port: String(env.port(8080, gw8080)),
        Host: 'example.org',
      },
      Namespace: ns,
    },
    {
      Request: {
        Path: '/scheme-nil-and-port-80',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'http',
        Host: 'example.org',
      },
      Namespace: ns,
    },
    {
      Request: {
        Path: '/scheme-https-and-port-nil',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'https',
        Host: 'example.org',
      },
      Namespace: ns,
    },
  ];
  await t.test('http-listener-on-8080', { concurrency: true }, (t) =>
    runCases(t, env.gatewayAddr(gw8080, 8080), on8080, { defaultPorts: { http: 80, https: 443 } }),
  );
  const on443: ExpectedResponse[] = [
    {
      Request: {
        Host: 'example.org',
        Path: '/scheme-nil-and-port-nil',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'https',
        Host: 'example.org',
      },
      Namespace: ns,
    },
    {
      Request: {
        Host: 'example.org',
        Path: '/scheme-nil-and-port-443',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'https',
        Host: 'example.org',
      },
      Namespace: ns,
    },
    {
      Request: {
        Host: 'example.org',
        Path: '/scheme-nil-and-port-8443',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'https',
        Port: '8443',
        Host: 'example.org',
      },
      Namespace: ns,
    },
    {
      Request: {
        Host: 'example.org',
        Path: '/scheme-http-and-port-nil',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'http',
        Host: 'example.org',
      },
      Namespace: ns,
    },
    {
      Request: {
        Host: 'example.org',
        Path: '/scheme-http-and-port-80',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'http',
        Host: 'example.org',
      },
      Namespace: ns,
    },
    {
      Request: {
        Host: 'example.org',
        Path: '/scheme-http-and-port-8080',
        UnfollowRedirect: true,
      },
      Response: { StatusCode: 302 },
      RedirectRequest: {
        Scheme: 'http',
        Port: '8080',
        Host: 'example.org',
      },
      Namespace: ns,
    },
  ];
  await t.test('https-listener-on-443', { concurrency: true }, (t) =>
    runCases(t, env.gatewayAddr(httpsGw, 443), on443, {
      tls: tlsFor('example.org'),
      defaultPorts: { http: 80, https: env.port(443, httpsGw) },
    }),
  );
});
