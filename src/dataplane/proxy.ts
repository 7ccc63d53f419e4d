// One request/response exchange: routing, filters, backend choice, upstream attempts (with retries
// and timeouts), response forwarding and the access record. Protocol-independent: the client side
// is a Downstream, the server side an UpstreamStream.
import type { CompiledBackend, CompiledListener, CompiledRoute, PortConfig } from './config.ts';
import { ACTION_DIRECT, ACTION_REDIRECT, listenersFor } from './config.ts';
import type { Downstream } from './downstream.ts';
import { redirectLocation } from './filters/redirect.ts';
import type { FilterChain, FilterRequest } from './filters/index.ts';
import { getHeader, setHeader } from './headers.ts';
import { BODY_CHUNKED, BODY_LENGTH, BODY_NONE, BODY_UPGRADE } from './http1/serializer.ts';
import { type DataPlaneObserver, ResponseFlag } from './observer.ts';
import { addForwardingHeaders } from './forwarding.ts';
import { exchangeRecord } from './record.ts';
import { type HostTable, lookupHost, normalizeHost } from './router/hosts.ts';
import type { RouteTable } from './router/compile.ts';
import { matchRoute, type RequestView } from './router/match.ts';
import type { Cluster, Pool } from './upstream/cluster.ts';
import type { UpstreamHandler, UpstreamStream } from './upstream/handler.ts';
import { Mirror } from './mirror.ts';
import { grpcStatusFor, isGrpcRequest } from './grpc.ts';
import { findSession, sessionToken } from './session.ts';
import { eventNow } from './clock.ts';

/** Request bodies up to this size are kept so an attempt can be replayed (retries, stale sockets). */
export const REPLAY_LIMIT = 64 * 1024;

/**
 * The last (config, authority, local address) → (host, listener, route table) lookup. One entry
 * for the whole process: it holds on to at most one superseded config until the next request.
 */
const hostMemo: {
  config: PortConfig | null;
  authority: string;
  localAddress: string;
  host: string;
  listeners: HostTable<CompiledListener>;
  listener: CompiledListener | null;
  table: RouteTable<CompiledRoute> | null;
} = {
  config: null,
  authority: '',
  localAddress: '',
  host: '',
  listeners: { exact: new Map(), wildcards: [], any: null },
  listener: null,
  table: null,
};

export interface ExchangeContext {
  readonly observer: DataPlaneObserver;
  readonly logger: { error(msg: string, fields?: object): void };
}

export class Exchange implements FilterRequest, RequestView, UpstreamHandler {
  readonly downstream: Downstream;
  readonly ctx: ExchangeContext;
  readonly startMono: number;
  method: string;
  path: string;
  authority: string;
  headers: string[];
  readonly originalPath: string;
  readonly originalAuthority: string;
  readonly routePath: string;
  readonly routeQuery: string;
  /** -1 unknown/streamed; >= 0 declared length. */
  readonly contentLength: number;
  readonly hasBody: boolean;
  /** Upgrade protocol requested by an HTTP/1.1 client (e.g. "websocket"), else null. */
  readonly upgradeProto: string | null;
  readonly expectContinue: boolean;
  listener: CompiledListener | null = null;
  listenerLabel: string;
  /** Port the request arrived on. */
  readonly port: number;
  route: CompiledRoute | null = null;
  backend: CompiledBackend | null = null;
  cluster: Cluster | null = null;
  pool: Pool | null = null;
  upstream: UpstreamStream | null = null;
  attempts = 0;
  requestId = '';
  // Body
  bodyDone: boolean;
  bytesReceived = 0;
  #queued: Buffer[] | null = null;
  #queuedBytes = 0;
  #replay: Buffer[] | null = null;
  #replayBytes = 0;
  #replayable = true;
  #pausedForQueue = false;
  #upstreamPausedBody = false;
  // Response
  status = 0;
  headSent = false;
  done = false;
  bytesSent = 0;
  flags = '';
  upstreamLatency = -1;
  #attemptStart = 0;
  /** Endpoint of the last attempt, for the access record. */
  upstreamHost = '-';
  #setSession: string | null = null;
  #requestTimer: NodeJS.Timeout | null = null;
  #tryTimer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #mirrors: Mirror[] | null = null;
  #mirrorTargets: Cluster[] | null = null;

  constructor(
    downstream: Downstream,
    ctx: ExchangeContext,
    method: string,
    target: string,
    authority: string,
    headers: string[],
    contentLength: number,
    hasBody: boolean,
    upgradeProto: string | null,
    port: number,
    portLabel: string,
  ) {
    this.downstream = downstream;
    this.ctx = ctx;
    this.startMono = eventNow();
    this.method = method;
    this.path = target;
    this.originalPath = target;
    this.authority = authority;
    this.originalAuthority = authority;
    this.headers = headers;
    const q = target.indexOf('?');
    this.routePath = q === -1 ? target : target.slice(0, q);
    this.routeQuery = q === -1 ? '' : target.slice(q + 1);
    this.contentLength = contentLength;
    this.hasBody = hasBody;
    this.bodyDone = !hasBody;
    this.upgradeProto = upgradeProto;
    this.expectContinue = hasBody && getHeader(headers, 'expect')?.toLowerCase() === '100-continue';
    this.listenerLabel = portLabel;
    this.port = port;
  }

  /** A gRPC client (its errors are answered in grpc-status); only local responses need to know. */
  get grpcRequest(): boolean {
    const ct = getHeader(this.headers, 'content-type');
    return ct !== undefined && isGrpcRequest(ct);
  }

  header(name: string): string | undefined {
    return getHeader(this.headers, name);
  }

  /** Routes and starts the exchange against one config version. */
  start(config: PortConfig, remoteAddress: string): void {
    this.requestId = addForwardingHeaders(this.headers, remoteAddress, this.downstream.scheme);

    // The local address only matters when Gateways on this port bind their own addresses (and
    // reading it costs a getsockname() on a new HTTP/1.1 connection).
    const localAddress = config.byAddress === null ? '' : this.downstream.localAddress;
    let host: string;
    let listeners: HostTable<CompiledListener>;
    let listener: CompiledListener | null;
    let table: RouteTable<CompiledRoute> | null;
    const memo = hostMemo;
    // Consecutive requests nearly always name the same host on the same config: reuse the last
    // lookup (host normalization, listener and virtual host) when all three inputs are the same.
    if (memo.config === config && memo.authority === this.authority && memo.localAddress === localAddress) {
      host = memo.host;
      listeners = memo.listeners;
      listener = memo.listener;
      table = memo.table;
    } else {
      host = normalizeHost(this.authority);
      listeners = listenersFor(config, localAddress);
      listener = lookupHost(listeners, host);
      table = listener === null ? null : lookupHost(listener.vhosts, host);
      memo.config = config;
      memo.authority = this.authority;
      memo.localAddress = localAddress;
      memo.host = host;
      memo.listeners = listeners;
      memo.listener = listener;
      memo.table = table;
    }
    if (listener === null) {
      this.#noRoute();
      return;
    }
    this.listener = listener;
    this.listenerLabel = listener.name;
    const sni = this.downstream.serverName;
    if (sni !== null && lookupHost(listeners, normalizeHost(sni)) !== listener) {
      // The TLS connection was set up for another listener (connection reuse across hosts).
      this.respondLocal(421, [], '', '');
      return;
    }
    if (table === null) {
      this.#noRoute();
      return;
    }
    const route = matchRoute(table, this);
    if (route === null) {
      this.#noRoute();
      return;
    }
    this.route = route;
    if (route.requestTimeoutMs > 0) this.#requestTimer = setTimeout(this.#onRequestTimeout, route.requestTimeoutMs);

    if (this.#runRequestChain(route.chain)) return;
    if (route.action === ACTION_REDIRECT) {
      const r = route.redirect!;
      const location = redirectLocation(r, route.prefix, listener.scheme, listener.port, host, this.path);
      this.respondLocal(r.statusCode, ['location', location], '', ResponseFlag.DirectResponse);
      return;
    }
    if (route.action === ACTION_DIRECT) {
      this.respondLocal(route.directStatus, [], route.directBody, ResponseFlag.DirectResponse);
      return;
    }
    this.#forward(route);
  }

  #noRoute(): void {
    this.respondLocal(404, [], '', ResponseFlag.NoRouteFound);
  }

  /** Returns true when a filter answered the request. */
  #runRequestChain(chain: FilterChain): boolean {
    const fs = chain.request;
    for (let i = 0; i < fs.length; i++) {
      if (fs[i]!.onRequest!(this)) return true;
      if (this.done) return true;
    }
    return false;
  }

  #forward(route: CompiledRoute): void {
    let backend: CompiledBackend | null = null;
    let pool: Pool | null = null;
    const session = route.session;
    const nowSec = session !== null ? Math.floor(Date.now() / 1000) : 0;
    if (session !== null) {
      const found = findSession(session, this.headers, route.backends, nowSec);
      if (found !== null) {
        backend = found.backend;
        pool = found.pool;
        // Sliding idle window: refresh the token on every response.
        if (session.idleTimeoutMs !== undefined && found.backend.cluster !== null) {
          this.#setSession = sessionToken(found.backend.cluster, pool, found.createdSec, nowSec);
        }
      }
    }
    if (backend === null) {
      if (route.totalWeight === 0) {
        this.respondLocal(500, [], '', ResponseFlag.InvalidBackend);
        return;
      }
      let r = Math.random() * route.totalWeight;
      const bs = route.backends;
      backend = bs[bs.length - 1]!;
      for (let i = 0; i < bs.length; i++) {
        r -= bs[i]!.weight;
        if (r < 0) {
          backend = bs[i]!;
          break;
        }
      }
    }
    this.backend = backend;
    const cluster = backend.cluster;
    if (cluster === null) {
      this.respondLocal(500, [], '', ResponseFlag.InvalidBackend);
      return;
    }
    this.cluster = cluster;
    if (this.#runRequestChain(backend.chain)) return;
    if (pool === null) {
      pool = cluster.pick();
      if (pool === null) {
        this.respondLocal(503, [], 'no healthy upstream', ResponseFlag.NoHealthyUpstream);
        return;
      }
      if (session !== null) this.#setSession = sessionToken(cluster, pool, nowSec, nowSec);
    }
    const mirrors = this.#mirrorTargets;
    if (mirrors !== null) {
      this.#mirrors = mirrors.map((c) => new Mirror(c, this));
      this.#mirrorTargets = null;
    }
    if (this.expectContinue) this.downstream.sendContinue(this);
    this.#attempt(pool);
  }

  mirror(cluster: Cluster): void {
    if (this.#mirrorTargets === null) this.#mirrorTargets = [];
    this.#mirrorTargets.push(cluster);
  }

  #attempt(pool: Pool): void {
    this.attempts++;
    this.pool = pool;
    this.upstreamHost = pool.label;
    pool.active++;
    const route = this.route!;
    if (route.backendTimeoutMs > 0) this.#tryTimer = setTimeout(this.#onTryTimeout, route.backendTimeoutMs);
    const upgrade = this.upgradeProto !== null && !this.cluster!.isH2;
    pool.acquire(this, upgrade);
  }

  #releasePool(): void {
    const pool = this.pool;
    if (pool !== null) {
      pool.active--;
      this.pool = null;
    }
  }

  // ---- UpstreamHandler -------------------------------------------------------------------------

  onUpstreamConnected(stream: UpstreamStream): void {
    if (this.done) {
      stream.abort();
      return;
    }
    this.upstream = stream;
    this.#attemptStart = eventNow();
    let bodyMode: number;
    if (this.upgradeProto !== null && !this.cluster!.isH2) bodyMode = BODY_UPGRADE;
    // An explicit "Content-Length: 0" is kept: some servers insist on a length for POST/PUT.
    else if (!this.hasBody) bodyMode = this.contentLength === 0 ? BODY_LENGTH : BODY_NONE;
    else if (this.contentLength >= 0) bodyMode = BODY_LENGTH;
    else bodyMode = BODY_CHUNKED;
    stream.sendHead(this.method, this.path, this.authority, this.headers, this.contentLength, bodyMode);
    if (this.upstream !== stream) return; // failed synchronously
    const chunks = this.attempts === 1 ? this.#queued : this.#replay;
    this.#queued = null;
    this.#queuedBytes = 0;
    if (chunks !== null) for (let i = 0; i < chunks.length; i++) stream.write(chunks[i]!);
    if (this.#pausedForQueue) {
      this.#pausedForQueue = false;
      this.downstream.resumeRequest(this);
    }
    if (this.bodyDone && bodyMode !== BODY_UPGRADE) stream.end();
  }

  onRequestData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    if (this.done) return;
    const mirrors = this.#mirrors;
    if (mirrors !== null) for (let i = 0; i < mirrors.length; i++) mirrors[i]!.write(chunk);
    if (this.#replayable) {
      if (this.#replayBytes + chunk.length <= REPLAY_LIMIT) {
        // Chunks are slices of socket buffers that node does not reuse, so keeping them is safe.
        if (this.#replay === null) this.#replay = [];
        this.#replay.push(chunk);
        this.#replayBytes += chunk.length;
      } else {
        this.#replayable = false;
        this.#replay = null;
      }
    }
    const up = this.upstream;
    if (up !== null) {
      if (!up.write(chunk) && !this.#upstreamPausedBody) {
        this.#upstreamPausedBody = true;
        this.downstream.pauseRequest(this);
      }
      return;
    }
    if (this.#queued === null) this.#queued = [];
    this.#queued.push(chunk);
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes > REPLAY_LIMIT && !this.#pausedForQueue) {
      this.#pausedForQueue = true;
      this.downstream.pauseRequest(this);
    }
  }

  onRequestEnd(): void {
    this.bodyDone = true;
    const mirrors = this.#mirrors;
    if (mirrors !== null) for (let i = 0; i < mirrors.length; i++) mirrors[i]!.end();
    if (this.done) return;
    const up = this.upstream;
    if (up !== null) up.end();
  }

  onUpstreamDrain(): void {
    if (this.#upstreamPausedBody) {
      this.#upstreamPausedBody = false;
      this.downstream.resumeRequest(this);
    }
  }

  onUpstreamHead(status: number, reason: string, headers: string[], contentLength: number): void {
    if (this.done) return;
    this.upstreamLatency = Math.round(eventNow() - this.#attemptStart);
    this.#clearTryTimer();
    const route = this.route!;
    const retry = route.retry;
    if (retry?.codes.includes(status) && this.#canRetry()) {
      this.#retryLater(retry.backoffMs);
      return;
    }
    this.status = status;
    if (this.#setSession !== null) {
      const s = route.session!;
      if (s.type === 'Cookie') {
        let cookie = s.name + '=' + this.#setSession + '; Path=/; HttpOnly';
        if (s.absoluteTimeoutMs !== undefined) cookie += '; Max-Age=' + Math.floor(s.absoluteTimeoutMs / 1000);
        headers.push('set-cookie', cookie);
      } else {
        setHeader(headers, s.name.toLowerCase(), this.#setSession);
      }
    }
    this.#runResponseChains(headers);
    this.headSent = true;
    const noBody = contentLength === 0 || this.method === 'HEAD' || status === 204 || status === 304;
    this.downstream.sendHead(this, status, reason, headers, contentLength, noBody && contentLength <= 0);
  }

  #runResponseChains(headers: string[]): void {
    const route = this.route;
    if (route === null) return;
    let fs = route.chain.response;
    for (let i = 0; i < fs.length; i++) fs[i]!.onResponse!(this, headers);
    const backend = this.backend;
    if (backend !== null) {
      fs = backend.chain.response;
      for (let i = 0; i < fs.length; i++) fs[i]!.onResponse!(this, headers);
    }
  }

  onUpstreamData(chunk: Buffer): void {
    if (this.done || !this.headSent) return;
    this.bytesSent += chunk.length;
    if (!this.downstream.sendData(this, chunk)) this.upstream?.pause();
  }

  onUpstreamFlush(): void {
    if (this.headSent && !this.done) this.downstream.flushHead(this);
  }

  onDownstreamDrain(): void {
    this.upstream?.resume();
  }

  onUpstreamEnd(trailers: string[] | null): void {
    const up = this.upstream;
    this.upstream = null;
    if (this.done) return;
    if (!this.headSent) {
      // A retried attempt's remains; nothing to forward.
      return;
    }
    if (up !== null && !this.bodyDone) {
      // The upstream answered before the whole request body arrived: that connection cannot be reused.
      up.abort();
    }
    this.downstream.sendEnd(this, trailers);
    this.#finish();
  }

  onUpstreamError(code: string, beforeResponse: boolean): void {
    const up = this.upstream;
    this.upstream = null;
    if (this.done) return;
    this.#clearTryTimer();
    if (this.headSent) {
      this.#flag(ResponseFlag.UpstreamConnectionTermination);
      this.downstream.abortResponse(this);
      this.#finish();
      return;
    }
    const retry = this.route?.retry ?? null;
    const connectFailure = up === null;
    // A long-idle keep-alive socket the upstream closed meanwhile: replay on a fresh connection.
    if (up?.mayBeStale && beforeResponse && this.#replayFits()) {
      this.#releasePool();
      this.attempts--;
      this.#attempt(this.#pickAgain());
      return;
    }
    if (retry !== null && (retry.onConnectFailure || !connectFailure) && this.#canRetry()) {
      this.#retryLater(retry.backoffMs);
      return;
    }
    if (this.attempts > 1 && retry !== null) this.#flag(ResponseFlag.UpstreamRetryLimitExceeded);
    if (code === 'EPROTO') {
      // The upstream answered something that is not valid HTTP.
      this.respondLocal(502, [], 'upstream protocol error', ResponseFlag.UpstreamConnectionTermination);
      return;
    }
    const flag = connectFailure ? ResponseFlag.UpstreamConnectionFailure : ResponseFlag.UpstreamConnectionTermination;
    this.respondLocal(503, [], 'upstream connect error or disconnect/reset before headers: ' + code, flag);
  }

  onUpstreamUpgrade(headers: string[], socket: import('node:net').Socket, rest: Buffer): void {
    this.upstream = null;
    if (this.done) {
      socket.destroy();
      return;
    }
    this.status = 101;
    this.upstreamLatency = Math.round(performance.now() - this.#attemptStart);
    this.#clearTryTimer();
    this.#clearRequestTimer();
    this.headSent = true;
    this.#runResponseChains(headers);
    this.downstream.upgrade(this, headers, socket, rest);
  }

  /** Called by the downstream when a tunnel (WebSocket) closes. */
  tunnelClosed(bytesIn: number, bytesOut: number): void {
    this.bytesReceived += bytesIn;
    this.bytesSent += bytesOut;
    this.#finish();
  }

  #replayFits(): boolean {
    return this.#replayable && (this.bodyDone || !this.hasBody) && this.upgradeProto === null;
  }

  #canRetry(): boolean {
    const retry = this.route!.retry!;
    return this.attempts <= retry.attempts && this.#replayFits();
  }

  #pickAgain(): Pool {
    return this.cluster!.pick() ?? this.pool!;
  }

  #retryLater(backoffMs: number): void {
    const up = this.upstream;
    this.upstream = null;
    if (up !== null) up.abort();
    this.#releasePool();
    const cluster = this.cluster!;
    const next = cluster.pick();
    if (next === null) {
      this.respondLocal(503, [], 'no healthy upstream', ResponseFlag.NoHealthyUpstream);
      return;
    }
    if (backoffMs > 0) {
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null;
        if (!this.done) this.#attempt(next);
      }, backoffMs);
    } else {
      this.#attempt(next);
    }
  }

  // ---- timeouts -----------------------------------------------------------------------------------

  #onRequestTimeout = (): void => {
    this.#requestTimer = null;
    this.#timeout();
  };

  #onTryTimeout = (): void => {
    this.#tryTimer = null;
    // A per-attempt timeout is retried while the retry budget (and the request timeout) allow.
    const retry = this.route?.retry ?? null;
    if (!this.done && !this.headSent && retry !== null && this.#canRetry()) {
      this.#retryLater(retry.backoffMs);
      return;
    }
    this.#timeout();
  };

  #timeout(): void {
    if (this.done) return;
    const up = this.upstream;
    this.upstream = null;
    if (up !== null) up.abort();
    this.#flag(ResponseFlag.UpstreamRequestTimeout);
    if (this.headSent) {
      this.downstream.abortResponse(this);
      this.#finish();
    } else {
      this.respondLocal(504, [], 'upstream request timeout', '');
    }
  }

  #clearTryTimer(): void {
    if (this.#tryTimer !== null) {
      clearTimeout(this.#tryTimer);
      this.#tryTimer = null;
    }
  }

  #clearRequestTimer(): void {
    if (this.#requestTimer !== null) {
      clearTimeout(this.#requestTimer);
      this.#requestTimer = null;
    }
  }

  // ---- local responses and completion ------------------------------------------------------------

  respondLocal(status: number, headers: string[], body: string, flag: string): void {
    if (this.done || this.headSent) return;
    const up = this.upstream;
    this.upstream = null;
    if (up !== null) up.abort();
    if (flag !== '') this.#flag(flag);
    this.status = status;
    this.#runResponseChains(headers);
    this.headSent = true;
    if (this.grpcRequest || this.route?.grpc === true) {
      // gRPC clients read errors from grpc-status, sent as a trailers-only response with HTTP 200.
      if (status >= 300 || status < 200) {
        const grpc = grpcStatusFor(status);
        headers.push(
          'content-type',
          'application/grpc',
          'grpc-status',
          String(grpc),
          'grpc-message',
          body || String(status),
        );
        this.status = 200;
        this.downstream.sendHead(this, 200, '', headers, 0, true);
        this.#finish();
        return;
      }
    }
    if (body === '' || this.method === 'HEAD') {
      this.downstream.sendHead(this, status, '', headers, 0, true);
    } else {
      const buf = Buffer.from(body);
      headers.push('content-type', 'text/plain');
      this.downstream.sendHead(this, status, '', headers, buf.length, false);
      this.bytesSent += buf.length;
      this.downstream.sendData(this, buf);
      this.downstream.sendEnd(this, null);
    }
    this.#finish();
  }

  /** The client went away (or sent a broken body, answered with `status` by the codec). */
  onDownstreamAbort(flag: string = ResponseFlag.DownstreamConnectionTermination, status = 0): void {
    if (this.done) return;
    const up = this.upstream;
    this.upstream = null;
    if (up !== null) up.abort();
    this.#flag(flag);
    if (status !== 0) this.status = status;
    this.#finish();
  }

  #flag(f: string): void {
    this.flags = this.flags === '' ? f : this.flags + ',' + f;
  }

  #finish(): void {
    if (this.done) return;
    this.done = true;
    this.#clearTryTimer();
    this.#clearRequestTimer();
    if (this.#retryTimer !== null) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    }
    this.#releasePool();
    try {
      this.ctx.observer.onRequestEnd(exchangeRecord(this));
    } catch (err) {
      // Observers must not throw; if one does, the connection still moves on.
      this.ctx.logger.error('observer failed', { error: String(err) });
    }
    this.downstream.exchangeDone(this);
  }
}
