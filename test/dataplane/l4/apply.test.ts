// Layer-4 listeners served through createDataPlane().apply(): TCP, TLS passthrough by SNI, UDP,
// config swaps that keep open connections on their backend, bind failures reported per listener,
// a port shared by HTTPS and TLS-passthrough listeners, Gateway addresses, and draining at close.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../../src/dataplane/index.ts';
import type { ClusterIR, GatewayIR, IR, ListenerIR } from '../../../src/ir/types.ts';
import { type EchoServer, echoServer, forward, freePort, cluster as httpCluster, route } from '../helpers.ts';
import { type CA, certIR, type Leaf, makeCA } from '../tls/certs.ts';
import {
  cluster,
  echoUpstream,
  LineClient,
  l4route,
  RecordingObserver,
  tcpListener,
  type Upstream,
  udpConnectedRoundTrip,
  udpEcho,
  udpRoundTrip,
  waitUntil,
} from './helpers.ts';

let ca: CA;
let certA: Leaf;
let certB: Leaf;
let certWeb: Leaf;
let upA: Upstream;
let upB: Upstream;
let tlsA: Upstream;
let tlsB: Upstream;
let web: EchoServer;

before(async () => {
  ca = makeCA('apply-ca');
  certA = ca.issue('a.example.com', ['DNS:a.example.com']);
  certB = ca.issue('b.example.com', ['DNS:b.example.com']);
  certWeb = ca.issue('www.example.com', ['DNS:www.example.com']);
  [upA, upB, tlsA, tlsB] = await Promise.all([
    echoUpstream('A'),
    echoUpstream('B'),
    echoUpstream('TA', certA),
    echoUpstream('TB', certB),
  ]);
  web = await echoServer('web');
});
after(async () => {
  await Promise.all([upA, upB, tlsA, tlsB, web].map((u) => u.close()));
});

function gateway(listeners: ListenerIR[], clusters: ClusterIR[], extra: Partial<GatewayIR> = {}): GatewayIR {
  return {
    name: 'default/gw',
    namespace: 'default',
    gatewayClassName: 'portunus',
    addresses: [],
    listeners,
    clusters,
    ...extra,
  };
}

function ir(...gateways: GatewayIR[]): IR {
  return { apiVersion: 'portunus.dev/ir/v1', gateways };
}

function passthrough(port: number, name: string, hostname: string | null, routes: ListenerIR['tlsRoutes']): ListenerIR {
  return {
    name,
    sectionName: name.split('/').pop()!,
    port,
    protocol: 'TLS',
    hostname,
    tls: { mode: 'Passthrough', certificates: [] },
    tlsRoutes: routes,
  };
}

function udpListener(port: number, clusterName: string): ListenerIR {
  return {
    name: 'default/gw/udp',
    sectionName: 'udp',
    port,
    protocol: 'UDP',
    hostname: null,
    udpRoute: l4route('UDPRoute/default/u', [[clusterName, 1]]),
  };
}

test('TCP listener: proxies to the TCPRoute backend, listening() reports it, an access record is emitted', async () => {
  const obs = new RecordingObserver();
  const dp = createDataPlane({ bindAddress: '127.0.0.1', observer: obs });
  const port = await freePort();
  try {
    const res = await dp.apply(
      ir(gateway([tcpListener(port, l4route('TCPRoute/default/t', [['a', 1]]))], [cluster('a', [upA.port])])),
      'v1',
    );
    assert.deepEqual(res.errors, []);
    assert.deepEqual(dp.listening(), [{ port, protocol: 'TCP', address: '127.0.0.1' }]);
    const c = LineClient.tcp(port);
    assert.equal(await c.backend(), 'A');
    c.socket.write('ping\n');
    await c.waitFor(/ping\n/);
    c.socket.end();
    await c.waitFor(/bye A 5\n/);
    await waitUntil(() => obs.records.length === 1);
    const r = obs.records[0]!;
    assert.equal(r.protocol, 'TCP');
    assert.equal(r.route, 'TCPRoute/default/t');
    assert.equal(r.upstreamCluster, 'a');
    assert.equal(r.responseFlags, '-');
  } finally {
    await dp.close({ graceMs: 0 });
  }
});

test('TLS passthrough listener: SNI picks the TLSRoute, each backend presents its own certificate', async () => {
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  const port = await freePort();
  try {
    const routes = [
      l4route('TLSRoute/default/a', [['ta', 1]], ['a.example.com']),
      l4route('TLSRoute/default/b', [['tb', 1]], ['b.example.com']),
    ];
    const res = await dp.apply(
      ir(
        gateway(
          [passthrough(port, 'default/gw/tls', null, routes)],
          [cluster('ta', [tlsA.port]), cluster('tb', [tlsB.port])],
        ),
      ),
      'v1',
    );
    assert.deepEqual(res.errors, []);
    assert.deepEqual(dp.listening(), [{ port, protocol: 'TLS', address: '127.0.0.1' }]);
    for (const [sni, name] of [
      ['a.example.com', 'TA'],
      ['b.example.com', 'TB'],
    ] as const) {
      const c = LineClient.tls(port, { servername: sni, ca: ca.caPem });
      // The greeting carries the SNI the backend saw: the bytes were not terminated on the way.
      await c.waitFor(new RegExp('hello ' + name + ' ' + sni.replaceAll('.', '\\.')));
      c.socket.destroy();
    }
    const unknown = LineClient.tls(port, { servername: 'c.example.com', ca: ca.caPem });
    await unknown.closed;
    assert.equal(unknown.text, '');
  } finally {
    await dp.close({ graceMs: 0 });
  }
});

test('TLS Terminate listener: the handshake ends at the gateway, plaintext reaches the TLSRoute backend; bad certificates are reported', async () => {
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  const port = await freePort();
  const terminate = (certificates: ReturnType<typeof certIR>[]): IR =>
    ir(
      gateway(
        [
          {
            name: 'default/gw/term',
            sectionName: 'term',
            port,
            protocol: 'TLS',
            hostname: 'www.example.com',
            tls: { mode: 'Terminate', certificates },
            tlsRoutes: [l4route('TLSRoute/default/t', [['a', 1]], ['www.example.com'])],
          },
        ],
        [cluster('a', [upA.port])],
      ),
    );
  try {
    assert.deepEqual((await dp.apply(terminate([certIR(certWeb, ['www.example.com'])]), 'v1')).errors, []);
    const c = LineClient.tls(port, { servername: 'www.example.com', ca: ca.caPem });
    // The plain backend saw no TLS (no SNI): the gateway terminated it.
    await c.waitFor(/hello A - -\n/);
    c.socket.destroy();
    const bad = await dp.apply(
      terminate([
        { source: 'default/bad', certPem: 'not a certificate', keyPem: 'nope', dnsNames: ['www.example.com'] },
      ]),
      'v2',
    );
    assert.equal(bad.errors.length, 1);
    assert.equal(bad.errors[0]!.listener, 'default/gw/term');
    assert.equal(bad.errors[0]!.code, 'ETLSCONFIG');
  } finally {
    await dp.close({ graceMs: 0 });
  }
});

test('UDP listener: a datagram round trip through the UDPRoute; TCP on the same port number is another socket', async () => {
  const echo = await udpEcho();
  const obs = new RecordingObserver();
  const dp = createDataPlane({ bindAddress: '127.0.0.1', observer: obs, udp: { sessionIdleMs: 100 } });
  const port = await freePort();
  try {
    const res = await dp.apply(
      ir(
        gateway(
          [udpListener(port, 'u'), tcpListener(port, l4route('TCPRoute/default/t', [['a', 1]]))],
          [cluster('u', [echo.port], { protocol: 'udp' }), cluster('a', [upA.port])],
        ),
      ),
      'v1',
    );
    assert.deepEqual(res.errors, []);
    assert.deepEqual(
      dp.listening().map((l) => l.protocol),
      ['TCP', 'UDP'],
    );
    assert.equal(await udpRoundTrip(port, 'hi'), 'echo:hi');
    const c = LineClient.tcp(port);
    assert.equal(await c.backend(), 'A');
    c.socket.destroy();
    await waitUntil(() => obs.records.some((r) => r.protocol === 'UDP'));
    const u = obs.records.find((r) => r.protocol === 'UDP')!;
    assert.equal(u.route, 'UDPRoute/default/u');
    assert.equal(u.bytesReceived, 2);
    assert.equal(u.bytesSent, 7);
  } finally {
    await dp.close({ graceMs: 0 });
    echo.socket.close();
  }
});

test('config swap: new TCP connections go to the new backend, an open one stays on the old; the port is not rebound', async () => {
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  const port = await freePort();
  const version = (c: string) =>
    ir(
      gateway(
        [tcpListener(port, l4route('TCPRoute/default/t', [[c, 1]]))],
        [cluster('a', [upA.port]), cluster('b', [upB.port])],
      ),
    );
  try {
    assert.deepEqual((await dp.apply(version('a'), 'v1')).errors, []);
    const old = LineClient.tcp(port);
    assert.equal(await old.backend(), 'A');
    // While v2 is applied, nobody else may take the port: it stays bound the whole time.
    assert.deepEqual((await dp.apply(version('b'), 'v2')).errors, []);
    const fresh = LineClient.tcp(port);
    assert.equal(await fresh.backend(), 'B');
    old.socket.write('still\n');
    await old.waitFor(/still\n/);
    old.socket.end();
    await old.waitFor(/bye A 6\n/);
    fresh.socket.destroy();
    // Moving the port to UDP only frees the TCP side.
    const echo = await udpEcho();
    try {
      const res = await dp.apply(ir(gateway([udpListener(port, 'u')], [cluster('u', [echo.port])])), 'v3');
      assert.deepEqual(res.errors, []);
      assert.deepEqual(dp.listening(), [{ port, protocol: 'UDP', address: '127.0.0.1' }]);
      const refused = LineClient.tcp(port);
      await refused.closed;
      assert.equal(refused.error?.message.includes('ECONNREFUSED'), true);
    } finally {
      echo.socket.close();
    }
  } finally {
    await dp.close({ graceMs: 0 });
  }
});

test('a removed TCP port stops accepting at once while its open connection keeps flowing', async () => {
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  const port = await freePort();
  const other = await freePort();
  try {
    await dp.apply(
      ir(gateway([tcpListener(port, l4route('TCPRoute/default/t', [['a', 1]]))], [cluster('a', [upA.port])])),
      'v1',
    );
    const open = LineClient.tcp(port);
    assert.equal(await open.backend(), 'A');
    const res = await dp.apply(
      ir(gateway([tcpListener(other, l4route('TCPRoute/default/t', [['b', 1]]))], [cluster('b', [upB.port])])),
      'v2',
    );
    assert.deepEqual(res.errors, []);
    assert.deepEqual(
      dp.listening().map((l) => l.port),
      [other],
    );
    const refused = LineClient.tcp(port);
    await refused.closed;
    assert.match(String(refused.error), /ECONNREFUSED/);
    open.socket.write('after\n');
    await open.waitFor(/after\n/);
    open.socket.end();
    await open.waitFor(/bye A 6\n/);
  } finally {
    await dp.close({ graceMs: 0 });
  }
});

test('bind failure: a TCP port in use is reported for its listener while another TCP port serves', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const busy = (blocker.address() as net.AddressInfo).port;
  const free = await freePort();
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  try {
    const res = await dp.apply(
      ir(
        gateway(
          [
            tcpListener(busy, l4route('TCPRoute/default/x', [['a', 1]]), 'default/gw/busy'),
            tcpListener(free, l4route('TCPRoute/default/y', [['a', 1]]), 'default/gw/free'),
          ],
          [cluster('a', [upA.port])],
        ),
      ),
      'v1',
    );
    assert.equal(res.errors.length, 1);
    assert.equal(res.errors[0]!.listener, 'default/gw/busy');
    assert.equal(res.errors[0]!.port, busy);
    assert.equal(res.errors[0]!.code, 'EADDRINUSE');
    assert.deepEqual(
      dp.listening().map((l) => l.port),
      [free],
    );
    const c = LineClient.tcp(free);
    assert.equal(await c.backend(), 'A');
    c.socket.destroy();
  } finally {
    await dp.close({ graceMs: 0 });
    await new Promise((r) => blocker.close(r));
  }
});

test('HTTPS and TLS passthrough on one port: passthrough SNI names reach the TLS backend, others terminate', async () => {
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  const port = await freePort();
  const httpsListener: ListenerIR = {
    name: 'default/gw/https',
    sectionName: 'https',
    port,
    protocol: 'HTTPS',
    hostname: 'www.example.com',
    tls: { mode: 'Terminate', certificates: [certIR(certWeb, ['www.example.com'])] },
    virtualHosts: [{ hostname: 'www.example.com', routes: [route({ action: forward('web') })] }],
  };
  try {
    const res = await dp.apply(
      ir(
        gateway(
          [
            httpsListener,
            passthrough(port, 'default/gw/pass', '*.example.com', [
              l4route('TLSRoute/default/a', [['ta', 1]], ['a.example.com']),
            ]),
          ],
          [cluster('ta', [tlsA.port]), httpCluster('web', [web.port])],
        ),
      ),
      'v1',
    );
    assert.deepEqual(res.errors, []);
    assert.deepEqual(dp.listening(), [{ port, protocol: 'HTTPS+TLS', address: '127.0.0.1' }]);
    const c = LineClient.tls(port, { servername: 'a.example.com', ca: ca.caPem });
    await c.waitFor(/hello TA a\.example\.com/);
    c.socket.destroy();
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.get(
        { host: '127.0.0.1', port, servername: 'www.example.com', headers: { host: 'www.example.com' }, ca: ca.caPem },
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
    // A swap keeps the port and the split: still both ways.
    assert.deepEqual(
      (
        await dp.apply(
          ir(
            gateway(
              [
                httpsListener,
                passthrough(port, 'default/gw/pass', '*.example.com', [
                  l4route('TLSRoute/default/a', [['tb', 1]], ['a.example.com']),
                ]),
              ],
              [cluster('tb', [tlsB.port]), httpCluster('web', [web.port])],
            ),
          ),
          'v2',
        )
      ).errors,
      [],
    );
    const c2 = LineClient.tls(port, { servername: 'a.example.com', rejectUnauthorized: false });
    await c2.waitFor(/hello TB a\.example\.com/);
    c2.socket.destroy();
  } finally {
    await dp.close({ graceMs: 0 });
  }
});

test('HTTPS of one Gateway and TLS passthrough of another on one port, by address: the passthrough address never offers the HTTPS certificate', async () => {
  const dp = createDataPlane({ bindAddress: '0.0.0.0' });
  const port = await freePort();
  const httpsListener: ListenerIR = {
    name: 'default/web/https',
    sectionName: 'https',
    port,
    protocol: 'HTTPS',
    hostname: 'www.example.com',
    tls: { mode: 'Terminate', certificates: [certIR(certWeb, ['www.example.com'])] },
    virtualHosts: [{ hostname: 'www.example.com', routes: [route({ action: forward('web') })] }],
  };
  // TLS handshake outcome for an SNI name at an address: the certificate's CN, or 'closed'.
  const handshake = (host: string, servername: string) =>
    new Promise<string>((resolve) => {
      const s = tls.connect({ host, port, servername, rejectUnauthorized: false });
      s.once('secureConnect', () => {
        resolve(String(s.getPeerCertificate().subject?.CN ?? ''));
        s.destroy();
      });
      s.once('error', () => resolve('closed'));
    });
  try {
    const res = await dp.apply(
      ir(
        gateway([httpsListener], [httpCluster('web', [web.port])], { name: 'default/web', addresses: ['127.0.0.2'] }),
        gateway(
          [
            passthrough(port, 'default/pass/tls', 'a.example.com', [
              l4route('TLSRoute/default/a', [['ta', 1]], ['a.example.com']),
            ]),
          ],
          [cluster('ta', [tlsA.port])],
          { name: 'default/pass', addresses: ['127.0.0.3'] },
        ),
      ),
      'v1',
    );
    assert.deepEqual(res.errors, []);
    assert.equal(await handshake('127.0.0.2', 'www.example.com'), 'www.example.com');
    assert.equal(await handshake('127.0.0.3', 'a.example.com'), 'a.example.com');
    // Names the passthrough Gateway does not serve are closed at its address, HTTPS names included.
    assert.equal(await handshake('127.0.0.3', 'www.example.com'), 'closed');
    assert.equal(await handshake('127.0.0.3', 'other.example.com'), 'closed');
  } finally {
    await dp.close({ graceMs: 0 });
  }
});

test('a port moving from HTTPS alone to HTTPS + TLS passthrough: HTTPS keeps answering, passthrough starts', async () => {
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  const port = await freePort();
  const httpsListener: ListenerIR = {
    name: 'default/gw/https',
    sectionName: 'https',
    port,
    protocol: 'HTTPS',
    hostname: 'www.example.com',
    tls: { mode: 'Terminate', certificates: [certIR(certWeb, ['www.example.com'])] },
    virtualHosts: [{ hostname: 'www.example.com', routes: [route({ action: forward('web') })] }],
  };
  const get = () =>
    new Promise<string>((resolve, reject) => {
      const req = https.get(
        {
          host: '127.0.0.1',
          port,
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
          r.on('end', () => resolve(JSON.parse(b).backend));
        },
      );
      req.on('error', reject);
    });
  try {
    assert.deepEqual((await dp.apply(ir(gateway([httpsListener], [httpCluster('web', [web.port])])), 'v1')).errors, []);
    assert.equal(await get(), 'web');
    const before = LineClient.tls(port, { servername: 'a.example.com', rejectUnauthorized: false });
    // HTTPS terminates it (fallback certificate) and answers HTTP: no passthrough yet.
    before.socket.write('GET / HTTP/1.1\r\nhost: a.example.com\r\n\r\n');
    await before.waitFor(/^HTTP\/1\.1 \d{3}/);
    before.socket.destroy();
    const res = await dp.apply(
      ir(
        gateway(
          [
            httpsListener,
            passthrough(port, 'default/gw/pass', 'a.example.com', [l4route('TLSRoute/default/a', [['ta', 1]])]),
          ],
          [cluster('ta', [tlsA.port]), httpCluster('web', [web.port])],
        ),
      ),
      'v2',
    );
    assert.deepEqual(res.errors, []);
    assert.equal(await get(), 'web');
    const c = LineClient.tls(port, { servername: 'a.example.com', ca: ca.caPem });
    await c.waitFor(/hello TA a\.example\.com/);
    c.socket.destroy();
  } finally {
    await dp.close({ graceMs: 0 });
  }
});

test('Gateway addresses: a TCP connection reaches the listener of the Gateway that names its local address', async () => {
  const dp = createDataPlane({ bindAddress: '0.0.0.0' });
  const port = await freePort();
  try {
    const res = await dp.apply(
      ir(
        gateway(
          [tcpListener(port, l4route('TCPRoute/default/a', [['a', 1]]), 'default/one/tcp')],
          [cluster('a', [upA.port])],
          {
            name: 'default/one',
            addresses: ['127.0.0.2'],
          },
        ),
        gateway(
          [tcpListener(port, l4route('TCPRoute/default/b', [['b', 1]]), 'default/two/tcp')],
          [cluster('b', [upB.port])],
          {
            name: 'default/two',
          },
        ),
      ),
      'v1',
    );
    assert.deepEqual(res.errors, []);
    const one = new LineClient(net.connect({ port, host: '127.0.0.2' }));
    assert.equal(await one.backend(), 'A');
    const two = LineClient.tcp(port);
    assert.equal(await two.backend(), 'B');
    one.socket.destroy();
    two.socket.destroy();
  } finally {
    await dp.close({ graceMs: 0 });
  }
});

test('Gateway addresses on one UDP port: each address answers from its own socket with its own route; addresses come and go with the config', async () => {
  const [a, b, c, d] = await Promise.all([udpEcho('A:'), udpEcho('B:'), udpEcho('C:'), udpEcho('D:')]);
  const dp = createDataPlane({ bindAddress: '0.0.0.0' });
  const port = await freePort();
  const udpGateway = (name: string, echo: { port: number }, addresses: string[]): GatewayIR =>
    gateway(
      [
        {
          ...udpListener(port, name),
          name: 'default/' + name + '/udp',
          udpRoute: l4route('UDPRoute/default/' + name, [[name, 1]]),
        },
      ],
      [cluster(name, [echo.port], { protocol: 'udp' })],
      { name: 'default/' + name, addresses },
    );
  try {
    const res = await dp.apply(
      ir(udpGateway('a', a, ['127.0.0.2']), udpGateway('b', b, ['127.0.0.3']), udpGateway('c', c, [])),
      'v1',
    );
    assert.deepEqual(res.errors, []);
    // Connected clients: a reply from another source address than the one asked would be dropped.
    assert.equal(await udpConnectedRoundTrip('127.0.0.2', port, 'x'), 'A:x');
    assert.equal(await udpConnectedRoundTrip('127.0.0.3', port, 'y'), 'B:y');
    assert.equal(await udpConnectedRoundTrip('127.0.0.1', port, 'z'), 'C:z');

    // b goes away (its address falls back to the address-less Gateway), d arrives on a new address.
    const res2 = await dp.apply(
      ir(udpGateway('a', a, ['127.0.0.2']), udpGateway('c', c, []), udpGateway('d', d, ['127.0.0.4'])),
      'v2',
    );
    assert.deepEqual(res2.errors, []);
    const ask = (host: string, text: string) =>
      (async () => {
        const deadline = Date.now() + 3000;
        for (;;) {
          try {
            return await udpConnectedRoundTrip(host, port, text, 300);
          } catch (err) {
            if (Date.now() > deadline) throw err;
          }
        }
      })();
    assert.equal(await ask('127.0.0.4', 'w'), 'D:w');
    assert.equal(await ask('127.0.0.2', 'u'), 'A:u');
    // The address-less Gateway's wildcard socket now gets 127.0.0.3's datagrams. Its replies leave
    // with the source address the kernel picks (127.0.0.1 here: Node has no IP_PKTINFO), so only an
    // unconnected client sees them; Gateways that name their addresses do not have this limit.
    const unconnected = await new Promise<string>((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      const t = setTimeout(() => {
        s.close();
        reject(new Error('no UDP reply via 127.0.0.3'));
      }, 2000);
      s.on('message', (m) => {
        clearTimeout(t);
        s.close();
        resolve(m.toString());
      });
      s.send('v', port, '127.0.0.3');
    });
    assert.equal(unconnected, 'C:v');
  } finally {
    await dp.close({ graceMs: 0 });
    for (const e of [a, b, c, d]) e.socket.close();
  }
});

test('close({graceMs}) lets an open TCP connection finish within the grace, then ends it', async () => {
  const obs = new RecordingObserver();
  const dp = createDataPlane({ bindAddress: '127.0.0.1', observer: obs });
  const port = await freePort();
  await dp.apply(
    ir(gateway([tcpListener(port, l4route('TCPRoute/default/t', [['a', 1]]))], [cluster('a', [upA.port])])),
    'v1',
  );
  const c = LineClient.tcp(port);
  assert.equal(await c.backend(), 'A');
  const t0 = Date.now();
  const closing = dp.close({ graceMs: 300 });
  // Still open during the grace period, and the port no longer accepts.
  c.socket.write('during\n');
  await c.waitFor(/during\n/);
  await closing;
  assert.ok(Date.now() - t0 >= 250, 'close waited for the open connection');
  // The client gets a FIN (its socket is half-open capable, so it sees 'end').
  await c.done;
  c.socket.destroy();
  assert.equal(obs.records.length, 1);
  assert.equal(obs.opened.length, obs.closed.length);
});
