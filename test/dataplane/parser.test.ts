import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_HTTP1_LIMITS } from '../../src/dataplane/http1/limits.ts';
import {
  ChunkedDecoder,
  checkPartialRequestHead,
  findHeadEnd,
  HttpParseError,
  parseRequestHead,
  parseResponseHead,
} from '../../src/dataplane/http1/parser.ts';

function parseReq(s: string) {
  const b = Buffer.from(s, 'latin1');
  const end = findHeadEnd(b, 0, 0, 400);
  assert.notEqual(end, -1, 'head incomplete');
  return parseRequestHead(b, 0, end);
}

function rejects(s: string, status = 400) {
  assert.throws(
    () => parseReq(s),
    (e: unknown) => e instanceof HttpParseError && e.status === status,
    JSON.stringify(s),
  );
}

test('parses a request head', () => {
  const h = parseReq('GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-Foo:  bar  \r\nConnection: keep-alive, X-Hop\r\n\r\n');
  assert.equal(h.method, 'GET');
  assert.equal(h.target, '/a?b=c');
  assert.equal(h.minor, 1);
  assert.deepEqual(h.headers, ['host', 'x', 'x-foo', 'bar', 'connection', 'keep-alive, X-Hop']);
  assert.equal(h.host, 'x');
  assert.equal(h.close, false);
  assert.deepEqual(h.hopByHop, ['x-hop']);
});

test('HTTP/1.0 closes unless keep-alive', () => {
  assert.equal(parseReq('GET / HTTP/1.0\r\n\r\n').close, true);
  assert.equal(parseReq('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n').close, false);
});

test('framing: content-length and chunked', () => {
  assert.equal(parseReq('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n').contentLength, 5);
  assert.equal(parseReq('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n').chunked, true);
});

test('rejects smuggling vectors and malformed heads', () => {
  rejects('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n');
  rejects('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n');
  rejects('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n');
  rejects('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n');
  rejects('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n');
  rejects('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n');
  rejects('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n');
  rejects('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked,,\r\n\r\n');
  rejects('GET A/ HTTP/1.1\r\nHost: x\r\n\r\n');
  rejects('GET * HTTP/1.1\r\nHost: x\r\n\r\n');
  rejects('GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n'); // obs-fold
  rejects('GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n'); // bare CR
  rejects('GET / HTTP/1.1\r\nHost: x\r\nX: a\nY: b\r\n\r\n'); // bare LF
  rejects('GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n'); // NUL
  rejects('GET / HTTP/1.1\r\nHost: x\r\nBad Name: a\r\n\r\n');
  rejects('GET / HTTP/1.1\r\nHost: x\r\nBad(Name): a\r\n\r\n');
  rejects('GET / HTTP/1.1\r\nHost: x\r\n: a\r\n\r\n');
  rejects('GET / HTTP/1.1\r\nHost : x\r\n\r\n');
  rejects('GET / HTTP/1.1\r\n\r\n'); // no host
  rejects('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
  rejects('GET /a b HTTP/1.1\r\nHost: x\r\n\r\n');
  rejects('G(T / HTTP/1.1\r\nHost: x\r\n\r\n');
  rejects('GET / HTTP/1.2\r\nHost: x\r\n\r\n', 505);
  rejects('GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505);
  rejects('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n');
  rejects('GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n');
  rejects('POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n');
  assert.throws(() => findHeadEnd(Buffer.from('GET / HTTP/1.1\nHost: x\n\n'), 0, 0, 400), HttpParseError);
});

test('too many headers is 431', () => {
  let s = 'GET / HTTP/1.1\r\nHost: x\r\n';
  for (let i = 0; i < 300; i++) s += 'X-' + i + ': v\r\n';
  rejects(s + '\r\n', 431);
});

test('response heads', () => {
  const b = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\n');
  const h = parseResponseHead(b, 0, b.length);
  assert.equal(h.status, 404);
  assert.equal(h.reason, 'Not Found');
  assert.equal(h.contentLength, 3);
  assert.equal(h.close, true);
  const b2 = Buffer.from('HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\n\r\n');
  assert.equal(parseResponseHead(b2, 0, b2.length).chunked, true);
  const bad = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n');
  assert.throws(() => parseResponseHead(bad, 0, bad.length), HttpParseError);
});

test('chunked decoder: split at every byte, extensions, trailers', () => {
  const wire = Buffer.from('5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\nNEXT');
  for (let split = 1; split < wire.length; split++) {
    const d = new ChunkedDecoder(400);
    const out: Buffer[] = [];
    const sink = { onChunkData: (b: Buffer) => out.push(Buffer.from(b)) };
    let end = d.decode(wire.subarray(0, split), 0, sink);
    let rest = '';
    if (end === -1) {
      const second = wire.subarray(split);
      end = d.decode(second, 0, sink);
      assert.notEqual(end, -1);
      rest = second.subarray(end).toString();
    } else {
      rest = wire.subarray(end).toString();
    }
    assert.equal(Buffer.concat(out).toString(), 'hello world');
    assert.equal(rest, 'NEXT');
  }
});

test('chunked decoder rejects garbage', () => {
  const sink = { onChunkData() {} };
  for (const bad of ['x\r\n', '5\r\nhelloX\r\n', '5\nhello\r\n', '\r\n', 'fffffffffffffff\r\n']) {
    assert.throws(() => new ChunkedDecoder(400).decode(Buffer.from(bad), 0, sink), HttpParseError, bad);
  }
});

test('chunked decoder: a body limit is enforced when a chunk size announces it, before its data', () => {
  const out: string[] = [];
  const sink = { onChunkData: (b: Buffer) => out.push(b.toString()) };
  const d = new ChunkedDecoder(400, 10);
  assert.throws(
    () => d.decode(Buffer.from('6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n'), 0, sink),
    (e: unknown) => e instanceof HttpParseError && e.status === 413,
  );
  assert.deepEqual(out, ['abcdef']);
  // The limit is per message: reset() starts counting again.
  d.reset();
  assert.notEqual(d.decode(Buffer.from('a\r\n0123456789\r\n0\r\n\r\n'), 0, sink), -1);
});

test('incomplete heads: bare CR/LF rejected early, 414 and 431 before the head ends', () => {
  const partial = (s: string) => Buffer.from(s, 'latin1');
  assert.equal(findHeadEnd(partial('GET / HTTP/1.1\r\nHost: x\r\n'), 0, 0, 400), -1);
  assert.equal(findHeadEnd(partial('GET / HTTP/1.1\r'), 0, 0, 400), -1); // the LF may follow
  assert.throws(() => findHeadEnd(partial('GET / HTTP/1.1\nHost'), 0, 0, 400), HttpParseError);
  assert.throws(() => findHeadEnd(partial('GET / HTTP/1.1\r\nHost: x\rY'), 0, 0, 400), HttpParseError);
  const limits = { ...DEFAULT_HTTP1_LIMITS, maxRequestLineBytes: 16, maxHeadBytes: 64 };
  const status = (s: string): number => {
    try {
      checkPartialRequestHead(partial(s), 0, limits);
      return 0;
    } catch (e) {
      return (e as HttpParseError).status;
    }
  };
  assert.equal(status('GET /0123456789'), 0);
  assert.equal(status('GET /0123456789ab'), 414);
  assert.equal(status('GET / HTTP/1.1\r\nX: ' + 'v'.repeat(40)), 0);
  assert.equal(status('GET / HTTP/1.1\r\nX: ' + 'v'.repeat(60)), 431);
  assert.equal(status('\r\n'.repeat(40)), 431); // empty lines before a request count
});
