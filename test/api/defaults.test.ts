import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDefaults } from '../../src/api/defaults.ts';
import { resolveKind, servedApiVersions } from '../../src/api/kinds.ts';
import type { Gateway, GRPCRoute, HTTPRoute, Resource } from '../../src/api/types.ts';

test('Gateway: listener allowedRoutes, tls mode and certificateRef group/kind, address type, allowedListeners', () => {
  const input: Gateway = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'g' },
    spec: {
      gatewayClassName: 'c',
      listeners: [
        { name: 'http', port: 80, protocol: 'HTTP' },
        {
          name: 'https',
          port: 443,
          protocol: 'HTTPS',
          tls: { certificateRefs: [{ name: 'cert' }] },
          allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }] },
        },
      ],
      addresses: [{ value: '10.0.0.1' }],
      allowedListeners: {},
    },
  };
  const g = applyDefaults(input);
  assert.equal(input.metadata.namespace, undefined, 'the input is not modified');
  assert.equal(g.metadata.namespace, 'default');
  assert.equal(g.metadata.generation, 1);
  assert.deepEqual(g.spec?.listeners[0]?.allowedRoutes, { namespaces: { from: 'Same' } });
  assert.deepEqual(g.spec?.listeners[1]?.tls, {
    mode: 'Terminate',
    certificateRefs: [{ name: 'cert', group: '', kind: 'Secret' }],
  });
  assert.deepEqual(g.spec?.listeners[1]?.allowedRoutes, {
    kinds: [{ kind: 'HTTPRoute', group: 'gateway.networking.k8s.io' }],
    namespaces: { from: 'Same' },
  });
  assert.deepEqual(g.spec?.addresses, [{ value: '10.0.0.1', type: 'IPAddress' }]);
  assert.deepEqual(g.spec?.allowedListeners, { namespaces: { from: 'None' } });
});

test('HTTPRoute: rules, matches, path, header/query match type, backendRef, redirect statusCode, parentRef', () => {
  const noRules = applyDefaults({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r', namespace: 'apps' },
    spec: { parentRefs: [{ name: 'web' }] },
  } as HTTPRoute);
  assert.deepEqual(noRules.spec?.rules, [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]);
  assert.deepEqual(noRules.spec?.parentRefs, [{ name: 'web', group: 'gateway.networking.k8s.io', kind: 'Gateway' }]);
  assert.equal(noRules.metadata.namespace, 'apps');

  const r = applyDefaults({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r', creationTimestamp: '2026-01-01T00:00:00Z', generation: 7 },
    spec: {
      rules: [
        {
          matches: [
            { headers: [{ name: 'a', value: 'b' }], queryParams: [{ name: 'q', value: 'v' }] },
            { path: { value: '/x' } },
          ],
          filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }],
        },
        {
          backendRefs: [
            {
              name: 'app',
              port: 80,
              filters: [
                {
                  type: 'RequestMirror',
                  requestMirror: { backendRef: { name: 'm', port: 1 }, fraction: { numerator: 1 } },
                },
              ],
            },
          ],
        },
      ],
    },
  } as HTTPRoute);
  const [r0, r1] = r.spec!.rules!;
  assert.deepEqual(r0?.matches, [
    {
      headers: [{ name: 'a', value: 'b', type: 'Exact' }],
      queryParams: [{ name: 'q', value: 'v', type: 'Exact' }],
      path: { type: 'PathPrefix', value: '/' },
    },
    { path: { value: '/x', type: 'PathPrefix' } },
  ]);
  assert.equal(r0?.filters?.[0]?.requestRedirect?.statusCode, 302);
  assert.deepEqual(r1?.matches, [{ path: { type: 'PathPrefix', value: '/' } }]);
  const b = r1?.backendRefs?.[0];
  assert.equal(b?.group, '');
  assert.equal(b?.kind, 'Service');
  assert.equal(b?.weight, 1);
  assert.deepEqual(b?.filters?.[0]?.requestMirror, {
    backendRef: { name: 'm', port: 1, group: '', kind: 'Service' },
    fraction: { numerator: 1, denominator: 100 },
  });
  // Kept as written, never invented.
  assert.equal(r.metadata.creationTimestamp, '2026-01-01T00:00:00Z');
  assert.equal(r.metadata.generation, 7);
});

test('GRPCRoute method match type, L4 backendRef weight, ListenerSet parentRef, Service ports', () => {
  const g = applyDefaults({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: { name: 'g' },
    spec: { rules: [{ matches: [{ method: { service: 'echo.Echo' }, headers: [{ name: 'h', value: 'v' }] }] }] },
  } as GRPCRoute);
  assert.deepEqual(g.spec?.rules?.[0]?.matches?.[0], {
    method: { service: 'echo.Echo', type: 'Exact' },
    headers: [{ name: 'h', value: 'v', type: 'Exact' }],
  });
  assert.equal(g.spec?.rules?.[0]?.matches?.[0]?.method?.type, 'Exact');

  const tcp = applyDefaults({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'TCPRoute',
    metadata: { name: 't' },
    spec: { rules: [{ backendRefs: [{ name: 'a', port: 1 }] }] },
  } as Resource);
  assert.deepEqual((tcp.spec as { rules: { backendRefs: unknown[] }[] }).rules[0]!.backendRefs[0], {
    name: 'a',
    port: 1,
    group: '',
    kind: 'Service',
    weight: 1,
  });

  const ls = applyDefaults({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'ListenerSet',
    metadata: { name: 'l' },
    spec: { parentRef: { name: 'web' }, listeners: [] },
  } as Resource);
  assert.deepEqual((ls.spec as { parentRef: unknown }).parentRef, {
    name: 'web',
    group: 'gateway.networking.k8s.io',
    kind: 'Gateway',
  });

  const svc = applyDefaults({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: '' },
    spec: { ports: [{ port: 80 }] },
  } as Resource);
  assert.equal(svc.metadata.namespace, 'default');
  assert.deepEqual((svc.spec as { ports: unknown[] }).ports[0], { port: 80, protocol: 'TCP', targetPort: 80 });
});

test('defaults leave values of the wrong type for validation to report', () => {
  const r = applyDefaults({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r' },
    spec: { rules: 'nope' },
  } as unknown as Resource);
  assert.equal((r.spec as { rules: unknown }).rules, 'nope');
});

test('served versions per kind (Gateway API v1.6.1)', () => {
  assert.deepEqual(servedApiVersions('HTTPRoute'), [
    'gateway.networking.k8s.io/v1',
    'gateway.networking.k8s.io/v1beta1',
  ]);
  assert.deepEqual(servedApiVersions('TLSRoute'), [
    'gateway.networking.k8s.io/v1',
    'gateway.networking.k8s.io/v1alpha2',
    'gateway.networking.k8s.io/v1alpha3',
  ]);
  assert.deepEqual(servedApiVersions('ListenerSet'), ['gateway.networking.k8s.io/v1']);
  assert.deepEqual(servedApiVersions('EndpointSlice'), ['discovery.k8s.io/v1']);
  assert.equal(resolveKind('gateway.networking.k8s.io/v1', 'TCPRoute')?.warning, undefined);
  assert.match(resolveKind('gateway.networking.k8s.io/v1alpha2', 'TCPRoute')?.warning ?? '', /deprecated/);
  assert.equal(resolveKind('gateway.networking.k8s.io/v1beta1', 'GRPCRoute'), undefined);
  assert.equal(resolveKind('v1', 'Pod'), undefined);
  assert.equal(resolveKind('gateway.networking.x-k8s.io/v1alpha1', 'XListenerSet')?.kind, 'ListenerSet');
  assert.equal(resolveKind('gateway.envoyproxy.io/v1alpha1', 'Backend')?.namespaced, true);
  assert.equal(resolveKind('v1', 'Namespace')?.namespaced, false);
});

test('null fields (an empty YAML value) are dropped before defaulting, as the API server prunes them', () => {
  const g = applyDefaults({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'g', labels: null },
    spec: {
      gatewayClassName: 'c',
      listeners: [{ name: 'http', port: 80, protocol: 'HTTP', tls: null, allowedRoutes: null }],
    },
  } as unknown as Gateway);
  assert.equal('labels' in g.metadata, false);
  assert.deepEqual(g.spec?.listeners[0], {
    name: 'http',
    port: 80,
    protocol: 'HTTP',
    allowedRoutes: { namespaces: { from: 'Same' } },
  });
});
