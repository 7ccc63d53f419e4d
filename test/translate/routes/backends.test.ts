import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackendResolver } from '../../../src/translate/backends.ts';
import { ReferenceGrantIndex } from '../../../src/translate/referencegrant.ts';
import { snapshotFromYaml } from '../helpers.ts';

const YAML = `
apiVersion: v1
kind: Service
metadata: { name: api, namespace: backends }
spec:
  clusterIP: 10.96.0.1
  ports:
  - { name: http, port: 80, targetPort: web }
  - { name: ws, port: 81, appProtocol: kubernetes.io/ws }
---
apiVersion: v1
kind: Service
metadata: { name: other, namespace: backends }
spec:
  clusterIP: 10.96.0.2
  ports: [{ port: 80 }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: api-1, namespace: backends, labels: { kubernetes.io/service-name: api } }
addressType: IPv4
ports: [{ name: http, port: 8080 }, { name: ws, port: 9090 }]
endpoints:
- addresses: [10.1.0.2]
- addresses: [10.1.0.1]
  conditions: { ready: false }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: api-2, namespace: backends, labels: { kubernetes.io/service-name: api } }
addressType: IPv4
ports: [{ name: http, port: 8080 }]
endpoints:
- addresses: [10.1.0.1]
  conditions: { ready: true }
- addresses: [10.1.0.3, 10.1.0.33]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: unrelated, namespace: backends, labels: { kubernetes.io/service-name: other-svc } }
addressType: IPv4
ports: [{ port: 1 }]
endpoints: [{ addresses: [10.9.9.9] }]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: ext, namespace: backends }
spec:
  endpoints: [{ ip: { address: 192.0.2.1, port: 443 } }]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: http-to-api, namespace: backends }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps }]
  to: [{ group: "", kind: Service, name: api }]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: grpc-to-all, namespace: backends }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: GRPCRoute, namespace: apps }]
  to: [{ group: "", kind: Service }, { group: gateway.envoyproxy.io, kind: Backend }]
`;

const snapshot = snapshotFromYaml(YAML);
const resolver = new BackendResolver(snapshot, new ReferenceGrantIndex(snapshot));
const httpFrom = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'apps' };
const grpcFrom = { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', namespace: 'apps' };

function reason(r: ReturnType<BackendResolver['resolve']>): string {
  return r.ok ? 'ok' : r.reason;
}

test('cross-namespace backendRefs need a ReferenceGrant naming the referrer kind and target', () => {
  // Granted by name.
  assert.equal(reason(resolver.resolve({ name: 'api', namespace: 'backends', port: 80 }, httpFrom, 'http')), 'ok');
  // Grant names another Service.
  assert.equal(
    reason(resolver.resolve({ name: 'other', namespace: 'backends', port: 80 }, httpFrom, 'http')),
    'RefNotPermitted',
  );
  // Grant without name covers every Service, but only for GRPCRoute.
  assert.equal(reason(resolver.resolve({ name: 'other', namespace: 'backends', port: 80 }, grpcFrom, 'grpc')), 'ok');
  // Other route kinds and namespaces are not covered.
  assert.equal(
    reason(
      resolver.resolve({ name: 'api', namespace: 'backends', port: 80 }, { ...httpFrom, kind: 'TCPRoute' }, 'tcp'),
    ),
    'RefNotPermitted',
  );
  assert.equal(
    reason(
      resolver.resolve({ name: 'api', namespace: 'backends', port: 80 }, { ...httpFrom, namespace: 'other' }, 'http'),
    ),
    'RefNotPermitted',
  );
  // Same namespace never needs a grant.
  assert.equal(
    reason(resolver.resolve({ name: 'other', port: 80 }, { ...httpFrom, namespace: 'backends' }, 'http')),
    'ok',
  );
  // Backend kind: granted for GRPCRoute only.
  const be = { group: 'gateway.envoyproxy.io', kind: 'Backend', name: 'ext', namespace: 'backends' };
  assert.equal(reason(resolver.resolve(be, grpcFrom, 'grpc')), 'ok');
  assert.equal(reason(resolver.resolve(be, httpFrom, 'http')), 'RefNotPermitted');
  // The grant check comes before existence: a denied reference does not reveal whether it exists.
  assert.equal(
    reason(resolver.resolve({ name: 'nothing', namespace: 'backends', port: 80 }, httpFrom, 'http')),
    'RefNotPermitted',
  );
  assert.equal(
    reason(resolver.resolve({ name: 'nothing', namespace: 'backends', port: 80 }, grpcFrom, 'grpc')),
    'BackendNotFound',
  );
});

test('kinds other than Service and Backend are InvalidKind', () => {
  assert.equal(
    reason(resolver.resolve({ group: 'example.com', kind: 'Service', name: 'api', port: 80 }, httpFrom, 'http')),
    'InvalidKind',
  );
  assert.equal(reason(resolver.resolve({ kind: 'ConfigMap', name: 'api', port: 80 }, httpFrom, 'http')), 'InvalidKind');
});

test('endpoints come from EndpointSlices matched by port name, merged and sorted', () => {
  const r = resolver.resolve({ name: 'api', namespace: 'backends', port: 80 }, httpFrom, 'http');
  assert.ok(r.ok);
  assert.equal(r.cluster.name, 'service/backends/api/80');
  assert.equal(r.cluster.protocol, 'http1');
  assert.deepEqual(r.cluster.endpoints, [
    // 10.1.0.1 is not ready in one slice and ready in the other: ready wins.
    { address: '10.1.0.1', port: 8080, ready: true },
    { address: '10.1.0.2', port: 8080, ready: true },
    // Only the first of an endpoint's addresses is used.
    { address: '10.1.0.3', port: 8080, ready: true },
  ]);
  assert.deepEqual(r.origin, { kind: 'Service', namespace: 'backends', name: 'api', port: 80, portName: 'http' });
});

test('appProtocol picks the cluster protocol; gRPC cannot use a WebSocket port', () => {
  const ws = resolver.resolve({ name: 'api', namespace: 'backends', port: 81 }, httpFrom, 'http');
  assert.ok(ws.ok);
  assert.equal(ws.cluster.protocol, 'ws');
  assert.equal(ws.cluster.name, 'service/backends/api/81/ws');
  assert.deepEqual(
    ws.cluster.endpoints.map((e) => `${e.address}:${e.port}`),
    ['10.1.0.1:9090', '10.1.0.2:9090'],
  );
  assert.equal(
    reason(resolver.resolve({ name: 'api', namespace: 'backends', port: 81 }, grpcFrom, 'grpc')),
    'UnsupportedProtocol',
  );
  const grpc = resolver.resolve({ name: 'api', namespace: 'backends', port: 80 }, grpcFrom, 'grpc');
  assert.ok(grpc.ok);
  assert.equal(grpc.cluster.protocol, 'h2c');
});

test('missing Service, missing port and missing port number', () => {
  assert.equal(
    reason(resolver.resolve({ name: 'api', namespace: 'backends', port: 99 }, httpFrom, 'http')),
    'BackendNotFound',
  );
  assert.equal(reason(resolver.resolve({ name: 'api', namespace: 'backends' }, httpFrom, 'http')), 'UnsupportedValue');
  assert.equal(reason(resolver.resolve({ name: 'ghost', port: 80 }, httpFrom, 'http')), 'BackendNotFound');
});
