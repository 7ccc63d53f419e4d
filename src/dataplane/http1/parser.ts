// Strict RFC 9112 message-head parsing for requests (downstream) and responses (upstream).
// The connection finds the end of the head ("\r\n\r\n") and hands the complete head here, so
// parsing is one pass over bytes that are all present. Anything ambiguous is rejected, because a
// proxy that reads a message differently from the server behind it enables request smuggling.
//
// What is accepted, in short (test/testdata/http1/smuggling.ts holds the vectors):
// - lines end in CRLF only: a bare CR or bare LF anywhere in a head is a 400, as is obs-fold;
// - one Content-Length header with digits only (leading zeros allowed); repeated, listed, signed
//   or empty values are 400;
// - Transfer-Encoding on requests is exactly "chunked" (case-insensitive); other codings before
//   it are 501, a list not ending in chunked is 400, as is chunked in HTTP/1.0 or next to
//   Content-Length;
// - exactly one Host in HTTP/1.1 (at most one in 1.0), with URI authority characters only;
// - request line: a token method, one SP, an origin-, absolute- (http/https, no userinfo),
//   asterisk- (OPTIONS) or authority-form (CONNECT) target without "#", one SP, HTTP/1.0 or 1.1
//   (another well-formed version is 505).
import {
  DEFAULT_HTTP1_LIMITS,
  type Http1Limits,
  MAX_RESPONSE_HEAD_BYTES,
  MAX_RESPONSE_HEADER_COUNT,
} from './limits.ts';
import { knownFieldName, knownMethod } from './names.ts';
import * as syntax from './syntax.ts';
import { HttpParseError } from './syntax.ts';

// Module-local copies: V8 reads a local const faster than an imported binding in the hot loops.
const TCHAR = syntax.TCHAR;
const VCHAR = syntax.VCHAR;
const TARGET = syntax.TARGET;
const HOSTCHAR = syntax.HOSTCHAR;
const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;

export { type ChunkSink, ChunkedDecoder } from './chunked.ts';
export { HttpParseError } from './syntax.ts';

/** Upstream response heads: size and field count (requests use Http1Limits); see limits.ts. */
export const MAX_HEAD_BYTES = MAX_RESPONSE_HEAD_BYTES;
export const MAX_HEADER_COUNT = MAX_RESPONSE_HEADER_COUNT;

// Buffer#latin1Slice is the fast path behind toString('latin1'), without argument normalisation.
// It is a call into C++ (~40 ns each), so a head is decoded once and its parts taken with
// String#substring (~10 ns, no C++ call); byte checks still read the buffer.
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };
function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as Latin1Buffer).latin1Slice(start, end);
}

// Only for targets not in origin-form (rare): scheme "://" authority without userinfo, then path.
const ABSOLUTE_FORM = /^https?:\/\/[^/?@]+(?:[/?]|$)/i;

export interface RequestHead {
  method: string;
  target: string;
  /** HTTP minor version: 0 or 1. */
  minor: number;
  /** Flat [name, value, name, value, ...], names lower-cased, order kept. */
  headers: string[];
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** The client wants the connection closed after this exchange. */
  close: boolean;
  /** Upgrade header value when Connection lists "upgrade", else null. */
  upgrade: string | null;
  host: string | null;
  /** Extra header names listed in Connection (hop-by-hop), lower-case; null when none. */
  hopByHop: string[] | null;
  /** Byte length of the head, for access logs. */
  headBytes: number;
}

export interface ResponseHead {
  status: number;
  reason: string;
  minor: number;
  headers: string[];
  contentLength: number;
  chunked: boolean;
  close: boolean;
  hopByHop: string[] | null;
  headBytes: number;
}

interface FieldInfo {
  contentLength: number;
  chunked: boolean;
  /** Transfer-Encoding present but not ending in chunked. */
  teOther: boolean;
  /** A coding other than chunked came before the final chunked ("gzip, chunked"). */
  teLayered: boolean;
  connClose: boolean;
  connKeepAlive: boolean;
  connUpgrade: boolean;
  upgrade: string | null;
  host: string | null;
  hostCount: number;
  hopByHop: string[] | null;
}

function newFieldInfo(): FieldInfo {
  return {
    contentLength: -1,
    chunked: false,
    teOther: false,
    teLayered: false,
    connClose: false,
    connKeepAlive: false,
    connUpgrade: false,
    upgrade: null,
    host: null,
    hostCount: 0,
    hopByHop: null,
  };
}

function parseContentLength(value: string, info: FieldInfo, status: number): void {
  // Digits only, one header. RFC 9110 §8.6 lets a recipient accept repeated identical values
  // ("5, 5" or the header twice); they are rejected here, as llhttp does, because a peer that
  // takes the first or the last of differing copies is exactly what smuggling needs.
  if (info.contentLength !== -1) throw new HttpParseError(status, 'repeated content-length');
  if (value.length === 0 || value.length > 15) throw new HttpParseError(status, 'invalid content-length');
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) throw new HttpParseError(status, 'invalid content-length');
    n = n * 10 + c;
  }
  info.contentLength = n;
}

function parseTransferEncoding(value: string, info: FieldInfo, status: number): void {
  // Only the final coding frames the message. Anything after "chunked" (including a second
  // "chunked", possibly from a repeated header) and empty list elements are rejected outright.
  if (info.chunked) throw new HttpParseError(status, 'transfer coding after chunked');
  if (value.length === 7 && value.toLowerCase() === 'chunked') {
    if (info.teOther) info.teLayered = true;
    info.chunked = true;
    info.teOther = false;
    return;
  }
  const codings = value.toLowerCase().split(',');
  for (let i = 0; i < codings.length; i++) {
    const c = codings[i]!.trim();
    if (c === '') throw new HttpParseError(status, 'invalid transfer-encoding');
    if (info.chunked) throw new HttpParseError(status, 'transfer coding after chunked');
    if (c === 'chunked') {
      if (info.teOther) info.teLayered = true;
      info.chunked = true;
      info.teOther = false;
    } else {
      info.teOther = true;
    }
  }
}

function parseConnection(value: string, info: FieldInfo): void {
  // The usual single tokens without splitting.
  if (value.length === 10 && value.toLowerCase() === 'keep-alive') {
    info.connKeepAlive = true;
    return;
  }
  if (value.length === 5 && value.toLowerCase() === 'close') {
    info.connClose = true;
    return;
  }
  const tokens = value.toLowerCase().split(',');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!.trim();
    if (t === 'close') info.connClose = true;
    else if (t === 'keep-alive') info.connKeepAlive = true;
    else if (t === 'upgrade') info.connUpgrade = true;
    else if (t !== '') {
      if (info.hopByHop === null) info.hopByHop = [];
      info.hopByHop.push(t);
    }
  }
}

/**
 * Parses header fields from `pos` up to `end` (the index of the CRLF that ends the head).
 * Every line must end in CRLF; obs-fold, bare CR/LF, invalid name chars and CTLs in values are errors.
 * `str` is the head decoded as latin1 from buf[base], where names and values are taken from.
 */
function parseFields(
  buf: Buffer,
  str: string,
  base: number,
  pos: number,
  end: number,
  out: string[],
  info: FieldInfo,
  status: number,
  maxCount: number,
): void {
  let count = 0;
  while (pos < end) {
    const c0 = buf[pos]!;
    if (c0 === SP || c0 === HTAB) throw new HttpParseError(status, 'obsolete line folding');
    // field-name
    const nameStart = pos;
    let upper = false;
    while (pos < end) {
      const c = buf[pos]!;
      if (TCHAR[c] !== 1) break;
      if (c >= 65 && c <= 90) upper = true;
      pos++;
    }
    if (pos === nameStart || buf[pos] !== 58 /* : */) throw new HttpParseError(status, 'invalid header name');
    let name = knownFieldName(buf, nameStart, pos);
    if (name === null) {
      name = str.substring(nameStart - base, pos - base);
      if (upper) name = name.toLowerCase();
    }
    pos++;
    while (buf[pos] === SP || buf[pos] === HTAB) pos++;
    const valueStart = pos;
    let valueEnd = pos;
    for (;;) {
      const c = buf[pos]!;
      if (c === CR) break;
      if (VCHAR[c] !== 1) throw new HttpParseError(status, 'invalid header value');
      pos++;
      if (c !== SP && c !== HTAB) valueEnd = pos;
    }
    if (buf[pos + 1] !== LF) throw new HttpParseError(status, 'bare CR');
    const value = str.substring(valueStart - base, valueEnd - base);
    pos += 2;
    if (++count > maxCount) throw new HttpParseError(431, 'too many headers');
    out.push(name, value);
    switch (name.length) {
      case 4:
        if (name === 'host') {
          info.host = value;
          info.hostCount++;
        }
        break;
      case 7:
        if (name === 'upgrade') info.upgrade = value;
        break;
      case 10:
        if (name === 'connection') parseConnection(value, info);
        break;
      case 14:
        if (name === 'content-length') parseContentLength(value, info, status);
        break;
      case 17:
        if (name === 'transfer-encoding') {
          // Trailing OWS is legal, but llhttp refuses it here: refuse it too rather than
          // forward a framing header a strict peer reads as an error.
          const last = buf[pos - 3];
          if (last === SP || last === HTAB) throw new HttpParseError(status, 'whitespace after transfer-encoding');
          parseTransferEncoding(value, info, status);
        }
        break;
    }
  }
}

function parseVersion(buf: Buffer, pos: number, status: number): number {
  // "HTTP/1.0" or "HTTP/1.1"; another well-formed "HTTP/x.y" is 505 (requests), anything else 400.
  if (buf[pos] !== 72 || buf[pos + 1] !== 84 || buf[pos + 2] !== 84 || buf[pos + 3] !== 80 || buf[pos + 4] !== 47) {
    throw new HttpParseError(status, 'invalid HTTP version');
  }
  const major = buf[pos + 5]! - 48;
  const minor = buf[pos + 7]! - 48;
  if (major < 0 || major > 9 || buf[pos + 6] !== 46 || minor < 0 || minor > 9) {
    throw new HttpParseError(status, 'invalid HTTP version');
  }
  if (major !== 1 || minor > 1) throw new HttpParseError(status === 400 ? 505 : status, 'unsupported HTTP version');
  return minor;
}

/**
 * Parses a complete request head. `start` is the first byte, `end` the index just past the final
 * "\r\n\r\n". Leading empty lines (RFC 9112 §2.2 allows ignoring one) are skipped by the caller;
 * `buf` starts where the request's bytes start, so those lines count against maxHeadBytes.
 * Throws HttpParseError with the status to answer (400, 413, 414, 431, 501, 505).
 */
export function parseRequestHead(
  buf: Buffer,
  start: number,
  end: number,
  limits: Http1Limits = DEFAULT_HTTP1_LIMITS,
): RequestHead {
  // Limits first: a head over them is refused for its size whatever else is wrong with it.
  if (end - start > limits.maxRequestLineBytes && buf.indexOf(CR, start) - start > limits.maxRequestLineBytes) {
    throw new HttpParseError(414, 'request line too long');
  }
  // Empty lines skipped before `start` count too (see checkPartialRequestHead).
  if (end > limits.maxHeadBytes) throw new HttpParseError(431, 'request head too large');
  let pos = start;
  // method
  while (TCHAR[buf[pos]!] === 1) pos++;
  if (pos === start || buf[pos] !== SP) throw new HttpParseError(400, 'invalid method');
  const str = latin1(buf, start, end);
  const method = knownMethod(buf, start, pos) ?? str.substring(0, pos - start);
  pos++;
  const targetStart = pos;
  while (TARGET[buf[pos]!] === 1) pos++;
  if (pos === targetStart || buf[pos] !== SP) throw new HttpParseError(400, 'invalid request target');
  const target = str.substring(targetStart - start, pos - start);
  // origin-form, absolute-form, asterisk-form (OPTIONS) or authority-form (CONNECT) only.
  if (buf[targetStart] !== 47 /* / */) {
    if (ABSOLUTE_FORM.test(target)) {
      // The authority replaces Host for routing: the same characters as Host.
      for (let i = target.indexOf(':') + 3; i < target.length; i++) {
        const c = target.charCodeAt(i);
        if (c === 47 || c === 63 /* / ? */) break;
        if (HOSTCHAR[c] !== 1) throw new HttpParseError(400, 'invalid request target');
      }
    } else if (target === '*' ? method !== 'OPTIONS' : method !== 'CONNECT') {
      throw new HttpParseError(400, 'invalid request target');
    }
  }
  pos++;
  const minor = parseVersion(buf, pos, 400);
  pos += 8;
  if (buf[pos] !== CR || buf[pos + 1] !== LF) throw new HttpParseError(400, 'invalid request line');
  pos += 2;
  const headers: string[] = [];
  const info = newFieldInfo();
  parseFields(buf, str, start, pos, end - 2, headers, info, 400, limits.maxHeaderCount);
  if (info.contentLength !== -1 && (info.chunked || info.teOther)) {
    throw new HttpParseError(400, 'both content-length and transfer-encoding');
  }
  // A request whose body length cannot be determined is rejected (RFC 9112 §6.3); one with a
  // coding the gateway cannot undo is not implemented (§6.1): forwarding it re-framed would
  // change its meaning.
  if (info.teOther) throw new HttpParseError(400, 'transfer-encoding does not end in chunked');
  if (info.teLayered) throw new HttpParseError(501, 'unsupported transfer coding');
  if (info.chunked && minor === 0) throw new HttpParseError(400, 'transfer-encoding in HTTP/1.0');
  if (info.hostCount !== 1) {
    if (minor === 1 || info.hostCount > 1) throw new HttpParseError(400, 'missing or repeated host');
  } else {
    const host = info.host!;
    for (let i = 0; i < host.length; i++) {
      if (HOSTCHAR[host.charCodeAt(i)] !== 1) throw new HttpParseError(400, 'invalid host');
    }
  }
  if (info.contentLength > limits.maxBodyBytes) throw new HttpParseError(413, 'request body too large');
  const close = minor === 0 ? !info.connKeepAlive : info.connClose;
  return {
    method,
    target,
    minor,
    headers,
    contentLength: info.contentLength,
    chunked: info.chunked,
    close,
    upgrade: info.connUpgrade ? info.upgrade : null,
    host: info.host,
    hopByHop: info.hopByHop,
    headBytes: end - start,
  };
}

/** Parses a complete upstream response head (see parseRequestHead for start/end). Errors carry 502. */
export function parseResponseHead(buf: Buffer, start: number, end: number): ResponseHead {
  const minor = parseVersion(buf, start, 502);
  let pos = start + 8;
  if (buf[pos] !== SP) throw new HttpParseError(502, 'invalid status line');
  const d0 = buf[pos + 1]! - 48;
  const d1 = buf[pos + 2]! - 48;
  const d2 = buf[pos + 3]! - 48;
  if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) throw new HttpParseError(502, 'invalid status code');
  const status = d0 * 100 + d1 * 10 + d2;
  pos += 4;
  const str = latin1(buf, start, end);
  let reason = '';
  if (buf[pos] === SP) {
    pos++;
    const reasonStart = pos;
    while (buf[pos] !== CR) {
      if (VCHAR[buf[pos]!] !== 1) throw new HttpParseError(502, 'invalid reason phrase');
      pos++;
    }
    reason =
      pos - reasonStart === 2 && buf[reasonStart] === 79 && buf[reasonStart + 1] === 75
        ? 'OK'
        : str.substring(reasonStart - start, pos - start);
  }
  if (buf[pos] !== CR || buf[pos + 1] !== LF) throw new HttpParseError(502, 'invalid status line');
  pos += 2;
  const headers: string[] = [];
  const info = newFieldInfo();
  parseFields(buf, str, start, pos, end - 2, headers, info, 502, MAX_HEADER_COUNT);
  if (info.contentLength !== -1 && (info.chunked || info.teOther)) {
    throw new HttpParseError(502, 'both content-length and transfer-encoding');
  }
  return {
    status,
    reason,
    minor,
    headers,
    contentLength: info.contentLength,
    chunked: info.chunked,
    // An unknown transfer coding means "read until close".
    close: info.teOther || (minor === 0 ? !info.connKeepAlive : info.connClose),
    hopByHop: info.hopByHop,
    headBytes: end - start,
  };
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Index just past the "\r\n\r\n" ending a head that starts at `start`, or -1 when incomplete.
 * `from` lets the caller resume the search where the previous one stopped. While a head is
 * incomplete its new bytes are checked for a bare LF or a CR not followed by LF: such a head
 * is rejected now instead of waiting for a CRLFCRLF that a lenient peer may never send.
 */
export function findHeadEnd(buf: Buffer, start: number, from: number, status: number): number {
  const i = buf.indexOf(CRLFCRLF, Math.max(start, from - 3));
  if (i !== -1) return i + 4;
  const len = buf.length;
  const from1 = Math.max(start, from - 1);
  for (let p = buf.indexOf(LF, from1); p !== -1; p = buf.indexOf(LF, p + 1)) {
    if (p === start || buf[p - 1] !== CR) throw new HttpParseError(status, 'bare LF');
  }
  for (let p = buf.indexOf(CR, from1); p !== -1 && p + 1 < len; p = buf.indexOf(CR, p + 1)) {
    if (buf[p + 1] !== LF) throw new HttpParseError(status, 'bare CR');
  }
  return -1;
}

/**
 * Limits for a request head still incomplete after `buf.length` bytes: 414 when the request line
 * has no end within maxRequestLineBytes, 431 when the buffered bytes (leading empty lines
 * included, so a stream of CRLFs cannot grow the buffer forever) pass maxHeadBytes.
 */
export function checkPartialRequestHead(buf: Buffer, start: number, limits: Http1Limits): void {
  if (buf.length - start > limits.maxRequestLineBytes) {
    const lineEnd = buf.indexOf(CR, start);
    if (lineEnd === -1 || lineEnd - start > limits.maxRequestLineBytes) {
      throw new HttpParseError(414, 'request line too long');
    }
  }
  if (buf.length > limits.maxHeadBytes) throw new HttpParseError(431, 'request head too large');
}
