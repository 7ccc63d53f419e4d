// HTTP/2 cleartext (h2c) upstreams: one multiplexed client session per endpoint, reopened when it
// closes or receives GOAWAY. Each request is a stream adapted to the UpstreamStream contract.
import type http2 from 'node:http2';
import { lazyHttp2 } from '../builtins.ts';
import net from 'node:net';
import { isHopOrFraming } from '../http1/serializer.ts';
import type { UpstreamHandler, UpstreamStream } from './handler.ts';
import type { EndpointAddress } from './pool.ts';
import { tlsConnect } from './tls.ts';

const HTTP2_HEADER_STATUS = ':status';
// nghttp2 values (RFC 9113 §6.1 END_STREAM flag, §7 CANCEL), as node:http2.constants has them.
const NGHTTP2_FLAG_END_STREAM = 0x1;
const NGHTTP2_CANCEL = 0x8;

/** Flat header array → node:http2 header object (repeated names become arrays). */
export function toH2Headers(headers: readonly string[], out: http2.OutgoingHttpHeaders): http2.OutgoingHttpHeaders {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (isHopOrFraming(name)) {
      if (name === 'te' && value.toLowerCase().includes('trailers')) out.te = 'trailers';
      continue;
    }
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [String(prev), value];
  }
  return out;
}

/** node:http2 header object → flat array without pseudo-headers. */
export function fromH2Headers(h: http2.IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name in h) {
    if (name.charCodeAt(0) === 58) continue;
    const v = h[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push(name, x);
    else out.push(name, v);
  }
  return out;
}

class H2UpstreamStream implements UpstreamStream {
  readonly hostLabel: string;
  /** HTTP/2 streams are never replayed silently: a stale session fails at request() time instead. */
  readonly mayBeStale = false;
  readonly #pool: H2Pool;
  #handler: UpstreamHandler | null;
  #req: http2.ClientHttp2Stream | null = null;
  #responded = false;
  #trailers: string[] | null = null;

  constructor(pool: H2Pool, handler: UpstreamHandler) {
    this.#pool = pool;
    this.hostLabel = pool.label;
    this.#handler = handler;
  }

  sendHead(
    method: string,
    path: string,
    authority: string,
    headers: string[],
    contentLength: number,
    bodyMode: number,
  ): void {
    const h: http2.OutgoingHttpHeaders = {
      ':method': method,
      ':path': path,
      ':authority': authority,
      ':scheme': 'http',
    };
    toH2Headers(headers, h);
    if (bodyMode === 1) h['content-length'] = String(contentLength);
    let req: http2.ClientHttp2Stream;
    try {
      req = this.#pool.session().request(h, { endStream: bodyMode === 0 });
    } catch {
      this.#fail('ECONNRESET');
      return;
    }
    this.#req = req;
    // A pool retired by a config swap still serves in-flight retries, then lets the session go.
    if (this.#pool.retired) req.session?.close();
    req.on('response', (rh, flags: number) => {
      const handler = this.#handler;
      if (handler === null) return;
      this.#responded = true;
      const status = Number(rh[HTTP2_HEADER_STATUS]);
      const cl = rh['content-length'];
      const noBody = method === 'HEAD' || status === 204 || status === 304;
      // A HEADERS frame with END_STREAM (e.g. a gRPC trailers-only error) has no body at all.
      const empty = noBody || (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
      handler.onUpstreamHead(status, '', fromH2Headers(rh), cl !== undefined ? Number(cl) : empty ? 0 : -1);
      // DATA frames arrive as later events: the head goes out now.
      if (this.#handler === handler) handler.onUpstreamFlush();
    });
    req.on('trailers', (th) => {
      this.#trailers = fromH2Headers(th);
    });
    req.on('data', (chunk: Buffer) => {
      const handler = this.#handler;
      if (handler !== null) handler.onUpstreamData(chunk);
    });
    req.on('end', () => {
      const handler = this.#handler;
      this.#handler = null;
      if (handler !== null) {
        if (!this.#responded) handler.onUpstreamError('ECONNRESET', true);
        else handler.onUpstreamEnd(this.#trailers);
      }
    });
    req.on('drain', () => {
      const handler = this.#handler;
      if (handler !== null) handler.onUpstreamDrain();
    });
    req.on('error', (err: NodeJS.ErrnoException) => this.#fail(err.code ?? 'ECONNRESET'));
    req.on('close', () => {
      if (this.#handler !== null) this.#fail('ECONNRESET');
    });
    req.resume();
  }

  #fail(code: string): void {
    const handler = this.#handler;
    this.#handler = null;
    if (handler !== null) handler.onUpstreamError(code, !this.#responded);
  }

  write(chunk: Buffer): boolean {
    const req = this.#req;
    return req === null || req.destroyed ? true : req.write(chunk);
  }

  end(): void {
    const req = this.#req;
    if (req !== null && !req.writableEnded) req.end();
  }

  pause(): void {
    this.#req?.pause();
  }

  resume(): void {
    this.#req?.resume();
  }

  abort(): void {
    this.#handler = null;
    const req = this.#req;
    if (req !== null && !req.destroyed) req.close(NGHTTP2_CANCEL);
  }
}

export class H2Pool {
  readonly address: EndpointAddress;
  readonly label: string;
  active = 0;
  resolvedFrom: string | null = null;
  #session: http2.ClientHttp2Session | null = null;
  #retired = false;

  constructor(address: EndpointAddress) {
    this.address = address;
    this.label = address.unixPath ?? address.host + ':' + address.port;
  }

  session(): http2.ClientHttp2Session {
    const s = this.#session;
    if (s !== null && !s.closed && !s.destroyed) return s;
    const a = this.address;
    const host = net.isIPv6(a.host) ? '[' + a.host + ']' : a.host;
    const authority = a.unixPath !== undefined ? 'localhost' : host + ':' + a.port;
    const t = a.tls;
    const session = lazyHttp2().connect((t !== undefined ? 'https://' : 'http://') + authority, {
      createConnection: () => {
        if (t !== undefined) return tlsConnect(a, t, ['h2']);
        return a.unixPath !== undefined
          ? net.connect({ path: a.unixPath })
          : net.connect({ host: a.host, port: a.port });
      },
    });
    const forget = (): void => {
      if (this.#session === session) this.#session = null;
    };
    session.on('error', forget);
    session.on('close', forget);
    session.on('goaway', forget);
    session.unref();
    this.#session = session;
    return session;
  }

  acquire(handler: UpstreamHandler, _fresh: boolean): void {
    handler.onUpstreamConnected(new H2UpstreamStream(this, handler));
  }

  /** HTTP/2 sessions are long-lived by design; idle expiry is left to the upstream's GOAWAY. */
  closeIdleBefore(_cutoff: number): void {}

  retire(): void {
    this.#retired = true;
    this.#session?.close();
    this.#session = null;
  }

  destroyAll(): void {
    this.retire();
  }

  get retired(): boolean {
    return this.#retired;
  }
}
