// The data plane's public API: apply IR versions, serve HTTP/1.1, h2c, gRPC and WebSocket, and
// TCP, TLS (passthrough and terminate) and UDP on the ports the IR names, and close gracefully.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type tls from 'node:tls';
import { lazyTls } from './builtins.ts';
import type http2 from 'node:http2';
import type { ClusterIR, IR } from '../ir/types.ts';
import { compileIR, listenersFor, type PortConfig, sniToL4 } from './config.ts';
import {
  bindTCP,
  bindUDP,
  createL4Port,
  type L4Port,
  type L4PortPlan,
  peekClientHello,
  type UDPPort,
} from './l4/serve.ts';
import type { L4ConfigError, L4Options } from './l4/tcp.ts';
import type { UDPOptions } from './l4/udp.ts';
import { clientAddress } from './forwarding.ts';
import { type ConnectionTimeouts, resolveTimeouts, sweepInterval, tickClock } from './clock.ts';
import { H1ServerConnection } from './http1/connection.ts';
import { type Http1Limits, resolveHttp1Limits } from './http1/limits.ts';
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
  /** TCP and TLS listeners: timeouts and limits (defaults in l4/tcp.ts). */
  l4?: Omit<L4Options, 'observer'>;
  /**
   * TLS session ticket keys (48 bytes) of the HTTPS listeners. Processes serving the same ports
   * share them so that a client resumes its session whichever one accepts its next connection;
   * they also survive configuration changes. Default: random, per data plane.
   */
  ticketKeys?: Buffer;
  /** UDP listeners: session idle timeout and limit (defaults in l4/udp.ts). */
  udp?: Omit<UDPOptions, 'observer'>;
  /** HTTP/1.1 request limits: head 431, request line 414, header count 431, body 413 (defaults in http1/limits.ts). */
  http1?: Partial<Http1Limits>;
  /** Downstream connection timeouts: request head, keep-alive idle, stalled body, whole request (defaults in clock.ts). */
  timeouts?: Partial<ConnectionTimeouts>;
}

export interface ListenerError {
  listener: string;
  port: number;
  /** EADDRINUSE, EACCES, ...; ETLSCONFIG (unusable certificates), EUNSUPPORTED (cannot be served). */
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
  /** The listening server: the TLS server, or on ports shared with TLS listeners a plain one. */
  readonly server: net.Server;
  /** The TLS server that terminates HTTPS (certificates are swapped on it); null on HTTP ports. */
  readonly secure: tls.Server | null;
  h2: http2.Http2Server | null;
  address: string;
  /** Server kind: a port whose kind changes between versions must be rebound. */
  readonly kind: string;
  /** Ports shared by HTTPS and TLS listeners: the TLS listeners' side. */
  readonly l4: L4Port | null;
}

/** A TCP or TLS port without HTTPS listeners. */
interface BoundL4 {
  readonly l4: L4Port;
  readonly server: net.Server;
  protocol: string;
  readonly address: string;
}

interface BoundUDP {
  readonly udp: UDPPort;
  readonly address: string;
}

function portKind(c: PortConfig): string {
  if (c.tls === null) return 'http';
  return (c.tls.requestCert ? 'https+mtls|' : 'https|') + c.tls.alpn.join(',') + (c.sniSplit !== null ? '|sni' : '');
}

const CLIENT_HELLO_TIMEOUT_MS = 10_000;

/** Listeners on a TCP port (udp false) or a UDP port (udp true). */
function listenerNames(ir: IR, port: number, udp = false): string[] {
  const out: string[] = [];
  for (const gw of ir.gateways) {
    for (const l of gw.listeners) if (l.port === port && (l.protocol === 'UDP') === udp) out.push(l.name);
  }
  return out;
}

/**
 * UDP listeners on `port` that a socket on `address` serves: those of Gateways naming that address,
 * and of Gateways naming none (served on the bind address); a wildcard address serves them all.
 */
function udpListenersAt(ir: IR, port: number, address: string): string[] {
  const out: string[] = [];
  for (const gw of ir.gateways) {
    const wildcard = address === '0.0.0.0' || address === '::';
    if (!wildcard && gw.addresses.length > 0 && !gw.addresses.includes(address)) continue;
    for (const l of gw.listeners) if (l.port === port && l.protocol === 'UDP') out.push(l.name);
  }
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
  /** Every connection's local address when the ports are bound to one IPv4 address (PortState). */
  const boundLocalAddress = net.isIPv4(bindAddress) && bindAddress !== '0.0.0.0' ? bindAddress : null;
  const reusePort = options.reusePort ?? true;
  // The ticket keys live in the context a handshake starts with (OpenSSL encrypts tickets with the
  // initial context's keys even after an SNI switch), so setting them on the server is enough.
  const ticketKeys = options.ticketKeys ?? randomBytes(48);
  const logger = options.logger ?? nullLogger;
  const ctx = { observer, logger };
  const http1Limits = resolveHttp1Limits(options.http1);
  const timeouts = resolveTimeouts(options.timeouts);
  const registry = new PoolRegistry();
  const ports = new Map<number, BoundPort>();
  const retiring = new Set<BoundPort>();
  const l4Ports = new Map<number, BoundL4>();
  const udpPorts = new Map<number, BoundUDP>();
  // Layer-4 ports removed by a version, still draining.
  const retiringL4 = new Set<Promise<void>>();
  const l4Options: L4Options = { ...options.l4, observer, ticketKeys };
  const udpOptions: UDPOptions = { ...options.udp, observer };
  let clusters = new Map<string, Cluster>();
  let version: string | null = null;
  let closing = false;
  // apply() calls are serialized so two swaps never interleave their binds.
  let queue: Promise<unknown> = Promise.resolve();

  function sweep(): void {
    registry.sweep(clusters.values());
  }

  // One coarse timer for all connections (idle keep-alive, slow heads, stalled bodies): it ticks
  // the clock and checks every connection, at a fraction of the shortest timeout.
  const sweeper = setInterval(() => {
    const now = tickClock();
    for (const p of ports.values()) for (const c of p.state.connections) c.sweep(now);
  }, sweepInterval(timeouts));
  sweeper.unref();

  function bind(
    config: PortConfig,
    l4Plan: L4PortPlan | undefined,
    l4Clusters: Map<string, ClusterIR>,
  ): Promise<BoundPort> {
    const state: PortState = {
      port: config.port,
      config,
      ctx,
      http1Limits,
      timeouts,
      connections: new Set(),
      draining: false,
      localAddress: boundLocalAddress,
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
    let secure: tls.Server | null = null;
    let l4: L4Port | null = null;
    const t = config.tls;
    if (t !== null) {
      server = secure = lazyTls().createServer(
        {
          ...(t.fallbackPem ?? {}),
          ticketKeys,
          ALPNProtocols: t.alpn,
          requestCert: t.requestCert,
          rejectUnauthorized: false,
          // Node calls this with the TLSSocket as `this`: its local address limits the candidates to
          // the certificates of the Gateways reachable there (https.ts). None: the handshake is
          // refused rather than answered with another Gateway's certificate.
          SNICallback(this: tls.TLSSocket | undefined, name, cb) {
            const current = state.config.tls;
            if (current === null) {
              cb(null, undefined);
              return;
            }
            const local = this?.localAddress;
            const ctx = selectContext(current, name, local === undefined ? undefined : clientAddress(local));
            if (ctx === null) cb(new Error('no certificate for ' + name + ' on this address'));
            else cb(null, ctx);
          },
        },
        (socket) => acceptTLS(state, socket, accept),
      );
      // Handshake failures are the client's problem; keep them out of the error path.
      server.on('tlsClientError', () => {});
      if (config.sniSplit !== null && l4Plan !== undefined) {
        // Shared with TLS listeners: a plain server peeks the ClientHello and hands the socket on.
        l4 = createL4Port(l4Plan, l4Clusters, l4Options);
        server = net.createServer({ noDelay: true }, (socket) => splitBySNI(bound, socket));
      }
    } else {
      // No half-open connections: a client FIN means the client is gone (as in Envoy), in-flight
      // requests are reset and recorded with DC.
      // Paused on accept: H1ServerConnection sets up reused-buffer reads before the first byte.
      server = net.createServer({ noDelay: true, pauseOnConnect: true }, accept);
    }
    const bound: BoundPort = { state, server, secure, h2: null, address: bindAddress, kind: portKind(config), l4 };
    return new Promise((resolve, reject) => {
      const fail = (err: Error): void => {
        void l4?.close(0);
        reject(err);
      };
      server.once('error', fail);
      server.listen({ port: config.port, host: bindAddress, reusePort, backlog: 1024 }, () => {
        server.removeListener('error', fail);
        server.on('error', (err) => logger.error('listener error', { port: config.port, error: String(err) }));
        resolve(bound);
      });
    });
  }

  /**
   * Ports shared by HTTPS and TLS listeners: reads the ClientHello (the bytes stay in the socket),
   * then passes the socket to the TLS listeners' side when its SNI names one of them, else to HTTPS.
   */
  function splitBySNI(bound: BoundPort, socket: net.Socket): void {
    if (bound.state.draining) {
      socket.destroy();
      return;
    }
    peekClientHello(socket, CLIENT_HELLO_TIMEOUT_MS, (sni) => {
      const split = bound.state.config.sniSplit;
      const l4 = bound.l4;
      if (sni !== null && split !== null && l4 !== null && sniToL4(split, clientAddress(socket.localAddress), sni)) {
        l4.handle(socket);
        socket.resume();
        return;
      }
      // HTTPS names, and bytes that are no ClientHello (HTTPS fails the handshake as it would alone).
      bound.secure!.emit('connection', socket);
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
    await Promise.all([drainConnections(p.state.connections, graceMs), p.l4?.close(graceMs)]);
    p.h2?.close();
    await closed;
  }

  async function closeL4(b: BoundL4, graceMs: number): Promise<void> {
    // server.close() stops accepting at once (the port can be bound again); connections drain.
    const closed = new Promise<void>((r) => b.server.close(() => r()));
    await b.l4.close(graceMs);
    await closed;
  }

  function retire(p: Promise<void>): void {
    retiringL4.add(p);
    void p.finally(() => retiringL4.delete(p));
  }

  function reportL4(errors: ListenerError[], port: number, list: readonly L4ConfigError[]): void {
    for (const e of list) {
      errors.push({ listener: e.listener, port, code: 'ETLSCONFIG', message: e.message });
      logger.error('listener not served', { listener: e.listener, port, message: e.message });
    }
  }

  async function doApply(ir: IR, v: string): Promise<ApplyResult> {
    if (closing) throw new Error('data plane is closed');
    const previous = clusters;
    const compiled = compileIR(ir, v, registry, previous, sweep);
    const errors: ListenerError[] = [];
    for (const u of compiled.unsupported) {
      logger.warn('listener not served', u);
      errors.push({ listener: u.listener, port: u.port, code: 'EUNSUPPORTED', message: u.reason });
    }
    const l4Clusters = compiled.clusterIRs;
    // TCP/TLS ports served without HTTPS (a TLS port shared with HTTPS is served by the HTTPS port).
    const l4Only = new Map<number, L4PortPlan>();
    for (const [port, plan] of compiled.l4) if (!compiled.ports.has(port)) l4Only.set(port, plan);
    // Removed ports stop accepting first (a port may change family, e.g. HTTP to TCP, and must be
    // free before it is bound again); their connections drain in the background.
    for (const [port, p] of ports) {
      if (compiled.ports.has(port)) continue;
      ports.delete(port);
      retiring.add(p);
      void closePort(p, DEFAULT_GRACE_MS).finally(() => retiring.delete(p));
    }
    for (const [port, b] of l4Ports) {
      if (l4Only.has(port)) continue;
      l4Ports.delete(port);
      retire(closeL4(b, DEFAULT_GRACE_MS));
    }
    for (const [port, b] of udpPorts) {
      if (compiled.udp.has(port)) continue;
      udpPorts.delete(port);
      retire(b.udp.close());
    }
    // Existing ports: swap the table in place (sockets stay open, the port is never rebound).
    for (const [port, config] of compiled.ports) {
      const p = ports.get(port);
      if (p === undefined) continue;
      if (p.kind !== portKind(config)) {
        // HTTP <-> HTTPS (or client-certificate requests, or sharing with TLS) changed: a different
        // server is needed. The old one stops accepting now (closePort closes its socket before it
        // awaits anything) and its connections drain in the background, as on a removed port.
        ports.delete(port);
        retiring.add(p);
        void closePort(p, DEFAULT_GRACE_MS).finally(() => retiring.delete(p));
        continue;
      }
      p.state.config = config;
      const t = config.tls;
      // A new default context would otherwise come with new random ticket keys.
      if (t?.fallbackPem) p.secure?.setSecureContext({ ...t.fallbackPem, ticketKeys });
      const plan = compiled.l4.get(port);
      if (p.l4 !== null && plan !== undefined) reportL4(errors, port, p.l4.update(plan, l4Clusters));
    }
    for (const [port, plan] of l4Only) {
      const b = l4Ports.get(port);
      if (b === undefined) continue;
      b.protocol = plan.protocol;
      reportL4(errors, port, b.l4.update(plan, l4Clusters));
    }
    // UDP ports that stay: sockets for Gateway addresses that appeared are bound before apply returns.
    const udpUpdates: Promise<void>[] = [];
    for (const [port, plan] of compiled.udp) {
      const b = udpPorts.get(port);
      if (b !== undefined) udpUpdates.push(b.udp.update(plan, l4Clusters));
    }
    await Promise.all(udpUpdates);
    // New ports: bind; a failure is reported per listener and does not stop the others.
    const binds: Promise<void>[] = [];
    const bindFailed = (port: number, udp: boolean) => (err: NodeJS.ErrnoException) => {
      for (const listener of listenerNames(ir, port, udp)) {
        errors.push({ listener, port, code: err.code ?? 'UNKNOWN', message: err.message });
      }
      logger.error('cannot listen', { port, udp, code: err.code, message: err.message });
    };
    for (const [port, config] of compiled.ports) {
      if (ports.has(port)) continue;
      binds.push(
        bind(config, compiled.l4.get(port), l4Clusters).then(
          (bound) => {
            ports.set(port, bound);
            if (bound.l4 !== null) reportL4(errors, port, bound.l4.errors);
            logger.info('listening', { port, address: bindAddress });
          },
          bindFailed(port, false),
        ),
      );
    }
    for (const [port, plan] of l4Only) {
      if (l4Ports.has(port)) continue;
      const l4 = createL4Port(plan, l4Clusters, l4Options);
      binds.push(
        bindTCP(port, bindAddress, reusePort, (socket) => l4.handle(socket)).then(
          (server) => {
            server.on('error', (err) => logger.error('listener error', { port, error: String(err) }));
            l4Ports.set(port, { l4, server, protocol: plan.protocol, address: bindAddress });
            reportL4(errors, port, l4.errors);
            logger.info('listening', { port, address: bindAddress, protocol: plan.protocol });
          },
          (err: NodeJS.ErrnoException) => {
            void l4.close(0);
            bindFailed(port, false)(err);
          },
        ),
      );
    }
    for (const [port, plan] of compiled.udp) {
      if (udpPorts.has(port)) continue;
      binds.push(
        bindUDP(plan, l4Clusters, bindAddress, reusePort, udpOptions).then(
          (udp) => {
            udpPorts.set(port, { udp, address: bindAddress });
            logger.info('listening', { port, address: bindAddress, protocol: 'UDP' });
          },
          bindFailed(port, true),
        ),
      );
    }
    await Promise.all(binds);
    // A Gateway address a UDP port could not bind: its listeners on that port are not served there.
    for (const [port, b] of udpPorts) {
      if (!compiled.udp.has(port)) continue;
      for (const e of b.udp.errors) {
        for (const listener of udpListenersAt(ir, port, e.address)) {
          errors.push({ listener, port, code: e.code, message: `cannot bind ${e.address}: ${e.message}` });
        }
      }
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
      const out: { port: number; protocol: string; address: string }[] = [];
      for (const p of ports.values()) {
        const protocol = p.state.config.protocol + (p.l4 !== null ? '+TLS' : '');
        out.push({ port: p.state.port, protocol, address: p.address });
      }
      for (const [port, b] of l4Ports) out.push({ port, protocol: b.protocol, address: b.address });
      for (const [port, b] of udpPorts) out.push({ port, protocol: 'UDP', address: b.address });
      return out.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
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
      const l4 = [...l4Ports.values()];
      const udp = [...udpPorts.values()];
      l4Ports.clear();
      udpPorts.clear();
      await Promise.all([
        ...all.map((p) => closePort(p, graceMs)),
        ...l4.map((b) => closeL4(b, graceMs)),
        ...udp.map((b) => b.udp.close()),
        ...retiringL4,
      ]);
      for (const c of clusters.values()) c.stop();
      registry.destroyAll();
    },
  };
}
