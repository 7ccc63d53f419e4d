// Downstream HTTP/2 (cleartext): node:http2 does the framing, each stream becomes an Exchange.
// Sockets reach this server already accepted (prior-knowledge preface detected by the HTTP/1.1
// connection, or an h2c upgrade), so it never listens itself.
import { randomBytes } from 'node:crypto';
import type http2 from 'node:http2';
import { lazyHttp2 } from '../builtins.ts';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Downstream } from '../downstream.ts';
import type { PortState, ServerConnection } from '../port.ts';
import { clientAddress } from '../forwarding.ts';
import { Exchange } from '../proxy.ts';
import { coarse, DEFAULT_TIMEOUTS, sweepInterval } from '../clock.ts';
import { toH2Headers } from '../upstream/h2pool.ts';
import { upstreamChunks } from '../upstream/handler.ts';

// nghttp2 error codes (RFC 9113 §7), as node:http2.constants has them.
const NGHTTP2_INTERNAL_ERROR = 0x2;
const NGHTTP2_CANCEL = 0x8;
/** Transient upstream chunks up to this size are copied rather than taken over. */
const COPY_LIMIT = 16 * 1024;

class H2Downstream implements Downstream {
  readonly protocol = 'HTTP/2';
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly scheme: string;
  readonly serverName: string | null;
  readonly stream: http2.ServerHttp2Stream;
  ex: Exchange | null = null;
  /** Set once an RFC 8441 WebSocket is spliced: the stream's close ends the tunnel, not a request. */
  tunneling = false;
  #trailers: string[] | null = null;
  /** Body bytes still announced by content-length (-1: unknown, or trailers will follow). */
  #remaining = -1;
  #drainArmed = false;

  constructor(stream: http2.ServerHttp2Stream, remoteAddress: string, localAddress: string, serverName: string | null) {
    this.stream = stream;
    this.remoteAddress = remoteAddress;
    this.localAddress = localAddress;
    this.scheme = serverName !== null || stream.session?.encrypted === true ? 'https' : 'http';
    this.serverName = serverName;
  }

  sendHead(
    _ex: Exchange,
    status: number,
    _reason: string,
    headers: string[],
    contentLength: number,
    endStream: boolean,
  ): void {
    const s = this.stream;
    if (s.destroyed || s.headersSent) return;
    const h: http2.OutgoingHttpHeaders = { ':status': status };
    toH2Headers(headers, h);
    const ct = h['content-type'];
    const grpc = typeof ct === 'string' && ct.startsWith('application/grpc');
    if (contentLength >= 0 && status !== 204 && status !== 304 && !grpc) h['content-length'] = String(contentLength);
    // gRPC (and anything announcing trailers) needs a trailing HEADERS frame.
    const wantTrailers =
      !endStream && ((typeof ct === 'string' && ct.startsWith('application/grpc')) || h.trailer !== undefined);
    delete h.trailer;
    this.#remaining = endStream || wantTrailers ? -1 : contentLength;
    try {
      s.respond(h, { endStream, waitForTrailers: wantTrailers });
    } catch {
      s.close(NGHTTP2_INTERNAL_ERROR);
      return;
    }
    if (wantTrailers) {
      s.once('wantTrailers', () => {
        const t = this.#trailers;
        s.sendTrailers(t !== null ? toH2Headers(t, {}) : {});
      });
    }
  }

  flushHead(): void {}

  sendData(_ex: Exchange, chunk: Buffer): boolean {
    const s = this.stream;
    if (s.destroyed || s.writableEnded) return true;
    // An HTTP/2 stream queues what it is given: a chunk in an upstream's reused read buffer is
    // copied when small, or taken over (the upstream reads into a new buffer) when large.
    if (upstreamChunks.transient) {
      if (chunk.length <= COPY_LIMIT) chunk = Buffer.from(chunk);
      else upstreamChunks.kept = true;
    }
    // The last announced bytes go out with END_STREAM in the same call: a write() followed by an
    // end() costs node:http2 an extra (failing) write completion per stream.
    if (this.#remaining > 0) {
      this.#remaining -= chunk.length;
      if (this.#remaining <= 0) {
        s.end(chunk);
        return true;
      }
    }
    if (s.write(chunk)) return true;
    // Backpressure is rare for small responses: listen for 'drain' only when it is needed.
    if (!this.#drainArmed) {
      this.#drainArmed = true;
      s.once('drain', this.#onDrain);
    }
    return false;
  }

  #onDrain = (): void => {
    this.#drainArmed = false;
    this.ex?.onDownstreamDrain();
  };

  sendEnd(_ex: Exchange, trailers: string[] | null): void {
    this.#trailers = trailers;
    const s = this.stream;
    if (!s.destroyed && !s.writableEnded) s.end();
  }

  sendContinue(): void {}

  pauseRequest(): void {
    this.stream.pause();
  }

  resumeRequest(): void {
    this.stream.resume();
  }

  abortResponse(): void {
    if (!this.stream.destroyed) this.stream.close(NGHTTP2_INTERNAL_ERROR);
  }

  /** RFC 8441: the upstream accepted the WebSocket; answer 200 and splice the stream with its socket. */
  upgrade(ex: Exchange, headers: string[], upstream: Socket, rest: Buffer): void {
    const s = this.stream;
    if (s.destroyed) {
      upstream.destroy();
      return;
    }
    const h: http2.OutgoingHttpHeaders = { ':status': 200 };
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name === 'sec-websocket-protocol' || name === 'sec-websocket-extensions') h[name] = headers[i + 1]!;
    }
    try {
      s.respond(h);
    } catch {
      upstream.destroy();
      return;
    }
    this.tunneling = true;
    ex.status = 200;
    if (rest.length > 0) s.write(rest);
    let bytesIn = 0;
    let bytesOut = rest.length;
    s.on('data', (c: Buffer) => {
      bytesIn += c.length;
    });
    upstream.on('data', (c: Buffer) => {
      bytesOut += c.length;
    });
    let closed = false;
    const onClose = (): void => {
      if (closed) return;
      closed = true;
      upstream.destroy();
      if (!s.destroyed) s.close();
      ex.tunnelClosed(bytesIn, bytesOut);
    };
    upstream.on('error', () => {});
    upstream.on('close', onClose);
    s.on('close', onClose);
    s.pipe(upstream);
    upstream.pipe(s);
    upstream.resume();
  }

  exchangeDone(): void {
    this.ex = null;
  }
}

function onStream(port: PortState, stream: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders): void {
  const method = String(h[':method'] ?? 'GET');
  const path = String(h[':path'] ?? '/');
  const authority = String(h[':authority'] ?? h.host ?? '');
  const headers: string[] = [];
  let cookie: string | null = null;
  for (const name in h) {
    if (name.charCodeAt(0) === 58 || name === 'host') continue;
    const v = h[name];
    if (v === undefined) continue;
    if (name === 'cookie') {
      // HTTP/2 splits cookies into several fields; HTTP/1.1 upstreams expect one.
      const joined = Array.isArray(v) ? v.join('; ') : v;
      cookie = cookie === null ? joined : cookie + '; ' + joined;
      continue;
    }
    if (Array.isArray(v)) for (const x of v) headers.push(name, x);
    else headers.push(name, v);
  }
  if (cookie !== null) headers.push('cookie', cookie);
  // RFC 8441 WebSocket: extended CONNECT becomes an HTTP/1.1 Upgrade towards the upstream.
  const websocket = method === 'CONNECT' && h[':protocol'] === 'websocket';
  if (websocket) {
    headers.push('upgrade', 'websocket');
    // HTTP/2 clients send no key; the upstream's handshake needs one (its answer is not checked
    // against it: the client never saw a key either).
    if (h['sec-websocket-key'] === undefined) headers.push('sec-websocket-key', randomBytes(16).toString('base64'));
  }
  const cl = h['content-length'];
  const hasBody = !websocket && !stream.endAfterHeaders;
  const session = stream.session;
  const remote = clientAddress(session?.socket?.remoteAddress);
  const sni = session?.encrypted === true ? (session.socket as TLSSocket).servername || null : null;
  const down = new H2Downstream(stream, remote, clientAddress(session?.socket?.localAddress), sni);
  const config = port.config;
  const ex = new Exchange(
    down,
    port.ctx,
    websocket ? 'GET' : method,
    path,
    authority,
    headers,
    hasBody && cl !== undefined ? Number(cl) : -1,
    hasBody,
    websocket ? 'websocket' : null,
    config.port,
    config.portLabel,
  );
  down.ex = ex;
  // Only a request with a body is read: a 'data' listener (flowing mode) on a stream whose
  // readable side already ended makes node:http2 raise and swallow an internal error
  // (ERR_MULTIPLE_CALLBACK, with a stack trace) on every response write, ~8% of the CPU.
  if (hasBody) {
    stream.on('data', (chunk: Buffer) => ex.onRequestData(chunk));
    stream.on('end', () => ex.onRequestEnd());
  }
  stream.on('error', () => {});
  const conn = (session as SessionWithConnection | undefined)?.[CONNECTION];
  if (conn !== undefined) conn.streamOpened();
  stream.on('close', () => {
    if (conn !== undefined) conn.streamClosed();
    if (!ex.done && !down.tunneling) ex.onDownstreamAbort();
  });
  if (authority === '' || (method === 'CONNECT' && !websocket)) {
    ex.respondLocal(authority === '' ? 400 : 501, [], '', 'DPE');
    stream.close(NGHTTP2_CANCEL);
    return;
  }
  ex.start(config, remote);
}

const CONNECTION = Symbol('portunus.h2connection');
type SessionWithConnection = http2.ServerHttp2Session & { [CONNECTION]?: H2SessionConnection };

class H2SessionConnection implements ServerConnection {
  readonly session: http2.ServerHttp2Session;
  readonly #port: PortState;
  readonly #idleMs: number;
  readonly #slack: number;
  #streams = 0;
  #lastActive = coarse.now;
  constructor(session: http2.ServerHttp2Session, port: PortState) {
    this.session = session;
    this.#port = port;
    const t = port.timeouts ?? DEFAULT_TIMEOUTS;
    this.#idleMs = t.idleTimeoutMs;
    this.#slack = sweepInterval(t);
    (session as SessionWithConnection)[CONNECTION] = this;
  }
  streamOpened(): void {
    this.#streams++;
  }
  streamClosed(): void {
    this.#streams--;
    this.#lastActive = coarse.now;
  }
  drain(): void {
    // GOAWAY: in-flight streams finish, no new ones are accepted.
    if (!this.session.closed) this.session.close();
  }
  destroy(): void {
    this.session.destroy();
    this.#port.connections.delete(this);
  }
  /**
   * Idle means no stream open for the idle timeout (Envoy's definition), checked by the shared
   * sweep rather than a session timer that every frame would refresh.
   */
  sweep(now: number): void {
    if (
      this.#streams === 0 &&
      this.#idleMs > 0 &&
      now - this.#slack - this.#lastActive > this.#idleMs &&
      !this.session.closed
    ) {
      // GOAWAY, then close.
      this.session.close();
    }
  }
}

export function createH2Server(port: PortState): http2.Http2Server {
  // enableConnectProtocol advertises RFC 8441 so HTTP/2 clients can open WebSockets on the session.
  const server = lazyHttp2().createServer({ maxSessionMemory: 64, settings: { enableConnectProtocol: true } });
  server.on('stream', (stream, headers) => {
    try {
      onStream(port, stream, headers);
    } catch (err) {
      port.ctx.logger.error('request failed', { error: String(err) });
      if (!stream.destroyed) stream.close(NGHTTP2_INTERNAL_ERROR);
    }
  });
  server.on('sessionError', () => {});
  server.on('unknownProtocol', (socket) => socket.destroy());
  server.on('session', (session: http2.ServerHttp2Session) => {
    const c = new H2SessionConnection(session, port);
    port.connections.add(c);
    session.on('close', () => {
      port.connections.delete(c);
      port.ctx.observer.onConnectionClose(port.config.connectionLabel);
    });
    session.on('error', () => {});
    if (port.draining) session.close();
  });
  return server;
}
