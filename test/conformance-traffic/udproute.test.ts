// Gateway API conformance (v1.6.1) UDPRoute scenarios (GATEWAY-UDP profile; experimental) with
// real datagrams through `portunus serve`: a DNS query to the CoreDNS stand-in, the upstream UDP
// echo server reached by port, sectionName and on every listener, a cross-namespace backend with
// and without its ReferenceGrant, weighted backends, and the oldest of two routes winning. Every
// client is a connected UDP socket (Go's net.Dial("udp")): a reply from any other address than
// the one it sent to is dropped, as upstream's would be.

import { after, test } from 'node:test';
import type { Doc } from '../conformance/harness.ts';
import { APP, INFRA, infra } from '../conformance/harness.ts';
import { startEnv } from './env.ts';
import { dnsQuery, expectUDPEcho, L4_TIMEOUT_MS, udpEchoSendOnce } from './l4.ts';
import { weightedDistribution } from './weight.ts';

const ns = INFRA;

const env = await startEnv({
  manifests: [
    'udproute-simple.yaml',
    'udproute-multiple-routes-attachment.yaml',
    'udproute-parentref-attach-all-listeners.yaml',
    'udproute-parentref-port-and-section-name.yaml',
    'udproute-reference-grant.yaml',
    'udproute-weighted-routing.yaml',
  ],
  l4Backends: true,
});
after(() => env.close());

/** extractBackendName of the upstream test: the pod name without its two generated suffixes. */
function backendOf(pod: string): string {
  const parts = pod.split('-');
  return parts.length < 3 ? pod : parts.slice(0, -2).join('-');
}

test('UDPRoute', async (t) => {
  await env.use(['udproute-simple.yaml']);
  const gwAddr = env.gatewayAddr(infra('udp-gateway'), 5300);
  await t.test('Simple UDP request matching UDPRoute should reach coredns backend', async () => {
    const deadline = Date.now() + L4_TIMEOUT_MS;
    for (;;) {
      try {
        const answers = await dnsQuery(gwAddr, 'foo.bar.com');
        if (answers.length > 0) return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`failed to perform DNS query: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  });
});

test('UDPRouteMultipleRoutesAttachment', async (t) => {
  const gwNN = infra('udp-multi-route-attach-gateway');
  const manifests = ['udproute-multiple-routes-attachment.yaml'];
  const older = (docs: Doc[]): void => {
    const d = docs.find((x) => x.kind === 'UDPRoute' && x.metadata?.name === 'udproute-attach-older');
    if (!d) throw new Error('TEST BUG: no udproute-attach-older');
    d.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
  };
  await env.use(manifests, older);
  const gwAddr = env.gatewayAddr(gwNN, 5301);
  await expectUDPEcho(gwAddr);
  await env.use(manifests, (docs) => {
    older(docs);
    docs.push({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'UDPRoute',
      metadata: { name: 'udproute-attach-newer', namespace: ns, creationTimestamp: '2026-01-01T00:00:01Z' },
      spec: {
        parentRefs: [{ name: gwNN.name, sectionName: 'udp' }],
        rules: [{ backendRefs: [{ name: 'udp-attach-backend-2', port: 8080 }] }],
      },
    });
  });
  await t.test('Only the oldest UDPRoute should receive traffic', async () => {
    const deadline = Date.now() + L4_TIMEOUT_MS;
    for (;;) {
      let failed: string | null = null;
      for (let i = 0; i < 20 && failed === null; i++) {
        let pod: string;
        try {
          pod = await udpEchoSendOnce(gwAddr);
        } catch (err) {
          failed = `UDP probe ${i + 1} failed: ${(err as Error).message}`;
          break;
        }
        const backend = backendOf(pod);
        if (backend !== 'udp-attach-backend-1')
          throw new Error(
            `UDP traffic reached unexpected backend "${backend}" (pod "${pod}"); only udp-attach-backend-1 should receive traffic`,
          );
      }
      if (failed === null) return;
      if (Date.now() > deadline) throw new Error(failed);
      await new Promise((r) => setTimeout(r, 250));
    }
  });
});

test('UDPRouteParentRefAttachAllListeners', { concurrency: true }, async (t) => {
  await env.use(['udproute-parentref-attach-all-listeners.yaml']);
  const gwNN = infra('udp-attach-all-listeners-gateway');
  const listeners: [string, number][] = [
    ['udp-1', 5310],
    ['udp-2', 5311],
    ['udp-3', 5312],
  ];
  await Promise.all(
    listeners.map(([listener, port]) =>
      t.test(`UDP echo via listener ${listener} reaches the backend`, () =>
        expectUDPEcho(env.gatewayAddr(gwNN, port), { Service: 'udp-echo-attach-all', Namespace: ns }),
      ),
    ),
  );
});

test('UDPRouteParentRefPortAndSectionName', async (t) => {
  await env.use(['udproute-parentref-port-and-section-name.yaml']);
  const gwNN = infra('udp-multi-listener-gateway');
  const cases: [string, number, string][] = [
    ['UDPRoute attaches to a UDP listener by port', 5300, 'udp-echo-by-port'],
    ['UDPRoute attaches to a UDP listener by sectionName', 5301, 'udp-echo-by-section'],
    ['UDPRoute attaches to a UDP listener by sectionName and port', 5302, 'udp-echo-by-section-and-port'],
  ];
  for (const [name, port, backend] of cases) {
    await t.test(name, () => expectUDPEcho(env.gatewayAddr(gwNN, port), { Service: backend, Namespace: ns }));
  }
});

test('UDPRouteReferenceGrant', async (t) => {
  await env.use(['udproute-reference-grant.yaml']);
  const gwAddr = env.gatewayAddr(infra('udp-gateway-reference-grant'), 5300);
  await t.test('UDP echo request reaches the cross-namespace backend while the ReferenceGrant exists', () =>
    expectUDPEcho(gwAddr),
  );
  // The reply names the backend: it is the one in the app-backend namespace.
  await expectUDPEcho(gwAddr, { Service: 'udp-echo-reference-grant', Namespace: APP });
  // Upstream deletes the ReferenceGrant and checks ResolvedRefs=False/RefNotPermitted (status
  // suite); here the data plane must also stop forwarding to the backend.
  await env.use(['udproute-reference-grant.yaml'], (docs) => {
    const i = docs.findIndex((d) => d.kind === 'ReferenceGrant' && d.metadata?.name === 'udp-reference-grant');
    if (i < 0) throw new Error('TEST BUG: no ReferenceGrant udp-reference-grant');
    docs.splice(i, 1);
  });
  await t.test('after the ReferenceGrant is deleted, datagrams no longer reach the backend', async () => {
    let pod: string | null = null;
    try {
      pod = await udpEchoSendOnce(gwAddr);
    } catch {
      // no reply: expected
    }
    if (pod !== null) throw new Error(`a datagram still reached ${pod} without a ReferenceGrant`);
  });
});

test('UDPRouteWeightedRouting', async (t) => {
  await env.use(['udproute-weighted-routing.yaml']);
  const gwAddr = env.gatewayAddr(infra('udp-weighted-gateway'), 5300);
  await t.test('UDP traffic should be distributed across the weighted backends', async () => {
    const expected = { 'udp-backend-v1': 0.7, 'udp-backend-v2': 0.3, 'udp-backend-v3': 0.0 };
    await expectUDPEcho(gwAddr);
    const errors: string[] = [];
    for (let i = 0; i < 10; i++) {
      const err = await weightedDistribution(() => udpEchoSendOnce(gwAddr), expected);
      if (err === null) return;
      errors.push(`attempt ${i + 1}/10: ${err}`);
    }
    throw new Error(`UDP weighted distribution did not converge within tolerance:\n${errors.join('\n')}`);
  });
});

// Upstream UDPRoute tests that send nothing (their route conditions are the whole test); they run
// in the status suite, test/conformance/l4route.test.ts.
const statusOnly = 'status-only upstream (no datagram is sent); see test/conformance/l4route.test.ts';
test.todo(`UDPRouteInvalidBackendRefNonexistent: ${statusOnly}`);
test.todo(`UDPRouteInvalidCrossNamespaceBackendRef: ${statusOnly}`);
test.todo(`UDPRouteNotAllowedByListeners: ${statusOnly}`);
