// What an upstream connection or stream reports to the request that uses it (the Exchange, or a
// mirror that discards the response). One handler per attempt; callbacks arrive in order:
// connected → head → data* → end, or error at any point.

/**
 * Chunks an HTTP/1.1 upstream connection hands to onUpstreamData are views of the connection's
 * read buffer, which the next read overwrites (one reused buffer per connection spares an
 * allocation and the stream machinery on every read). `transient` is true while such a chunk is
 * being delivered; a consumer that keeps it after returning (a socket write that did not complete,
 * a queue) either copies it or sets `kept`, and the connection then leaves that buffer to it and
 * reads into a new one.
 */
export const upstreamChunks = { transient: false, kept: false };

export interface UpstreamHandler {
  /** The HTTP method of the request, needed to know whether the response has a body (HEAD). */
  readonly method: string;
  onUpstreamConnected(stream: UpstreamStream): void;
  /** `contentLength` is -1 when unknown (chunked or until close). */
  onUpstreamHead(status: number, reason: string, headers: string[], contentLength: number): void;
  /** `chunk` may be transient: see upstreamChunks. */
  onUpstreamData(chunk: Buffer): void;
  /** The bytes of one upstream read were all delivered: a held-back response head must go out now. */
  onUpstreamFlush(): void;
  onUpstreamEnd(trailers: string[] | null): void;
  /** `beforeResponse` is true when no response byte was seen (safe to retry an idempotent replay). */
  onUpstreamError(code: string, beforeResponse: boolean): void;
  /** The upstream can take more request body after write() returned false. */
  onUpstreamDrain(): void;
  /** WebSocket: the upstream answered 101; `socket` is now a raw tunnel, `rest` bytes already read. */
  onUpstreamUpgrade(headers: string[], socket: import('node:net').Socket, rest: Buffer): void;
}

/** One request in flight on an upstream connection (HTTP/1.1) or stream (HTTP/2). */
export interface UpstreamStream {
  /** "ip:port" (or the unix path) for access logs. */
  readonly hostLabel: string;
  /**
   * True when the connection sat idle in the pool long enough that the upstream may have closed it
   * meanwhile: a failure before any response byte is then replayed once on a fresh connection,
   * without counting as a retry. Sockets reused after a short idle never qualify, so an upstream
   * that resets requests on purpose is not retried behind the route's back.
   */
  readonly mayBeStale: boolean;
  /** Sends the request head. `bodyMode`: 0 no body, 1 content-length, 2 chunked/streamed. */
  sendHead(
    method: string,
    path: string,
    authority: string,
    headers: string[],
    contentLength: number,
    bodyMode: number,
  ): void;
  write(chunk: Buffer): boolean;
  end(): void;
  pause(): void;
  resume(): void;
  /** Gives up on the request: the connection is destroyed, no further callbacks. */
  abort(): void;
}
