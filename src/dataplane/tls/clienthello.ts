// Reads the SNI name and ALPN list from the first bytes of a TLS connection without consuming them,
// so a listener can choose a route (passthrough) or a certificate before any handshake work.
//
// The parser is stateless over the bytes received so far: call it again with the longer buffer when
// it answers 'need-more'. It rejects as early as the bytes allow (a first byte that is not a
// handshake record fails at once), bounds what it will wait for (a ClientHello of at most 16 KiB
// spread over at most MAX_RECORDS records), and is strict: every length must agree with its
// container, so a malformed hello is an error, never a guess.

/** Largest ClientHello handshake body accepted (the TLS record payload limit, 2^14). */
export const MAX_HELLO_LENGTH = 16384;
/** A hello may be fragmented over several records; more than this is treated as abuse. */
export const MAX_RECORDS = 32;
/** Upper bound on the bytes the parser may ever ask for. */
export const MAX_HELLO_BYTES = 4 + MAX_HELLO_LENGTH + 5 * MAX_RECORDS;

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
const MAX_RECORD_PAYLOAD = 16384;

export interface ClientHelloInfo {
  /** server_name (host_name), lower-cased; absent when the client sent none. */
  sni?: string;
  /** ALPN protocols in the client's order; empty when the extension is absent. */
  alpn: string[];
  /** Bytes of the records that carried the hello (what a passthrough must replay first). */
  length: number;
}

export type ClientHelloResult =
  | { status: 'ok'; hello: ClientHelloInfo }
  | { status: 'need-more' }
  | { status: 'error'; code: ClientHelloErrorCode; message: string };

export type ClientHelloErrorCode =
  /** The first bytes are not a TLS handshake record (plain text, SSLv2, another record type). */
  | 'NOT_TLS'
  /** Framing or field lengths disagree, or a field holds a forbidden value. */
  | 'MALFORMED'
  /** The hello is larger than MAX_HELLO_LENGTH or spread over more than MAX_RECORDS records. */
  | 'TOO_LARGE';

const NEED_MORE: ClientHelloResult = { status: 'need-more' };

function fail(code: ClientHelloErrorCode, message: string): ClientHelloResult {
  return { status: 'error', code, message };
}

/** Parses the ClientHello from `data`, the bytes received on a connection so far. */
export function parseClientHello(data: Uint8Array): ClientHelloResult {
  if (data.length === 0) return NEED_MORE;
  if (data[0] !== RECORD_HANDSHAKE) {
    return fail('NOT_TLS', data[0]! & 0x80 ? 'SSLv2-format hello is not supported' : 'not a TLS handshake record');
  }
  // Reassemble the handshake layer from consecutive handshake records.
  const fragments: Uint8Array[] = [];
  let have = 0;
  let offset = 0;
  let records = 0;
  // The handshake message length once its 4-byte header is known; -1 before.
  let want = -1;
  while (true) {
    if (want !== -1 && have >= want) break;
    if (offset + 5 > data.length) {
      // A partial record header: check what is there.
      if (offset < data.length && data[offset] !== RECORD_HANDSHAKE) {
        return fail('MALFORMED', 'unexpected record type ' + data[offset] + ' inside the ClientHello');
      }
      if (offset + 1 < data.length && data[offset + 1] !== 3) {
        return fail(records === 0 ? 'NOT_TLS' : 'MALFORMED', 'bad record version');
      }
      return NEED_MORE;
    }
    if (data[offset] !== RECORD_HANDSHAKE) {
      return fail('MALFORMED', 'unexpected record type ' + data[offset] + ' inside the ClientHello');
    }
    if (data[offset + 1] !== 3) return fail(records === 0 ? 'NOT_TLS' : 'MALFORMED', 'bad record version');
    const len = (data[offset + 3]! << 8) | data[offset + 4]!;
    if (len === 0) return fail('MALFORMED', 'empty handshake record');
    if (len > MAX_RECORD_PAYLOAD) return fail('MALFORMED', 'record longer than 2^14 bytes');
    if (++records > MAX_RECORDS) return fail('TOO_LARGE', 'ClientHello spread over too many records');
    const start = offset + 5;
    const end = Math.min(start + len, data.length);
    fragments.push(data.subarray(start, end));
    have += end - start;
    if (want === -1 && have >= 4) {
      const head = concatPrefix(fragments, 4);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return fail('MALFORMED', 'first handshake message is not a ClientHello');
      const bodyLen = (head[1]! << 16) | (head[2]! << 8) | head[3]!;
      if (bodyLen > MAX_HELLO_LENGTH)
        return fail('TOO_LARGE', 'ClientHello longer than ' + MAX_HELLO_LENGTH + ' bytes');
      want = 4 + bodyLen;
    }
    // An incomplete record: wait for all of it, even when the message inside is already complete,
    // so `length` always ends on a record boundary.
    if (end < start + len) return NEED_MORE;
    offset = start + len;
  }
  const message = concatPrefix(fragments, want);
  const parsed = parseBody(message.subarray(4));
  if (typeof parsed === 'string') return fail('MALFORMED', parsed);
  const hello: ClientHelloInfo = { alpn: parsed.alpn, length: offset };
  if (parsed.sni !== undefined) hello.sni = parsed.sni;
  return { status: 'ok', hello };
}

function concatPrefix(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1 || parts[0]!.length >= n) return parts[0]!.subarray(0, n);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    const take = Math.min(p.length, n - at);
    out.set(p.subarray(0, take), at);
    at += take;
    if (at === n) break;
  }
  return out;
}

/** A bounds-checked cursor; every read returns -1 (or null) past the end so callers fail cleanly. */
class Reader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  constructor(buf: Uint8Array, pos: number, end: number) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }
  get left(): number {
    return this.end - this.pos;
  }
  u8(): number {
    if (this.pos + 1 > this.end) return -1;
    return this.buf[this.pos++]!;
  }
  u16(): number {
    if (this.pos + 2 > this.end) return -1;
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  /** A sub-reader over the next n bytes, or null when they are not there. */
  take(n: number): Reader | null {
    if (n < 0 || this.pos + n > this.end) return null;
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
}

function parseBody(body: Uint8Array): { sni?: string; alpn: string[] } | string {
  const r = new Reader(body, 0, body.length);
  const major = r.u8();
  const minor = r.u8();
  // legacy_version: TLS 1.0 (3,1) up to TLS 1.2 (3,3); TLS 1.3 keeps (3,3) here.
  if (major !== 3 || minor < 1 || minor > 3) return 'unsupported client_version';
  if (r.take(32) === null) return 'truncated random';
  const sessionLen = r.u8();
  if (sessionLen < 0 || sessionLen > 32 || r.take(sessionLen) === null) return 'bad session_id';
  const suitesLen = r.u16();
  if (suitesLen < 2 || suitesLen % 2 !== 0 || r.take(suitesLen) === null) return 'bad cipher_suites';
  const compLen = r.u8();
  if (compLen < 1 || r.take(compLen) === null) return 'bad compression_methods';
  const out: { sni?: string; alpn: string[] } = { alpn: [] };
  // Extensions are optional in TLS 1.0-1.2 hellos.
  if (r.left === 0) return out;
  const extLen = r.u16();
  if (extLen < 0 || extLen !== r.left) return 'extensions length does not match the hello';
  const ext = r.take(extLen)!;
  const seen = new Set<number>();
  while (ext.left > 0) {
    const type = ext.u16();
    const len = ext.u16();
    const data = ext.take(len);
    if (type < 0 || len < 0 || data === null) return 'truncated extension';
    if (seen.has(type)) return 'duplicate extension ' + type;
    seen.add(type);
    if (type === EXT_SERVER_NAME) {
      const name = parseServerName(data);
      if (typeof name === 'object') return name.error;
      if (name !== '') out.sni = name;
    } else if (type === EXT_ALPN) {
      const alpn = parseAlpn(data);
      if (typeof alpn === 'string') return alpn;
      out.alpn = alpn;
    }
  }
  return out;
}

/** Returns the host_name ('' when the list holds none) or an error. */
function parseServerName(r: Reader): string | { error: string } {
  // An empty extension is what a server sends back; a client must send a list.
  const listLen = r.u16();
  if (listLen < 0 || listLen !== r.left || listLen === 0) return { error: 'bad server_name list' };
  let host = '';
  while (r.left > 0) {
    const nameType = r.u8();
    const len = r.u16();
    const name = r.take(len);
    if (nameType < 0 || len < 0 || name === null) return { error: 'truncated server_name' };
    if (nameType !== 0) continue; // Unknown name types are skipped (RFC 6066 §3).
    if (host !== '') return { error: 'more than one host_name' };
    const checked = hostName(name);
    if (checked === null) return { error: 'invalid host_name' };
    host = checked;
  }
  return host;
}

/** Letters, digits, '-', '_' and '.', no empty label, no trailing dot, at most 255 bytes. */
function hostName(r: Reader): string | null {
  const len = r.left;
  if (len === 0 || len > 255) return null;
  let s = '';
  let prev = 46; // '.' so a leading dot is rejected
  for (let i = r.pos; i < r.end; i++) {
    let c = r.buf[i]!;
    const dot = c === 46;
    if (dot && prev === 46) return null;
    if (!dot && !isHostChar(c)) return null;
    if (c >= 65 && c <= 90) c += 32;
    s += String.fromCharCode(c);
    prev = c;
  }
  if (prev === 46) return null;
  return s;
}

function isHostChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95;
}

function parseAlpn(r: Reader): string[] | string {
  const listLen = r.u16();
  if (listLen < 2 || listLen !== r.left) return 'bad ALPN list';
  const out: string[] = [];
  while (r.left > 0) {
    const len = r.u8();
    const p = r.take(len);
    if (len < 1 || p === null) return 'bad ALPN protocol name';
    out.push(Buffer.from(p.buf.subarray(p.pos, p.end)).toString('latin1'));
  }
  return out;
}

/**
 * Accumulates a connection's first chunks until the ClientHello is complete. `push` returns the
 * parse result for everything received so far; `buffered` is what must be replayed downstream
 * (unshifted into the socket or written to the backend first).
 */
export class ClientHelloPeeker {
  #chunks: Buffer[] = [];
  #length = 0;
  #joined: Buffer | null = null;

  push(chunk: Buffer): ClientHelloResult {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    this.#joined = null;
    const result = parseClientHello(this.buffered);
    if (result.status === 'need-more' && this.#length >= MAX_HELLO_BYTES) {
      return fail('TOO_LARGE', 'no complete ClientHello within ' + MAX_HELLO_BYTES + ' bytes');
    }
    return result;
  }

  get buffered(): Buffer {
    if (this.#joined === null) {
      this.#joined = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length);
      this.#chunks = [this.#joined];
    }
    return this.#joined;
  }
}
