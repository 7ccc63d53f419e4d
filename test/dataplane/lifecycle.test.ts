import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import {
  cluster,
  echoServer,
  type EchoServer,
  forward,
  freePort,
  ir,
  json,
  listener,
  match,
  RecordingObserver,
  request,
  route,
  simpleIR,
} from './helpers.ts';

let a: EchoServer;
let b: EchoServer;
let slow: EchoServer;

before(async () => {
  a = await echoServer('a');
  b = await echoServer('b');
  slow = await echoServer('slow', (_req, res) => {
    setTimeout(() => res.end('slow-done'), 300);
    return true;
  });
});

after(async () => {
  await a.close();
  await b.close();
  await slow.close();
});

test('config swap under load: zero failed requests, zero resets, sockets survive', async () => {
  const port = await freePort();
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  const version = (i: number) =>
    simpleIR(
      port,
      [route({ action: forward(i % 2 === 0 ? 'a' : 'b') })],
      [cluster('a', [a.port]), cluster('b', [b.port])],
    );
  await dp.apply(version(0), 'v0');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let ok = 0;
  let failed = 0;
  const sockets = new Set<net.Socket>();
  agent.on('free', (s) => sockets.add(s));
  let running = true;
  const worker = async () => {
    while (running) {
      try {
        const r = await request(port, '/load', { agent });
        if (r.status === 200) ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  for (let i = 1; i <= 40; i++) {
    await dp.apply(version(i), 'v' + i);
    await new Promise((r) => setTimeout(r, 5));
  }
  running = false;
  await Promise.all(workers);
  agent.destroy();
  assert.equal(failed, 0);
  assert.ok(ok > 100, 'ok=' + ok);
  assert.ok(sockets.size <= 8, 'sockets: ' + sockets.size);
  assert.equal(dp.version, 'v40');
  // v40 (even) routes to a.
  assert.equal((await json(port, '/')).json.backend, 'a');
  await dp.close({ graceMs: 100 });
});

test('in-flight requests finish on the old version after a swap', async () => {
  const port = await freePort();
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  await dp.apply(simpleIR(port, [route({ action: forward('slow') })], [cluster('slow', [slow.port])]), 'v1');
  const pending = request(port, '/');
  await new Promise((r) => setTimeout(r, 50));
  await dp.apply(simpleIR(port, [route({ action: forward('a') })], [cluster('a', [a.port])]), 'v2');
  assert.equal((await pending).body, 'slow-done');
  assert.equal((await json(port, '/')).json.backend, 'a');
  await dp.close({ graceMs: 100 });
});

test('a port in use is reported while other listeners keep serving; removed ports close', async () => {
  const blocker = net.createServer();
  const busy = await freePort();
  await new Promise<void>((r) => blocker.listen(busy, '127.0.0.1', r));
  const good = await freePort();
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  const both = ir(
    [
      listener(busy, [{ hostname: '*', routes: [route({ action: forward('a') })] }]),
      listener(good, [{ hostname: '*', routes: [route({ action: forward('a') })] }]),
    ],
    [cluster('a', [a.port])],
  );
  const res = await dp.apply(both, 'v1');
  assert.equal(res.errors.length, 1);
  assert.equal(res.errors[0]!.port, busy);
  assert.equal(res.errors[0]!.code, 'EADDRINUSE');
  assert.equal(res.errors[0]!.listener, 'default/gw/http-' + busy);
  assert.equal((await request(good, '/')).status, 200);
  assert.deepEqual(
    dp.listening().map((l) => l.port),
    [good],
  );
  // Once the blocker goes away, the next apply binds it.
  await new Promise((r) => blocker.close(r));
  const res2 = await dp.apply(both, 'v2');
  assert.deepEqual(res2.errors, []);
  assert.equal((await request(busy, '/')).status, 200);
  // Removing a listener closes its port.
  await dp.apply(
    ir([listener(good, [{ hostname: '*', routes: [route({ action: forward('a') })] }])], [cluster('a', [a.port])]),
    'v3',
  );
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(request(busy, '/'));
  await dp.close({ graceMs: 100 });
});

test('graceful close: in-flight completes with connection: close, new connections refused', async () => {
  const port = await freePort();
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  await dp.apply(simpleIR(port, [route({ action: forward('slow') })], [cluster('slow', [slow.port])]), 'v1');
  const agent = new http.Agent({ keepAlive: true });
  const pending = request(port, '/', { agent });
  await new Promise((r) => setTimeout(r, 50));
  const closing = dp.close({ graceMs: 2000 });
  await new Promise((r) => setTimeout(r, 20));
  await assert.rejects(request(port, '/'));
  const r = await pending;
  assert.equal(r.body, 'slow-done');
  assert.equal(r.headers.connection, 'close');
  await closing;
  agent.destroy();
});

test('graceful close destroys what is left after graceMs', async () => {
  const port = await freePort();
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  await dp.apply(simpleIR(port, [route({ action: forward('slow') })], [cluster('slow', [slow.port])]), 'v1');
  const pending = request(port, '/').then(
    () => 'answered',
    () => 'reset',
  );
  await new Promise((r) => setTimeout(r, 30));
  const t0 = Date.now();
  await dp.close({ graceMs: 50 });
  assert.ok(Date.now() - t0 < 250);
  assert.equal(await pending, 'reset');
});

test('listener isolation on a shared port: Host picks exact, then wildcard, then catch-all listener', async () => {
  const port = await freePort();
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  const mk = (hostname: string | null, c: string) =>
    listener(
      port,
      [
        {
          hostname: hostname ?? '*',
          routes: [
            route({
              match: match({ path: { type: 'PathPrefix', value: hostname === null ? '/' : '/only' } }),
              action: forward(c),
            }),
          ],
        },
      ],
      {
        hostname,
        name: 'l-' + (hostname ?? 'any'),
      },
    );
  await dp.apply(
    ir(
      [mk(null, 'a'), mk('*.example.com', 'b'), mk('foo.example.com', 'a')],
      [cluster('a', [a.port]), cluster('b', [b.port])],
    ),
    'v1',
  );
  assert.equal((await json(port, '/only', { headers: { host: 'x.example.com' } })).json.backend, 'b');
  assert.equal((await json(port, '/only', { headers: { host: 'foo.example.com' } })).json.backend, 'a');
  // The wildcard listener has no "/" route; it must not fall through to the catch-all listener.
  assert.equal((await request(port, '/other', { headers: { host: 'x.example.com' } })).status, 404);
  assert.equal((await json(port, '/other', { headers: { host: 'unrelated.org' } })).json.backend, 'a');
  await dp.close({ graceMs: 50 });
});

test('access records carry every field; connection hooks fire', async () => {
  const obs = new RecordingObserver();
  const port = await freePort();
  const dp = createDataPlane({ bindAddress: '127.0.0.1', observer: obs });
  await dp.apply(simpleIR(port, [route({ action: forward('a') })], [cluster('a', [a.port])]), 'v1');
  const sentAt = Date.now();
  await request(port, '/rec?q=1', {
    method: 'POST',
    body: 'abcd',
    headers: { 'user-agent': 'ua-test', host: 'h.example' },
  });
  for (let i = 0; i < 100 && obs.closed === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const r = obs.records[0]!;
  assert.equal(r.method, 'POST');
  assert.equal(r.path, '/rec?q=1');
  assert.equal(r.protocol, 'HTTP/1.1');
  assert.equal(r.authority, 'h.example');
  assert.equal(r.responseCode, 200);
  assert.equal(r.responseFlags, '-');
  assert.equal(r.bytesReceived, 4);
  assert.ok(r.bytesSent > 0);
  assert.ok(r.durationMs >= 0 && r.upstreamLatencyMs >= 0);
  assert.equal(r.upstreamHost, '127.0.0.1:' + a.port);
  assert.equal(r.upstreamCluster, 'a');
  assert.match(r.requestId, /-/);
  assert.match(r.route, /^HTTPRoute\/default\//);
  assert.equal(r.listener, 'default/gw/http-' + port);
  assert.equal(r.downstreamRemoteAddress, '127.0.0.1');
  assert.equal(r.userAgent, 'ua-test');
  // Wall time of the request's start: after it was sent, before the record was read (ms rounding).
  assert.ok(r.startTime >= sentAt - 2 && r.startTime <= Date.now() + 2, `${r.startTime} vs ${sentAt}`);
  assert.equal(obs.opened, 1);
  assert.equal(obs.closed, 1);
  await dp.close({ graceMs: 50 });
});

test('unix socket endpoints and DNS-discovered endpoints', async () => {
  const sock = path.join(os.tmpdir(), 'portunus-dp-' + process.pid + '.sock');
  const unixServer = http.createServer((_req, res) => res.end('via-unix'));
  await new Promise<void>((r) => unixServer.listen(sock, r));
  const port = await freePort();
  const dp = createDataPlane({ bindAddress: '127.0.0.1' });
  await dp.apply(
    simpleIR(
      port,
      [
        route({ match: match({ path: { type: 'PathPrefix', value: '/unix' } }), action: forward('u') }),
        route({ match: match({ path: { type: 'PathPrefix', value: '/dns' } }), action: forward('d') }),
      ],
      [
        cluster('u', [], { endpoints: [{ address: '', port: 0, unixPath: sock, ready: true }] }),
        cluster('d', [], { discovery: 'dns', endpoints: [{ address: 'localhost', port: a.port, ready: true }] }),
      ],
    ),
    'v1',
  );
  assert.equal((await request(port, '/unix')).body, 'via-unix');
  for (let i = 0; i < 5; i++) assert.equal((await json(port, '/dns')).json.backend, 'a');
  await dp.close({ graceMs: 50 });
  unixServer.close();
});

test('Gateways with their own addresses on a shared port: the local address selects the Gateway', async () => {
  const port = await freePort();
  const dp = createDataPlane({ bindAddress: '0.0.0.0' });
  const gw = (name: string, addresses: string[], c: string) => ({
    name: 'default/' + name,
    namespace: 'default',
    gatewayClassName: 'portunus',
    addresses,
    listeners: [
      listener(port, [{ hostname: '*', routes: [route({ action: forward(c) })] }], {
        name: 'default/' + name + '/http',
      }),
    ],
    clusters: [cluster(c, [c === 'a' ? a.port : b.port])],
  });
  await dp.apply(
    {
      apiVersion: 'portunus.dev/ir/v1',
      gateways: [gw('gw-a', ['127.0.0.10'], 'a'), gw('gw-b', ['127.0.0.11'], 'b'), gw('gw-any', [], 'a')],
    },
    'v1',
  );
  assert.equal((await json(port, '/', { host: '127.0.0.10' })).json.backend, 'a');
  assert.equal((await json(port, '/', { host: '127.0.0.11' })).json.backend, 'b');
  assert.equal((await json(port, '/', { host: '127.0.0.12' })).json.backend, 'a');
  // Without an address-less Gateway, other addresses reach no listener.
  await dp.apply(
    { apiVersion: 'portunus.dev/ir/v1', gateways: [gw('gw-a', ['127.0.0.10'], 'a'), gw('gw-b', ['127.0.0.11'], 'b')] },
    'v2',
  );
  assert.equal((await json(port, '/', { host: '127.0.0.11' })).json.backend, 'b');
  assert.equal((await request(port, '/', { host: '127.0.0.12' })).status, 404);
  await dp.close({ graceMs: 50 });
});
