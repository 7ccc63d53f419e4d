// One layer-4 connection from accept to its access record: ClientHello peek and listener/route
// choice by SNI on TLS ports, optional TLS termination, the upstream connect, the two pipes, and
// the accounting (listener connection counter, endpoint connections, observer hooks).
import net from 'node:net';
import type { AccessRecord, DataPlaneObserver } from '../observer.ts';
import { type HostTable, lookupHost } from '../router/hosts.ts';
import { ClientHelloPeeker } from '../tls/clienthello.ts';
import { type ListenerTLS, terminateTLS } from '../tls/context.ts';
import { connectUpstreamTLS } from '../tls/upstream.ts';
import { type L4Endpoint, type L4Route, pickBackend, pickEndpoint } from './backends.ts';

/** Response flags of layer-4 access records (Envoy's letters where Envoy has one). */
export const L4Flag = {
  /** No listener or route for the SNI name (or no route at all). */
  NoRoute: 'NR',
  /** The chosen backendRef is invalid (cluster null or unknown). */
  InvalidBackend: 'IB',
  /** The cluster has no ready endpoint. */
  NoHealthyUpstream: 'UH',
  /** Upstream connect failed or timed out, or upstream TLS verification failed. */
  UpstreamConnectionFailure: 'UF',
  /** Upstream reset the connection after it was established. */
  UpstreamConnectionTermination: 'UC',
  /** Downstream reset the connection. */
  DownstreamConnectionTermination: 'DC',
  /** Closed by the idle timeout. */
  IdleTimeout: 'SI',
  /** Not a valid ClientHello, or the TLS handshake failed. */
  DownstreamProtocolError: 'DPE',
  /** Refused: the listener is at its connection limit. */
  Overflow: 'UO',
} as const;

export interface ConnectionTimeouts {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnectionsPerListener: number;
  clientHelloTimeoutMs: number;
  handshakeTimeoutMs: number;
}

export interface Counter {
  active: number;
}

export interface CompiledListener {
  readonly name: string;
  readonly mode: 'TCP' | 'Passthrough' | 'Terminate';
  readonly tcpRoute: L4Route | null;
  readonly tlsRoutes: HostTable<L4Route>;
  readonly tls: ListenerTLS | null;
  readonly counter: Counter;
  /** Set when the listener cannot be served in this version. */
  readonly broken: string | null;
}

export interface CompiledPort {
  readonly isTLS: boolean;
  readonly port: number;
  /** Observer label: the listener's name when it is alone on the port, else "port/<n>". */
  readonly label: string;
  readonly tcp: CompiledListener | null;
  readonly byHost: HostTable<CompiledListener>;
}

export interface ConnectionContext {
  readonly opts: ConnectionTimeouts;
  readonly observer: DataPlaneObserver;
  readonly open: Set<Connection>;
}

/** One proxied connection, from accept to the access record. */
export class Connection {
  readonly raw: net.Socket;
  readonly port: CompiledPort;
  readonly ctx: ConnectionContext;
  readonly start = Date.now();
  /** Read at accept: a closed socket no longer knows its peer. */
  readonly remote: string;
  /** The socket bytes are piped from/to: raw, or the TLSSocket after termination. */
  front: net.Socket;
  upstream: net.Socket | null = null;
  listener: CompiledListener | null = null;
  endpoint: L4Endpoint | null = null;
  sni: string | undefined = undefined;
  route = '-';
  cluster = '-';
  flags: string[] = [];
  connectMs = -1;
  frontClosed = false;
  upstreamClosed = true;
  /** The listener's connection counter was incremented for this connection. */
  counted = false;
  finished = false;
  timer: NodeJS.Timeout | null = null;

  constructor(raw: net.Socket, port: CompiledPort, ctx: ConnectionContext) {
    this.raw = raw;
    this.port = port;
    this.ctx = ctx;
    this.front = raw;
    this.remote = raw.remoteAddress ?? '-';
    // Half-close needs this even when the accepting server was created without it.
    raw.allowHalfOpen = true;
    raw.setNoDelay(true);
    ctx.open.add(this);
    ctx.observer.onConnectionOpen(port.label);
    raw.on('error', () => this.flag(L4Flag.DownstreamConnectionTermination));
    raw.on('close', () => this.onFrontClose());
    if (port.isTLS) this.peek();
    else if (port.tcp !== null) this.accept(port.tcp, port.tcp.tcpRoute);
    else this.fail(L4Flag.NoRoute);
  }

  flag(f: string): void {
    if (!this.flags.includes(f)) this.flags.push(f);
  }

  fail(f: string): void {
    this.flag(f);
    this.destroy();
  }

  destroy(): void {
    this.raw.destroy();
    if (this.front !== this.raw) this.front.destroy();
    this.upstream?.destroy();
  }

  peek(): void {
    const raw = this.raw;
    const peeker = new ClientHelloPeeker();
    const onData = (chunk: Buffer) => {
      const r = peeker.push(chunk);
      if (r.status === 'need-more') return;
      cleanup();
      if (r.status === 'error') {
        this.fail(L4Flag.DownstreamProtocolError);
        return;
      }
      raw.pause();
      raw.unshift(peeker.buffered);
      this.sni = r.hello.sni;
      this.onClientHello();
    };
    const onEnd = () => {
      cleanup();
      this.fail(L4Flag.DownstreamProtocolError);
    };
    const cleanup = () => {
      raw.removeListener('data', onData);
      raw.removeListener('end', onEnd);
      this.clearTimer();
    };
    raw.on('data', onData);
    raw.on('end', onEnd);
    this.timer = setTimeout(() => {
      cleanup();
      this.fail(L4Flag.DownstreamProtocolError);
    }, this.ctx.opts.clientHelloTimeoutMs);
  }

  onClientHello(): void {
    const sni = this.sni;
    const listener = sni === undefined ? this.port.byHost.any : lookupHost(this.port.byHost, sni);
    if (listener === null) {
      this.fail(L4Flag.NoRoute);
      return;
    }
    if (listener.mode !== 'Terminate') {
      this.accept(listener, sni === undefined ? listener.tlsRoutes.any : lookupHost(listener.tlsRoutes, sni));
      return;
    }
    if (!this.admit(listener)) return;
    if (listener.tls === null) {
      this.fail(L4Flag.DownstreamProtocolError);
      return;
    }
    terminateTLS(this.raw, listener.tls, (err, conn) => {
      if (err !== null || conn === null) {
        this.fail(L4Flag.DownstreamProtocolError);
        return;
      }
      this.front = conn.socket;
      conn.socket.allowHalfOpen = true;
      conn.socket.on('error', () => this.flag(L4Flag.DownstreamConnectionTermination));
      conn.socket.on('close', () => this.onFrontClose());
      const name = conn.servername;
      this.forward(name === undefined ? listener.tlsRoutes.any : lookupHost(listener.tlsRoutes, name));
    });
  }

  /** Applies the listener's connection limit; false when the connection was refused. */
  admit(listener: CompiledListener): boolean {
    this.listener = listener;
    if (listener.broken !== null) {
      this.fail(L4Flag.DownstreamProtocolError);
      return false;
    }
    const max = this.ctx.opts.maxConnectionsPerListener;
    if (max > 0 && listener.counter.active >= max) {
      this.fail(L4Flag.Overflow);
      return false;
    }
    listener.counter.active++;
    this.counted = true;
    return true;
  }

  accept(listener: CompiledListener, route: L4Route | null): void {
    if (!this.admit(listener)) return;
    this.forward(route);
  }

  forward(route: L4Route | null): void {
    if (route === null) {
      this.fail(L4Flag.NoRoute);
      return;
    }
    this.route = route.route;
    const backend = pickBackend(route);
    if (backend === null || backend.cluster === null) {
      this.cluster = backend?.clusterName ?? '-';
      this.fail(L4Flag.InvalidBackend);
      return;
    }
    const cluster = backend.cluster;
    this.cluster = cluster.name;
    const ep = pickEndpoint(cluster);
    if (ep === null) {
      this.fail(L4Flag.NoHealthyUpstream);
      return;
    }
    this.endpoint = ep;
    ep.active++;
    const t0 = Date.now();
    let up: net.Socket;
    let connected = false;
    if (cluster.tls !== null) {
      up = connectUpstreamTLS(cluster.tls, ep);
    } else {
      up = net.connect(
        ep.unixPath !== undefined
          ? { path: ep.unixPath, allowHalfOpen: true }
          : { host: ep.host, port: ep.port, allowHalfOpen: true, noDelay: true },
      );
    }
    up.allowHalfOpen = true;
    this.upstream = up;
    this.upstreamClosed = false;
    const opts = this.ctx.opts;
    this.timer = setTimeout(() => this.fail(L4Flag.UpstreamConnectionFailure), opts.connectTimeoutMs);
    up.on('error', () => {
      this.flag(connected ? L4Flag.UpstreamConnectionTermination : L4Flag.UpstreamConnectionFailure);
    });
    up.on('close', (hadError: boolean) => {
      this.upstreamClosed = true;
      ep.active--;
      if (hadError || !connected) this.destroy();
      this.maybeFinish();
    });
    up.once(cluster.tls !== null ? 'secureConnect' : 'connect', () => {
      connected = true;
      this.clearTimer();
      this.connectMs = Date.now() - t0;
      const front = this.front;
      if (front.destroyed) {
        up.destroy();
        return;
      }
      if (opts.idleTimeoutMs > 0) {
        front.setTimeout(opts.idleTimeoutMs);
        front.on('timeout', () => this.fail(L4Flag.IdleTimeout));
      }
      front.pipe(up);
      up.pipe(front);
      front.resume();
    });
  }

  clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  onFrontClose(): void {
    if (this.frontClosed) return;
    this.frontClosed = true;
    this.clearTimer();
    const up = this.upstream;
    // A clean close means both directions ended, so the upstream closes by itself once its writes
    // are flushed. An error, a timeout, or a close during connect tears it down.
    if (up !== null && !up.destroyed && (this.flags.length > 0 || up.connecting || up.pending)) up.destroy();
    this.maybeFinish();
  }

  maybeFinish(): void {
    if (this.finished || !this.frontClosed || !this.upstreamClosed) return;
    this.finished = true;
    this.clearTimer();
    const ctx = this.ctx;
    ctx.open.delete(this);
    if (this.counted) this.listener!.counter.active--;
    ctx.observer.onConnectionClose(this.port.label);
    const front = this.front;
    const record: AccessRecord = {
      startTime: this.start,
      method: '-',
      path: '-',
      protocol: this.port.isTLS ? 'TLS' : 'TCP',
      authority: this.sni ?? '-',
      responseCode: 0,
      responseFlags: this.flags.length > 0 ? this.flags.join(',') : '-',
      bytesReceived: front.bytesRead,
      bytesSent: front.bytesWritten,
      durationMs: Date.now() - this.start,
      upstreamLatencyMs: this.connectMs,
      upstreamHost: this.endpoint?.label ?? '-',
      upstreamCluster: this.cluster,
      requestId: '-',
      route: this.route,
      listener: this.listener?.name ?? this.port.label,
      downstreamRemoteAddress: this.remote,
      userAgent: '-',
    };
    ctx.observer.onRequestEnd(record);
  }
}
