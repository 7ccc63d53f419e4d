// Connection timeouts run on the shared coarse sweep: idle keep-alive connections close, slow
// request heads and stalled bodies get 408. The first tests drive one connection's sweep with a
// future clock value; the end-to-end ones run a data plane with short timeouts.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import { H1ServerConnection, HEAD_TIMEOUT_MS, IDLE_TIMEOUT_MS } from '../../src/dataplane/http1/connection.ts';
import { noopObserver } from '../../src/dataplane/observer.ts';
import type { PortState } from '../../src/dataplane/port.ts';
import { compileHostTable } from '../../src/dataplane/router/hosts.ts';
import { cluster, echoServer, forward, freePort, match, RecordingObserver, route, simpleIR } from './helpers.ts';

async function connectionPair(): Promise<{ client: net.Socket; conn: H1ServerConnection; close(): void }> {
  const state: PortState = {
    port: 0,
    config: {
      port: 0,
      version: 'v',
      portLabel: 'port/0',
      listeners: compileHostTable([]),
      byAddress: null,
      protocol: 'HTTP',
      tls: null,
      connectionLabel: 'port/0',
      sniSplit: null,
    },
    ctx: { observer: noopObserver, logger: { error() {} } },
    connections: new Set(),
    draining: false,
    h2Handoff() {},
  };
  let conn: H1ServerConnection | null = null;
  const server = net.createServer((s) => {
    conn = new H1ServerConnection(s, state);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => client.on('connect', r));
  for (let i = 0; i < 100 && conn === null; i++) await new Promise((r) => setTimeout(r, 5));
  return { client, conn: conn!, close: () => server.close() };
}

test('idle keep-alive connections are closed by the sweep, not before', async () => {
  const { client, conn, close } = await connectionPair();
  const closed = new Promise((r) => client.on('close', r));
  conn.sweep(Date.now() + 1000);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(client.destroyed, false);
  conn.sweep(Date.now() + IDLE_TIMEOUT_MS + 5000);
  await closed;
  close();
});

test('a request head still incomplete after HEAD_TIMEOUT_MS gets 408', async () => {
  const { client, conn, close } = await connectionPair();
  let out = '';
  client.on('data', (c) => (out += c));
  const closed = new Promise((r) => client.on('close', r));
  client.write('GET / HTTP/1.1\r\nHost: x\r\n');
  await new Promise((r) => setTimeout(r, 30));
  client.write('X-Slow: 1\r\n');
  await new Promise((r) => setTimeout(r, 30));
  conn.sweep(Date.now() + HEAD_TIMEOUT_MS + 5000);
  await closed;
  assert.match(out, /^HTTP\/1.1 408 /);
  close();
});

// ---- end to end: createDataPlane with short timeouts, real sockets, the real sweep ----------------

interface Client {
  socket: net.Socket;
  /** Everything received so far (latin1). */
  text(): string;
  closed: Promise<number>;
}

/** Connects and records what arrives; `closed` resolves with the ms from connect to close. */
async function client(port: number): Promise<Client> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.on('connect', r));
  const start = Date.now();
  let out = '';
  socket.on('data', (c: Buffer) => (out += c.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now() - start)));
  return { socket, text: () => out, closed };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('end to end: slowloris head, idle keep-alive, stalled body, request-received', async (t) => {
  const obs = new RecordingObserver();
  const dp = createDataPlane({
    bindAddress: '127.0.0.1',
    observer: obs,
    timeouts: { headerTimeoutMs: 300, idleTimeoutMs: 400, streamIdleTimeoutMs: 300 },
  });
  const echo = await echoServer('a');
  const port = await freePort();
  const res = await dp.apply(
    simpleIR(port, [route({ match: match(), action: forward('a') })], [cluster('a', [echo.port])]),
    'v1',
  );
  assert.deepEqual(res.errors, []);
  t.after(async () => {
    await dp.close({ graceMs: 10 });
    await echo.close();
  });

  await t.test('a head sent byte by byte, slower than the header timeout, gets 408 and a close', async () => {
    const c = await client(port);
    const head = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n';
    // One byte every 40 ms: the whole head would take ~2 s, far past the 300 ms limit.
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < head.length && !c.socket.destroyed) c.socket.write(head[sent++]!);
    }, 40);
    const ms = await c.closed;
    clearInterval(timer);
    assert.match(c.text(), /^HTTP\/1.1 408 /);
    assert.ok(sent < head.length, `the head must not have completed (${sent} of ${head.length} bytes)`);
    assert.ok(ms >= 250 && ms < 2000, `closed after ${ms} ms`);
  });

  await t.test('an idle keep-alive connection is closed after the idle timeout, not before', async () => {
    const c = await client(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let i = 0; i < 100 && !c.text().includes('"backend":"a"'); i++) await sleep(10);
    assert.match(c.text(), /^HTTP\/1.1 200 /);
    await sleep(150);
    assert.equal(c.socket.destroyed, false, 'still open well before the idle timeout');
    const ms = await c.closed;
    assert.ok(ms >= 300 && ms < 2500, `closed after ${ms} ms`);
    // Nothing more was sent: an idle close is not an error response.
    assert.equal((c.text().match(/HTTP\/1.1 /g) ?? []).length, 1);
  });

  await t.test('a client that stalls mid-body gets 408 and a close after the stream idle timeout', async () => {
    const before = echo.requests;
    const c = await client(port);
    c.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789');
    const ms = await c.closed;
    assert.match(c.text(), /^HTTP\/1.1 408 /);
    assert.ok(ms >= 250 && ms < 2500, `closed after ${ms} ms`);
    const rec = obs.records.at(-1)!;
    assert.equal(rec.responseCode, 408);
    assert.equal(rec.method, 'POST');
    // The upstream saw at most a request it never got the end of; no response was forwarded.
    assert.ok(echo.requests - before <= 1);
  });

  await t.test('a body that keeps trickling is not cut by the stream idle timeout', async () => {
    const c = await client(port);
    c.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n');
    for (let i = 0; i < 8; i++) {
      await sleep(100);
      c.socket.write('x');
    }
    for (let i = 0; i < 100 && !c.text().includes('"bodyLength":8'); i++) await sleep(10);
    assert.match(c.text(), /^HTTP\/1.1 200 /);
    c.socket.destroy();
  });
});

test('end to end: requestReceivedTimeout bounds the whole request however it trickles', async (t) => {
  const dp = createDataPlane({
    bindAddress: '127.0.0.1',
    timeouts: { headerTimeoutMs: 0, streamIdleTimeoutMs: 0, requestReceivedTimeoutMs: 400 },
  });
  const echo = await echoServer('a');
  const port = await freePort();
  await dp.apply(simpleIR(port, [route({ match: match(), action: forward('a') })], [cluster('a', [echo.port])]), 'v1');
  t.after(async () => {
    await dp.close({ graceMs: 10 });
    await echo.close();
  });
  const c = await client(port);
  c.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n');
  const timer = setInterval(() => c.socket.destroyed || c.socket.write('x'), 50);
  const ms = await c.closed;
  clearInterval(timer);
  assert.match(c.text(), /^HTTP\/1.1 408 /);
  assert.ok(ms >= 300 && ms < 2500, `closed after ${ms} ms`);
});

test('timeouts are validated', () => {
  assert.throws(() => createDataPlane({ timeouts: { idleTimeoutMs: -1 } }), /idleTimeoutMs/);
  assert.throws(() => createDataPlane({ timeouts: { headerTimeoutMs: 1.5 } }), /headerTimeoutMs/);
});

test('end to end: an HTTP/2 session with no open stream is closed after the idle timeout', async (t) => {
  const dp = createDataPlane({ bindAddress: '127.0.0.1', timeouts: { idleTimeoutMs: 300 } });
  const echo = await echoServer('a');
  const port = await freePort();
  await dp.apply(simpleIR(port, [route({ match: match(), action: forward('a') })], [cluster('a', [echo.port])]), 'v1');
  t.after(async () => {
    await dp.close({ graceMs: 10 });
    await echo.close();
  });
  const start = Date.now();
  const client = http2.connect(`http://127.0.0.1:${port}`);
  client.on('error', () => {});
  const closed = new Promise<number>((r) => client.on('close', () => r(Date.now() - start)));
  const status = await new Promise<number>((resolve, reject) => {
    const req = client.request({ ':path': '/' });
    req.on('response', (h) => resolve(Number(h[':status'])));
    req.on('error', reject);
    req.resume();
  });
  assert.equal(status, 200);
  await sleep(100);
  assert.equal(client.closed, false, 'still open well before the idle timeout');
  const ms = await closed;
  assert.ok(ms >= 300 && ms < 2500, `closed after ${ms} ms`);
});
