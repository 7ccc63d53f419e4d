import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translate } from '../../src/translate/index.ts';
import { renderStatusDocuments } from '../../src/translate/status.ts';
import { CONTROLLER, NOW, snapshotFromYaml } from './helpers.ts';

const INPUT = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: a}
spec: {}
status: {parents: []}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: a}
spec: {from: [], to: []}
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: a}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: b, namespace: z}
spec:
  gatewayClassName: portunus
  listeners: [{name: http, port: 80, protocol: HTTP}]
status: {conditions: []}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: a, namespace: z}
spec:
  gatewayClassName: other
  listeners: [{name: http, port: 80, protocol: HTTP}]
status: {conditions: [{type: Accepted, status: "True", reason: Accepted, message: theirs, lastTransitionTime: "2025-01-01T00:00:00Z"}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: portunus}
spec: {controllerName: ${CONTROLLER}}
`;

test('status documents: Gateway API kinds only, kind order then namespace/name; unmanaged status kept', () => {
  const snapshot = snapshotFromYaml(INPUT);
  const result = translate(snapshot, { controllerName: CONTROLLER, now: NOW });
  const docs = renderStatusDocuments(snapshot, result);
  assert.deepEqual(
    docs.map((d) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`),
    ['GatewayClass//portunus', 'Gateway/z/a', 'Gateway/z/b', 'HTTPRoute/a/r', 'ReferenceGrant/a/g'],
  );
  const theirs = docs[1]!.status as { conditions: { message: string }[] };
  assert.equal(theirs.conditions[0]!.message, 'theirs');
  const ours = docs[2]!.status as { conditions: { type: string }[] };
  assert.deepEqual(
    ours.conditions.map((c) => c.type),
    ['Accepted', 'Programmed', 'ResolvedRefs'],
  );
  // Inputs are not modified: the snapshot still has the old status.
  assert.deepEqual(snapshot.get('Gateway', 'z', 'b')!.status, { conditions: [] });
});
