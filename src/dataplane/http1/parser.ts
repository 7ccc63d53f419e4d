// Strict RFC 9112 message-head parsing for requests (downstream) and responses (upstream).
// The connection finds the end of the head ("\r\n\r\n") and hands the complete head here, so
// parsing is one pass over bytes that are all present. Anything ambiguous is rejected, because a
// proxy that reads a message differently from the server behind it enables request smuggling.

export class HttpParseError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export const MAX_HEAD_BYTES = 64 * 1024;
export const MAX_HEADER_COUNT = 200;

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9!#$%&'*+\-.^_`|~]/.test(ch)) TCHAR[c] = 1;
}
// field-vchar / SP / HTAB, obs-text allowed (0x80-0xff); CTLs (incl. NUL, CR, LF) and DEL are not.
const VCHAR = new Uint8Array(256);
for (let c = 0; c < 256; c++) if (c === 9 || (c >= 0x20 && c !== 0x7f)) VCHAR[c] = 1;
// request-target: visible ASCII only (no SP, no CTL, no obs-text).
const TARGET = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) TARGET[c] = 1;

// Buffer#latin1Slice is the fast path behind toString('latin1'), without argument normalisation.
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };
function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as Latin1Buffer).latin1Slice(start, end);
}

const ABSOLUTE_FORM = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]/;

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;

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
  // Digits only; a list of identical values ("5, 5") is tolerated by RFC 9110 but rejected here.
  if (value.length === 0 || value.length > 15) throw new HttpParseError(status, 'invalid content-length');
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) throw new HttpParseError(status, 'invalid content-length');
    n = n * 10 + c;
  }
  if (info.contentLength !== -1 && info.contentLength !== n)
    throw new HttpParseError(status, 'conflicting content-length');
  info.contentLength = n;
}

function parseTransferEncoding(value: string, info: FieldInfo, status: number): void {
  // Only the final coding frames the message. Anything after "chunked" (including a second
  // "chunked", possibly from a repeated header) and empty list elements are rejected outright.
  const codings = value.toLowerCase().split(',');
  for (let i = 0; i < codings.length; i++) {
    const c = codings[i]!.trim();
    if (c === '') throw new HttpParseError(status, 'invalid transfer-encoding');
    if (info.chunked) throw new HttpParseError(status, 'transfer coding after chunked');
    if (c === 'chunked') {
      info.chunked = true;
      info.teOther = false;
    } else {
      info.teOther = true;
    }
  }
}

function parseConnection(value: string, info: FieldInfo): void {
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
 */
function parseFields(buf: Buffer, pos: number, end: number, out: string[], info: FieldInfo, status: number): void {
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
    let name = latin1(buf, nameStart, pos);
    if (upper) name = name.toLowerCase();
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
    const value = latin1(buf, valueStart, valueEnd);
    pos += 2;
    if (++count > MAX_HEADER_COUNT) throw new HttpParseError(431, 'too many headers');
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
        if (name === 'transfer-encoding') parseTransferEncoding(value, info, status);
        break;
    }
  }
}

function parseVersion(buf: Buffer, pos: number, status: number): number {
  // "HTTP/1.0" or "HTTP/1.1" exactly.
  if (
    buf[pos] !== 72 ||
    buf[pos + 1] !== 84 ||
    buf[pos + 2] !== 84 ||
    buf[pos + 3] !== 80 ||
    buf[pos + 4] !== 47 ||
    buf[pos + 5] !== 49 ||
    buf[pos + 6] !== 46
  ) {
    throw new HttpParseError(status, 'invalid HTTP version');
  }
  const minor = buf[pos + 7]! - 48;
  if (minor !== 0 && minor !== 1) throw new HttpParseError(505, 'unsupported HTTP version');
  return minor;
}

/**
 * Parses a complete request head. `start` is the first byte, `end` the index just past the final
 * "\r\n\r\n". Leading empty lines (RFC 9112 §2.2 allows ignoring one) are skipped by the caller.
 */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead {
  let pos = start;
  // method
  while (TCHAR[buf[pos]!] === 1) pos++;
  if (pos === start || buf[pos] !== SP) throw new HttpParseError(400, 'invalid method');
  const method = latin1(buf, start, pos);
  pos++;
  const targetStart = pos;
  while (TARGET[buf[pos]!] === 1) pos++;
  if (pos === targetStart || buf[pos] !== SP) throw new HttpParseError(400, 'invalid request target');
  const target = latin1(buf, targetStart, pos);
  // origin-form, absolute-form, asterisk-form (OPTIONS) or authority-form (CONNECT) only.
  if (buf[targetStart] !== 47 /* / */ && !ABSOLUTE_FORM.test(target)) {
    if (target === '*' ? method !== 'OPTIONS' : method !== 'CONNECT') {
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
  parseFields(buf, pos, end - 2, headers, info, 400);
  if (info.contentLength !== -1 && (info.chunked || info.teOther)) {
    throw new HttpParseError(400, 'both content-length and transfer-encoding');
  }
  // A request whose body length cannot be determined is rejected (RFC 9112 §6.3).
  if (info.teOther) throw new HttpParseError(400, 'unsupported transfer-encoding');
  if (info.chunked && minor === 0) throw new HttpParseError(400, 'transfer-encoding in HTTP/1.0');
  if (minor === 1 && info.hostCount !== 1) throw new HttpParseError(400, 'missing or repeated host');
  if (info.hostCount > 1) throw new HttpParseError(400, 'repeated host');
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
  let reason = '';
  if (buf[pos] === SP) {
    pos++;
    const reasonStart = pos;
    while (buf[pos] !== CR) {
      if (VCHAR[buf[pos]!] !== 1) throw new HttpParseError(502, 'invalid reason phrase');
      pos++;
    }
    reason = latin1(buf, reasonStart, pos);
  }
  if (buf[pos] !== CR || buf[pos + 1] !== LF) throw new HttpParseError(502, 'invalid status line');
  pos += 2;
  const headers: string[] = [];
  const info = newFieldInfo();
  parseFields(buf, pos, end - 2, headers, info, 502);
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
 * `from` lets the caller resume the search where the previous one stopped.
 * Throws 400 for a head terminated by bare LFs (it would otherwise never complete).
 */
export function findHeadEnd(buf: Buffer, start: number, from: number, status: number): number {
  const i = buf.indexOf(CRLFCRLF, Math.max(start, from - 3));
  if (i !== -1) return i + 4;
  if (buf.indexOf(LF_LF, Math.max(start, from - 1)) !== -1) throw new HttpParseError(status, 'bare LF');
  return -1;
}
const LF_LF = Buffer.from('\n\n');

const CHUNK_SIZE = 0;
const CHUNK_EXT = 1;
const CHUNK_SIZE_LF = 2;
const CHUNK_DATA = 3;
const CHUNK_DATA_CR = 4;
const CHUNK_DATA_LF = 5;
const TRAILER_LINE_START = 6;
const TRAILER_LINE = 7;
const TRAILER_LF = 8;
const FINAL_LF = 9;

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}

export interface ChunkSink {
  onChunkData(data: Buffer): void;
}

/**
 * Incremental chunked-transfer decoder. Data slices are handed to the sink without copying.
 * Trailer fields are validated and dropped (HTTP/1.1 senders rarely need them forwarded).
 */
export class ChunkedDecoder {
  #state = CHUNK_SIZE;
  #remaining = 0;
  #sizeDigits = 0;
  #trailerBytes = 0;
  readonly #status: number;

  constructor(errorStatus: number) {
    this.#status = errorStatus;
  }

  reset(): void {
    this.#state = CHUNK_SIZE;
    this.#remaining = 0;
    this.#sizeDigits = 0;
    this.#trailerBytes = 0;
  }

  /** Consumes from `start`; returns the index just past the message end, or -1 when it needs more. */
  decode(buf: Buffer, start: number, sink: ChunkSink): number {
    let pos = start;
    const len = buf.length;
    while (pos < len) {
      switch (this.#state) {
        case CHUNK_SIZE: {
          const c = buf[pos]!;
          const h = HEX[c]!;
          if (h >= 0) {
            if (++this.#sizeDigits > 12) throw new HttpParseError(this.#status, 'chunk size too large');
            this.#remaining = this.#remaining * 16 + h;
            pos++;
          } else if (this.#sizeDigits === 0) {
            throw new HttpParseError(this.#status, 'invalid chunk size');
          } else if (c === CR) {
            this.#state = CHUNK_SIZE_LF;
            pos++;
          } else if (c === 59 /* ; */ || c === SP || c === HTAB) {
            this.#state = CHUNK_EXT;
            pos++;
          } else {
            throw new HttpParseError(this.#status, 'invalid chunk size');
          }
          break;
        }
        case CHUNK_EXT: {
          const c = buf[pos]!;
          if (c === CR) this.#state = CHUNK_SIZE_LF;
          else if (VCHAR[c] !== 1) throw new HttpParseError(this.#status, 'invalid chunk extension');
          pos++;
          break;
        }
        case CHUNK_SIZE_LF:
          if (buf[pos] !== LF) throw new HttpParseError(this.#status, 'bare CR in chunk');
          pos++;
          this.#sizeDigits = 0;
          if (this.#remaining === 0) this.#state = TRAILER_LINE_START;
          else this.#state = CHUNK_DATA;
          break;
        case CHUNK_DATA: {
          const n = Math.min(this.#remaining, len - pos);
          sink.onChunkData(buf.subarray(pos, pos + n));
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = CHUNK_DATA_CR;
          break;
        }
        case CHUNK_DATA_CR:
          if (buf[pos] !== CR) throw new HttpParseError(this.#status, 'missing CRLF after chunk');
          pos++;
          this.#state = CHUNK_DATA_LF;
          break;
        case CHUNK_DATA_LF:
          if (buf[pos] !== LF) throw new HttpParseError(this.#status, 'missing CRLF after chunk');
          pos++;
          this.#state = CHUNK_SIZE;
          break;
        case TRAILER_LINE_START:
          if (buf[pos] === CR) {
            this.#state = FINAL_LF;
            pos++;
          } else {
            this.#state = TRAILER_LINE;
          }
          break;
        case TRAILER_LINE: {
          const c = buf[pos]!;
          if (c === CR) this.#state = TRAILER_LF;
          else if (VCHAR[c] !== 1) throw new HttpParseError(this.#status, 'invalid trailer');
          if (++this.#trailerBytes > MAX_HEAD_BYTES) throw new HttpParseError(431, 'trailers too large');
          pos++;
          break;
        }
        case TRAILER_LF:
          if (buf[pos] !== LF) throw new HttpParseError(this.#status, 'bare CR in trailer');
          pos++;
          this.#state = TRAILER_LINE_START;
          break;
        case FINAL_LF:
          if (buf[pos] !== LF) throw new HttpParseError(this.#status, 'bare CR at end of chunked body');
          pos++;
          this.reset();
          return pos;
      }
    }
    return -1;
  }
}
