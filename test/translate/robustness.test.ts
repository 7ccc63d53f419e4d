// Objects that never pass API validation must still not break translation: the file provider
// validates, but the translator is also fed by other providers and older CRDs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource } from '../../src/api/types.ts';
import { Snapshot } from '../../src/provider/snapshot.ts';
import { translate } from '../../src/translate/index.ts';
import { CONTROLLER, NOW } from './helpers.ts';

const gc: Resource = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GatewayClass',
  metadata: { name: 'portunus' },
  spec: { controllerName: CONTROLLER },
};

function gateway(name: string, spec: unknown): Resource {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: 'ns' }, spec };
}

test('malformed Gateways, ListenerSets and Secrets translate without throwing', () => {
  const resources: Resource[] = [
    gc,
    gateway('no-listeners', { gatewayClassName: 'portunus' }),
    gateway('odd-listeners', {
      gatewayClassName: 'portunus',
      allowedListeners: { namespaces: { from: 'Selector' } },
      addresses: [{}, { type: 'IPAddress', value: 'not-an-ip' }],
      listeners: [
        { name: 'no-port', protocol: 'HTTP' },
        { name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'bad-base64' }] } },
        { name: 'kinds', port: 80, protocol: 'HTTP', allowedRoutes: { kinds: [], namespaces: {} } },
        { name: 'tls-no-refs', port: 8443, protocol: 'TLS', tls: {} },
      ],
      tls: { frontend: { default: { validation: {} } }, backend: { clientCertificateRef: { name: 'missing' } } },
    }),
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'ListenerSet',
      metadata: { name: 'no-spec', namespace: 'ns' },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'ListenerSet',
      metadata: { name: 'no-listeners', namespace: 'ns' },
      spec: { parentRef: { name: 'odd-listeners' } },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bad-base64', namespace: 'ns' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': '!!!', 'tls.key': '###' },
    },
  ];
  const result = translate(new Snapshot(resources.map((resource) => ({ resource }))), {
    controllerName: CONTROLLER,
    now: NOW,
  });
  const kinds = result.statuses.map((s) => `${s.resource.kind}/${s.resource.metadata.name}`);
  assert.deepEqual(kinds, [
    'GatewayClass/portunus',
    'Gateway/no-listeners',
    'Gateway/odd-listeners',
    'ListenerSet/no-listeners',
  ]);
  const odd = result.statuses[2]!.status as { conditions: { type: string; reason: string }[] };
  assert.equal(odd.conditions.find((c) => c.type === 'Accepted')?.reason, 'UnsupportedAddress');
});
