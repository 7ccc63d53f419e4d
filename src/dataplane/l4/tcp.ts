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
import { type DataPlaneObserver, noopObserver } from '../observer.ts';
import { compileHostTable } from '../router/hosts.ts';
import { compileListenerTLS, type ListenerTLS, listenerTLSFingerprint } from '../tls/context.ts';
import { BackendRegistry, type L4Route } from './backends.ts';
import {
  type CompiledListener,
  type CompiledPort,
  Connection,
  type ConnectionContext,
  type ConnectionTimeouts,
  type Counter,
} from './connection.ts';

export { L4Flag } from './connection.ts';

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
  /** TLS session ticket keys of terminated listeners (see DataPlaneOptions.ticketKeys). */
  ticketKeys?: Buffer;
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

const DEFAULTS: ConnectionTimeouts = {
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 3_600_000,
  maxConnectionsPerListener: 0,
  clientHelloTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
};

export function createL4Listener(initial: L4PortConfig, options: L4Options = {}): L4Listener {
  const opts: ConnectionTimeouts = { ...DEFAULTS };
  // Only options that are set override the defaults (an explicit undefined keeps the default).
  for (const k of Object.keys(DEFAULTS) as (keyof ConnectionTimeouts)[]) {
    const v = options[k];
    if (v !== undefined) opts[k] = v;
  }
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
          const tlsOptions = {
            alpn: l.tls?.alpn ?? [],
            handshakeTimeoutMs: opts.handshakeTimeoutMs,
            ticketKeys: options.ticketKeys,
          };
          const prev = tlsByListener.get(l.name);
          // Unchanged settings keep their contexts (no recompilation of certificates per version).
          lt =
            prev !== undefined && prev.fingerprint === listenerTLSFingerprint(l.tls!, tlsOptions)
              ? prev
              : compileListenerTLS(l.tls!, tlsOptions);
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
