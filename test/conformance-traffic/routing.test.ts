// Gateway API conformance (v1.6.1) request-routing scenarios with real traffic through
// `portunus serve`: path, header, query and method matching, precedence across rules and routes.
// Tables transcribed from upstream conformance/tests/<name>.go; see README.md.

import { after, test } from 'node:test';
import { INFRA, WEB, infra } from '../conformance/harness.ts';
import { startEnv } from './env.ts';
import { runCases } from './http.ts';

const ns = INFRA;

const env = await startEnv({
  manifests: [
    'httproute-simple-same-namespace.yaml',
    'httproute-cross-namespace.yaml',
    'httproute-matching.yaml',
    'httproute-exact-path-matching.yaml',
    'httproute-path-match-order.yaml',
    'httproute-header-matching.yaml',
    'httproute-query-param-matching.yaml',
    'httproute-method-matching.yaml',
    'httproute-matching-across-routes.yaml',
    'httproute-named-rule.yaml',
    'httproute-omitted-backendrefs.yaml',
  ],
});
after(() => env.close());

test('HTTPRouteSimpleSameNamespace', { concurrency: true }, async (t) => {
  await env.use(['httproute-simple-same-namespace.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    { Request: { Path: '/' }, Response: { StatusCode: 200 }, Backend: 'infra-backend-v1', Namespace: INFRA },
  ]);
});

test('HTTPRouteCrossNamespace', { concurrency: true }, async (t) => {
  await env.use(['httproute-cross-namespace.yaml']);
  await runCases(t, env.gatewayAddr(infra('backend-namespaces')), [
    { Request: { Path: '/' }, Response: { StatusCode: 200 }, Backend: 'web-backend', Namespace: WEB },
  ]);
});

test('HTTPRouteMatching', { concurrency: true }, async (t) => {
  await env.use(['httproute-matching.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      Request: { Path: '/' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/example' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/', Headers: { Version: 'one' } },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/v2' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Path: '/v2/example' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Path: '/', Headers: { Version: 'two' } },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Path: '/v2/' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      // Not a path segment prefix so should not match /v2.
      Request: { Path: '/v2example' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/foo/v2/example' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
  ]);
});

test('HTTPRouteExactPathMatching', { concurrency: true }, async (t) => {
  await env.use(['httproute-exact-path-matching.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      Request: { Path: '/one' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/two' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Path: '/' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/one/example' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/two/' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/Two' },
      Response: { StatusCode: 404 },
    },
  ]);
});

test('HTTPRoutePathMatchOrder', { concurrency: true }, async (t) => {
  await env.use(['httproute-path-match-order.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      Request: { Path: '/match/exact/one' },
      Backend: 'infra-backend-v3',
      Namespace: ns,
    },
    {
      Request: { Path: '/match/exact' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Path: '/match' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/match/prefix/one/any' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Path: '/match/prefix/any' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/match/any' },
      Backend: 'infra-backend-v3',
      Namespace: ns,
    },
  ]);
});

test('HTTPRouteHeaderMatching', { concurrency: true }, async (t) => {
  await env.use(['httproute-header-matching.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      Request: { Path: '/', Headers: { Version: 'one' } },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/', Headers: { Version: 'two' } },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Path: '/', Headers: { Version: 'two', Color: 'orange' } },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/', Headers: { Version: 'two', Color: 'blue' } },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Path: '/', Headers: { Color: 'orange' } },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/', Headers: { 'Some-Other-Header': 'one' } },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/', Headers: { Color: 'blue' } },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/', Headers: { Color: 'green' } },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/', Headers: { Color: 'red' } },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Path: '/', Headers: { Color: 'yellow' } },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Path: '/', Headers: { Color: 'purple' } },
      Response: { StatusCode: 404 },
    },
  ]);
});

test('HTTPRouteQueryParamMatching', { concurrency: true }, async (t) => {
  await env.use(['httproute-query-param-matching.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      Request: { Path: '/?animal=whale' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/?animal=dolphin' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Path: '/?animal=dolphin&color=blue' },
      Backend: 'infra-backend-v3',
      Namespace: ns,
    },
    {
      Request: { Path: '/?ANIMAL=Whale' },
      Backend: 'infra-backend-v3',
      Namespace: ns,
    },
    {
      Request: { Path: '/?animal=whale&otherparam=irrelevant' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/?animal=dolphin&color=yellow' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Path: '/?color=blue' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/?animal=dog' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/?animal=whaledolphin' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/path1?animal=whale' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Headers: { version: 'one' }, Path: '/?animal=whale' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Headers: { version: 'two' }, Path: '/path2?animal=whale' },
      Backend: 'infra-backend-v3',
      Namespace: ns,
    },
    {
      Request: { Path: '/path3?animal=shark' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Headers: { version: 'three' }, Path: '/path4?animal=kraken' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/?animal=shark' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/path4?animal=kraken' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/path5?animal=hydra' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Headers: { version: 'four' }, Path: '/?animal=hydra' },
      Backend: 'infra-backend-v3',
      Namespace: ns,
    },
  ]);
});

test('HTTPRouteMethodMatching', { concurrency: true }, async (t) => {
  await env.use(['httproute-method-matching.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      Request: { Method: 'POST', Path: '/' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Method: 'GET', Path: '/' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Method: 'HEAD', Path: '/' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/path1', Method: 'GET' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Headers: { version: 'one' }, Path: '/', Method: 'PUT' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: { Headers: { version: 'two' }, Path: '/path2', Method: 'POST' },
      Backend: 'infra-backend-v3',
      Namespace: ns,
    },
    {
      Request: { Path: '/path3', Method: 'PATCH' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Headers: { version: 'three' }, Path: '/path4', Method: 'DELETE' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/', Method: 'PUT' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/path4', Method: 'DELETE' },
      Response: { StatusCode: 404 },
    },
    {
      Request: { Path: '/path5', Method: 'PATCH' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Headers: { version: 'four' }, Path: '/', Method: 'PATCH' },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
  ]);
});

test('HTTPRouteMatchingAcrossRoutes', { concurrency: true }, async (t) => {
  await env.use(['httproute-matching-across-routes.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      Request: {
        Host: 'example.com',
        Path: '/',
      },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: {
        Host: 'example.com',
        Path: '/example',
      },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: {
        Host: 'example.net',
        Path: '/example',
      },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: {
        Host: 'example.com',
        Path: '/example',
        Headers: { Version: 'one' },
      },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: {
        Host: 'example.com',
        Path: '/v2',
      },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: {
        // v2 matches are limited to example.com
        Host: 'example.net',
        Path: '/v2',
      },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: {
        Host: 'example.com',
        Path: '/v2/example',
      },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
    {
      Request: {
        Host: 'example.com',
        Path: '/',
        Headers: { Version: 'two' },
      },
      Backend: 'infra-backend-v2',
      Namespace: ns,
    },
  ]);
});

test('HTTPRouteNamedRule', { concurrency: true }, async (t) => {
  await env.use(['httproute-named-rule.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      Request: { Path: '/named' },
      Response: { StatusCode: 200 },
      Namespace: ns,
    },
    {
      Request: { Path: '/unnamed' },
      Response: { StatusCode: 200 },
      Namespace: ns,
    },
  ]);
});

test('HTTPRouteNoBackendRefs', { concurrency: true }, async (t) => {
  await env.use(['httproute-omitted-backendrefs.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      Request: { Path: '/forward' },
      Backend: 'infra-backend-v1',
      Namespace: ns,
    },
    {
      Request: { Path: '/omitted-no-forward' },
      Response: { StatusCode: 500 },
    },
    {
      Request: { Path: '/empty-no-forward' },
      Response: { StatusCode: 500 },
    },
  ]);
});
