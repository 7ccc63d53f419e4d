// Per-port runtime state shared by every connection accepted on that port. `config` is swapped
// atomically by apply(); connections read it once per request.
import type { Socket } from 'node:net';
import type { ConnectionTimeouts } from './clock.ts';
import type { PortConfig } from './config.ts';
import type { Http1Limits } from './http1/limits.ts';
import type { ExchangeContext } from './proxy.ts';

export interface ServerConnection {
  /** Close when idle; otherwise ask the client to close after the current response. */
  drain(): void;
  destroy(): void;
  /** Periodic check (coarse clock, ms): idle and slow-head timeouts. */
  sweep(now: number): void;
}

export interface PortState {
  readonly port: number;
  config: PortConfig;
  readonly ctx: ExchangeContext;
  readonly connections: Set<ServerConnection>;
  draining: boolean;
  /**
   * The address every connection on this port arrives at when the port is bound to one IPv4
   * address (not a wildcard): connections take it from here instead of a getsockname() each.
   */
  readonly localAddress?: string | null;
  /** Hands a socket that starts with the HTTP/2 preface (already read bytes unshifted) to HTTP/2. */
  h2Handoff(socket: Socket, conn: ServerConnection | null): void;
  /** HTTP/1.1 request limits (DataPlaneOptions.http1); defaults when absent. */
  readonly http1Limits?: Http1Limits;
  /** Downstream connection timeouts (DataPlaneOptions.timeouts); defaults when absent. */
  readonly timeouts?: ConnectionTimeouts;
}
