// Downstream HTTP/2 (cleartext): node:http2 does the framing, each stream becomes an Exchange.
// Sockets reach this server already accepted (prior-knowledge preface detected by the HTTP/1.1
// connection, or an h2c upgrade), so it never listens itself.
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Downstream } from '../downstream.ts';
import type { PortState, ServerConnection } from '../port.ts';
import { clientAddress } from '../forwarding.ts';
import { Exchange } from '../proxy.ts';
import { IDLE_TIMEOUT_MS } from '../http1/connection.ts';
import { toH2Headers } from '../upstream/h2pool.ts';

const { NGHTTP2_INTERNAL_ERROR, NGHTTP2_CANCEL } = http2.constants;

class H2Downstream implements Downstream {
  readonly protocol = 'HTTP/2';
  readonly remoteAddress: string;
  readonly scheme: string;
  readonly serverName: string | null;
  readonly stream: http2.ServerHttp2Stream;
  ex: Exchange | null = null;
  #trailers: string[] | null = null;

  constructor(stream: http2.ServerHttp2Stream, remoteAddress: string, serverName: string | null) {
    this.stream = stream;
    this.remoteAddress = remoteAddress;
    this.scheme = serverName !== null || stream.session?.encrypted === true ? 'https' : 'http';
    this.serverName = serverName;
  }

  sendHead(
    ex: Exchange,
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
    void ex;
  }

  sendData(_ex: Exchange, chunk: Buffer): boolean {
    const s = this.stream;
    if (s.destroyed || s.writableEnded) return true;
    return s.write(chunk);
  }

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

  upgrade(_ex: Exchange, _headers: string[], upstream: Socket): void {
    upstream.destroy();
    this.abortResponse();
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
  const cl = h['content-length'];
  const hasBody = !stream.endAfterHeaders;
  const session = stream.session;
  const remote = clientAddress(session?.socket?.remoteAddress);
  const sni = session?.encrypted === true ? (session.socket as TLSSocket).servername || null : null;
  const down = new H2Downstream(stream, remote, sni);
  const config = port.config;
  const ex = new Exchange(
    down,
    port.ctx,
    method,
    path,
    authority,
    headers,
    hasBody && cl !== undefined ? Number(cl) : -1,
    hasBody,
    null,
    config.port,
    config.portLabel,
  );
  down.ex = ex;
  stream.on('data', (chunk: Buffer) => ex.onRequestData(chunk));
  stream.on('end', () => ex.onRequestEnd());
  stream.on('drain', () => ex.onDownstreamDrain());
  stream.on('error', () => {});
  stream.on('close', () => {
    if (!ex.done) ex.onDownstreamAbort();
  });
  if (authority === '' || method === 'CONNECT') {
    ex.respondLocal(authority === '' ? 400 : 501, [], '', 'DPE');
    stream.close(NGHTTP2_CANCEL);
    return;
  }
  ex.start(config, remote);
}

class H2SessionConnection implements ServerConnection {
  readonly session: http2.ServerHttp2Session;
  readonly #port: PortState;
  constructor(session: http2.ServerHttp2Session, port: PortState) {
    this.session = session;
    this.#port = port;
  }
  drain(): void {
    // GOAWAY: in-flight streams finish, no new ones are accepted.
    if (!this.session.closed) this.session.close();
  }
  destroy(): void {
    this.session.destroy();
    this.#port.connections.delete(this);
  }
}

export function createH2Server(port: PortState): http2.Http2Server {
  const server = http2.createServer({ maxSessionMemory: 64 });
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
    // Idle sessions are closed like idle HTTP/1.1 connections (GOAWAY, in-flight streams finish).
    session.setTimeout(IDLE_TIMEOUT_MS, () => {
      if (!session.closed) session.close();
    });
    if (port.draining) session.close();
  });
  return server;
}
