// The contract between a request (Exchange) and the client connection it came from. HTTP/1.1
// connections and HTTP/2 streams implement it, so proxy.ts is protocol-independent.
import type { Socket } from 'node:net';
import type { Exchange } from './proxy.ts';

export interface Downstream {
  /** 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2'. */
  readonly protocol: string;
  readonly remoteAddress: string;
  /** Local address the client connected to (selects Gateways that bind specific addresses). */
  readonly localAddress: string;
  /** 'https' for TLS connections. */
  readonly scheme: string;
  /** TLS SNI name, null when absent or cleartext. */
  readonly serverName: string | null;
  /**
   * Sends the response head. `contentLength` >= 0 when known, -1 when the body streams with
   * unknown length. `endStream` means there is no body at all.
   */
  sendHead(
    ex: Exchange,
    status: number,
    reason: string,
    headers: string[],
    contentLength: number,
    endStream: boolean,
  ): void;
  /** Sends a head that sendHead may have held back to join it with the first body bytes. */
  flushHead(ex: Exchange): void;
  /** Returns false when the client is slow; Exchange.onDownstreamDrain follows. */
  sendData(ex: Exchange, chunk: Buffer): boolean;
  sendEnd(ex: Exchange, trailers: string[] | null): void;
  /** HTTP/1.1 "100 Continue" before the body is read. */
  sendContinue(ex: Exchange): void;
  pauseRequest(ex: Exchange): void;
  resumeRequest(ex: Exchange): void;
  /** The response failed after its head was sent: the client must see an incomplete response. */
  abortResponse(ex: Exchange): void;
  /** WebSocket: the upstream answered 101; forward it and splice the two sockets. */
  upgrade(ex: Exchange, headers: string[], upstream: Socket, rest: Buffer): void;
  /** The exchange is over (response sent or aborted); the downstream may take the next request. */
  exchangeDone(ex: Exchange): void;
}
