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

// UDP has no per-datagram local address on a wildcard socket, and a reply sent from one leaves
// with whatever source address the kernel picks, which a connected client drops. So when Gateways
// on the port name addresses and the bind address is a wildcard, each address gets its own socket
// (the kernel delivers to the most specific bound socket), and a wildcard socket serves the
// address-less Gateways, if any. With a specific bind address one socket serves that address's group.
function udpGroups(plan: L4PortPlan, bindAddress: string): Map<string, ListenerIR[]> {
  const wildcard = bindAddress === '0.0.0.0' || bindAddress === '::';
  if (plan.byAddress === null) return new Map([[bindAddress, plan.listeners]]);
  if (!wildcard) {
    const own = plan.byAddress.get(bindAddress);
    return new Map([[bindAddress, own ?? plan.listeners]]);
  }
  const out = new Map<string, ListenerIR[]>(plan.byAddress);
  if (plan.listeners.length > 0) out.set(bindAddress, plan.listeners);
  return out;
}

export interface UDPPort {
  /** The first bound socket (the only one unless Gateways on the port name addresses). */
  readonly socket: dgram.Socket;
  readonly listener: UDPListener;
  /** Bound address → its socket and listener. */
  readonly sockets: ReadonlyMap<string, { socket: dgram.Socket; listener: UDPListener }>;
  /**
   * New sessions use `plan`; addresses that appear are bound, those that go away are closed. Never
   * rejects: an address that cannot be bound is left out and listed in `errors`. Await it to know
   * the new sockets are bound.
   */
  update(plan: L4PortPlan, clusters: Map<string, ClusterIR>): Promise<void>;
  /** Addresses of the current version that could not be bound, with the reason. */
  readonly errors: readonly { address: string; code: string; message: string }[];
  close(): Promise<void>;
}

async function bindUDPSocket(port: number, host: string, reusePort: boolean, shared: boolean): Promise<dgram.Socket> {
  // reuseAddr lets specific-address sockets and a wildcard one hold the same port.
  const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', reusePort, reuseAddr: shared });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', fail);
    socket.bind(port, host, () => {
      socket.removeListener('error', fail);
      resolve();
    });
  });
  // A send error (ICMP unreachable on some systems) must not take the port down.
  socket.on('error', () => {});
  return socket;
}

/** Binds the UDP socket(s) of a port on `host` and serves the plan's UDPRoutes on them. */
export async function bindUDP(
  plan: L4PortPlan,
  clusters: Map<string, ClusterIR>,
  host: string,
  reusePort: boolean,
  options: UDPOptions,
): Promise<UDPPort> {
  const bound = new Map<string, { socket: dgram.Socket; listener: UDPListener }>();
  const shared = host === '0.0.0.0' || host === '::';
  const open = async (address: string, list: ListenerIR[], c: Map<string, ClusterIR>): Promise<void> => {
    let socket: dgram.Socket;
    try {
      socket = await bindUDPSocket(plan.port, address, reusePort, shared);
    } catch (err) {
      // A Gateway address this host does not have: no datagram can arrive for it (as on TCP, where
      // the wildcard socket never sees a connection to it).
      if (address !== host && (err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') return;
      throw err;
    }
    const listener = createUDPListener({ listeners: list, clusters: c }, socket, options);
    socket.on('message', (msg, rinfo) => listener.handleMessage(msg, rinfo));
    bound.set(address, { socket, listener });
  };
  const shut = (address: string): Promise<void> => {
    const b = bound.get(address);
    if (b === undefined) return Promise.resolve();
    bound.delete(address);
    b.listener.close();
    return new Promise<void>((r) => b.socket.close(() => r()));
  };
  try {
    for (const [address, list] of udpGroups(plan, host)) await open(address, list, clusters);
  } catch (err) {
    await Promise.all([...bound.keys()].map(shut));
    throw err;
  }
  let errors: { address: string; code: string; message: string }[] = [];
  const first = bound.values().next().value;
  if (first === undefined)
    throw Object.assign(new Error('no local address to bind UDP port ' + plan.port), { code: 'EADDRNOTAVAIL' });
  // Updates run one after another: two overlapping ones must not bind the same address twice.
  let chain: Promise<void> = Promise.resolve();
  const update = async (p: L4PortPlan, c: Map<string, ClusterIR>): Promise<void> => {
    const next = udpGroups(p, host);
    const gone = [...bound.keys()].filter((a) => !next.has(a));
    await Promise.all(gone.map(shut));
    const failed: { address: string; code: string; message: string }[] = [];
    for (const [address, list] of next) {
      const b = bound.get(address);
      if (b !== undefined) b.listener.update({ listeners: list, clusters: c });
      else
        await open(address, list, c).catch((err: NodeJS.ErrnoException) =>
          failed.push({ address, code: err.code ?? 'UNKNOWN', message: err.message }),
        );
    }
    errors = failed;
  };
  return {
    socket: first.socket,
    listener: first.listener,
    sockets: bound,
    update(p, c) {
      chain = chain.then(() => update(p, c));
      return chain;
    },
    get errors() {
      return errors;
    },
    async close() {
      await chain;
      await Promise.all([...bound.keys()].map(shut));
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
