import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { createDataPlane } from '../../src/dataplane/index.ts';
import {
  cluster,
  echoServer,
  type EchoServer,
  forward,
  freePort,
  match,
  RecordingObserver,
  route,
  simpleIR,
} from './helpers.ts';

const obs = new RecordingObserver();
const dp = createDataPlane({ bindAddress: '127.0.0.1', observer: obs });
let port = 0;
let echo: EchoServer;
let wsServer: http.Server;
let wsPort = 0;
let h2Upstream: http2.Http2Server;
let h2Port = 0;

/** A minimal WebSocket echo server: small frames only, enough to prove the tunnel. */
function startWsServer(): Promise<void> {
  wsServer = http.createServer((_req, res) => res.end('not a websocket'));
  wsServer.on('upgrade', (req, socket: net.Socket) => {
    const key = req.headers['sec-websocket-key'] as string;
    const accept = crypto
      .createHash('sha1')
      .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
      .digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' +
        accept +
        '\r\n\r\n',
    );
    socket.on('data', (buf: Buffer) => {
      const opcode = buf[0]! & 0x0f;
      const len = buf[1]! & 0x7f;
      if (opcode === 8) {
        socket.end(Buffer.from([0x88, 0]));
        return;
      }
      const mask = buf.subarray(2, 6);
      const payload = Buffer.from(buf.subarray(6, 6 + len));
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      const reply = Buffer.from('echo:' + payload.toString());
      socket.write(Buffer.concat([Buffer.from([0x80 | opcode, reply.length]), reply]));
    });
    socket.on('error', () => {});
  });
  return new Promise((r) =>
    wsServer.listen(0, '127.0.0.1', () => {
      wsPort = (wsServer.address() as AddressInfo).port;
      r();
    }),
  );
}

before(async () => {
  echo = await echoServer('h1');
  await startWsServer();
  h2Upstream = http2.createServer();
  h2Upstream.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-upstream': 'h2' });
      stream.end(
        JSON.stringify({
          path: headers[':path'],
          method: headers[':method'],
          authority: headers[':authority'],
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
  await new Promise<void>((r) => h2Upstream.listen(0, '127.0.0.1', r));
  h2Port = (h2Upstream.address() as AddressInfo).port;
  port = await freePort();
  await dp.apply(
    simpleIR(
      port,
      [
        route({ match: match({ path: { type: 'PathPrefix', value: '/ws' } }), action: forward('ws') }),
        route({ match: match({ path: { type: 'PathPrefix', value: '/h2up' } }), action: forward('h2') }),
        route({ action: forward('h1') }),
      ],
      [
        cluster('h1', [echo.port]),
        cluster('ws', [wsPort], { protocol: 'ws' }),
        cluster('h2', [h2Port], { protocol: 'h2c' }),
      ],
    ),
    'v1',
  );
});

after(async () => {
  await dp.close({ graceMs: 100 });
  await echo.close();
  wsServer.closeAllConnections();
  wsServer.close();
  h2Upstream.close();
});

test('WebSocket upgrade is tunnelled end to end (global WebSocket client)', async () => {
  const ws = new WebSocket('ws://127.0.0.1:' + port + '/ws/chat');
  const got = await new Promise<string>((resolve, reject) => {
    ws.onopen = () => ws.send('hello');
    ws.onmessage = (e) => resolve(String(e.data));
    ws.onerror = () => reject(new Error('websocket error'));
  });
  assert.equal(got, 'echo:hello');
  ws.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(obs.records.some((r) => r.responseCode === 101 && r.path === '/ws/chat'));
});

test('WebSocket to a plain http1 cluster works too, and a non-101 answer is a normal response', async () => {
  const out = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (c) => (data += c));
    s.on('close', () => resolve(data));
    s.write(
      'GET /plain HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    setTimeout(() => s.end(), 200);
  });
  // node:http without an upgrade listener answers and closes; the proxy forwards that answer.
  assert.match(out, /^HTTP\/1.1 /);
});

test('h2c prior knowledge to an HTTP/1.1 upstream', async () => {
  const client = http2.connect('http://127.0.0.1:' + port);
  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = client.request({ ':path': '/prior?x=1', ':method': 'POST', 'x-h': 'v', cookie: 'a=1' });
    req.end('h2-body');
    let status = 0;
    let body = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (c) => (body += c));
    req.on('end', () => resolve({ status, body }));
    req.on('error', reject);
  });
  client.close();
  assert.equal(res.status, 200);
  const j = JSON.parse(res.body);
  assert.equal(j.path, '/prior?x=1');
  assert.equal(j.headers['x-h'], 'v');
  assert.equal(j.bodyLength, 7);
  assert.equal(j.host, '127.0.0.1:' + port);
  assert.ok(obs.records.some((r) => r.protocol === 'HTTP/2' && r.path === '/prior?x=1'));
});

test('h2c upstream cluster from HTTP/1.1 and HTTP/2 clients', async () => {
  const r = await new Promise<string>((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port, path: '/h2up/a', method: 'POST', agent: false }, (res) => {
        let s = '';
        res.on('data', (c) => (s += c));
        res.on('end', () => resolve(s));
      })
      .on('error', reject)
      .end('from-h1');
  });
  assert.deepEqual(JSON.parse(r), { path: '/h2up/a', method: 'POST', authority: '127.0.0.1:' + port, body: 'from-h1' });
  const client = http2.connect('http://127.0.0.1:' + port);
  const body = await new Promise<string>((resolve, reject) => {
    const req = client.request({ ':path': '/h2up/b' });
    let s = '';
    req.on('data', (c) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
  client.close();
  assert.equal(JSON.parse(body).path, '/h2up/b');
});

test('HTTP/1.1 Upgrade: h2c (curl --http2)', async () => {
  const { stdout } = await promisify(execFile)('/usr/bin/curl', [
    '-s',
    '-i',
    '--http2',
    'http://127.0.0.1:' + port + '/upgraded?q=1',
  ]);
  assert.match(stdout, /HTTP\/1.1 101 Switching Protocols/);
  assert.match(stdout, /HTTP\/2 200/);
  const body = stdout.slice(stdout.lastIndexOf('\r\n\r\n') + 4);
  assert.equal(JSON.parse(body).path, '/upgraded?q=1');
});

test('graceful close ends open WebSocket tunnels at the grace deadline', async () => {
  const p2 = await freePort();
  const dp2 = createDataPlane({ bindAddress: '127.0.0.1' });
  await dp2.apply(
    simpleIR(p2, [route({ action: forward('ws') })], [cluster('ws', [wsPort], { protocol: 'ws' })]),
    'v1',
  );
  const ws = new WebSocket('ws://127.0.0.1:' + p2 + '/');
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('ws error'));
  });
  const closed = new Promise<void>((r) => {
    ws.onclose = () => r();
  });
  const t0 = Date.now();
  await dp2.close({ graceMs: 100 });
  await closed;
  assert.ok(Date.now() - t0 < 1000);
});

test('HTTP/2 downstream: large upload and slowly read large download keep their bytes', async () => {
  const big = await echoServer('big', (req, res, body) => {
    if (req.url === '/h2big/down') {
      res.end(Buffer.alloc(3 * 1024 * 1024, 'z'));
      return true;
    }
    res.end(String(body.length));
    return true;
  });
  const p2 = await freePort();
  const dp2 = createDataPlane({ bindAddress: '127.0.0.1' });
  await dp2.apply(simpleIR(p2, [route({ action: forward('big') })], [cluster('big', [big.port])]), 'v1');
  const client = http2.connect('http://127.0.0.1:' + p2);
  const up = await new Promise<string>((resolve, reject) => {
    const req = client.request({ ':path': '/h2big/up', ':method': 'POST' });
    let s = '';
    req.on('data', (c) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
    const chunk = Buffer.alloc(256 * 1024, 'u');
    for (let i = 0; i < 16; i++) req.write(chunk);
    req.end();
  });
  assert.equal(up, String(16 * 256 * 1024));
  const down = await new Promise<number>((resolve, reject) => {
    const req = client.request({ ':path': '/h2big/down' });
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      req.pause();
      setTimeout(() => req.resume(), 1);
    });
    req.on('end', () => resolve(n));
    req.on('error', reject);
  });
  assert.equal(down, 3 * 1024 * 1024);
  client.close();
  await dp2.close({ graceMs: 50 });
  await big.close();
});

test('WebSocket over HTTP/2 (RFC 8441 extended CONNECT) to an HTTP/1.1 WebSocket upstream', async () => {
  const client = http2.connect('http://127.0.0.1:' + port);
  await new Promise<void>((resolve) => client.once('remoteSettings', () => resolve()));
  assert.equal(client.remoteSettings.enableConnectProtocol, true);
  const req = client.request({
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':path': '/ws/h2',
    ':scheme': 'http',
    ':authority': '127.0.0.1:' + port,
    'sec-websocket-version': '13',
  });
  const status = await new Promise<number>((resolve) => req.on('response', (h) => resolve(Number(h[':status']))));
  assert.equal(status, 200);
  // One masked text frame "hi".
  const mask = [1, 2, 3, 4];
  const payload = Buffer.from('hi').map((b, i) => b ^ mask[i % 4]!);
  req.write(Buffer.concat([Buffer.from([0x81, 0x80 | 2, ...mask]), payload]));
  const frame = await new Promise<Buffer>((resolve) => req.once('data', resolve));
  assert.equal(frame.subarray(2).toString(), 'echo:hi');
  req.close();
  client.close();
  for (let i = 0; i < 50 && !obs.records.some((r) => r.path === '/ws/h2'); i++)
    await new Promise((r) => setTimeout(r, 10));
  const rec = obs.records.filter((r) => r.path === '/ws/h2');
  assert.equal(rec.length, 1);
  assert.equal(rec[0]!.protocol, 'HTTP/2');
  assert.equal(rec[0]!.responseCode, 200);
  assert.equal(rec[0]!.responseFlags, '-');
  assert.ok(rec[0]!.bytesSent >= 9);
});
