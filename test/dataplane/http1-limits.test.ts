// HTTP/1.1 request limits through a data plane (DataPlaneOptions.http1): the status each one
// answers, that it is answered as early as possible (a Content-Length over the body limit before
// any body byte, a request line or head over its limit before the head ends), that the
// connection closes, and that nothing over a limit reaches the upstream complete.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { DEFAULT_HTTP1_LIMITS, resolveHttp1Limits } from '../../src/dataplane/http1/limits.ts';
import { createDataPlane } from '../../src/dataplane/index.ts';
import { cluster, forward, freePort, route, simpleIR } from './helpers.ts';

interface Seen {
  url: string;
  bytes: number;
  complete: boolean;
}
let seen: Seen[] = [];
const upstream = http.createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
  const s: Seen = { url: req.url!, bytes: 0, complete: false };
  seen.push(s);
  req.on('data', (c: Buffer) => {
    s.bytes += c.length;
  });
  req.on('error', () => {});
  req.on('end', () => {
    s.complete = true;
    res.end('ok');
  });
});

const limited = createDataPlane({
  bindAddress: '127.0.0.1',
  http1: { maxBodyBytes: 1000, maxRequestLineBytes: 512, maxHeadBytes: 2048, maxHeaderCount: 20 },
});
const defaults = createDataPlane({ bindAddress: '127.0.0.1' });
let port = 0;
let defaultPort = 0;

before(async () => {
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const up = (upstream.address() as AddressInfo).port;
  port = await freePort();
  defaultPort = await freePort();
  for (const [dp, p] of [
    [limited, port],
    [defaults, defaultPort],
  ] as const) {
    const res = await dp.apply(simpleIR(p, [route({ action: forward('up') })], [cluster('up', [up])]), 'v1');
    assert.deepEqual(res.errors, []);
  }
});

after(async () => {
  await Promise.all([limited.close({ graceMs: 100 }), defaults.close({ graceMs: 100 })]);
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

/** A client socket that collects what it reads and tells when the data plane closed it. */
function client(p: number): {
  socket: net.Socket;
  text(): string;
  /** The first response head (resolves once "\r\n\r\n" arrived). */
  head(): Promise<string>;
  closed: Promise<boolean>;
} {
  const socket = net.connect(p, '127.0.0.1');
  let data = '';
  let waiter: (() => void) | null = null;
  let byServer = false;
  socket.on('data', (c: Buffer) => {
    data += c.toString('latin1');
    waiter?.();
  });
  socket.on('end', () => {
    byServer = true;
  });
  socket.on('error', () => {});
  const timer = setTimeout(() => socket.destroy(), 5000);
  const closed = new Promise<boolean>((r) =>
    socket.on('close', () => {
      clearTimeout(timer);
      waiter?.();
      r(byServer);
    }),
  );
  return {
    socket,
    text: () => data,
    head: () =>
      new Promise((resolve) => {
        const check = (): void => {
          const i = data.indexOf('\r\n\r\n');
          if (i !== -1 || socket.destroyed) resolve(data.slice(0, i === -1 ? data.length : i));
          else waiter = check;
        };
        check();
      }),
    closed,
  };
}

function statusOf(head: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? 0);
}

test('defaults follow Envoy: 60 KiB heads, 100 header fields, no body limit', () => {
  assert.equal(DEFAULT_HTTP1_LIMITS.maxHeadBytes, 60 * 1024);
  assert.equal(DEFAULT_HTTP1_LIMITS.maxHeaderCount, 100);
  assert.equal(DEFAULT_HTTP1_LIMITS.maxBodyBytes, Number.POSITIVE_INFINITY);
  assert.equal(resolveHttp1Limits(undefined), DEFAULT_HTTP1_LIMITS);
  assert.deepEqual(resolveHttp1Limits({ maxBodyBytes: 5 }), { ...DEFAULT_HTTP1_LIMITS, maxBodyBytes: 5 });
  assert.throws(() => resolveHttp1Limits({ maxHeadBytes: 0 }), RangeError);
  assert.throws(() => resolveHttp1Limits({ maxHeaderCount: 1.5 }), RangeError);
  assert.throws(() => resolveHttp1Limits({ maxBodyBytes: -1 }), RangeError);
  assert.throws(() => createDataPlane({ http1: { maxRequestLineBytes: Number.NaN } }), RangeError);
});

test('Content-Length over the body limit: 413 before any body byte is sent, nothing forwarded', async () => {
  seen = [];
  const c = client(port);
  // Expect: 100-continue makes the point: the client sends no body until told to.
  c.socket.write('POST /big HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1001\r\n\r\n');
  const head = await c.head();
  assert.equal(statusOf(head), 413, head);
  assert.match(head, /\r\nconnection: close/i);
  assert.equal(await c.closed, true);
  assert.deepEqual(seen, []);
});

test('Content-Length at the body limit passes', async () => {
  seen = [];
  const c = client(port);
  c.socket.write(
    'POST /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1000\r\n\r\n' + 'a'.repeat(1000),
  );
  assert.equal(statusOf(await c.head()), 200);
  await c.closed;
  assert.deepEqual(seen, [{ url: '/ok', bytes: 1000, complete: true }]);
});

test('chunked body crossing the limit mid-stream: 413, connection closed, upstream never gets it complete', async () => {
  seen = [];
  const c = client(port);
  c.socket.write('POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
  c.socket.write('258\r\n' + 'a'.repeat(600) + '\r\n');
  // The first 600 bytes are under the limit and flow to the upstream.
  for (let i = 0; i < 200 && (seen.length === 0 || seen[0]!.bytes < 600); i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.equal(seen[0]?.bytes, 600);
  assert.equal(c.text(), '');
  // 600 + 401 > 1000: refused when the chunk size is read, before its data.
  c.socket.write('191\r\n');
  const head = await c.head();
  assert.equal(statusOf(head), 413, head);
  assert.match(head, /\r\nconnection: close/i);
  assert.equal(await c.closed, true);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.bytes, 600);
  assert.equal(seen[0]!.complete, false);
});

test('chunked body at the limit passes', async () => {
  seen = [];
  const c = client(port);
  c.socket.write(
    'POST /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '1f4\r\n' +
      'a'.repeat(500) +
      '\r\n1f4\r\n' +
      'b'.repeat(500) +
      '\r\n0\r\n\r\n',
  );
  assert.equal(statusOf(await c.head()), 200);
  await c.closed;
  assert.deepEqual(seen, [{ url: '/ok', bytes: 1000, complete: true }]);
});

test('request line over its limit: 414 as soon as the limit passes without a line end', async () => {
  const c = client(port);
  c.socket.write('GET /' + 'a'.repeat(600)); // no CRLF: the head is far from complete
  const head = await c.head();
  assert.equal(statusOf(head), 414, head);
  assert.equal(await c.closed, true);
});

test('head over its limit: 431 as soon as the limit passes without a head end', async () => {
  const c = client(port);
  c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
  for (let i = 0; i < 30; i++) c.socket.write('X-Filler-' + i + ': ' + 'v'.repeat(60) + '\r\n');
  const head = await c.head();
  assert.equal(statusOf(head), 431, head);
  assert.equal(await c.closed, true);
});

test('header count over its limit: 431; at the limit passes', async () => {
  const fields = (n: number): string => Array.from({ length: n }, (_, i) => 'X-' + i + ': v\r\n').join('');
  let c = client(port);
  c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n' + fields(20) + '\r\n');
  assert.equal(statusOf(await c.head()), 431);
  assert.equal(await c.closed, true);
  c = client(port);
  c.socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' + fields(18) + '\r\n');
  assert.equal(statusOf(await c.head()), 200);
  await c.closed;
});

test('default data plane: 101 fields and 61 KiB heads are refused, no body limit', async () => {
  const fields = (n: number, size: number): string =>
    Array.from({ length: n }, (_, i) => 'X-' + i + ': ' + 'v'.repeat(size) + '\r\n').join('');
  let c = client(defaultPort);
  c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n' + fields(100, 1) + '\r\n');
  assert.equal(statusOf(await c.head()), 431);
  assert.equal(await c.closed, true);
  c = client(defaultPort);
  c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n' + fields(61, 1024) + '\r\n');
  assert.equal(statusOf(await c.head()), 431);
  assert.equal(await c.closed, true);
  seen = [];
  c = client(defaultPort);
  const body = 'z'.repeat(2 * 1024 * 1024);
  c.socket.write('POST /large HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ' + body.length + '\r\n\r\n');
  c.socket.write(body);
  assert.equal(statusOf(await c.head()), 200);
  await c.closed;
  assert.deepEqual(seen, [{ url: '/large', bytes: body.length, complete: true }]);
});
