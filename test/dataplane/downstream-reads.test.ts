// Plain HTTP/1.1 downstream connections read request heads into one buffer shared by every
// connection of the process (src/dataplane/reads.ts) and request bodies into buffers of their own.
// Whatever outlives a read (a head split over reads, pipelined requests, body bytes that came with
// the head) must be copied out before the next read on any connection overwrites it. Many clients
// at once send pipelined requests with patterned bodies, split at odd places and interleaved with
// each other's reads; every request must reach the upstream byte for byte.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import { readInto, reusedReadsAvailable } from '../../src/dataplane/reads.ts';
import { cluster, forward, freePort, match, route, simpleIR } from './helpers.ts';

const dp = createDataPlane({ bindAddress: '127.0.0.1' });
let upstream: http.Server;
let port = 0;

/** Deterministic bytes that differ at every position for a given seed. */
function pattern(seed: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

before(async () => {
  // Answers with what it received: the path, a header the client set, and the body's digest.
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url, tag: req.headers['x-tag'], len: body.length, sha: sha(body) }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  port = await freePort();
  const res = await dp.apply(
    simpleIR(
      port,
      [route({ match: match(), action: forward('u') })],
      [cluster('u', [(upstream.address() as AddressInfo).port])],
    ),
    'v1',
  );
  assert.deepEqual(res.errors, []);
});

after(async () => {
  await dp.close({ graceMs: 10 });
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

test('this Node.js reads accepted sockets into reused buffers', async () => {
  assert.equal(reusedReadsAvailable, true);
  const seen: string[] = [];
  const server = net.createServer({ pauseOnConnect: true }, (s) => {
    const ok = readInto(
      s,
      Buffer.alloc(16),
      (n, buf) => {
        seen.push(buf.toString('latin1', 0, n));
        return true;
      },
      () => Buffer.alloc(16),
    );
    assert.equal(ok, true);
    // A second setup on the same socket is refused rather than stacked.
    assert.equal(
      readInto(
        s,
        Buffer.alloc(16),
        () => true,
        () => Buffer.alloc(16),
      ),
      false,
    );
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const c = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  c.end('hello, reused buffer');
  await new Promise((r) => c.on('close', r));
  await new Promise((r) => server.close(r));
  assert.equal(seen.join(''), 'hello, reused buffer');
});

test('next() answering undefined keeps reads in the current buffer; a buffer it returns takes over', async () => {
  const first = Buffer.alloc(64);
  const second = Buffer.alloc(64);
  const reads: { buf: Buffer; text: string }[] = [];
  let calls = 0;
  const server = net.createServer({ pauseOnConnect: true }, (s) => {
    readInto(
      s,
      first,
      (n, buf) => {
        reads.push({ buf, text: buf.toString('latin1', 0, n) });
        return true;
      },
      // Keep `first` for two reads, then move to `second` for good.
      () => (++calls === 2 ? second : undefined),
    );
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const c = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => c.once('connect', r));
  for (const part of ['one', 'two', 'three', 'four']) {
    const before = reads.length;
    c.write(part);
    while (reads.length === before) await new Promise((r) => setTimeout(r, 5));
  }
  c.end();
  await new Promise((r) => c.on('close', r));
  await new Promise((r) => server.close(r));
  assert.deepEqual(
    reads.map((r) => r.text),
    ['one', 'two', 'three', 'four'],
  );
  assert.deepEqual(
    reads.map((r) => (r.buf === first ? 'first' : r.buf === second ? 'second' : 'other')),
    ['first', 'first', 'second', 'second'],
  );
});

interface Planned {
  path: string;
  tag: string;
  body: Buffer;
  chunked: boolean;
}

function encode(r: Planned): Buffer {
  let head = `POST ${r.path} HTTP/1.1\r\nHost: reads.test\r\nX-Tag: ${r.tag}\r\n`;
  if (!r.chunked) return Buffer.concat([Buffer.from(`${head}Content-Length: ${r.body.length}\r\n\r\n`), r.body]);
  head += 'Transfer-Encoding: chunked\r\n\r\n';
  const parts: Buffer[] = [Buffer.from(head)];
  for (let off = 0; off < r.body.length; ) {
    const n = Math.min(r.body.length - off, 1 + ((off * 7919) % 5000));
    parts.push(Buffer.from(n.toString(16) + '\r\n'), r.body.subarray(off, off + n), Buffer.from('\r\n'));
    off += n;
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Sends all requests pipelined on one connection, in pieces cut at odd offsets; returns the raw responses. */
function pipelined(client: number, requests: Planned[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const wire = Buffer.concat(requests.map(encode));
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    let answered = 0;
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      answered = got.split('HTTP/1.1 200').length - 1;
      if (answered === requests.length && got.endsWith('}')) s.end();
    });
    s.on('error', reject);
    s.on('close', () => resolve(got));
    let off = 0;
    let step = 0;
    const next = (): void => {
      if (off >= wire.length) return;
      // Cuts inside heads, between requests and inside bodies; sizes vary per client.
      const n = Math.min(wire.length - off, 1 + ((client * 131 + step++ * 977) % 9000));
      s.write(wire.subarray(off, off + n));
      off += n;
      setImmediate(next);
    };
    next();
  });
}

test('pipelined requests from many connections, split across reads, arrive intact', async () => {
  const clients = 24;
  const plans: Planned[][] = [];
  for (let c = 0; c < clients; c++) {
    const list: Planned[] = [];
    for (let i = 0; i < 6; i++) {
      const size = [0, 17, 700, 4_000, 70_000, 200_000][(c + i) % 6]!;
      list.push({
        path: `/c${c}/r${i}`,
        tag: `t-${c}-${i}`,
        body: pattern(c * 100 + i, size),
        chunked: (c + i) % 3 === 0,
      });
    }
    plans.push(list);
  }
  const results = await Promise.all(plans.map((list, c) => pipelined(c, list)));
  for (let c = 0; c < clients; c++) {
    const bodies = results[c]!.split('\r\n\r\n')
      .slice(1)
      .map((b) => b.slice(0, b.indexOf('}') + 1));
    assert.equal(bodies.length, plans[c]!.length, `client ${c}: ${results[c]!.slice(0, 200)}`);
    plans[c]!.forEach((p, i) => {
      const r = JSON.parse(bodies[i]!) as { path: string; tag: string; len: number; sha: string };
      assert.deepEqual(
        r,
        { path: p.path, tag: p.tag, len: p.body.length, sha: sha(p.body) },
        `client ${c} request ${i}`,
      );
    });
  }
});

test('a head arriving one byte at a time while other connections read is parsed from its own bytes', async () => {
  const head = 'GET /slow/path?q=1 HTTP/1.1\r\nHost: reads.test\r\nX-Tag: slow-one\r\nConnection: close\r\n\r\n';
  const slow = new Promise<string>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
    });
    s.on('error', reject);
    s.on('close', () => resolve(got));
    let i = 0;
    const timer = setInterval(() => {
      s.write(head[i]!);
      if (++i === head.length) clearInterval(timer);
    }, 1);
  });
  // Meanwhile other connections fill the shared buffer with other bytes.
  const noise = Array.from({ length: 8 }, (_, c) =>
    pipelined(100 + c, [{ path: `/noise/${c}`, tag: 'noise', body: pattern(c, 3000), chunked: false }]),
  );
  const [got] = await Promise.all([slow, ...noise]);
  const body = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4)) as { path: string; tag: string };
  assert.deepEqual({ path: body.path, tag: body.tag }, { path: '/slow/path?q=1', tag: 'slow-one' });
});

/** A POST whose body is written in small pieces with pauses, so each proxy read holds a few KiB. */
function trickledPost(p: number, path: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(p, '127.0.0.1');
    let got = '';
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
    });
    s.on('error', reject);
    s.on('close', () => resolve(got));
    s.write(`POST ${path} HTTP/1.1\r\nHost: reads.test\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    let off = 0;
    let step = 0;
    const next = (): void => {
      if (off >= body.length) return;
      const n = Math.min(body.length - off, 3000 + (off % 1500));
      s.write(body.subarray(off, off + n));
      off += n;
      // Pauses now and then so the proxy reads a piece at a time.
      if (++step % 16 === 0) setTimeout(next, 1);
      else setImmediate(next);
    };
    next();
  });
}

test('body bytes an upstream is slow to take are not overwritten by later reads', async (t) => {
  // Reads nothing for a while, so the proxy's writes to it queue up, then hashes the body.
  const slow = net.createServer((s) => {
    s.pause();
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    setTimeout(() => s.resume(), 300);
    s.on('error', () => {});
    const check = (): void => {
      const all = Buffer.concat(chunks);
      const headEnd = all.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const len = Number(/content-length: (\d+)/i.exec(all.subarray(0, headEnd).toString('latin1'))![1]);
      const body = all.subarray(headEnd + 4);
      if (body.length < len) return;
      const out = JSON.stringify({ len: body.length, sha: sha(body.subarray(0, len)) });
      s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${out.length}\r\nconnection: close\r\n\r\n${out}`);
    };
    s.on('data', check);
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  const dp2 = createDataPlane({ bindAddress: '127.0.0.1' });
  const p2 = await freePort();
  await dp2.apply(
    simpleIR(
      p2,
      [route({ match: match(), action: forward('s') })],
      [cluster('s', [(slow.address() as AddressInfo).port])],
    ),
    'v1',
  );
  t.after(async () => {
    await dp2.close({ graceMs: 10 });
    await new Promise((r) => slow.close(r));
  });
  const body = pattern(7, 3 * 1024 * 1024);
  const got = await trickledPost(p2, '/slow', body);
  const r = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4)) as { len: number; sha: string };
  assert.deepEqual(r, { len: body.length, sha: sha(body) });
});

test('a retried request replays the body it read, byte for byte', async (t) => {
  // The first attempt reads the whole body and answers 503; the retry must carry the same bytes.
  let attempt = 0;
  const flaky = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (attempt++ % 2 === 0) {
        res.statusCode = 503;
        res.end();
        return;
      }
      res.end(JSON.stringify({ len: body.length, sha: sha(body) }));
    });
  });
  await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
  const dp2 = createDataPlane({ bindAddress: '127.0.0.1' });
  const p2 = await freePort();
  await dp2.apply(
    simpleIR(
      p2,
      [
        route({
          match: match(),
          action: forward('f'),
          retry: { attempts: 2, codes: [503], backoffMs: 0, onConnectFailure: false },
        }),
      ],
      [cluster('f', [(flaky.address() as AddressInfo).port])],
    ),
    'v1',
  );
  t.after(async () => {
    await dp2.close({ graceMs: 10 });
    flaky.closeAllConnections();
    await new Promise((r) => flaky.close(r));
  });
  // Under the 64 KiB replay limit, read in several small pieces.
  const body = pattern(11, 60 * 1024);
  const got = await trickledPost(p2, '/retry', body);
  assert.match(got, /^HTTP\/1.1 200 /);
  const r = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4)) as { len: number; sha: string };
  assert.deepEqual(r, { len: body.length, sha: sha(body) });
});
