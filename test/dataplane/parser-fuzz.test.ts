// Differential fuzzing of the request-head parser against Node's llhttp (through node:http):
// whatever the gateway accepts, llhttp must accept with the same method, target and fields.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { findHeadEnd, HttpParseError, parseRequestHead } from '../../src/dataplane/http1/parser.ts';
import { drive } from '../testdata/http1/driver.ts';
import { compareWithLlhttp, describeFailure, fuzzHttp1 } from '../testdata/http1/fuzz.ts';
import { startLlhttp } from '../testdata/http1/llhttp.ts';
import { bytes, CORPUS, SMALL_LIMITS } from '../testdata/http1/smuggling.ts';

const seeds = [
  'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'POST /p?q=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\nX-A: b c\r\n\r\n',
  'GET /x HTTP/1.0\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n',
  'PUT /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n',
];
const alphabet = [
  '\r',
  '\n',
  ' ',
  '\t',
  ':',
  '\x00',
  '\x7f',
  '\xff',
  'a',
  'A',
  '/',
  ',',
  '(',
  '"',
  'HTTP/1.1',
  '\r\n',
  'Content-Length: 1\r\n',
  'Transfer-Encoding: chunked\r\n',
  ' x',
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function mutate(input: string, r: () => number): string {
  let s = input;
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const pos = Math.floor(r() * s.length);
    const op = r();
    const piece = alphabet[Math.floor(r() * alphabet.length)]!;
    if (op < 0.4) s = s.slice(0, pos) + piece + s.slice(pos);
    else if (op < 0.7) s = s.slice(0, pos) + s.slice(pos + 1);
    else s = s.slice(0, pos) + piece + s.slice(pos + 1);
  }
  return s;
}

type Verdict = { ok: false } | { ok: true; method: string; target: string; headers: string[] };

function ours(input: string): Verdict {
  const b = Buffer.from(input, 'latin1');
  try {
    const end = findHeadEnd(b, 0, 0, 400);
    if (end === -1 || end !== b.length) return { ok: false };
    const h = parseRequestHead(b, 0, end);
    return { ok: true, method: h.method, target: h.target, headers: h.headers };
  } catch (err) {
    assert.ok(err instanceof HttpParseError, 'unexpected exception: ' + String(err));
    return { ok: false };
  }
}

test('parser never accepts what llhttp rejects or reads differently', async () => {
  let last: { method: string; url: string; headers: string[] } | null = null;
  const server = http.createServer((req, res) => {
    last = {
      method: req.method!,
      url: req.url!,
      headers: req.rawHeaders.map((v, i) => (i % 2 === 0 ? v.toLowerCase() : v)),
    };
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const llhttp = (input: string): Promise<string> =>
    new Promise((resolve) => {
      last = null;
      const s = net.connect(port, '127.0.0.1');
      let out = '';
      s.on('data', (c) => {
        out += c;
        if (out.includes('\r\n\r\n')) s.destroy();
      });
      s.on('error', () => {});
      s.on('close', () => resolve(out.slice(0, 12)));
      s.write(Buffer.from(input, 'latin1'));
      setTimeout(() => s.destroy(), 300);
    });
  const r = rng(42);
  let accepted = 0;
  try {
    for (let i = 0; i < 400; i++) {
      const input = mutate(seeds[i % seeds.length]!, r);
      const v = ours(input);
      // llhttp only knows registered methods; any token is a valid method for the gateway.
      if (!v.ok || !http.METHODS.includes(v.method)) continue;
      // Bodies are not part of this test: only heads without framing headers that need bytes.
      const status = await llhttp(input);
      if (/content-length: [1-9]|transfer-encoding/i.test(input) && status === '') continue;
      accepted++;
      assert.equal(status, 'HTTP/1.1 200', 'llhttp rejected what we accepted: ' + JSON.stringify(input));
      const got = last as { method: string; url: string; headers: string[] } | null;
      assert.ok(got, JSON.stringify(input));
      assert.equal(got.method, v.method);
      assert.equal(got.url, v.target);
      assert.deepEqual(got.headers, v.headers, JSON.stringify(input));
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  assert.ok(accepted > 20, 'too few accepted cases: ' + accepted);
});

test('response parser and chunked decoder only ever throw HttpParseError on random input', async () => {
  const { parseResponseHead, ChunkedDecoder } = await import('../../src/dataplane/http1/parser.ts');
  const r = rng(7);
  const base = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n';
  for (let i = 0; i < 3000; i++) {
    const s = mutate(base, r);
    const b = Buffer.from(s, 'latin1');
    try {
      const end = findHeadEnd(b, 0, 0, 502);
      if (end !== -1) parseResponseHead(b, 0, end);
    } catch (err) {
      assert.ok(err instanceof HttpParseError, String(err));
    }
    const chunked = Buffer.from(mutate('5\r\nhello\r\n3;x\r\nabc\r\n0\r\nT: v\r\n\r\n', r), 'latin1');
    try {
      new ChunkedDecoder(400).decode(chunked, 0, { onChunkData() {} });
    } catch (err) {
      assert.ok(err instanceof HttpParseError, String(err));
    }
  }
});

test('response heads: whatever the gateway accepts, llhttp (node:http client) reads the same way', async () => {
  const { parseResponseHead } = await import('../../src/dataplane/http1/parser.ts');
  let reply = Buffer.alloc(0);
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.end(reply));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const seedsR = [
    'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-A: b\r\n\r\n',
    'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n',
    'HTTP/1.1 302 Found\r\nLocation: /x\r\nSet-Cookie: a=b\r\nContent-Length: 0\r\n\r\n',
  ];
  const r = rng(99);
  let compared = 0;
  try {
    for (let i = 0; i < 300; i++) {
      const input = mutate(seedsR[i % seedsR.length]!, r);
      const b = Buffer.from(input, 'latin1');
      let ours: ReturnType<typeof parseResponseHead> | null = null;
      try {
        const end = findHeadEnd(b, 0, 0, 502);
        if (end === b.length) ours = parseResponseHead(b, 0, end);
      } catch (err) {
        assert.ok(err instanceof HttpParseError, String(err));
      }
      if (ours === null || ours.chunked || ours.contentLength > 0) continue;
      reply = b;
      const theirs = await new Promise<{ status: number; headers: string[] } | null>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          resolve({
            status: res.statusCode!,
            headers: res.rawHeaders.map((v, j) => (j % 2 === 0 ? v.toLowerCase() : v)),
          });
          res.resume();
        });
        req.on('error', () => resolve(null));
      });
      compared++;
      assert.ok(theirs, 'llhttp rejected a response the gateway accepted: ' + JSON.stringify(input));
      assert.equal(theirs.status, ours.status, JSON.stringify(input));
      assert.deepEqual(theirs.headers, ours.headers, JSON.stringify(input));
    }
  } finally {
    server.close();
  }
  assert.ok(compared > 20, 'compared ' + compared);
});

// ---- grammar-generated streams and the smuggling corpus against llhttp -----------------------
// test/testdata/http1/fuzz.ts holds the generator, the rules and the list of deliberate
// differences; `npm run fuzz:http1` runs the same cases for longer (any seed, any count).

/** Fixed so CI is reproducible; FUZZ_SEED explores another stream with the same bounds. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261124);

test('grammar-generated requests: the gateway never accepts what llhttp rejects, and reads the same', async () => {
  const stats = await fuzzHttp1({ seed: SEED, iterations: 1500, llhttp: true });
  assert.deepEqual(stats.failures.map(describeFailure), [], 'seed ' + SEED);
  // The generator must exercise framing, not just request lines.
  assert.ok(stats.compared >= 500, JSON.stringify(stats));
  assert.ok(stats.comparedChunked >= 80, JSON.stringify(stats));
  assert.ok(stats.comparedLength >= 150, JSON.stringify(stats));
  assert.ok(stats.rejected >= 300, JSON.stringify(stats));
});

test('grammar-generated requests: only HttpParseError, same result whatever the arrival pieces', async () => {
  const stats = await fuzzHttp1({ seed: SEED + 1, iterations: 6000, llhttp: false });
  assert.deepEqual(stats.failures.map(describeFailure), [], 'seed ' + (SEED + 1));
});

// Corpus vectors the gateway rejects and llhttp (as configured in llhttp.ts) accepts: the
// deliberate differences listed in fuzz.ts, checked so the list stays true.
const STRICTER_THAN_LLHTTP = [
  'TE: trailing space',
  'TE: identity, chunked',
  'TE: gzip, chunked',
  'TE: identity header then chunked header',
  'TE: chunked in HTTP/1.0',
  'TE: leading comma',
  'chunk size: 13 digits',
  'chunk ext: oversized',
  'chunk ext: empty name',
  'chunk ext: missing value',
  'target: fragment',
  'bare LF before the request line',
  'limit: request line over 60 KiB is 414',
  'limit: head over 60 KiB is 431',
  'limit: 101 header fields is 431',
  'small limits: request line over 256 bytes is 414',
  'small limits: head over 1 KiB is 431',
  'small limits: 11 header fields is 431',
  'small limits: Content-Length over 16 is 413 before any byte is forwarded',
  'small limits: chunked body over 16 is 413',
  'request line: two spaces',
  'request line: no version (HTTP/0.9)',
  'version: HTTP/2.0 is 505',
  'version: HTTP/0.9 is 505',
  'target: absolute-form with userinfo',
  'target: absolute-form with another scheme',
  'target: absolute-form with empty authority',
  'target: asterisk-form on GET',
  'host: two different',
  'host: same twice',
  'host: twice in HTTP/1.0',
  'host: space inside',
  'host: slash inside',
  'host: userinfo',
];

test('smuggling corpus against llhttp: accepted vectors read identically, stricter ones as documented', async () => {
  const judge = await startLlhttp();
  const violations: string[] = [];
  const stricter: string[] = [];
  try {
    for (const v of CORPUS) {
      const input = bytes(v);
      const ours = drive(input, v.limits === 'small' ? SMALL_LIMITS : undefined);
      const theirs = await judge.judge(input);
      const reason = compareWithLlhttp(ours, theirs);
      if (reason !== null) violations.push(v.name + ': ' + reason);
      if (ours.error !== null && theirs.error === null && theirs.requests.length > ours.requests.length) {
        stricter.push(v.name);
      }
    }
  } finally {
    await judge.close();
  }
  assert.deepEqual(violations, []);
  assert.deepEqual(stricter, STRICTER_THAN_LLHTTP);
});
