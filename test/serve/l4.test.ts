// biome-ignore-all lint/suspicious/noExplicitAny: JSON from the admin API is probed field by field
// `portunus serve` with TCP, TLS (Passthrough) and UDP listeners: TCPRoute, TLSRoute and UDPRoute
// (v1alpha2, as most manifests in the wild say) to Services with EndpointSlices at local echo
// servers. Traffic goes through, and /status says the Gateway, its listeners and the routes are
// Accepted and Programmed. HTTPS and TLS passthrough listeners share a port, split by SNI.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import { echoUpstream, LineClient, udpConnectedRoundTrip, udpEcho, udpRoundTrip } from '../dataplane/l4/helpers.ts';
import { makeCA } from '../dataplane/tls/certs.ts';
import { freePort, getJson, serviceYaml, spawnServe, startBackend, tempDir, waitFor } from './harness.ts';

function route(kind: string, name: string, section: string, svc: string, port: number, hostnames?: string[]): string {
  return `apiVersion: gateway.networking.k8s.io/v1alpha2
kind: ${kind}
metadata:
  name: ${name}
  namespace: default
spec:
  parentRefs:
    - name: l4
      sectionName: ${section}${hostnames ? `\n  hostnames: [${hostnames.map((h) => JSON.stringify(h)).join(', ')}]` : ''}
  rules:
    - backendRefs:
        - name: ${svc}
          port: ${port}
`;
}

function condition(conditions: any[] | undefined, type: string): string | undefined {
  return conditions?.find((c: any) => c.type === type)?.status;
}

test('serve: TCP, TLS passthrough and UDP listeners carry traffic and are Accepted/Programmed in /status', async () => {
  const ca = makeCA('serve-l4-ca');
  const tcpUp = await echoUpstream('T');
  const tlsA = await echoUpstream('TA', ca.issue('a.example.com', ['DNS:a.example.com']));
  const tlsB = await echoUpstream('TB', ca.issue('b.example.com', ['DNS:b.example.com']));
  const udpUp = await udpEcho();
  const { dir, cleanup } = await tempDir();
  // TCP and UDP on one port number: different transports, both served.
  const l4Port = await freePort();
  const tlsPort = await freePort();
  const manifests = [
    `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: portunus
spec:
  controllerName: portunus.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: l4
  namespace: default
spec:
  gatewayClassName: portunus
  listeners:
    - name: tcp
      protocol: TCP
      port: ${l4Port}
    - name: udp
      protocol: UDP
      port: ${l4Port}
    - name: tls
      protocol: TLS
      port: ${tlsPort}
      tls:
        mode: Passthrough
`,
    serviceYaml('tcp-echo', tcpUp.port, 'TCP'),
    serviceYaml('tls-a', tlsA.port, 'TCP'),
    serviceYaml('tls-b', tlsB.port, 'TCP'),
    serviceYaml('udp-echo', udpUp.port, 'UDP'),
    route('TCPRoute', 'tcp', 'tcp', 'tcp-echo', tcpUp.port),
    route('TLSRoute', 'tls-a', 'tls', 'tls-a', tlsA.port, ['a.example.com']),
    route('TLSRoute', 'tls-b', 'tls', 'tls-b', tlsB.port, ['b.example.com']),
    route('UDPRoute', 'udp', 'udp', 'udp-echo', udpUp.port),
  ];
  await writeFile(join(dir, 'all.yaml'), manifests.join('---\n'));
  const serve = await spawnServe({ args: ['-f', dir, '--bind-address', '127.0.0.1'] });
  try {
    const status = await waitFor('ready', async () => {
      const s = await getJson(`${serve.admin}/status`);
      return s.ready ? s : undefined;
    });
    assert.deepEqual(status.applyErrors, []);
    const gw = status.resources.find((r: any) => r.kind === 'Gateway' && r.metadata.name === 'l4');
    assert.equal(condition(gw.status.conditions, 'Accepted'), 'True', JSON.stringify(gw.status));
    assert.equal(condition(gw.status.conditions, 'Programmed'), 'True', JSON.stringify(gw.status));
    for (const name of ['tcp', 'udp', 'tls']) {
      const l = gw.status.listeners.find((x: any) => x.name === name);
      assert.equal(condition(l.conditions, 'Accepted'), 'True', JSON.stringify(l));
      assert.equal(condition(l.conditions, 'Programmed'), 'True', JSON.stringify(l));
      assert.equal(l.attachedRoutes, name === 'tls' ? 2 : 1, JSON.stringify(l));
    }
    for (const [kind, name] of [
      ['TCPRoute', 'tcp'],
      ['TLSRoute', 'tls-a'],
      ['TLSRoute', 'tls-b'],
      ['UDPRoute', 'udp'],
    ]) {
      const r = status.resources.find((x: any) => x.kind === kind && x.metadata.name === name);
      const parent = r.status.parents[0];
      assert.equal(condition(parent.conditions, 'Accepted'), 'True', `${kind}/${name}: ${JSON.stringify(r.status)}`);
      assert.equal(
        condition(parent.conditions, 'ResolvedRefs'),
        'True',
        `${kind}/${name}: ${JSON.stringify(r.status)}`,
      );
    }
    const listening = status.listening.map((l: any) => `${l.port}/${l.protocol}`).sort();
    assert.deepEqual(listening, [`${l4Port}/TCP`, `${l4Port}/UDP`, `${tlsPort}/TLS`].sort());

    const tcp = LineClient.tcp(l4Port);
    assert.equal(await tcp.backend(), 'T');
    tcp.socket.write('ping\n');
    await tcp.waitFor(/ping\n/);
    // Half-close: the client's FIN reaches the backend, whose answer still comes back.
    tcp.socket.end();
    await tcp.waitFor(/bye T 5\n/);
    await tcp.done;
    tcp.socket.destroy();

    for (const [sni, name] of [
      ['a.example.com', 'TA'],
      ['b.example.com', 'TB'],
    ] as const) {
      const c = LineClient.tls(tlsPort, { servername: sni, ca: ca.caPem });
      await c.waitFor(new RegExp(`hello ${name} ${sni.replaceAll('.', '\\.')}`));
      c.socket.destroy();
    }

    // UDP is lossy by nature: a lost datagram is retried, a wrong answer fails.
    const reply = await waitFor('a UDP reply', () => udpRoundTrip(l4Port, 'hi', 1000).catch(() => undefined), 5_000);
    assert.equal(reply, 'echo:hi');
  } finally {
    await serve.stop();
    await Promise.all([tcpUp.close(), tlsA.close(), tlsB.close()]);
    udpUp.socket.close();
    await cleanup();
  }
});

test('serve: HTTPS and TLS passthrough listeners on one port are told apart by SNI', async () => {
  const ca = makeCA('serve-mixed-ca');
  const web = ca.issue('www.example.com', ['DNS:www.example.com']);
  const tlsA = await echoUpstream('TA', ca.issue('a.example.com', ['DNS:a.example.com']));
  const backend = await startBackend('web');
  const { dir, cleanup } = await tempDir();
  const port = await freePort();
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const manifests = [
    `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: portunus
spec:
  controllerName: portunus.dev/gateway-controller
---
apiVersion: v1
kind: Secret
metadata:
  name: web-cert
  namespace: default
type: kubernetes.io/tls
data:
  tls.crt: ${b64(web.certPem)}
  tls.key: ${b64(web.keyPem)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: l4
  namespace: default
spec:
  gatewayClassName: portunus
  listeners:
    - name: https
      protocol: HTTPS
      port: ${port}
      hostname: www.example.com
      tls:
        mode: Terminate
        certificateRefs:
          - name: web-cert
    - name: tls
      protocol: TLS
      port: ${port}
      hostname: a.example.com
      tls:
        mode: Passthrough
`,
    serviceYaml('web', backend.port, 'TCP'),
    serviceYaml('tls-a', tlsA.port, 'TCP'),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  namespace: default
spec:
  parentRefs:
    - name: l4
      sectionName: https
  rules:
    - backendRefs:
        - name: web
          port: ${backend.port}
`,
    route('TLSRoute', 'tls-a', 'tls', 'tls-a', tlsA.port, ['a.example.com']),
  ];
  await writeFile(join(dir, 'all.yaml'), manifests.join('---\n'));
  const serve = await spawnServe({ args: ['-f', dir, '--bind-address', '127.0.0.1'] });
  try {
    const status = await waitFor('ready', async () => {
      const s = await getJson(`${serve.admin}/status`);
      return s.ready ? s : undefined;
    });
    assert.deepEqual(status.applyErrors, []);
    const gw = status.resources.find((r: any) => r.kind === 'Gateway' && r.metadata.name === 'l4');
    for (const name of ['https', 'tls']) {
      const l = gw.status.listeners.find((x: any) => x.name === name);
      assert.equal(condition(l.conditions, 'Programmed'), 'True', JSON.stringify(l));
    }
    assert.deepEqual(
      status.listening.map((l: any) => `${l.port}/${l.protocol}`),
      [`${port}/HTTPS+TLS`],
    );
    const c = LineClient.tls(port, { servername: 'a.example.com', ca: ca.caPem });
    await c.waitFor(/hello TA a\.example\.com/);
    c.socket.destroy();
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsGet(
        {
          host: '127.0.0.1',
          port,
          path: '/x',
          servername: 'www.example.com',
          headers: { host: 'www.example.com' },
          ca: ca.caPem,
          agent: false,
        },
        (r) => {
          let b = '';
          r.setEncoding('utf8');
          r.on('data', (d: string) => {
            b += d;
          });
          r.on('end', () => resolve(b));
        },
      );
      req.on('error', reject);
    });
    assert.equal(JSON.parse(body).backend, 'web');
  } finally {
    await serve.stop();
    await Promise.all([tlsA.close(), backend.close()]);
    await cleanup();
  }
});

test('serve: two Gateways with UDP listeners on one port, told apart by their pool addresses', async () => {
  const [a, b] = await Promise.all([udpEcho('A:'), udpEcho('B:')]);
  const { dir, cleanup } = await tempDir();
  const port = await freePort();
  const gateway = (name: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: default
spec:
  gatewayClassName: portunus
  listeners:
    - name: udp
      protocol: UDP
      port: ${port}
`;
  const udpRoute = (gw: string, svc: string, p: number) => `apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata:
  name: ${gw}
  namespace: default
spec:
  parentRefs:
    - name: ${gw}
  rules:
    - backendRefs:
        - name: ${svc}
          port: ${p}
`;
  const manifests = [
    `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: portunus
spec:
  controllerName: portunus.dev/gateway-controller
`,
    gateway('one'),
    gateway('two'),
    serviceYaml('udp-a', a.port, 'UDP'),
    serviceYaml('udp-b', b.port, 'UDP'),
    udpRoute('one', 'udp-a', a.port),
    udpRoute('two', 'udp-b', b.port),
  ];
  await writeFile(join(dir, 'all.yaml'), manifests.join('---\n'));
  // No --bind-address: the listeners bind the wildcard address, each Gateway gets its own address.
  const serve = await spawnServe({ args: ['-f', dir, '--address-pool', '127.0.0.60-127.0.0.70'] });
  try {
    const status = await waitFor('ready', async () => {
      const s = await getJson(`${serve.admin}/status`);
      return s.ready ? s : undefined;
    });
    assert.deepEqual(status.applyErrors, []);
    const address = (name: string): string => {
      const gw = status.resources.find((r: any) => r.kind === 'Gateway' && r.metadata.name === name);
      const l = gw.status.listeners.find((x: any) => x.name === 'udp');
      assert.equal(condition(l.conditions, 'Programmed'), 'True', JSON.stringify(gw.status));
      assert.equal(l.attachedRoutes, 1, JSON.stringify(l));
      return gw.status.addresses[0].value;
    };
    const one = address('one');
    const two = address('two');
    assert.notEqual(one, two);
    // Connected clients (as DNS resolvers are): each reply must come from the address asked.
    const ask = (host: string, text: string) =>
      waitFor(`a UDP reply from ${host}`, () => udpConnectedRoundTrip(host, port, text, 500).catch(() => undefined));
    assert.equal(await ask(one, 'x'), 'A:x');
    assert.equal(await ask(two, 'y'), 'B:y');
  } finally {
    await serve.stop();
    a.socket.close();
    b.socket.close();
    await cleanup();
  }
});
