// HTTP/1.1 upstream connections and the keep-alive pool per endpoint. A connection carries one
// request at a time; when the response is complete and the request was fully sent, it goes back
// to the idle stack (LIFO, so warm sockets are reused and cold ones age out).
import net from 'node:net';
import {
  ChunkedDecoder,
  findHeadEnd,
  HttpParseError,
  MAX_HEAD_BYTES,
  parseResponseHead,
  type ResponseHead,
} from '../http1/parser.ts';
import { serializeRequestHead } from '../http1/serializer.ts';
import { writeJoined } from '../http1/write.ts';
import { flushWrites, writeDirect, writeSoon } from '../socketwrite.ts';
import { withoutNames } from '../headers.ts';
import type { UpstreamTLSIR } from '../../ir/types.ts';
import { type UpstreamHandler, type UpstreamStream, upstreamChunks } from './handler.ts';
import { tlsConnect } from './tls.ts';
import { beginEvent, endEvent, eventNow } from '../clock.ts';

export const MAX_IDLE_PER_ENDPOINT = 256;
const CONNECT_TIMEOUT_MS = 10_000;
/** Idle upstream connections are closed after this (the upstream may keep them forever). */
export const UPSTREAM_IDLE_TIMEOUT_MS = 60_000;
/** An idle connection older than this may have been closed by the upstream's keep-alive timeout. */
const STALE_AFTER_IDLE_MS = 1_000;

const EMPTY = Buffer.alloc(0);
/** Read buffer of a cleartext upstream connection (one read's worth; reused while nobody keeps it). */
const READ_BUFFER_BYTES = 64 * 1024;
/**
 * A pooled connection's first read buffer. Most responses through a gateway are small, and every
 * idle keep-alive connection holds its buffer: 16 KiB instead of 64 saves 3 MiB per 64 pooled
 * connections. A read that fills the buffer moves the connection to READ_BUFFER_BYTES for good.
 */
const FIRST_READ_BUFFER_BYTES = 16 * 1024;
const CHUNK_END = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';

// Response body framing.
const BODY_NONE = 0;
const BODY_LENGTH = 1;
const BODY_CHUNKED = 2;
const BODY_UNTIL_CLOSE = 3;

// Connection states.
const S_CONNECTING = 0;
const S_IDLE = 1;
const S_HEAD = 2;
const S_BODY = 3;
const S_CLOSED = 4;

export interface EndpointAddress {
  readonly host: string;
  readonly port: number;
  readonly unixPath: string | undefined;
  /** Upstream TLS (BackendTLSPolicy); absent for cleartext. */
  readonly tls?: UpstreamTLSIR;
}

interface ReadTarget {
  c: H1Connection | null;
  buf: Buffer | null;
  /** Size of the next buffer: FIRST_READ_BUFFER_BYTES until a read fills one, then READ_BUFFER_BYTES. */
  size: number;
}

function flushPendingHead(c: H1Connection): void {
  c.flushHead();
}

export class H1Connection implements UpstreamStream {
  readonly pool: H1Pool;
  readonly socket: net.Socket;
  readonly hostLabel: string;
  mayBeStale = false;
  /** eventNow() (performance.now() time) when the connection last went idle. */
  idleSince = 0;
  handler: UpstreamHandler | null = null;
  #state = S_CONNECTING;
  #buf: Buffer = EMPTY;
  #searchFrom = 0;
  #bodyMode = BODY_NONE;
  #remaining = 0;
  #decoder: ChunkedDecoder | null = null;
  #chunkedOut = false;
  #requestDone = false;
  #responseClose = false;
  #upgrade = false;
  #sawResponseByte = false;
  #pendingHead: string | null = null;
  /**
   * The last response head this connection parsed, and its bytes. An upstream answering the same
   * resource tends to send byte-identical heads (until its Date header turns over), and the parse
   * of identical bytes is identical: it is reused, its header list copied since callers edit it.
   */
  #lastHeadBytes: Buffer | null = null;
  #lastHead: ResponseHead | null = null;

  /**
   * `socket` is either a TLS socket (its bytes come as 'data' events) or a plain one created with
   * `onread` callbacks from readOptions() (reads land in a reused buffer).
   */
  constructor(pool: H1Pool, socket: net.Socket, secure: boolean) {
    this.pool = pool;
    this.socket = socket;
    this.hostLabel = pool.label;
    socket.on(secure ? 'secureConnect' : 'connect', this.#onConnect);
    socket.on('data', this.#onData);
    socket.on('drain', this.#onDrain);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('timeout', this.#onTimeout);
    socket.setTimeout(CONNECT_TIMEOUT_MS);
  }

  get idle(): boolean {
    return this.#state === S_IDLE;
  }

  /** Binds this connection to a request. */
  attach(handler: UpstreamHandler, mayBeStale: boolean, upgrade: boolean): void {
    this.handler = handler;
    this.mayBeStale = mayBeStale;
    this.#upgrade = upgrade;
    this.#requestDone = false;
    this.#responseClose = false;
    this.#sawResponseByte = false;
    this.#bodyMode = BODY_NONE;
    if (this.#state === S_IDLE) this.#state = S_HEAD;
  }

  sendHead(
    method: string,
    path: string,
    authority: string,
    headers: string[],
    contentLength: number,
    bodyMode: number,
  ): void {
    this.#chunkedOut = bodyMode === 2;
    this.#requestDone = bodyMode === 0 || bodyMode === 3;
    const head = serializeRequestHead(method, path, authority, headers, contentLength, bodyMode);
    if (this.#requestDone) {
      writeSoon(this.socket, head);
      return;
    }
    // A body follows: usually its first bytes are already here, so head and body leave together.
    // Otherwise the head goes out on the next tick, never waiting for a slow client.
    this.#pendingHead = head;
    process.nextTick(flushPendingHead, this);
  }

  /** Writes a head still held back by sendHead. */
  flushHead(): void {
    const head = this.#pendingHead;
    if (head === null) return;
    this.#pendingHead = null;
    flushWrites();
    if (!this.socket.destroyed) this.socket.write(head, 'latin1');
  }

  write(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    const s = this.socket;
    const head = this.#pendingHead;
    if (head !== null) {
      this.#pendingHead = null;
      if (this.#chunkedOut) return writeJoined(s, head + chunk.length.toString(16) + '\r\n', chunk, true);
      return writeJoined(s, head, chunk, false);
    }
    if (this.#chunkedOut) {
      flushWrites();
      s.cork();
      s.write(chunk.length.toString(16) + '\r\n', 'latin1');
      s.write(chunk);
      const ok = s.write(CHUNK_END, 'latin1');
      s.uncork();
      return ok;
    }
    return writeDirect(s, chunk);
  }

  end(): void {
    if (this.#requestDone) return;
    this.#requestDone = true;
    const head = this.#pendingHead ?? '';
    this.#pendingHead = null;
    const out = this.#chunkedOut ? head + LAST_CHUNK : head;
    if (out !== '') {
      flushWrites();
      this.socket.write(out, 'latin1');
    }
    // The response may already be complete (the upstream answered before the body ended).
    if (this.#state === S_IDLE) this.pool.release(this);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  abort(): void {
    this.handler = null;
    this.destroy();
  }

  destroy(): void {
    this.#pendingHead = null;
    if (this.#state === S_CLOSED) return;
    this.#state = S_CLOSED;
    flushWrites();
    this.socket.destroy();
    this.pool.forget(this);
  }

  #onConnect = (): void => {
    this.socket.setTimeout(0);
    this.socket.setNoDelay(true);
    this.#state = S_HEAD;
    const h = this.handler;
    if (h !== null) h.onUpstreamConnected(this);
  };

  #onTimeout = (): void => {
    // Only armed while connecting.
    const h = this.handler;
    this.handler = null;
    this.destroy();
    if (h !== null) h.onUpstreamError('ETIMEDOUT', true);
  };

  #onDrain = (): void => {
    const h = this.handler;
    if (h !== null) h.onUpstreamDrain();
  };

  #onError = (err: NodeJS.ErrnoException): void => {
    this.#fail(err.code ?? 'ECONNRESET');
  };

  #onClose = (): void => {
    if (this.#state === S_BODY && this.#bodyMode === BODY_UNTIL_CLOSE) {
      // The response was delimited by the close.
      this.#state = S_CLOSED;
      this.pool.forget(this);
      const h = this.handler;
      this.handler = null;
      if (h !== null) h.onUpstreamEnd(null);
      return;
    }
    this.#fail('ECONNRESET');
  };

  #fail(code: string): void {
    const h = this.handler;
    this.handler = null;
    this.destroy();
    if (h !== null) h.onUpstreamError(code, !this.#sawResponseByte);
  }

  /**
   * net.connect `onread` options for a connection that does not exist yet (`target.c` is set once
   * it does). The buffer function runs when the socket is created and after every read.
   */
  static readOptions(target: ReadTarget): net.OnReadOpts {
    const buffer = (): Buffer | undefined => {
      const b = target.buf;
      if (b !== null && b.length >= target.size) {
        if (!upstreamChunks.kept) return undefined; // keep reading into it (reads.ts on undefined)
        // Someone holds on to the last read's bytes: they keep the buffer, we take a new one.
        upstreamChunks.kept = false;
      }
      const fresh = Buffer.allocUnsafeSlow(target.size);
      target.buf = fresh;
      return fresh;
    };
    return {
      // The first call (socket creation) always returns a buffer: target.buf is still null.
      buffer: buffer as () => Buffer,
      callback: (n: number, buf: Uint8Array) => {
        if (n === buf.length) target.size = READ_BUFFER_BYTES;
        upstreamChunks.transient = true;
        upstreamChunks.kept = false;
        beginEvent();
        try {
          target.c!.#onData((buf as Buffer).subarray(0, n));
        } finally {
          upstreamChunks.transient = false;
          endEvent();
        }
        return true;
      },
    };
  }

  #onData = (chunk: Buffer): void => {
    this.#sawResponseByte = true;
    const h = this.handler;
    try {
      this.#consume(chunk);
      if (h !== null) h.onUpstreamFlush();
    } catch {
      // A malformed response (or a failure while forwarding it) ends this exchange with a 502/reset.
      const current = this.handler;
      this.handler = null;
      this.destroy();
      if (current !== null) {
        try {
          current.onUpstreamError('EPROTO', false);
        } catch {}
      }
    }
  };

  #consume(chunk: Buffer): void {
    let buf: Buffer;
    let pos = 0;
    if (this.#state === S_HEAD) {
      buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
      for (;;) {
        const end = findHeadEnd(buf, pos, this.#searchFrom, 502);
        if (end === -1) {
          if (buf.length - pos > MAX_HEAD_BYTES) throw new HttpParseError(502, 'response head too large');
          // Kept across reads: a copy when it lives in the reused read buffer.
          const restOfHead = pos === 0 ? buf : buf.subarray(pos);
          this.#buf = buf === chunk && upstreamChunks.transient ? Buffer.from(restOfHead) : restOfHead;
          this.#searchFrom = this.#buf.length;
          return;
        }
        this.#buf = EMPTY;
        this.#searchFrom = 0;
        const last = this.#lastHeadBytes;
        let head: ResponseHead;
        if (last !== null && last.length === end - pos && buf.compare(last, 0, last.length, pos, end) === 0) {
          head = this.#lastHead!;
        } else {
          head = parseResponseHead(buf, pos, end);
          // A copy: buf may be the connection's reused read buffer.
          this.#lastHeadBytes = Buffer.from(buf.subarray(pos, end));
          this.#lastHead = head;
        }
        // Callers add and remove fields: they get their own list, never the remembered one.
        const headers = head.hopByHop === null ? head.headers.slice() : withoutNames(head.headers, head.hopByHop);
        pos = end;
        const h = this.handler;
        if (h === null) {
          this.destroy();
          return;
        }
        if (head.status === 101 && this.#upgrade) {
          this.#state = S_CLOSED;
          this.#detachForTunnel();
          h.onUpstreamUpgrade(headers, this.socket, Buffer.from(buf.subarray(pos)));
          return;
        }
        // Other 1xx responses are interim: the gateway answers 100-continue itself.
        if (head.status < 200) continue;
        this.#responseClose = head.close;
        if (h.method === 'HEAD' || head.status === 204 || head.status === 304) {
          this.#bodyMode = BODY_NONE;
        } else if (head.chunked) {
          this.#bodyMode = BODY_CHUNKED;
          if (this.#decoder === null) this.#decoder = new ChunkedDecoder(502);
          else this.#decoder.reset();
        } else if (head.contentLength !== -1) {
          this.#bodyMode = BODY_LENGTH;
          this.#remaining = head.contentLength;
        } else {
          this.#bodyMode = BODY_UNTIL_CLOSE;
          this.#responseClose = true;
        }
        const cl =
          this.#bodyMode === BODY_LENGTH || (this.#bodyMode === BODY_NONE && h.method === 'HEAD')
            ? head.contentLength
            : this.#bodyMode === BODY_NONE
              ? 0
              : -1;
        this.#state = S_BODY;
        h.onUpstreamHead(head.status, head.reason, headers, cl);
        if (this.handler !== h) return; // aborted from the callback
        if (this.#bodyMode === BODY_NONE || (this.#bodyMode === BODY_LENGTH && this.#remaining === 0)) {
          this.#complete(buf.length > pos);
          return;
        }
        break;
      }
    } else if (this.#state === S_BODY) {
      buf = chunk;
    } else {
      // Bytes on an idle connection: the upstream is not speaking HTTP/1.1 correctly.
      this.destroy();
      return;
    }
    this.#body(buf, pos);
  }

  #body(buf: Buffer, pos: number): void {
    const h = this.handler!;
    switch (this.#bodyMode) {
      case BODY_LENGTH: {
        const avail = buf.length - pos;
        if (avail === 0) return;
        const n = Math.min(avail, this.#remaining);
        h.onUpstreamData(pos === 0 && n === buf.length ? buf : buf.subarray(pos, pos + n));
        this.#remaining -= n;
        if (this.#remaining === 0 && this.handler === h) this.#complete(avail > n);
        return;
      }
      case BODY_CHUNKED: {
        const end = this.#decoder!.decode(buf, pos, this);
        if (end !== -1 && this.handler === h) this.#complete(end < buf.length);
        return;
      }
      case BODY_UNTIL_CLOSE:
        if (buf.length > pos) h.onUpstreamData(pos === 0 ? buf : buf.subarray(pos));
        return;
    }
  }

  onChunkData(data: Buffer): void {
    const h = this.handler;
    if (h !== null) h.onUpstreamData(data);
  }

  /** The response is complete. `extra` is true when bytes followed it (the upstream misbehaved). */
  #complete(extra: boolean): void {
    const h = this.handler!;
    this.handler = null;
    if (extra || this.#responseClose) {
      this.destroy();
    } else {
      this.#state = S_IDLE;
      // Reusable only once the request is fully sent; end() releases it otherwise.
      if (this.#requestDone) this.pool.release(this);
    }
    h.onUpstreamEnd(null);
  }

  #detachForTunnel(): void {
    const s = this.socket;
    s.removeListener('data', this.#onData);
    s.removeListener('drain', this.#onDrain);
    s.removeListener('error', this.#onError);
    s.removeListener('close', this.#onClose);
    s.removeListener('timeout', this.#onTimeout);
    this.pool.forget(this);
  }
}

/** Keep-alive pool for one HTTP/1.1 endpoint. Shared by every cluster that lists the endpoint. */
export class H1Pool {
  readonly address: EndpointAddress;
  readonly label: string;
  /** Requests in flight, for LeastRequest. */
  active = 0;
  /** DNS name this address was resolved from (discovery 'dns'), else null. */
  resolvedFrom: string | null = null;
  #idle: H1Connection[] = [];
  #all = new Set<H1Connection>();
  #retired = false;

  constructor(address: EndpointAddress) {
    this.address = address;
    this.label = address.unixPath ?? address.host + ':' + address.port;
  }

  /**
   * Binds a connection to `handler`: an idle one synchronously (onUpstreamConnected is called
   * before this returns), else a new one once connected. `fresh` forces a new connection (upgrades).
   */
  acquire(handler: UpstreamHandler, fresh: boolean): void {
    const idle = this.#idle;
    if (!fresh) {
      while (idle.length > 0) {
        const c = idle.pop()!;
        if (!c.idle || c.socket.destroyed) continue;
        c.attach(handler, eventNow() - c.idleSince > STALE_AFTER_IDLE_MS, false);
        handler.onUpstreamConnected(c);
        return;
      }
    }
    const a = this.address;
    let socket: net.Socket;
    // Upgraded connections become raw tunnels read through 'data' events, TLS sockets always are.
    const target: ReadTarget = { c: null, buf: null, size: FIRST_READ_BUFFER_BYTES };
    const onread = fresh ? undefined : H1Connection.readOptions(target);
    if (a.tls !== undefined) socket = tlsConnect(a, a.tls, ['http/1.1']);
    else
      socket =
        a.unixPath !== undefined
          ? net.connect({ path: a.unixPath, onread })
          : net.connect({ host: a.host, port: a.port, onread });
    const c = new H1Connection(this, socket, a.tls !== undefined);
    target.c = c;
    this.#all.add(c);
    c.attach(handler, false, fresh);
  }

  release(c: H1Connection): void {
    if (this.#retired || this.#idle.length >= MAX_IDLE_PER_ENDPOINT) {
      c.destroy();
      return;
    }
    c.idleSince = eventNow();
    this.#idle.push(c);
  }

  forget(c: H1Connection): void {
    this.#all.delete(c);
    const i = this.#idle.indexOf(c);
    if (i !== -1) this.#idle.splice(i, 1);
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /** Closes connections idle since before `cutoff` (performance.now() time); the oldest sit at the bottom. */
  closeIdleBefore(cutoff: number): void {
    const idle = this.#idle;
    let n = 0;
    while (n < idle.length && idle[n]!.idleSince < cutoff) n++;
    if (n === 0) return;
    for (const c of idle.splice(0, n)) c.destroy();
  }

  /** No new requests will come: close idle sockets now, busy ones when their response is done. */
  retire(): void {
    this.#retired = true;
    for (const c of this.#idle.splice(0)) c.destroy();
  }

  destroyAll(): void {
    this.#retired = true;
    for (const c of [...this.#all]) c.destroy();
  }
}
