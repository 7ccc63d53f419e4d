import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import type { IR } from '../../src/ir/types.ts';
import {
  cluster,
  echoServer,
  type EchoServer,
  forward,
  freePort,
  json,
  listener,
  match,
  raw,
  RecordingObserver,
  request,
  route,
  simpleIR,
} from './helpers.ts';

const obs = new RecordingObserver();
const dp = createDataPlane({ bindAddress: '127.0.0.1', observer: obs });
let port = 0;
let echo: EchoServer;
let slow: EchoServer;
let deadPort = 0;

before(async () => {
  echo = await echoServer('a', (req, res, body) => {
    if (req.url === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part1-');
      setTimeout(() => res.end('part2'), 10);
      return true;
    }
    if (req.url === '/echo-body') {
      res.end(body);
      return true;
    }
    if (req.url === '/big') {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let n = 0;
      const write = (): void => {
        while (n < 64) {
          n++;
          if (!res.write(chunk)) return void res.once('drain', write);
        }
        res.end();
      };
      write();
      return true;
    }
    if (req.url === '/hop') {
      res.setHeader('connection', 'x-secret');
      res.setHeader('x-secret', 'no');
      res.setHeader('keep-alive', 'timeout=5');
      res.end('ok');
      return true;
    }
    if (req.url === '/nocontent') {
      res.writeHead(204);
      res.end();
      return true;
    }
  });
  slow = await echoServer('slow', (_req, res) => {
    setTimeout(() => res.end('late'), 500);
    return true;
  });
  deadPort = await freePort();
  port = await freePort();
  const ir = simpleIR(
    port,
    [
      route({ match: match({ path: { type: 'PathPrefix', value: '/invalid' } }), action: forward(null) }),
      route({ match: match({ path: { type: 'PathPrefix', value: '/zero' } }), action: forward(['a', 0]) }),
      route({ match: match({ path: { type: 'PathPrefix', value: '/empty' } }), action: forward('empty') }),
      route({ match: match({ path: { type: 'PathPrefix', value: '/dead' } }), action: forward('dead') }),
      route({
        match: match({ path: { type: 'PathPrefix', value: '/slow' } }),
        action: forward('slow'),
        timeouts: { requestMs: 100 },
      }),
      route({
        match: match({ path: { type: 'PathPrefix', value: '/slowbackend' } }),
        action: forward('slow'),
        timeouts: { backendRequestMs: 100 },
      }),
      route({
        match: match({ path: { type: 'PathPrefix', value: '/direct' } }),
        action: { type: 'DirectResponse', status: 418, body: 'teapot' },
      }),
      route({ match: match({ path: { type: 'PathPrefix', value: '/' } }), action: forward('a') }),
    ],
    [cluster('a', [echo.port]), cluster('slow', [slow.port]), cluster('empty', []), cluster('dead', [deadPort])],
  );
  // Only /nomatch-host paths fall through... the catch-all matches everything else.
  const res = await dp.apply(ir, 'v1');
  assert.deepEqual(res.errors, []);
});

after(async () => {
  await dp.close({ graceMs: 100 });
  await echo.close();
  await slow.close();
});

test('404 when no route matches (host with no listener vhost)', async () => {
  const p2 = await freePort();
  const dp2 = createDataPlane({ bindAddress: '127.0.0.1', observer: obs });
  await dp2.apply(
    {
      apiVersion: 'portunus.dev/ir/v1',
      gateways: [
        {
          name: 'd/g',
          namespace: 'd',
          gatewayClassName: 'p',
          addresses: [],
          clusters: [cluster('a', [echo.port])],
          listeners: [
            {
              name: 'd/g/l',
              sectionName: 'l',
              port: p2,
              protocol: 'HTTP',
              hostname: null,
              virtualHosts: [{ hostname: 'only.example.com', routes: [route({ action: forward('a') })] }],
            },
          ],
        },
      ],
    },
    'v1',
  );
  const r = await request(p2, '/', { headers: { host: 'other.example.com' } });
  assert.equal(r.status, 404);
  const ok = await request(p2, '/', { headers: { host: 'only.example.com:1234' } });
  assert.equal(ok.status, 200);
  await dp2.close({ graceMs: 10 });
  const rec = obs.records.find((x) => x.authority === 'other.example.com');
  assert.equal(rec?.responseFlags, 'NR');
  assert.equal(rec?.route, '-');
});

test('500 for invalid backends and all-zero weights, 503 without endpoints or on connect failure', async () => {
  assert.equal((await request(port, '/invalid')).status, 500);
  assert.equal((await request(port, '/zero')).status, 500);
  assert.equal((await request(port, '/empty')).status, 503);
  assert.equal((await request(port, '/dead')).status, 503);
  const flags = obs.records.filter((r) => r.path === '/dead').map((r) => r.responseFlags);
  assert.deepEqual(flags, ['UF']);
});

test('504 on request timeout and on backend request timeout', async () => {
  const t0 = Date.now();
  const r = await request(port, '/slow');
  assert.equal(r.status, 504);
  assert.ok(Date.now() - t0 < 400);
  assert.equal((await request(port, '/slowbackend')).status, 504);
  assert.equal(obs.records.find((x) => x.path === '/slow')?.responseFlags, 'UT');
});

test('direct response', async () => {
  const r = await request(port, '/direct');
  assert.equal(r.status, 418);
  assert.equal(r.body, 'teapot');
});

test('forwarding headers: XFF appended, XFP set, request id generated or kept, host passed through', async () => {
  const r = await json(port, '/h', { headers: { 'x-forwarded-for': '10.0.0.1', host: 'my.host:99' } });
  assert.equal(r.json.headers['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
  assert.equal(r.json.headers['x-forwarded-proto'], 'http');
  assert.match(r.json.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  assert.equal(r.json.host, 'my.host:99');
  const r2 = await json(port, '/h', { headers: { 'x-request-id': 'abc' } });
  assert.equal(r2.json.headers['x-request-id'], 'abc');
  const rec = obs.records.find((x) => x.requestId === 'abc')!;
  assert.equal(rec.upstreamCluster, 'a');
  assert.equal(rec.upstreamHost, '127.0.0.1:' + echo.port);
  assert.equal(rec.listener, 'default/gw/http-' + port);
  assert.equal(rec.responseCode, 200);
  assert.ok(rec.upstreamLatencyMs >= 0);
});

test('hop-by-hop headers are stripped both ways', async () => {
  const out = await raw(
    port,
    'GET /hop HTTP/1.1\r\nHost: x\r\nConnection: close, X-Drop\r\nX-Drop: 1\r\nKeep-Alive: 5\r\nProxy-Connection: x\r\nTE: gzip\r\nX-Keep: 1\r\n\r\n',
  );
  assert.match(out, /^HTTP\/1.1 200/);
  assert.doesNotMatch(out, /x-secret/i);
  assert.doesNotMatch(out, /keep-alive/i);
  const r = await json(port, '/x', {
    headers: { connection: 'x-drop', 'x-drop': '1', 'proxy-connection': 'a', te: 'gzip', 'x-keep': '1' },
  });
  assert.equal(r.json.headers['x-drop'], undefined);
  assert.equal(r.json.headers['proxy-connection'], undefined);
  assert.equal(r.json.headers.te, undefined);
  assert.equal(r.json.headers['x-keep'], '1');
  const t = await json(port, '/x', { headers: { te: 'trailers' } });
  assert.equal(t.json.headers.te, 'trailers');
});

test('chunked both ways and content-length bodies', async () => {
  const r = await request(port, '/chunked');
  assert.equal(r.body, 'part1-part2');
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  const out = await raw(
    port,
    'POST /echo-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n',
  );
  assert.match(out, /^HTTP\/1.1 200/);
  assert.match(out, /hello world$/);
  const e = await request(port, '/echo-body', { method: 'POST', body: 'abc' });
  assert.equal(e.body, 'abc');
  const nc = await request(port, '/nocontent');
  assert.equal(nc.status, 204);
});

test('large streaming bodies both ways with backpressure', async () => {
  // 4 MiB download read slowly.
  const got = await new Promise<number>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/big', agent: false }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => {
          n += c.length;
          res.pause();
          setTimeout(() => res.resume(), 1);
        });
        res.on('end', () => resolve(n));
      })
      .on('error', reject);
  });
  assert.equal(got, 64 * 64 * 1024);
  // 8 MiB upload, chunked.
  const body = Buffer.alloc(8 * 1024 * 1024, 'y');
  const up = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/up', method: 'POST', agent: false }, (res) => {
      let s = '';
      res.on('data', (c) => (s += c));
      res.on('end', () => resolve(s));
    });
    req.on('error', reject);
    for (let i = 0; i < 8; i++) req.write(body.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
    req.end();
  });
  assert.equal(JSON.parse(up).bodyLength, body.length);
});

test('keep-alive: downstream connection reused, upstream connections pooled', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const before = echo.requests;
  const ports = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const r = await json(port, '/ka', { agent });
    ports.add(r.json.headers['x-forwarded-for'] ? 1 : 0);
  }
  agent.destroy();
  assert.equal(echo.requests - before, 20);
  // Count upstream sockets: the echo server saw at most a few connections.
  const conns = await new Promise<number>((r) => echo.server.getConnections((_e, n) => r(n)));
  assert.ok(conns <= 4, 'upstream connections: ' + conns);
});

test('pipelined requests are answered in order', async () => {
  const out = await raw(
    port,
    'GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  );
  const first = out.indexOf('"path":"/p1"');
  const second = out.indexOf('"path":"/p2"');
  assert.ok(first !== -1 && second > first, out);
});

test('malformed requests get 400 and the connection closes; oversized heads 431', async () => {
  const cases = [
    'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n',
    'GET / HTTP/1.1\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nX\x00: a\r\n\r\n',
    'GET / HTTP/1.1\nHost: x\n\n',
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  ];
  for (const c of cases) {
    const out = await raw(port, c);
    assert.match(out, /^HTTP\/1.1 400 /, JSON.stringify(c));
    assert.match(out, /connection: close/);
  }
  const big = 'GET / HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'a'.repeat(70 * 1024) + '\r\n\r\n';
  assert.match(await raw(port, big), /^HTTP\/1.1 431 /);
});

test('HTTP/1.0 client gets a close-delimited or sized response', async () => {
  const out = await raw(port, 'GET /chunked HTTP/1.0\r\nHost: x\r\n\r\n');
  assert.match(out, /^HTTP\/1.1 200/);
  assert.doesNotMatch(out, /transfer-encoding/i);
  assert.match(out, /part1-part2$/);
});

test('expect: 100-continue is answered by the gateway', async () => {
  const r = await new Promise<string>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/echo-body',
        method: 'POST',
        agent: false,
        headers: { expect: '100-continue', 'content-length': 2 },
      },
      (res) => {
        let s = '';
        res.on('data', (c) => (s += c));
        res.on('end', () => resolve(s));
      },
    );
    req.on('continue', () => req.end('ok'));
    req.on('error', reject);
  });
  assert.equal(r, 'ok');
});

test('client abort mid-response is recorded as DC and does not crash', async () => {
  await new Promise<void>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.write('GET /slowbackend HTTP/1.1\r\nHost: x\r\n\r\n');
    setTimeout(() => {
      s.destroy();
      resolve();
    }, 20);
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(obs.records.some((x) => x.responseFlags.includes('DC')));
  assert.equal((await request(port, '/still-alive')).status, 200);
});

test('HEAD gets no body, even for local error responses, and the connection stays usable', async () => {
  const out = await raw(
    port,
    'HEAD /empty HTTP/1.1\r\nHost: x\r\n\r\nHEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /direct HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  );
  const statuses = [...out.matchAll(/^HTTP\/1.1 (\d+)/gm)].map((m) => m[1]);
  assert.deepEqual(statuses, ['503', '200', '418']);
  assert.match(out, /teapot$/);
  assert.doesNotMatch(out, /no healthy upstream/);
});

test('Upgrade: h2c on a request with a body is ignored (served as HTTP/1.1); HTTP/1.0 keep-alive', async () => {
  const out = await raw(
    port,
    'POST /echo-body HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nContent-Length: 2\r\n\r\nhi' +
      'GET /direct HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /direct HTTP/1.0\r\n\r\n',
  );
  const statuses = [...out.matchAll(/HTTP\/1.1 (\d{3}) /g)].map((m) => m[1]);
  assert.deepEqual(statuses, ['200', '418', '418']);
  assert.match(out, /\r\n\r\nhi/);
  assert.match(out, /connection: keep-alive/);
});

test('an explicit Content-Length: 0 is forwarded', async () => {
  const r = await json(port, '/cl0', { method: 'POST', headers: { 'content-length': '0' } });
  assert.equal(r.json.headers['content-length'], '0');
  const g = await json(port, '/nocl');
  assert.equal(g.json.headers['content-length'], undefined);
});

test('a streaming response head reaches the client before its (late) body', async () => {
  const s = await echoServer('sse', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    setTimeout(() => res.end('data: late\n\n'), 300);
    return true;
  });
  const p2 = await freePort();
  const dp2 = createDataPlane({ bindAddress: '127.0.0.1' });
  await dp2.apply(simpleIR(p2, [route({ action: forward('sse') })], [cluster('sse', [s.port])]), 'v1');
  const t0 = Date.now();
  const { headAt, body } = await new Promise<{ headAt: number; body: string }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: p2, path: '/', agent: false }, (res) => {
        const headAt = Date.now() - t0;
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ headAt, body }));
      })
      .on('error', reject);
  });
  assert.ok(headAt < 200, 'head after ' + headAt + ' ms');
  assert.equal(body, 'data: late\n\n');
  await dp2.close({ graceMs: 50 });
  await s.close();
});

/** A raw client that never closes its own side: what it read by the time the server's FIN arrived. */
function readUntilServerFin(p: number, data: string): Promise<{ text: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: p, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), socket }));
    socket.write(data);
  });
}

async function until(what: string, check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('Connection: close from the client closes outright once the response is out; a close the proxy decides waits for the client', async () => {
  const o = new RecordingObserver();
  const p2 = await freePort();
  const dp2 = createDataPlane({ bindAddress: '127.0.0.1', observer: o });
  await dp2.apply(simpleIR(p2, [route({ action: forward('a') })], [cluster('a', [echo.port])]), 'v1');
  try {
    // The client declared this its last request: the whole response arrives, then the proxy's
    // side is gone (its connection count drops) although the client still holds its own side open.
    const a = await readUntilServerFin(p2, 'GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const [head, body] = a.text.split('\r\n\r\n') as [string, string];
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.match(head, /\r\nconnection: close/);
    assert.equal(body.length, Number(/\r\ncontent-length: (\d+)/.exec(head)![1]));
    assert.equal(JSON.parse(body).path, '/x');
    await until('the proxy to close its connection', () => o.closed === 1);
    a.socket.destroy();

    // HTTP/1.0 with keep-alive, answered close-delimited: the proxy ends the connection itself, so
    // it half-closes and waits for the client (which may still be sending) before closing.
    const b = await readUntilServerFin(p2, 'GET /chunked HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    assert.match(b.text, /^HTTP\/1\.1 200 /);
    assert.ok(b.text.endsWith('\r\n\r\npart1-part2'), b.text);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(o.closed, 1, 'still open on the proxy side until the client closes');
    b.socket.end();
    await until('the proxy to close after the client', () => o.closed === 2);
  } finally {
    await dp2.close({ graceMs: 50 });
  }
});

test('Gateways with addresses on one port: a connection sees those of the address it arrived at', async () => {
  const p2 = await freePort();
  const gateway = (name: string, address: string, body: string) => ({
    name: `default/${name}`,
    namespace: 'default',
    gatewayClassName: 'portunus',
    addresses: [address],
    clusters: [],
    listeners: [
      {
        ...listener(p2, [
          { hostname: '*', routes: [route({ action: { type: 'DirectResponse', status: 200, body } })] },
        ]),
        name: `default/${name}/http`,
      },
    ],
  });
  const config: IR = {
    apiVersion: 'portunus.dev/ir/v1',
    gateways: [gateway('one', '127.0.0.1', 'at .1'), gateway('two', '127.0.0.2', 'at .2')],
  };
  // Bound to one address, the port knows every connection's local address without asking.
  const single = createDataPlane({ bindAddress: '127.0.0.1' });
  // Bound to all, each connection's local address comes from its socket.
  const all = createDataPlane({ bindAddress: '0.0.0.0' });
  try {
    assert.deepEqual((await single.apply(config, 'v1')).errors, []);
    assert.match(await raw(p2, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /\r\n\r\nat \.1$/);
    await single.close({ graceMs: 50 });
    assert.deepEqual((await all.apply(config, 'v1')).errors, []);
    for (const [address, body] of [
      ['127.0.0.1', 'at .1'],
      ['127.0.0.2', 'at .2'],
    ]) {
      const text = await new Promise<string>((resolve, reject) => {
        const s = net.connect({ port: p2, host: address });
        const chunks: Buffer[] = [];
        s.on('data', (c) => chunks.push(c));
        s.on('error', reject);
        s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      assert.ok(text.endsWith('\r\n\r\n' + body), `${address}: ${text}`);
    }
  } finally {
    await single.close({ graceMs: 50 });
    await all.close({ graceMs: 50 });
  }
});
