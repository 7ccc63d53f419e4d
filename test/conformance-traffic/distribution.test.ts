// Gateway API conformance (v1.6.1) scenarios about how traffic is spread: listener isolation on one
// Gateway, weighted backendRefs (weight.ts), and per-backendRef header filters under weights.

import { after, test } from 'node:test';
import { INFRA, infra } from '../conformance/harness.ts';
import { startEnv } from './env.ts';
import { type ExpectedResponse, compareRoundTrip, expectResponse, roundTrip, runCases } from './http.ts';
import { weightedDistribution } from './weight.ts';

const ns = INFRA;

const env = await startEnv({
  manifests: [
    'gateway-http-listener-isolation.yaml',
    'gateway-http-listener-isolation-with-hostname-intersection.yaml',
    'httproute-weight.yaml',
    'httproute-request-header-modifier-backend-weights.yaml',
  ],
});
after(() => env.close());

const isolationCases: ExpectedResponse[] = [
  // Requests to the empty-hostname listener
  {
    Request: { Host: 'bar.com', Path: '/empty-hostname' },
    Backend: 'infra-backend-v1',
    Namespace: ns,
  },
  {
    Request: { Host: 'bar.com', Path: '/wildcard-example-com' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'bar.com', Path: '/wildcard-foo-example-com' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'bar.com', Path: '/abc-foo-example-com' },
    Response: { StatusCode: 404 },
  },
  // Requests to the wildcard-example-com listener
  {
    Request: { Host: 'bar.example.com', Path: '/empty-hostname' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'bar.example.com', Path: '/wildcard-example-com' },
    Backend: 'infra-backend-v1',
    Namespace: ns,
  },
  {
    Request: { Host: 'bar.example.com', Path: '/wildcard-foo-example-com' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'bar.example.com', Path: '/abc-foo-example-com' },
    Response: { StatusCode: 404 },
  },
  // Requests to the foo-wildcard-example-com listener
  {
    Request: { Host: 'bar.foo.example.com', Path: '/empty-hostname' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'bar.foo.example.com', Path: '/wildcard-example-com' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'bar.foo.example.com', Path: '/wildcard-foo-example-com' },
    Backend: 'infra-backend-v1',
    Namespace: ns,
  },
  {
    Request: { Host: 'bar.foo.example.com', Path: '/abc-foo-example-com' },
    Response: { StatusCode: 404 },
  },
  // Requests to the abc-foo-example-com listener
  {
    Request: { Host: 'abc.foo.example.com', Path: '/empty-hostname' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'abc.foo.example.com', Path: '/wildcard-example-com' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'abc.foo.example.com', Path: '/wildcard-foo-example-com' },
    Response: { StatusCode: 404 },
    Namespace: ns,
  },
  {
    Request: { Host: 'abc.foo.example.com', Path: '/abc-foo-example-com' },
    Backend: 'infra-backend-v1',
    Namespace: ns,
  },
];

test('GatewayHTTPListenerIsolation', { concurrency: true }, async (t) => {
  await env.use([
    'gateway-http-listener-isolation.yaml',
    'gateway-http-listener-isolation-with-hostname-intersection.yaml',
  ]);
  await t.test('hostnames are configured only in listeners', { concurrency: true }, (t) =>
    runCases(t, env.gatewayAddr(infra('http-listener-isolation')), isolationCases),
  );
  await t.test('intersecting hostnames are configured in listeners and HTTPRoutes', { concurrency: true }, (t) =>
    runCases(t, env.gatewayAddr(infra('http-listener-isolation-with-hostname-intersection')), isolationCases),
  );
});

test('HTTPRouteWeight', async () => {
  await env.use(['httproute-weight.yaml']);
  const addr = env.gatewayAddr(infra('same-namespace'));
  const expected: ExpectedResponse = { Request: { Path: '/' }, Response: { StatusCodes: [200] }, Namespace: INFRA };
  await expectResponse(addr, expected);
  const send = async (): Promise<string> => {
    // http.AddEntropy: a random header so no two requests are alike.
    const req = { ...expected.Request, Headers: { 'X-Jitter': String(Math.random()) } };
    const rt = await roundTrip(addr, req, { 'X-Echo-Set-Header': '' });
    const problem = compareRoundTrip(req, rt, { ...expected, Request: req });
    if (problem) throw new Error(`response expectation failed for request: ${problem}`);
    return rt.req.pod;
  };
  const weights = { 'infra-backend-v1': 0.7, 'infra-backend-v2': 0.3, 'infra-backend-v3': 0.0 };
  const failures: string[] = [];
  for (let i = 0; i < 10; i++) {
    const err = await weightedDistribution(send, weights);
    if (err === null) return;
    failures.push(err);
  }
  throw new Error(`Weighted distribution tests failed:\n${failures.join('\n')}`);
});

test('HTTPRouteRequestHeaderModifierBackendWeights', async () => {
  await env.use(['httproute-request-header-modifier-backend-weights.yaml']);
  const addr = env.gatewayAddr(infra('same-namespace'));
  const expected: ExpectedResponse = { Request: { Path: '/' }, Response: { StatusCode: 200 }, Namespace: INFRA };
  await expectResponse(addr, expected);
  // Each backendRef's filter sets Backend: <its name>; every answer must come from that backend.
  for (let i = 0; i < 100; i++) {
    const rt = await roundTrip(addr, expected.Request, { 'X-Echo-Set-Header': '' });
    const backends = Object.entries(rt.req.headers).find(([k]) => k.toLowerCase() === 'backend')?.[1] ?? [];
    if (backends.length !== 1)
      throw new Error(`expected a single 'Backend' header to have been set, got ${backends.length}`);
    if (!rt.req.pod.startsWith(backends[0]!))
      throw new Error(`pod ${rt.req.pod} does not match the Backend header ${backends[0]} its backendRef's filter set`);
  }
});
