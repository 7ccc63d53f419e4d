// TCP and TLS listeners at layer 4: what happens to an accepted socket on a TCP or TLS port.
//
// TCP listeners proxy to their tcpRoute. TLS listeners first peek the ClientHello (the bytes stay in
// the socket), choose the listener on the port by SNI, then:
//   Passthrough: choose the TLSRoute by SNI and pipe the raw bytes, peeked ones first;
//   Terminate:   run the handshake with the listener's certificates, then pipe plaintext.
// SNI choice everywhere: exact name, then the longest wildcard, then the catch-all (no hostnames).
//
// One connection = one backend chosen by weight (a null or unknown cluster closes it), one ready
// endpoint (round robin, least connections or random), a connect timeout, an idle timeout, and both
// directions piped with backpressure. A FIN from one side is passed on with end() while the other
// direction keeps flowing (half-close); an error on either side destroys both.
//
// update() compiles a new version for new connections; connections keep what they started with.
import net from 'node:net';
import type { ClusterIR, ListenerIR } from '../../ir/types.ts';
import { type AccessRecord, type DataPlaneObserver, noopObserver } from '../observer.ts';
import { compileHostTable, type HostTable, lookupHost } from '../router/hosts.ts';
import { ClientHelloPeeker } from '../tls/clienthello.ts';
import { compileListenerTLS, type ListenerTLS, terminateTLS } from '../tls/context.ts';
import { connectUpstreamTLS } from '../tls/upstream.ts';
import { BackendRegistry, type L4Endpoint, type L4Route, pickBackend, pickEndpoint } from './backends.ts';

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

export interface L4PortConfig {
  /** The TCP or TLS listeners bound to one port (across Gateways). */
  listeners: ListenerIR[];
  clusters: Map<string, ClusterIR>;
}

export interface L4Options {
  observer?: DataPlaneObserver;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** No byte in either direction for this long closes the connection. Default 1 h; 0 disables. */
  idleTimeoutMs?: number;
  /** Concurrent connections per listener; beyond it new connections are closed. 0 = unlimited (default). */
  maxConnectionsPerListener?: number;
  /** Time allowed for a complete ClientHello on TLS ports. Default 10 s. */
  clientHelloTimeoutMs?: number;
  /** Time allowed for a terminated handshake. Default 10 s. */
  handshakeTimeoutMs?: number;
}

export interface L4ConfigError {
  listener: string;
  message: string;
}

export interface L4Listener {
  /** Takes ownership of an accepted socket (from a server created with allowHalfOpen: true). */
  handleConnection(socket: net.Socket): void;
  /** Swaps in a new config version; returns listeners that cannot be served (bad certificates). */
  update(config: L4PortConfig): L4ConfigError[];
  /** Refuses new connections, waits up to graceMs for open ones, then destroys the rest. */
  close(graceMs?: number): Promise<void>;
  /** Open connections. */
  readonly connections: number;
  /** Errors of the current version. */
  readonly errors: readonly L4ConfigError[];
}

const DEFAULTS = {
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 3_600_000,
  maxConnectionsPerListener: 0,
  clientHelloTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
};

interface Counter {
  active: number;
}

interface CompiledListener {
  readonly name: string;
  readonly mode: 'TCP' | 'Passthrough' | 'Terminate';
  readonly tcpRoute: L4Route | null;
  readonly tlsRoutes: HostTable<L4Route>;
  readonly tls: ListenerTLS | null;
  readonly counter: Counter;
  /** Set when the listener cannot be served in this version. */
  readonly broken: string | null;
}

interface CompiledPort {
  readonly isTLS: boolean;
  readonly port: number;
  /** Observer label: the listener's name when it is alone on the port, else "port/<n>". */
  readonly label: string;
  readonly tcp: CompiledListener | null;
  readonly byHost: HostTable<CompiledListener>;
}

export function createL4Listener(initial: L4PortConfig, options: L4Options = {}): L4Listener {
  const opts = { ...DEFAULTS, ...options };
  const observer = options.observer ?? noopObserver;
  const registry = new BackendRegistry();
  const counters = new Map<string, Counter>();
  let tlsByListener = new Map<string, ListenerTLS>();
  const open = new Set<Connection>();
  let closing = false;
  let errors: L4ConfigError[] = [];
  let current: CompiledPort;

  function compile(config: L4PortConfig): CompiledPort {
    registry.compile(config.clusters);
    const nextTLS = new Map<string, ListenerTLS>();
    const nextCounters = new Map<string, Counter>();
    errors = [];
    const compiled: CompiledListener[] = [];
    for (const l of config.listeners) {
      const counter = counters.get(l.name) ?? { active: 0 };
      nextCounters.set(l.name, counter);
      let broken: string | null = null;
      let lt: ListenerTLS | null = null;
      const mode = l.protocol === 'TLS' ? (l.tls?.mode === 'Terminate' ? 'Terminate' : 'Passthrough') : 'TCP';
      if (mode === 'Terminate') {
        try {
          // TLSRoute backends speak whatever the client does: no ALPN is offered unless configured.
          const candidate = compileListenerTLS(l.tls!, {
            alpn: l.tls?.alpn ?? [],
            handshakeTimeoutMs: opts.handshakeTimeoutMs,
          });
          const prev = tlsByListener.get(l.name);
          lt = prev !== undefined && prev.fingerprint === candidate.fingerprint ? prev : candidate;
          nextTLS.set(l.name, lt);
        } catch (err) {
          broken = (err as Error).message;
          errors.push({ listener: l.name, message: broken });
        }
      }
      const routes: [string | null, L4Route][] = [];
      for (const r of l.tlsRoutes ?? []) {
        const route = registry.compileRoute(r);
        if (r.hostnames.length === 0) routes.push([null, route]);
        for (const h of r.hostnames) routes.push([h, route]);
      }
      compiled.push({
        name: l.name,
        mode,
        tcpRoute: l.tcpRoute !== undefined ? registry.compileRoute(l.tcpRoute) : null,
        tlsRoutes: compileHostTable(routes),
        tls: lt,
        counter,
        broken,
      });
    }
    counters.clear();
    for (const [k, v] of nextCounters) counters.set(k, v);
    tlsByListener = nextTLS;
    const first = config.listeners[0];
    const port = first?.port ?? 0;
    return {
      isTLS: first?.protocol === 'TLS',
      port,
      label: compiled.length === 1 ? compiled[0]!.name : 'port/' + port,
      tcp: first?.protocol === 'TCP' ? compiled[0]! : null,
      byHost: compileHostTable(
        compiled.map((c, i) => [config.listeners[i]!.hostname, c] as [string | null, CompiledListener]),
      ),
    };
  }

  current = compile(initial);

  const ctx: ConnectionContext = { opts, observer, open };

  return {
    handleConnection(socket: net.Socket): void {
      if (closing) {
        socket.destroy();
        return;
      }
      new Connection(socket, current, ctx);
    },
    update(config: L4PortConfig): L4ConfigError[] {
      current = compile(config);
      return errors;
    },
    async close(graceMs = 10_000): Promise<void> {
      closing = true;
      const deadline = Date.now() + graceMs;
      while (open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const c of [...open]) c.destroy();
      // Destroyed sockets report 'close' on a later tick; wait for the records (bounded).
      const hard = Date.now() + 1000;
      while (open.size > 0 && Date.now() < hard) await new Promise((r) => setTimeout(r, 5));
    },
    get connections() {
      return open.size;
    },
    get errors() {
      return errors;
    },
  };
}

interface ConnectionContext {
  readonly opts: typeof DEFAULTS;
  readonly observer: DataPlaneObserver;
  readonly open: Set<Connection>;
}

/** One proxied connection, from accept to the access record. */
class Connection {
  readonly raw: net.Socket;
  readonly port: CompiledPort;
  readonly ctx: ConnectionContext;
  readonly start = Date.now();
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
      downstreamRemoteAddress: this.raw.remoteAddress ?? '-',
      userAgent: '-',
    };
    ctx.observer.onRequestEnd(record);
  }
}

export interface L4Server {
  readonly port: number;
  readonly listener: L4Listener;
  readonly server: net.Server;
  close(graceMs?: number): Promise<void>;
}

/** Binds a port and serves it with createL4Listener (tests, standalone tools). */
export async function listen(
  config: L4PortConfig,
  options: L4Options & { port?: number; host?: string } = {},
): Promise<L4Server> {
  const listener = createL4Listener(config, options);
  const server = net.createServer({ allowHalfOpen: true }, (s) => listener.handleConnection(s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    listener,
    server,
    async close(graceMs = 0) {
      const closed = new Promise<void>((r) => server.close(() => r()));
      await listener.close(graceMs);
      await closed;
    },
  };
}
