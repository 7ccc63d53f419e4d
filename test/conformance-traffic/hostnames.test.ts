// Gateway API conformance (v1.6.1) hostname and listener-selection scenarios with real traffic
// through `portunus serve`: hostname intersection, listener hostname and port matching, and one
// route shared by several Gateways. Tables transcribed from upstream conformance/tests/<name>.go.

import { after, test } from 'node:test';
import { INFRA, infra } from '../conformance/harness.ts';
import { startEnv } from './env.ts';
import { type ExpectedResponse, expectResponse, runCases } from './http.ts';

const ns = INFRA;

const env = await startEnv({
  manifests: [
    'httproute-hostname-intersection.yaml',
    'httproute-listener-hostname-matching.yaml',
    'httproute-listener-port-matching.yaml',
    'httproute-multiple-gateways.yaml',
  ],
});
after(() => env.close());

const intersecting: ExpectedResponse[] = [
  {
    Request: { Host: 'very.specific.com', Path: '/s1' },
    Backend: 'infra-backend-v1',
    Namespace: ns,
  },
  // Port value within the Host header MUST not be considered while
  // performing match against hostname.
  {
    Request: { Host: 'very.specific.com:1234', Path: '/s1' },
    Backend: 'infra-backend-v1',
    Namespace: ns,
  },
  {
    Request: { Host: 'non.matching.com', Path: '/s1' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'foo.nonmatchingwildcard.io', Path: '/s1' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'foo.wildcard.io', Path: '/s1' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'very.specific.com', Path: '/non-matching-prefix' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'foo.wildcard.io', Path: '/s2' },
    Backend: 'infra-backend-v2',
    Namespace: ns,
  },
  {
    Request: { Host: 'bar.wildcard.io', Path: '/s2' },
    Backend: 'infra-backend-v2',
    Namespace: ns,
  },
  {
    Request: { Host: 'foo.bar.wildcard.io', Path: '/s2' },
    Backend: 'infra-backend-v2',
    Namespace: ns,
  },
  {
    Request: { Host: 'non.matching.com', Path: '/s2' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'wildcard.io', Path: '/s2' },
    Response: { StatusCode: 404 },
  },

  {
    Request: { Host: 'very.specific.com', Path: '/s2' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'foo.wildcard.io', Path: '/non-matching-prefix' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'very.specific.com', Path: '/s3' },
    Backend: 'infra-backend-v3',
    Namespace: ns,
  },
  {
    Request: { Host: 'non.matching.com', Path: '/s3' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'foo.specific.com', Path: '/s3' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'foo.wildcard.io', Path: '/s3' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'very.specific.com', Path: '/non-matching-prefix' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'foo.anotherwildcard.io', Path: '/s4' },
    Backend: 'infra-backend-v1',
    Namespace: ns,
  },
  {
    Request: { Host: 'bar.anotherwildcard.io', Path: '/s4' },
    Backend: 'infra-backend-v1',
    Namespace: ns,
  },
  {
    Request: { Host: 'foo.bar.anotherwildcard.io', Path: '/s4' },
    Backend: 'infra-backend-v1',
    Namespace: ns,
  },
  {
    Request: { Host: 'anotherwildcard.io', Path: '/s4' },
    Response: { StatusCode: 404 },
  },

  {
    Request: { Host: 'foo.wildcard.io', Path: '/s4' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'very.specific.com', Path: '/s4' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'foo.anotherwildcard.io', Path: '/non-matching-prefix' },
    Response: { StatusCode: 404 },
  },
];
const notIntersecting: ExpectedResponse[] = [
  {
    Request: { Host: 'specific.but.wrong.com', Path: '/s5' },
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'wildcard.io', Path: '/s5' },
    Response: { StatusCode: 404 },
  },
];
const unspecified: ExpectedResponse[] = [
  {
    Request: { Host: 'first.com', Path: '/' },
    Backend: 'infra-backend-v2',
    Namespace: ns,
  },
  {
    Request: { Host: 'sub.first.com', Path: '/' },
    Backend: 'infra-backend-v2',
    Namespace: ns,
  },
  {
    Request: { Host: 'second.com', Path: '/' },
    Backend: 'infra-backend-v2',
    Namespace: ns,
  },
  {
    Request: { Host: 'sub.second.com', Path: '/' },
    Backend: 'infra-backend-v2',
    Namespace: ns,
  },
  // Following should fail since it is not specified on the HTTPRoute
  {
    Request: { Host: 'third.com', Path: '/' },
    Namespace: ns,
    Response: { StatusCode: 404 },
  },
  {
    Request: { Host: 'sub.third.com', Path: '/' },
    Namespace: ns,
    Response: { StatusCode: 404 },
  },
];

test('HTTPRouteHostnameIntersection', { concurrency: true }, async (t) => {
  await env.use(['httproute-hostname-intersection.yaml']);
  const gw = env.gatewayAddr(infra('httproute-hostname-intersection'));
  await t.test('HTTPRoutes that do intersect with listener hostnames', { concurrency: true }, (t) =>
    runCases(t, gw, intersecting),
  );
  await t.test('HTTPRoutes that do not intersect with listener hostnames', { concurrency: true }, (t) =>
    runCases(t, gw, notIntersecting),
  );
  await t.test('HTTPRoutes intersects with an unspecified hostname listener', { concurrency: true }, (t) =>
    runCases(t, env.gatewayAddr(infra('httproute-hostname-intersection-all')), unspecified),
  );
});

test('HTTPRouteListenerHostnameMatching', { concurrency: true }, async (t) => {
  await env.use(['httproute-listener-hostname-matching.yaml']);
  await runCases(t, env.gatewayAddr(infra('httproute-listener-hostname-matching')), [
    {
      Request: { Host: 'bar.com', Path: '/' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Host: 'foo.bar.com', Path: '/' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Host: 'baz.bar.com', Path: '/' },
      Backend: 'infra-backend-v3',
      Namespace: ns,
    },
    {
      Request: { Host: 'boo.bar.com', Path: '/' },
      Backend: 'infra-backend-v3',
      Namespace: ns,
    },
    {
      Request: { Host: 'multiple.prefixes.bar.com', Path: '/' },
      Backend: 'infra-backend-v3',
      Namespace: ns,
    },
    {
      Request: { Host: 'multiple.prefixes.foo.com', Path: '/' },
      Backend: 'infra-backend-v3',
      Namespace: ns,
    },
    {
      Request: { Host: 'foo.com', Path: '/' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Host: 'no.matching.host', Path: '/' },
      Response: { StatusCode: 404 },
    },
  ]);
});

test('HTTPRouteListenerPortMatching', { concurrency: true }, async (t) => {
  await env.use(['httproute-listener-port-matching.yaml']);
  const gw = infra('httproute-listener-port-matching');
  const cases: ExpectedResponse[] = [
    { Request: { Host: 'foo.com', Path: '/' }, Backend: 'infra-backend-v1', Namespace: ns },
    { Request: { Host: 'foo.com:8080', Path: '/' }, Backend: 'infra-backend-v2', Namespace: ns },
    { Request: { Host: 'bar.com:8080', Path: '/' }, Backend: 'infra-backend-v2', Namespace: ns },
    { Request: { Host: 'foo.com:8090', Path: '/' }, Backend: 'infra-backend-v3', Namespace: ns },
    { Request: { Host: 'bar.com:8090', Path: '/' }, Response: { StatusCode: 404 } },
  ];
  // Upstream picks the listener by the port in the Host header (80 when none).
  await Promise.all(
    cases.map((tc, i) => {
      const port = Number(tc.Request.Host?.split(':')[1] ?? 80);
      return t.test(`${i} request to '${tc.Request.Host}${tc.Request.Path}'`, () =>
        expectResponse(env.gatewayAddr(gw, port), tc),
      );
    }),
  );
});

test('HTTPRouteMultipleGateways', { concurrency: true }, async (t) => {
  await env.use(['httproute-multiple-gateways.yaml']);
  await t.test('Gateway same-namespace', { concurrency: true }, (t) =>
    runCases(t, env.gatewayAddr(infra('same-namespace')), [
      {
        TestCaseName: 'shared route is accessible and routed to infra-backend-v1',
        Request: { Path: '/shared' },
        Response: { StatusCode: 200 },
        Backend: 'infra-backend-v1',
        Namespace: INFRA,
      },
      {
        TestCaseName: 'dedicated route is accessible and routed to infra-backend-v2',
        Request: { Path: '/' },
        Response: { StatusCode: 200 },
        Backend: 'infra-backend-v2',
        Namespace: INFRA,
      },
    ]),
  );
  await t.test('Gateway all-namespaces', { concurrency: true }, (t) =>
    runCases(t, env.gatewayAddr(infra('all-namespaces')), [
      {
        TestCaseName: 'shared route is accessible and routed to infra-backend-v1',
        Request: { Path: '/shared' },
        Response: { StatusCode: 200 },
        Backend: 'infra-backend-v1',
        Namespace: INFRA,
      },
      {
        TestCaseName: 'dedicated route is accessible and routed to infra-backend-v3',
        Request: { Path: '/' },
        Response: { StatusCode: 200 },
        Backend: 'infra-backend-v3',
        Namespace: INFRA,
      },
    ]),
  );
});
