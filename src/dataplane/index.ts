// The data plane's public API: apply IR versions, serve HTTP/1.1, h2c, gRPC and WebSocket on the
// ports the IR names, and close gracefully.
import net from 'node:net';
import tls from 'node:tls';
import type http2 from 'node:http2';
import type { IR } from '../ir/types.ts';
import { compileIR, listenersFor, type PortConfig } from './config.ts';
import { clientAddress } from './forwarding.ts';
import { tickClock } from './clock.ts';
import { H1ServerConnection } from './http1/connection.ts';
import { createH2Server } from './http2/server.ts';
import { type DataPlaneObserver, noopObserver } from './observer.ts';
import type { PortState, ServerConnection } from './port.ts';
import { lookupHost, normalizeHost } from './router/hosts.ts';
import { selectContext } from './https.ts';
import { type Cluster, PoolRegistry } from './upstream/cluster.ts';

export type { AccessRecord, DataPlaneObserver } from './observer.ts';

export interface Logger {
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export interface DataPlaneOptions {
  observer?: DataPlaneObserver;
  /** Default '0.0.0.0'. */
  bindAddress?: string;
  /**
   * SO_REUSEPORT on every listening socket (default true), so several worker processes can serve
   * one port. false binds exclusively: a port another process holds is then always EADDRINUSE.
   */
  reusePort?: boolean;
  logger?: Logger;
}

export interface ListenerError {
  listener: string;
  port: number;
  /** EADDRINUSE, EACCES, ... */
  code: string;
  message: string;
}

export interface ApplyResult {
  version: string;
  errors: ListenerError[];
}

export interface DataPlane {
  /** Atomic swap: binds new ports, closes removed ones; a failing port is reported, others keep serving. */
  apply(ir: IR, version: string): Promise<ApplyResult>;
  readonly version: string | null;
  listening(): { port: number; protocol: string; address: string }[];
  /** Graceful: stop accepting, drain in-flight (bounded by graceMs), then destroy. */
  close(options?: { graceMs?: number }): Promise<void>;
}

const nullLogger: Logger = { info() {}, warn() {}, error() {} };
const DEFAULT_GRACE_MS = 10_000;

interface BoundPort {
  readonly state: PortState;
  readonly server: net.Server;
  h2: http2.Http2Server | null;
  address: string;
  /** Server kind: a port whose kind changes between versions must be rebound. */
  readonly kind: string;
}

function portKind(c: PortConfig): string {
  if (c.tls === null) return 'http';
  return (c.tls.requestCert ? 'https+mtls|' : 'https|') + c.tls.alpn.join(',');
}

function listenerNames(ir: IR, port: number): string[] {
  const out: string[] = [];
  for (const gw of ir.gateways) for (const l of gw.listeners) if (l.port === port) out.push(l.name);
  return out;
}

/** Closes idle connections now, asks busy ones to close, destroys what is left after graceMs. */
async function drainConnections(connections: Set<ServerConnection>, graceMs: number): Promise<void> {
  for (const c of [...connections]) c.drain();
  const deadline = Date.now() + graceMs;
  while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const c of [...connections]) c.destroy();
  connections.clear();
}

export function createDataPlane(options: DataPlaneOptions = {}): DataPlane {
  const observer = options.observer ?? noopObserver;
  const bindAddress = options.bindAddress ?? '0.0.0.0';
  const reusePort = options.reusePort ?? true;
  const logger = options.logger ?? nullLogger;
  const ctx = { observer, logger };
  const registry = new PoolRegistry();
  const ports = new Map<number, BoundPort>();
  const retiring = new Set<BoundPort>();
  let clusters = new Map<string, Cluster>();
  let version: string | null = null;
  let closing = false;
  // apply() calls are serialized so two swaps never interleave their binds.
  let queue: Promise<unknown> = Promise.resolve();

  function sweep(): void {
    registry.sweep(clusters.values());
  }

  // One coarse timer for all connections: the clock ticks every second, timeouts are checked
  // every few seconds (idle keep-alive connections, slow request heads).
  let ticks = 0;
  const sweeper = setInterval(() => {
    const now = tickClock();
    if (++ticks % 5 !== 0) return;
    for (const p of ports.values()) for (const c of p.state.connections) c.sweep(now);
  }, 1000);
  sweeper.unref();

  function bind(config: PortConfig): Promise<BoundPort> {
    const state: PortState = {
      port: config.port,
      config,
      ctx,
      connections: new Set(),
      draining: false,
      h2Handoff(socket) {
        let h2 = bound.h2;
        if (h2 === null) {
          h2 = createH2Server(state);
          bound.h2 = h2;
        }
        h2.emit('connection', socket);
      },
    };
    const accept = (socket: net.Socket): void => {
      if (state.draining) {
        socket.destroy();
        return;
      }
      observer.onConnectionOpen(state.config.connectionLabel);
      new H1ServerConnection(socket, state);
    };
    let server: net.Server;
    const t = config.tls;
    if (t !== null) {
      server = tls.createServer(
        {
          ...(t.fallbackPem ?? {}),
          ALPNProtocols: t.alpn,
          requestCert: t.requestCert,
          rejectUnauthorized: false,
          SNICallback: (name, cb) => {
            const current = state.config.tls;
            cb(null, current === null ? undefined : (selectContext(current, name) ?? undefined));
          },
        },
        (socket) => acceptTLS(state, socket, accept),
      );
      // Handshake failures are the client's problem; keep them out of the error path.
      server.on('tlsClientError', () => {});
    } else {
      // No half-open connections: a client FIN means the client is gone (as in Envoy), in-flight
      // requests are reset and recorded with DC.
      server = net.createServer({ noDelay: true }, accept);
    }
    const bound: BoundPort = { state, server, h2: null, address: bindAddress, kind: portKind(config) };
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: config.port, host: bindAddress, reusePort, backlog: 1024 }, () => {
        server.removeListener('error', reject);
        server.on('error', (err) => logger.error('listener error', { port: config.port, error: String(err) }));
        resolve(bound);
      });
    });
  }

  function acceptTLS(state: PortState, socket: tls.TLSSocket, accept: (s: net.Socket) => void): void {
    const config = state.config;
    const t = config.tls;
    if (t !== null && t.clientValidation.size > 0) {
      // Client certificates are requested port-wide; enforce per listener chosen by SNI.
      const listeners = listenersFor(config, clientAddress(socket.localAddress));
      const l = lookupHost(listeners, normalizeHost(socket.servername || ''));
      const mode = l === null ? undefined : t.clientValidation.get(l.name);
      if (mode === 'AllowValidOnly' && !socket.authorized) {
        socket.destroy();
        return;
      }
    }
    if (socket.alpnProtocol === 'h2') {
      if (state.draining) {
        socket.destroy();
        return;
      }
      observer.onConnectionOpen(config.connectionLabel);
      state.h2Handoff(socket, null);
      return;
    }
    accept(socket);
  }

  async function closePort(p: BoundPort, graceMs: number): Promise<void> {
    p.state.draining = true;
    const closed = new Promise<void>((r) => p.server.close(() => r()));
    await drainConnections(p.state.connections, graceMs);
    p.h2?.close();
    await closed;
  }

  async function doApply(ir: IR, v: string): Promise<ApplyResult> {
    if (closing) throw new Error('data plane is closed');
    const previous = clusters;
    const compiled = compileIR(ir, v, registry, previous, sweep);
    const errors: ListenerError[] = [];
    for (const u of compiled.unsupported) {
      logger.warn('listener not served', u);
    }
    // Existing ports: swap the table in place (sockets stay open, the port is never rebound).
    const rebinding: Promise<void>[] = [];
    for (const [port, config] of compiled.ports) {
      const p = ports.get(port);
      if (p === undefined) continue;
      if (p.kind !== portKind(config)) {
        // HTTP <-> HTTPS (or client-certificate requests) changed: a different server is needed.
        ports.delete(port);
        rebinding.push(closePort(p, 0));
        continue;
      }
      p.state.config = config;
      const t = config.tls;
      if (t?.fallbackPem) (p.server as tls.Server).setSecureContext(t.fallbackPem);
    }
    await Promise.all(rebinding);
    // New ports: bind; a failure is reported per listener and does not stop the others.
    const binds: Promise<void>[] = [];
    for (const [port, config] of compiled.ports) {
      if (ports.has(port)) continue;
      binds.push(
        bind(config).then(
          (bound) => {
            ports.set(port, bound);
            logger.info('listening', { port, address: bindAddress });
          },
          (err: NodeJS.ErrnoException) => {
            for (const listener of listenerNames(ir, port)) {
              errors.push({ listener, port, code: err.code ?? 'UNKNOWN', message: err.message });
            }
            logger.error('cannot listen', { port, code: err.code, message: err.message });
          },
        ),
      );
    }
    await Promise.all(binds);
    // Removed ports: stop accepting and drain in the background.
    for (const [port, p] of ports) {
      if (compiled.ports.has(port)) continue;
      ports.delete(port);
      retiring.add(p);
      void closePort(p, DEFAULT_GRACE_MS).finally(() => retiring.delete(p));
    }
    clusters = compiled.clusters;
    for (const [name, c] of previous) if (clusters.get(name) !== c) c.stop();
    sweep();
    version = v;
    errors.sort((a, b) => a.port - b.port || a.listener.localeCompare(b.listener));
    return { version: v, errors };
  }

  return {
    apply(ir: IR, v: string): Promise<ApplyResult> {
      const run = queue.then(() => doApply(ir, v));
      queue = run.catch(() => {});
      return run;
    },
    get version() {
      return version;
    },
    listening() {
      return [...ports.values()]
        .map((p) => ({ port: p.state.port, protocol: p.state.config.protocol, address: p.address }))
        .sort((a, b) => a.port - b.port);
    },
    async close(opts?: { graceMs?: number }): Promise<void> {
      if (closing) return;
      closing = true;
      clearInterval(sweeper);
      const graceMs = opts?.graceMs ?? DEFAULT_GRACE_MS;
      await queue;
      // Ports removed by earlier versions may still be draining: they end with this close.
      const all = [...ports.values(), ...retiring];
      retiring.clear();
      ports.clear();
      await Promise.all(all.map((p) => closePort(p, graceMs)));
      for (const c of clusters.values()) c.stop();
      registry.destroyAll();
    },
  };
}
