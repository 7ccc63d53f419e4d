// UDPRoute proxying. Each client address:port gets a session: one backend chosen by weight and one
// endpoint for the session's life, and its own upstream socket so replies can be told apart. Replies
// go back to the client from the listener socket (the address the client sent to).
//
// Sessions expire after `sessionIdleMs` without a datagram in either direction (one shared sweep
// timer, not a timer per session). update() keeps sessions whose endpoint is still part of the new
// version and closes the others; new sessions use the new routes.
import dgram from 'node:dgram';
import net from 'node:net';
import type { ClusterIR, ListenerIR } from '../../ir/types.ts';
import { type DataPlaneObserver, noopObserver } from '../observer.ts';
import { BackendRegistry, type L4Endpoint, type L4Route, pickBackend, pickEndpoint } from './backends.ts';

export interface UDPPortConfig {
  /** UDP listeners on one port; the first with a udpRoute is served. */
  listeners: ListenerIR[];
  clusters: Map<string, ClusterIR>;
}

export interface UDPOptions {
  observer?: DataPlaneObserver;
  /** A session with no datagram either way for this long is closed. Default 60 s. */
  sessionIdleMs?: number;
  /** Concurrent sessions; datagrams from new clients beyond it are dropped. Default 10,000; 0 = unlimited. */
  maxSessions?: number;
}

export interface UDPStats {
  sessions: number;
  /** Datagrams dropped: no route, invalid backend, no endpoint, or the session limit. */
  dropped: number;
}

export interface UDPListener {
  /** Feed every datagram received on the listener socket here. */
  handleMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void;
  update(config: UDPPortConfig): void;
  /** Closes all sessions (the listener socket belongs to the caller). */
  close(): void;
  readonly stats: UDPStats;
}

interface Session {
  readonly key: string;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly endpoint: L4Endpoint;
  readonly socket: dgram.Socket;
  readonly route: string;
  readonly cluster: string;
  /** Observer label at open time, so open and close always pair. */
  readonly listener: string;
  readonly start: number;
  last: number;
  bytesIn: number;
  bytesOut: number;
  closed: boolean;
}

interface Compiled {
  readonly name: string;
  readonly route: L4Route | null;
}

export function createUDPListener(
  config: UDPPortConfig,
  listenerSocket: dgram.Socket,
  options: UDPOptions = {},
): UDPListener {
  const observer = options.observer ?? noopObserver;
  const idleMs = options.sessionIdleMs ?? 60_000;
  const maxSessions = options.maxSessions ?? 10_000;
  const registry = new BackendRegistry();
  const sessions = new Map<string, Session>();
  const stats: UDPStats = { sessions: 0, dropped: 0 };
  let sweep: NodeJS.Timeout | null = null;
  let closed = false;
  let current = compile(config);

  function compile(c: UDPPortConfig): Compiled {
    registry.compile(c.clusters);
    const l = c.listeners.find((x) => x.udpRoute !== undefined) ?? c.listeners[0];
    return {
      name: l?.name ?? 'udp',
      route: l?.udpRoute !== undefined ? registry.compileRoute(l.udpRoute) : null,
    };
  }

  function ensureSweep(): void {
    if (sweep !== null) return;
    // Coarse: a session lives between idleMs and idleMs + period.
    const period = Math.max(10, Math.min(1000, Math.floor(idleMs / 4)));
    sweep = setInterval(() => {
      const now = Date.now();
      for (const s of sessions.values()) if (now - s.last >= idleMs) end(s);
      if (sessions.size === 0 && sweep !== null) {
        clearInterval(sweep);
        sweep = null;
      }
    }, period);
    sweep.unref();
  }

  function end(s: Session): void {
    if (s.closed) return;
    s.closed = true;
    sessions.delete(s.key);
    stats.sessions = sessions.size;
    s.endpoint.active--;
    try {
      s.socket.close();
    } catch {
      // Already closed after an error.
    }
    observer.onConnectionClose(s.listener);
    observer.onRequestEnd({
      startTime: s.start,
      method: '-',
      path: '-',
      protocol: 'UDP',
      authority: '-',
      responseCode: 0,
      responseFlags: '-',
      bytesReceived: s.bytesIn,
      bytesSent: s.bytesOut,
      durationMs: Date.now() - s.start,
      upstreamLatencyMs: -1,
      upstreamHost: s.endpoint.label,
      upstreamCluster: s.cluster,
      requestId: '-',
      route: s.route,
      listener: s.listener,
      downstreamRemoteAddress: s.clientAddress,
      userAgent: '-',
    });
  }

  function open(rinfo: dgram.RemoteInfo, key: string): Session | null {
    const route = current.route;
    if (route === null || (maxSessions > 0 && sessions.size >= maxSessions)) return null;
    const backend = pickBackend(route);
    if (backend === null || backend.cluster === null) return null;
    const ep = pickEndpoint(backend.cluster);
    if (ep === null) return null;
    const socket = dgram.createSocket(net.isIPv6(ep.host) ? 'udp6' : 'udp4');
    const s: Session = {
      key,
      clientAddress: rinfo.address,
      clientPort: rinfo.port,
      endpoint: ep,
      socket,
      route: route.route,
      cluster: backend.cluster.name,
      listener: current.name,
      start: Date.now(),
      last: Date.now(),
      bytesIn: 0,
      bytesOut: 0,
      closed: false,
    };
    ep.active++;
    const checkAddress = net.isIP(ep.host) !== 0;
    socket.on('message', (reply, from) => {
      // Only the endpoint may answer through this session.
      if (from.port !== ep.port || (checkAddress && from.address !== ep.host)) return;
      s.last = Date.now();
      s.bytesOut += reply.length;
      listenerSocket.send(reply, s.clientPort, s.clientAddress);
    });
    socket.on('error', () => end(s));
    sessions.set(key, s);
    stats.sessions = sessions.size;
    observer.onConnectionOpen(current.name);
    ensureSweep();
    return s;
  }

  return {
    handleMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
      if (closed) return;
      const key = rinfo.address + '|' + rinfo.port;
      const s = sessions.get(key) ?? open(rinfo, key);
      if (s === null) {
        stats.dropped++;
        return;
      }
      s.last = Date.now();
      s.bytesIn += msg.length;
      s.socket.send(msg, s.endpoint.port, s.endpoint.host);
    },
    update(config: UDPPortConfig): void {
      current = compile(config);
      for (const s of [...sessions.values()]) if (!registry.hasEndpoint(s.endpoint.key)) end(s);
    },
    close(): void {
      closed = true;
      for (const s of [...sessions.values()]) end(s);
      if (sweep !== null) clearInterval(sweep);
      sweep = null;
    },
    stats,
  };
}

export interface UDPServer {
  readonly port: number;
  readonly listener: UDPListener;
  readonly socket: dgram.Socket;
  close(): Promise<void>;
}

/** Binds a UDP port and serves it with createUDPListener (tests, standalone tools). */
export async function listenUDP(
  config: UDPPortConfig,
  options: UDPOptions & { port?: number; host?: string } = {},
): Promise<UDPServer> {
  const host = options.host ?? '127.0.0.1';
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, host, () => {
      socket.removeListener('error', reject);
      resolve();
    });
  });
  const listener = createUDPListener(config, socket, options);
  socket.on('message', (msg, rinfo) => listener.handleMessage(msg, rinfo));
  return {
    port: socket.address().port,
    listener,
    socket,
    close() {
      listener.close();
      return new Promise<void>((r) => socket.close(() => r()));
    },
  };
}
