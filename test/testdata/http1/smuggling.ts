// Request-smuggling and malformed-request corpus for the HTTP/1.1 codec, as data. Each vector is
// the raw bytes a client sends and what the gateway must do with them:
// - reject: answer this status with "connection: close" and close, forwarding nothing after it
//   (`partial`: the head was valid and forwarded before the body broke; the upstream may have
//   seen that one request, aborted, never anything behind it);
// - accept: the upstream sees exactly these requests (method, target, body, framing), in order.
// test/dataplane/smuggling.test.ts runs every vector against the parser and through a data plane.
//
// Line endings, decided: every line of a head, chunk-size line and trailer ends in CRLF. A bare LF
// or a CR not followed by LF anywhere is 400 (RFC 9112 §2.2 allows accepting bare LF; a proxy
// that does so while the server behind it does not, or the other way round, is a smuggling
// vector). Empty lines (CRLF) before a request line are skipped.
import type { Http1Limits } from '../../../src/dataplane/http1/limits.ts';
import type { Framing } from './driver.ts';

export interface AcceptedRequest {
  method: string;
  /** Target as parsed (the request line). */
  target: string;
  /** Target the upstream receives when it differs (absolute-form is reduced to origin-form). */
  upstreamTarget?: string;
  body: string;
  framing: Framing;
  /** Header values the upstream must receive (lower-case names). */
  headers?: Record<string, string>;
}

export type Outcome =
  | {
      reject: number;
      partial?: boolean /** The parser accepts; the connection refuses (e.g. CONNECT). */;
      connectionOnly?: boolean;
    }
  | {
      accept: AcceptedRequest[] /** The connection closes after the response (HTTP/1.0, Connection: close). */;
      close?: boolean;
    };

export interface Vector {
  name: string;
  raw: string;
  expect: Outcome;
  /** 'small' runs with SMALL_LIMITS, otherwise the defaults. */
  limits?: 'small';
}

/** Tight limits so limit vectors stay small: boundaries are tested on both sides. */
export const SMALL_LIMITS: Http1Limits = Object.freeze({
  maxRequestLineBytes: 256,
  maxHeadBytes: 1024,
  maxHeaderCount: 10,
  maxBodyBytes: 16,
});

/** The bytes as latin1 (one char per byte). */
export function bytes(v: Vector): Buffer {
  return Buffer.from(v.raw, 'latin1');
}

const H = 'Host: x\r\n';
const GET = (method = 'GET', target = '/'): AcceptedRequest => ({ method, target, body: '', framing: 'none' });
const POST = (body: string, framing: Framing, extra: Partial<AcceptedRequest> = {}): AcceptedRequest => ({
  method: 'POST',
  target: '/',
  body,
  framing,
  ...extra,
});
const ok = (...requests: AcceptedRequest[]): Outcome => ({ accept: requests });
const bad = (status = 400): Outcome => ({ reject: status });
const badBody = (status = 400): Outcome => ({ reject: status, partial: true });
const post = (headers: string, body = ''): string => 'POST / HTTP/1.1\r\n' + H + headers + '\r\n' + body;
const chunkedPost = (body: string, extraHeaders = ''): string =>
  post('Transfer-Encoding: chunked\r\n' + extraHeaders, body);
const getWith = (headers: string): string => 'GET / HTTP/1.1\r\n' + H + headers + '\r\n';
const fields = (n: number, size = 1): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += 'X-' + i + ': ' + 'v'.repeat(size) + '\r\n';
  return s;
};
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';

const framing: Vector[] = [
  { name: 'baseline GET', raw: getWith(''), expect: ok(GET()) },
  {
    name: 'baseline Content-Length body',
    raw: post('Content-Length: 5\r\n', 'hello'),
    expect: ok(POST('hello', 'length')),
  },
  { name: 'baseline chunked body', raw: chunkedPost('5\r\nhello\r\n0\r\n\r\n'), expect: ok(POST('hello', 'chunked')) },
  {
    name: 'baseline pipelined requests',
    raw: getWith('') + 'GET /2 HTTP/1.1\r\n' + H + '\r\n',
    expect: ok(GET(), GET('GET', '/2')),
  },
  {
    name: 'Content-Length body followed by a pipelined request',
    raw: post('Content-Length: 5\r\n', 'hello' + SMUGGLED),
    expect: ok(POST('hello', 'length'), GET('GET', '/smuggled')),
  },
  {
    name: 'chunked body followed by a pipelined request',
    raw: chunkedPost('5\r\nhello\r\n0\r\n\r\n' + SMUGGLED),
    expect: ok(POST('hello', 'chunked'), GET('GET', '/smuggled')),
  },
  { name: 'leading empty lines before the request line', raw: '\r\n\r\n' + getWith(''), expect: ok(GET()) },
  { name: 'Content-Length: 0 on GET', raw: getWith('Content-Length: 0\r\n'), expect: ok(GET()) },
  {
    name: 'HTTP/1.0 without Host closes after the response',
    raw: 'GET / HTTP/1.0\r\n\r\n',
    expect: { accept: [GET()], close: true },
  },
  {
    name: 'HTTP/1.0 keep-alive with a body',
    raw: 'POST / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi',
    expect: ok(POST('hi', 'length')),
  },
  { name: 'Connection: close', raw: getWith('Connection: close\r\n'), expect: { accept: [GET()], close: true } },
];

const clte: Vector[] = [
  {
    name: 'CL.TE: Content-Length and chunked',
    raw: post('Content-Length: 6\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\nG'),
    expect: bad(),
  },
  {
    name: 'CL.TE: smuggled request inside the chunked terminator',
    raw: post('Content-Length: 40\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n' + SMUGGLED),
    expect: bad(),
  },
  {
    name: 'TE.CL: chunked then Content-Length',
    raw: post('Transfer-Encoding: chunked\r\nContent-Length: 3\r\n', '8\r\nSMUGGLED\r\n0\r\n\r\n'),
    expect: bad(),
  },
  {
    name: 'TE.CL: chunk carrying a request',
    raw: post(
      'Transfer-Encoding: chunked\r\nContent-Length: 4\r\n',
      SMUGGLED.length.toString(16) + '\r\n' + SMUGGLED + '\r\n0\r\n\r\n',
    ),
    expect: bad(),
  },
  {
    name: 'Content-Length: 0 with chunked',
    raw: post('Content-Length: 0\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'),
    expect: bad(),
  },
  {
    name: 'Content-Length with Transfer-Encoding: identity',
    raw: post('Content-Length: 5\r\nTransfer-Encoding: identity\r\n', 'hello'),
    expect: bad(),
  },
];

const tete: Vector[] = [
  { name: 'TE: xchunked', raw: chunkedPost('0\r\n\r\n').replace('chunked', 'xchunked'), expect: bad() },
  { name: 'TE: chunkedx', raw: post('Transfer-Encoding: chunkedx\r\n', '0\r\n\r\n'), expect: bad() },
  {
    name: 'TE: extra space before the value is OWS',
    raw: post('Transfer-Encoding:   chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'),
    expect: ok(POST('hello', 'chunked')),
  },
  {
    name: 'TE: tab before the value is OWS',
    raw: post('Transfer-Encoding:\tchunked\r\n', '0\r\n\r\n'),
    expect: ok(POST('', 'chunked')),
  },
  // RFC 9110 strips trailing OWS, llhttp refuses it after a transfer coding: refused too.
  { name: 'TE: trailing whitespace', raw: post('Transfer-Encoding: chunked \t\r\n', '0\r\n\r\n'), expect: bad() },
  { name: 'TE: trailing space', raw: post('Transfer-Encoding: chunked \r\n', '0\r\n\r\n'), expect: bad() },
  { name: 'TE: space before colon', raw: post('Transfer-Encoding : chunked\r\n', '0\r\n\r\n'), expect: bad() },
  { name: 'TE: tab before colon', raw: post('Transfer-Encoding\t: chunked\r\n', '0\r\n\r\n'), expect: bad() },
  { name: 'TE: chunked, identity', raw: post('Transfer-Encoding: chunked, identity\r\n', '0\r\n\r\n'), expect: bad() },
  {
    name: 'TE: identity, chunked',
    raw: post('Transfer-Encoding: identity, chunked\r\n', '0\r\n\r\n'),
    expect: bad(501),
  },
  { name: 'TE: gzip, chunked', raw: post('Transfer-Encoding: gzip, chunked\r\n', '0\r\n\r\n'), expect: bad(501) },
  { name: 'TE: gzip alone', raw: post('Transfer-Encoding: gzip\r\n', 'hello'), expect: bad() },
  { name: 'TE: identity alone', raw: post('Transfer-Encoding: identity\r\n', 'hello'), expect: bad() },
  { name: 'TE: chunked, chunked', raw: post('Transfer-Encoding: chunked, chunked\r\n', '0\r\n\r\n'), expect: bad() },
  {
    name: 'TE: duplicated chunked headers',
    raw: post('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'),
    expect: bad(),
  },
  {
    name: 'TE: identity header then chunked header',
    raw: post('Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'),
    expect: bad(501),
  },
  {
    name: 'TE: chunked header then identity header',
    raw: post('Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n', '0\r\n\r\n'),
    expect: bad(),
  },
  {
    name: 'TE: chunked in HTTP/1.0',
    raw: 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    expect: bad(),
  },
  {
    name: 'TE: upper case name and value',
    raw: post('TRANSFER-ENCODING: CHUNKED\r\n', '5\r\nhello\r\n0\r\n\r\n'),
    expect: ok(POST('hello', 'chunked')),
  },
  {
    name: 'TE: vertical tab before chunked',
    raw: post('Transfer-Encoding: \x0bchunked\r\n', '0\r\n\r\n'),
    expect: bad(),
  },
  {
    name: 'TE: vertical tab after chunked',
    raw: post('Transfer-Encoding: chunked\x0b\r\n', '0\r\n\r\n'),
    expect: bad(),
  },
  { name: 'TE: form feed before chunked', raw: post('Transfer-Encoding:\x0cchunked\r\n', '0\r\n\r\n'), expect: bad() },
  { name: 'TE: NUL after chunked', raw: post('Transfer-Encoding: chunked\x00\r\n', '0\r\n\r\n'), expect: bad() },
  { name: 'TE: quoted "chunked"', raw: post('Transfer-Encoding: "chunked"\r\n', '0\r\n\r\n'), expect: bad() },
  { name: 'TE: trailing comma', raw: post('Transfer-Encoding: chunked,\r\n', '0\r\n\r\n'), expect: bad() },
  { name: 'TE: leading comma', raw: post('Transfer-Encoding: ,chunked\r\n', '0\r\n\r\n'), expect: bad() },
  { name: 'TE: empty value', raw: post('Transfer-Encoding: \r\nContent-Length: 5\r\n', 'hello'), expect: bad() },
  { name: 'TE: chunked with a parameter', raw: post('Transfer-Encoding: chunked;q=1\r\n', '0\r\n\r\n'), expect: bad() },
  {
    name: 'TE: folded onto the next line',
    raw: post('Transfer-Encoding:\r\n chunked\r\n', '0\r\n\r\n'),
    expect: bad(),
  },
  { name: 'TE: obs-text lookalike', raw: post('Transfer-Encoding: chunk\xe9d\r\n', '0\r\n\r\n'), expect: bad() },
  {
    name: 'TE: Transfer_Encoding is an ordinary header, Content-Length frames',
    raw: post('Transfer_Encoding: chunked\r\nContent-Length: 5\r\n', 'hello'),
    expect: ok(POST('hello', 'length', { headers: { transfer_encoding: 'chunked' } })),
  },
  {
    name: 'TE: on a GET without a body',
    raw: 'GET / HTTP/1.1\r\n' + H + 'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    expect: ok({ ...GET(), framing: 'chunked' }),
  },
];

const contentLength: Vector[] = [
  { name: 'CL: same value twice', raw: post('Content-Length: 5\r\nContent-Length: 5\r\n', 'hello'), expect: bad() },
  { name: 'CL: different values', raw: post('Content-Length: 5\r\nContent-Length: 6\r\n', 'hello!'), expect: bad() },
  { name: 'CL: list of equal values', raw: post('Content-Length: 5, 5\r\n', 'hello'), expect: bad() },
  { name: 'CL: list 1, 2', raw: post('Content-Length: 1, 2\r\n', 'ab'), expect: bad() },
  { name: 'CL: +1', raw: post('Content-Length: +1\r\n', 'a'), expect: bad() },
  { name: 'CL: -1', raw: post('Content-Length: -1\r\n', 'a'), expect: bad() },
  {
    name: 'CL: leading zeros are decimal',
    raw: post('Content-Length: 0005\r\n', 'hello'),
    expect: ok(POST('hello', 'length')),
  },
  { name: 'CL: 20 digits', raw: post('Content-Length: 99999999999999999999\r\n', 'a'), expect: bad() },
  { name: 'CL: 2^64', raw: post('Content-Length: 18446744073709551616\r\n', 'a'), expect: bad() },
  { name: 'CL: empty', raw: post('Content-Length: \r\n', 'a'), expect: bad() },
  { name: 'CL: hex', raw: post('Content-Length: 0x5\r\n', 'hello'), expect: bad() },
  { name: 'CL: decimal point', raw: post('Content-Length: 5.0\r\n', 'hello'), expect: bad() },
  { name: 'CL: space inside', raw: post('Content-Length: 1 0\r\n', '0123456789'), expect: bad() },
  { name: 'CL: space before colon', raw: post('Content-Length : 5\r\n', 'hello'), expect: bad() },
  {
    name: 'CL: trailing whitespace is OWS',
    raw: post('Content-Length: 5 \t\r\n', 'hello'),
    expect: ok(POST('hello', 'length')),
  },
  { name: 'CL: vertical tab', raw: post('Content-Length: \x0b5\r\n', 'hello'), expect: bad() },
  { name: 'CL: folded', raw: post('Content-Length:\r\n 5\r\n', 'hello'), expect: bad() },
  { name: 'CL: upper-case name', raw: post('CONTENT-LENGTH: 5\r\n', 'hello'), expect: ok(POST('hello', 'length')) },
  { name: 'CL: unicode digit', raw: post('Content-Length: \xb95\r\n', 'hello'), expect: bad() },
];

const chunkSizes: Vector[] = [
  { name: 'chunk size: hex overflow', raw: chunkedPost('fffffffffffffffff1\r\nx\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk size: 13 digits', raw: chunkedPost('0000000000005\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk size: negative', raw: chunkedPost('-5\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk size: 0x prefix', raw: chunkedPost('0x5\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk size: leading space', raw: chunkedPost(' 5\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk size: trailing space', raw: chunkedPost('5 \r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk size: trailing tab', raw: chunkedPost('5\t\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk size: empty', raw: chunkedPost('\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk size: not hex', raw: chunkedPost('g\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk size: bare LF', raw: chunkedPost('5\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk size: bare CR', raw: chunkedPost('5\rhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk data: missing CRLF', raw: chunkedPost('5\r\nhello0\r\n\r\n'), expect: badBody() },
  { name: 'chunk data: longer than its size', raw: chunkedPost('3\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk data: LF only after data', raw: chunkedPost('5\r\nhello\n0\r\n\r\n'), expect: badBody() },
  {
    name: 'chunk size: upper-case hex',
    raw: chunkedPost('A\r\n0123456789\r\n0\r\n\r\n'),
    expect: ok(POST('0123456789', 'chunked')),
  },
  {
    name: 'chunk size: leading zeros',
    raw: chunkedPost('005\r\nhello\r\n000\r\n\r\n'),
    expect: ok(POST('hello', 'chunked')),
  },
  {
    name: 'chunked: several chunks',
    raw: chunkedPost('1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\n\r\n'),
    expect: ok(POST('abcdef', 'chunked')),
  },
  {
    name: 'chunked: last chunk without the final CRLF, a request follows',
    raw: chunkedPost('0\r\n' + SMUGGLED),
    expect: badBody(),
  },
];

const chunkExtensions: Vector[] = [
  {
    name: 'chunk ext: name=value',
    raw: chunkedPost('5;name=value\r\nhello\r\n0\r\n\r\n'),
    expect: ok(POST('hello', 'chunked')),
  },
  {
    name: 'chunk ext: name only',
    raw: chunkedPost('5;flag\r\nhello\r\n0;last\r\n\r\n'),
    expect: ok(POST('hello', 'chunked')),
  },
  {
    name: 'chunk ext: quoted value with ; and an escaped quote',
    raw: chunkedPost('5;a="v; \\"x\\""\r\nhello\r\n0\r\n\r\n'),
    expect: ok(POST('hello', 'chunked')),
  },
  {
    name: 'chunk ext: several',
    raw: chunkedPost('5;a=1;b;c="2"\r\nhello\r\n0\r\n\r\n'),
    expect: ok(POST('hello', 'chunked')),
  },
  {
    name: 'chunk ext: oversized',
    raw: chunkedPost('5;' + 'a'.repeat(5000) + '\r\nhello\r\n0\r\n\r\n'),
    expect: badBody(),
  },
  { name: 'chunk ext: bare LF', raw: chunkedPost('5;a=b\nhello\r\n0\r\n\r\n'), expect: badBody() },
  {
    name: 'chunk ext: CR inside a quoted value',
    raw: chunkedPost('5;a="x\ry"\r\nhello\r\n0\r\n\r\n'),
    expect: badBody(),
  },
  { name: 'chunk ext: unterminated quote', raw: chunkedPost('5;a="x\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  {
    name: 'chunk ext: invalid character in a token',
    raw: chunkedPost('5;a=b@c\r\nhello\r\n0\r\n\r\n'),
    expect: badBody(),
  },
  { name: 'chunk ext: NUL', raw: chunkedPost('5;a\x00\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk ext: empty name', raw: chunkedPost('5;=b\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk ext: missing value', raw: chunkedPost('5;a=\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk ext: whitespace before ;', raw: chunkedPost('5 ;a=b\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk ext: whitespace after ;', raw: chunkedPost('5; a=b\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk ext: whitespace around =', raw: chunkedPost('5;a = b\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  { name: 'chunk ext: obs-text in a token', raw: chunkedPost('5;a=\xe9\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
  {
    name: 'chunk ext: obs-text in a quoted value',
    raw: chunkedPost('5;a="\xe9"\r\nhello\r\n0\r\n\r\n'),
    expect: ok(POST('hello', 'chunked')),
  },
  { name: 'chunk ext: without semicolon', raw: chunkedPost('5 a=b\r\nhello\r\n0\r\n\r\n'), expect: badBody() },
];

const trailers: Vector[] = [
  {
    name: 'trailer: valid field',
    raw: chunkedPost('5\r\nhello\r\n0\r\nX-T: v\r\n\r\n'),
    expect: ok(POST('hello', 'chunked')),
  },
  // Framing fields are prohibited in trailers (RFC 9110 §6.5.1); llhttp refuses them too.
  {
    name: 'trailer: Content-Length',
    raw: chunkedPost('5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n'),
    expect: badBody(),
  },
  {
    name: 'trailer: Transfer-Encoding',
    raw: chunkedPost('5\r\nhello\r\n0\r\ntransfer-encoding: chunked\r\n\r\n'),
    expect: badBody(),
  },
  {
    name: 'trailer: Host is dropped',
    raw: chunkedPost('5\r\nhello\r\n0\r\nHost: y\r\n\r\n'),
    expect: ok(POST('hello', 'chunked')),
  },
  { name: 'trailer: obs-fold', raw: chunkedPost('0\r\nX-T: v\r\n w\r\n\r\n'), expect: badBody() },
  { name: 'trailer: no colon', raw: chunkedPost('0\r\nX-T v\r\n\r\n'), expect: badBody() },
  { name: 'trailer: space before colon', raw: chunkedPost('0\r\nX-T : v\r\n\r\n'), expect: badBody() },
  { name: 'trailer: bare LF', raw: chunkedPost('0\r\nX-T: v\n\r\n'), expect: badBody() },
  { name: 'trailer: NUL in value', raw: chunkedPost('0\r\nX-T: a\x00b\r\n\r\n'), expect: badBody() },
];

const injection: Vector[] = [
  { name: 'name: NUL', raw: getWith('X-A\x00: b\r\n'), expect: bad() },
  { name: 'name: CR', raw: getWith('X-A\r: b\r\n'), expect: bad() },
  { name: 'name: LF', raw: getWith('X-A\n: b\r\n'), expect: bad() },
  { name: 'name: space inside', raw: getWith('Bad Name: a\r\n'), expect: bad() },
  { name: 'name: separator', raw: getWith('Bad(Name): a\r\n'), expect: bad() },
  { name: 'name: empty', raw: getWith(': a\r\n'), expect: bad() },
  { name: 'name: DEL', raw: getWith('X\x7f: a\r\n'), expect: bad() },
  { name: 'name: obs-text', raw: getWith('X\xe9: a\r\n'), expect: bad() },
  { name: 'name: space before colon', raw: getWith('X-A : b\r\n'), expect: bad() },
  { name: 'value: NUL', raw: getWith('X-A: a\x00b\r\n'), expect: bad() },
  { name: 'value: bare CR', raw: getWith('X-A: a\rb\r\n'), expect: bad() },
  { name: 'value: bare CR before CRLF', raw: getWith('X-A: a\r\r\n'), expect: bad() },
  { name: 'value: bare LF injects a header', raw: getWith('X-A: a\nTransfer-Encoding: chunked\r\n'), expect: bad() },
  { name: 'value: DEL', raw: getWith('X-A: a\x7f\r\n'), expect: bad() },
  { name: 'value: escape character', raw: getWith('X-A: a\x1bb\r\n'), expect: bad() },
  {
    name: 'value: obs-text is kept',
    raw: getWith('X-A: caf\xe9\r\n'),
    expect: ok({ ...GET(), headers: { 'x-a': 'caf\xe9' } }),
  },
  {
    name: 'value: colon inside is kept',
    raw: getWith('X-A: a: b\r\n'),
    expect: ok({ ...GET(), headers: { 'x-a': 'a: b' } }),
  },
  { name: 'target: NUL', raw: 'GET /a\x00b HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'target: CR', raw: 'GET /a\rb HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'target: LF', raw: 'GET /a\nb HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'target: tab', raw: 'GET /a\tb HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'target: space inside', raw: 'GET /a b HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'target: fragment', raw: 'GET /a#b HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'target: obs-text', raw: 'GET /caf\xe9 HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'target: DEL', raw: 'GET /\x7f HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'request line: NUL first', raw: '\x00GET / HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  {
    name: 'request line: TLS ClientHello on a plain port',
    raw: '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n',
    expect: bad(),
  },
];

const lineEndings: Vector[] = [
  { name: 'bare LF after the request line', raw: 'GET / HTTP/1.1\n' + H + '\r\n', expect: bad() },
  { name: 'bare LF everywhere', raw: 'GET / HTTP/1.1\nHost: x\n\n', expect: bad() },
  { name: 'bare LF ends the head', raw: 'GET / HTTP/1.1\r\nHost: x\r\n\n', expect: bad() },
  { name: 'bare LF between fields', raw: 'GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n', expect: bad() },
  { name: 'bare LF before the request line', raw: '\n' + getWith(''), expect: bad() },
  { name: 'bare CR after the request line', raw: 'GET / HTTP/1.1\r' + H + '\r\n', expect: bad() },
  { name: 'bare CR ends the head', raw: 'GET / HTTP/1.1\r\nHost: x\r\n\r\r\n', expect: bad() },
  { name: 'bare LF in a head still incomplete', raw: 'GET / HTTP/1.1\r\nHost: x\nX: ', expect: bad() },
  { name: 'obs-fold with space', raw: getWith('X-A: a\r\n b\r\n'), expect: bad() },
  { name: 'obs-fold with tab', raw: getWith('X-A: a\r\n\tb\r\n'), expect: bad() },
  { name: 'first field line folded', raw: 'GET / HTTP/1.1\r\n Host: x\r\n\r\n', expect: bad() },
  { name: 'whitespace line between fields', raw: 'GET / HTTP/1.1\r\nHost: x\r\n \r\nX: y\r\n\r\n', expect: bad() },
];

const big = (n: number) => 'a'.repeat(n);
const limits: Vector[] = [
  {
    name: 'limit: request line over 60 KiB is 414',
    raw: 'GET /' + big(61 * 1024) + ' HTTP/1.1\r\n' + H + '\r\n',
    expect: bad(414),
  },
  { name: 'limit: request line without end over 60 KiB is 414', raw: 'GET /' + big(61 * 1024), expect: bad(414) },
  {
    name: 'limit: request line just under 60 KiB with a small head passes',
    raw: 'GET /' + big(60 * 1024 - 100) + ' HTTP/1.1\r\n' + H + '\r\n',
    expect: ok(GET('GET', '/' + big(60 * 1024 - 100))),
  },
  { name: 'limit: head over 60 KiB is 431', raw: getWith(fields(61, 1024)), expect: bad(431) },
  {
    name: 'limit: head without end over 60 KiB is 431',
    raw: 'GET / HTTP/1.1\r\n' + H + fields(61, 1024),
    expect: bad(431),
  },
  { name: 'limit: 101 header fields is 431', raw: getWith(fields(100)), expect: bad(431) },
  {
    name: 'limit: 100 header fields pass',
    raw: getWith(fields(99)),
    expect: ok({ ...GET(), headers: { 'x-98': 'v' } }),
  },
  { name: 'limit: a flood of empty lines is 431', raw: '\r\n'.repeat(40 * 1024), expect: bad(431) },
  {
    name: 'small limits: request line over 256 bytes is 414',
    raw: 'GET /' + big(250) + ' HTTP/1.1\r\n' + H + '\r\n',
    expect: bad(414),
    limits: 'small',
  },
  {
    name: 'small limits: request line of 256 bytes passes',
    raw: 'GET /' + big(256 - 'GET / HTTP/1.1'.length) + ' HTTP/1.1\r\n' + H + '\r\n',
    expect: ok(GET('GET', '/' + big(256 - 'GET / HTTP/1.1'.length))),
    limits: 'small',
  },
  { name: 'small limits: head over 1 KiB is 431', raw: getWith(fields(5, 200)), expect: bad(431), limits: 'small' },
  { name: 'small limits: 11 header fields is 431', raw: getWith(fields(10)), expect: bad(431), limits: 'small' },
  { name: 'small limits: 10 header fields pass', raw: getWith(fields(9)), expect: ok(GET()), limits: 'small' },
  {
    name: 'small limits: Content-Length over 16 is 413 before any byte is forwarded',
    raw: post('Content-Length: 17\r\n', big(17)),
    expect: bad(413),
    limits: 'small',
  },
  {
    name: 'small limits: huge Content-Length is 413',
    raw: post('Content-Length: 999999999999999\r\n', 'a'),
    expect: bad(413),
    limits: 'small',
  },
  {
    name: 'small limits: Content-Length of 16 passes',
    raw: post('Content-Length: 16\r\n', big(16)),
    expect: ok(POST(big(16), 'length')),
    limits: 'small',
  },
  {
    name: 'small limits: chunked body over 16 is 413',
    raw: chunkedPost('a\r\n' + big(10) + '\r\na\r\n' + big(10) + '\r\n0\r\n\r\n'),
    expect: { reject: 413, partial: true },
    limits: 'small',
  },
  {
    name: 'small limits: one huge chunk is 413',
    raw: chunkedPost('ffffffff\r\n' + big(100)),
    expect: { reject: 413, partial: true },
    limits: 'small',
  },
  {
    name: 'small limits: chunked body of 16 passes',
    raw: chunkedPost('8\r\n' + big(8) + '\r\n8\r\n' + big(8) + '\r\n0\r\n\r\n'),
    expect: ok(POST(big(16), 'chunked')),
    limits: 'small',
  },
];

const requestLine: Vector[] = [
  { name: 'method: registered extension method', raw: 'PURGE / HTTP/1.1\r\n' + H + '\r\n', expect: ok(GET('PURGE')) },
  { name: 'method: invalid character', raw: 'G(T / HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'method: empty', raw: ' / HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'method: tab instead of space', raw: 'GET\t/ HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'request line: two spaces', raw: 'GET  / HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'request line: trailing space', raw: 'GET / HTTP/1.1 \r\n' + H + '\r\n', expect: bad() },
  { name: 'request line: no version (HTTP/0.9)', raw: 'GET /\r\n\r\n', expect: bad() },
  { name: 'request line: empty target', raw: 'GET  HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'version: HTTP/1.2 is 505', raw: 'GET / HTTP/1.2\r\n' + H + '\r\n', expect: bad(505) },
  { name: 'version: HTTP/2.0 is 505', raw: 'GET / HTTP/2.0\r\n' + H + '\r\n', expect: bad(505) },
  { name: 'version: HTTP/0.9 is 505', raw: 'GET / HTTP/0.9\r\n' + H + '\r\n', expect: bad(505) },
  { name: 'version: lower case', raw: 'GET / http/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'version: three digits', raw: 'GET / HTTP/1.10\r\n' + H + '\r\n', expect: bad() },
  { name: 'version: missing minor', raw: 'GET / HTTP/1\r\n' + H + '\r\n', expect: bad() },
  { name: 'version: letters', raw: 'GET / HTTP/x.y\r\n' + H + '\r\n', expect: bad() },
  {
    name: 'target: absolute-form',
    raw: 'GET http://x/p?q=1 HTTP/1.1\r\n' + H + '\r\n',
    expect: ok({ ...GET('GET', 'http://x/p?q=1'), upstreamTarget: '/p?q=1' }),
  },
  {
    name: 'target: absolute-form without a path',
    raw: 'GET http://x HTTP/1.1\r\n' + H + '\r\n',
    expect: ok({ ...GET('GET', 'http://x'), upstreamTarget: '/' }),
  },
  {
    name: 'target: absolute-form authority wins over Host',
    raw: 'GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n',
    expect: ok({ ...GET('GET', 'http://a.example/'), upstreamTarget: '/', headers: { host: 'a.example' } }),
  },
  { name: 'target: absolute-form with userinfo', raw: 'GET http://u@x/ HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'target: absolute-form with another scheme', raw: 'GET ftp://x/ HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  {
    name: 'target: absolute-form with a backslash in the authority',
    raw: 'GET http://h.ex\\ample/ HTTP/1.1\r\n' + H + '\r\n',
    expect: bad(),
  },
  {
    name: 'target: absolute-form with braces in the authority',
    raw: 'GET http://h{x}/ HTTP/1.1\r\n' + H + '\r\n',
    expect: bad(),
  },
  {
    name: 'target: absolute-form with an upper-case scheme',
    raw: 'GET HTTP://x/p HTTP/1.1\r\n' + H + '\r\n',
    expect: ok({ ...GET('GET', 'HTTP://x/p'), upstreamTarget: '/p' }),
  },
  { name: 'target: absolute-form with empty authority', raw: 'GET http:///p HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  {
    name: 'target: asterisk-form on OPTIONS',
    raw: 'OPTIONS * HTTP/1.1\r\n' + H + '\r\n',
    expect: ok(GET('OPTIONS', '*')),
  },
  { name: 'target: asterisk-form on GET', raw: 'GET * HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  { name: 'target: authority-form on GET', raw: 'GET x:80 HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
  {
    name: 'target: authority-form on CONNECT (a gateway is no forward proxy)',
    raw: 'CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n',
    expect: { reject: 405, connectionOnly: true },
  },
  { name: 'target: relative path', raw: 'GET a/b HTTP/1.1\r\n' + H + '\r\n', expect: bad() },
];

const host: Vector[] = [
  { name: 'host: missing in HTTP/1.1', raw: 'GET / HTTP/1.1\r\n\r\n', expect: bad() },
  { name: 'host: two different', raw: 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', expect: bad() },
  { name: 'host: same twice', raw: 'GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n', expect: bad() },
  { name: 'host: twice in HTTP/1.0', raw: 'GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n', expect: bad() },
  { name: 'host: space before colon', raw: 'GET / HTTP/1.1\r\nHost : x\r\n\r\n', expect: bad() },
  { name: 'host: space inside', raw: 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n', expect: bad() },
  { name: 'host: slash inside', raw: 'GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', expect: bad() },
  { name: 'host: userinfo', raw: 'GET / HTTP/1.1\r\nHost: u@a\r\n\r\n', expect: bad() },
  {
    name: 'host: with port',
    raw: 'GET / HTTP/1.1\r\nHost: x:8080\r\n\r\n',
    expect: ok({ ...GET(), headers: { host: 'x:8080' } }),
  },
  { name: 'host: IPv6 literal', raw: 'GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n', expect: ok(GET()) },
  { name: 'host: upper-case name', raw: 'GET / HTTP/1.1\r\nHOST: x\r\n\r\n', expect: ok(GET()) },
];

export const CORPUS: readonly Vector[] = [
  ...framing,
  ...clte,
  ...tete,
  ...contentLength,
  ...chunkSizes,
  ...chunkExtensions,
  ...trailers,
  ...injection,
  ...lineEndings,
  ...limits,
  ...requestLine,
  ...host,
];
