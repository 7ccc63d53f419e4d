// Layer-4 ports as the data plane serves them: one L4Listener per local-address group on a TCP/TLS
// port (so Gateways with spec.addresses only see connections to their addresses, as on HTTP ports),
// and one UDPListener per UDP port. Binding lives here too; apply() decides when to bind or swap.
import dgram from 'node:dgram';
import net from 'node:net';
import type { ClusterIR, ListenerIR } from '../../ir/types.ts';
import { clientAddress } from '../forwarding.ts';
import { ClientHelloPeeker } from '../tls/clienthello.ts';
import { createL4Listener, type L4ConfigError, type L4Listener, type L4Options } from './tcp.ts';
import { createUDPListener, type UDPListener, type UDPOptions } from './udp.ts';

/** The TCP/TLS (or UDP) listeners of every Gateway on one port, as compiled from the IR. */
export interface L4PortPlan {
  readonly port: number;
  /** 'TCP', 'TLS' or 'UDP' (TCP and TLS never share a port). */
  readonly protocol: string;
  /** Listeners of Gateways without addresses: they serve every local address. */
  readonly listeners: ListenerIR[];
  /**
   * Local address → listeners of the Gateways that name it, then the address-less ones. null when
   * no Gateway on this port names an address.
   */
  readonly byAddress: Map<string, ListenerIR[]> | null;
  /** Every listener name on the port, for error reports. */
  readonly names: string[];
  /** "port/<n>" or the single listener's name. */
  readonly label: string;
}

export interface L4Port {
  /** Takes an accepted socket; chooses the address group by the socket's local address. */
  handle(socket: net.Socket): void;
  /** New connections use `plan`; open ones keep the version they started with. */
  update(plan: L4PortPlan, clusters: Map<string, ClusterIR>): L4ConfigError[];
  close(graceMs: number): Promise<void>;
  readonly connections: number;
  /** Listeners of the current version that cannot be served (unusable certificates). */
  readonly errors: readonly L4ConfigError[];
}

// '' is the group of address-less Gateways.
function groups(plan: L4PortPlan): Map<string, ListenerIR[]> {
  const out = new Map<string, ListenerIR[]>([['', plan.listeners]]);
  if (plan.byAddress !== null) for (const [a, list] of plan.byAddress) out.set(a, list);
  return out;
}

function dedupe(errors: L4ConfigError[]): L4ConfigError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = e.listener + '\n' + e.message;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function createL4Port(plan: L4PortPlan, clusters: Map<string, ClusterIR>, options: L4Options): L4Port {
  let listeners = new Map<string, L4Listener>();
  // Listeners of address groups that went away: they drain, then go.
  const retiring = new Set<L4Listener>();
  let errors: L4ConfigError[] = [];

  function update(p: L4PortPlan, c: Map<string, ClusterIR>): L4ConfigError[] {
    const next = new Map<string, L4Listener>();
    const found: L4ConfigError[] = [];
    for (const [address, list] of groups(p)) {
      const config = { listeners: list, clusters: c };
      const existing = listeners.get(address);
      if (existing !== undefined) {
        found.push(...existing.update(config));
        next.set(address, existing);
      } else {
        const l = createL4Listener(config, options);
        found.push(...l.errors);
        next.set(address, l);
      }
    }
    for (const [address, l] of listeners) {
      if (next.has(address)) continue;
      retiring.add(l);
      void l.close(10_000).finally(() => retiring.delete(l));
    }
    listeners = next;
    errors = dedupe(found);
    return errors;
  }

  update(plan, clusters);

  return {
    handle(socket: net.Socket): void {
      const l =
        listeners.size > 1
          ? (listeners.get(clientAddress(socket.localAddress)) ?? listeners.get(''))
          : listeners.get('');
      if (l === undefined) socket.destroy();
      else l.handleConnection(socket);
    },
    update,
    async close(graceMs: number): Promise<void> {
      const all = [...listeners.values(), ...retiring];
      listeners = new Map();
      retiring.clear();
      await Promise.all(all.map((l) => l.close(graceMs)));
    },
    get connections() {
      let n = 0;
      for (const l of listeners.values()) n += l.connections;
      return n;
    },
    get errors() {
      return errors;
    },
  };
}

/** A bound TCP/TLS server feeding an L4Port. Half-close needs allowHalfOpen. */
export function bindTCP(
  port: number,
  host: string,
  reusePort: boolean,
  onConnection: (socket: net.Socket) => void,
): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, reusePort, backlog: 1024 }, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}

// UDP has no per-datagram local address on a wildcard socket, so one group serves the port: the
// group of the bind address when a Gateway names it, else the address-less one, else the first.
function udpListeners(plan: L4PortPlan, bindAddress: string): ListenerIR[] {
  const own = plan.byAddress?.get(bindAddress);
  if (own !== undefined) return own;
  if (plan.listeners.length > 0 || plan.byAddress === null) return plan.listeners;
  return plan.byAddress.values().next().value ?? [];
}

export interface UDPPort {
  readonly socket: dgram.Socket;
  readonly listener: UDPListener;
  update(plan: L4PortPlan, clusters: Map<string, ClusterIR>): void;
  close(): Promise<void>;
}

/** Binds a UDP socket on `host:port` and serves the plan's UDPRoute on it. */
export async function bindUDP(
  plan: L4PortPlan,
  clusters: Map<string, ClusterIR>,
  host: string,
  reusePort: boolean,
  options: UDPOptions,
): Promise<UDPPort> {
  const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', reusePort });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', fail);
    socket.bind(plan.port, host, () => {
      socket.removeListener('error', fail);
      resolve();
    });
  });
  // A send error (ICMP unreachable on some systems) must not take the port down.
  socket.on('error', () => {});
  const listener = createUDPListener({ listeners: udpListeners(plan, host), clusters }, socket, options);
  socket.on('message', (msg, rinfo) => listener.handleMessage(msg, rinfo));
  return {
    socket,
    listener,
    update(p, c) {
      listener.update({ listeners: udpListeners(p, host), clusters: c });
    },
    close() {
      listener.close();
      return new Promise<void>((r) => socket.close(() => r()));
    },
  };
}

/**
 * Reads a TLS ClientHello from an accepted socket without consuming it, then calls `take` with its
 * SNI (undefined: none; null: the bytes are not a ClientHello that can be read). The socket is
 * then paused with the bytes put back: `take` hands it on (a TLS server's 'connection' event, or a
 * reader that resumes it). A socket that sends no complete hello within `timeoutMs` is closed.
 */
export function peekClientHello(
  socket: net.Socket,
  timeoutMs: number,
  take: (sni: string | undefined | null) => void,
): void {
  // Whoever takes the socket adds its own handler; until then an error only ends it.
  socket.on('error', () => socket.destroy());
  const peeker = new ClientHelloPeeker();
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const cleanup = (): void => {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('close', cleanup);
  };
  const onData = (chunk: Buffer): void => {
    const r = peeker.push(chunk);
    if (r.status === 'need-more') return;
    cleanup();
    socket.pause();
    socket.unshift(peeker.buffered);
    take(r.status === 'ok' ? r.hello.sni : null);
  };
  socket.on('data', onData);
  socket.on('close', cleanup);
}
