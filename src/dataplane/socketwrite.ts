// Writes to plain TCP sockets straight to their handle. socket.write() runs the Writable state
// machine and allocates a native write request per call even when the kernel takes every byte at
// once, which is the usual case for a proxy's small messages: about 150-200 ns of the ~300 ns a
// small write costs in user space here, twice per proxied request. When the socket has nothing
// queued, writeDirect hands the bytes to the handle the way socket.write does underneath
// (handle.writeBuffer / writeLatin1String with a WriteWrap request), reusing one request object
// for every write that completes synchronously: the native side only takes hold of the request
// when it has to queue bytes, and then that object is left to it and a new one made.
//
// Bytes the kernel did not take are queued by libuv behind any earlier ones, so order holds with
// later socket.write() calls and end(). They are not counted in socket.writableLength: the return
// value says whether the handle's queue is empty, and 'drain' is emitted on the socket once a
// queued direct write completes. socket.bytesWritten does not count direct writes.
//
// The handle methods and WriteWrap come from Node's stream_wrap binding (process.binding). Where
// they are missing (a Node.js that removed them) or for sockets they do not fit (TLS, connecting,
// ended, with Writable-queued bytes), every call falls back to socket.write();
// test/dataplane/socketwrite.test.ts pins that the shipped Node.js takes the direct path.
//
// Batched writes (writeSoon): messages the proxy owns outright (a head, a head joined with its
// first body bytes) are queued and written together once every read of the event loop's turn
// has been handled (a setImmediate, which runs right after the poll phase). Written one by one,
// each message to a peer that sleeps (the upstream, the load generator) wakes it, and each of
// those wakeups costs the writer: with the writes grouped, the peer is still running or already
// woken when the rest arrive. Measured with wrk -c50 on one worker, batched against written at
// once: about 10% less CPU per request (0.75 against 0.86 s/100k of it system time) and 9-13%
// more requests/s (src/dataplane/README.md). Order per socket holds: the queue is FIFO, every
// immediate write here flushes it first, and anything else that writes to, ends, destroys or
// hands off a socket that may have queued bytes calls flushWrites() first.
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';

interface WriteReq {
  handle: unknown;
  oncomplete: (this: WriteReq, status: number) => void;
  socket: Socket | null;
  buffer: Buffer | null;
  async: boolean;
  bytes: number;
  callback: null;
  error?: string;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

interface StreamHandle {
  writeBuffer(req: WriteReq, data: Buffer): number;
  writeLatin1String(req: WriteReq, data: string): number;
  readonly writeQueueSize: number;
}

function loadBinding(): StreamWrapBinding | null {
  try {
    const b = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding('stream_wrap');
    if (typeof b.WriteWrap !== 'function' || !(b.streamBaseState instanceof Int32Array)) return null;
    if (typeof b.kLastWriteWasAsync !== 'number') return null;
    return b as StreamWrapBinding;
  } catch {
    return null;
  }
}

const binding = loadBinding();
/** Whether this Node.js offers the direct path at all. */
export const directWritesAvailable = binding !== null;

function onQueuedWriteDone(this: WriteReq, status: number): void {
  const socket = this.socket;
  this.socket = null;
  this.buffer = null;
  if (socket === null || socket.destroyed) return;
  if (status < 0) {
    socket.destroy(writeError(status));
    return;
  }
  const handle = (socket as unknown as { _handle: StreamHandle | null })._handle;
  if (handle !== null && handle.writeQueueSize === 0) socket.emit('drain');
}

function newRequest(): WriteReq {
  const req = new binding!.WriteWrap();
  req.oncomplete = onQueuedWriteDone;
  req.socket = null;
  req.buffer = null;
  req.async = false;
  req.bytes = 0;
  req.callback = null;
  return req;
}

let spare: WriteReq | null = null;

function request(): WriteReq {
  if (spare === null) spare = newRequest();
  return spare;
}

function writeError(status: number): Error {
  const code = getSystemErrorName(status);
  return Object.assign(new Error(`write ${code}`), { code, errno: status, syscall: 'write' });
}

/** The socket's handle when a direct write may go to it now, else null. */
function directHandle(socket: Socket): StreamHandle | null {
  if (binding === null || socket.writableLength !== 0 || socket.writableEnded || socket.destroyed) return null;
  if (socket.connecting || socket.writableCorked !== 0 || (socket as { encrypted?: boolean }).encrypted === true) {
    return null;
  }
  const handle = (socket as unknown as { _handle: StreamHandle | null })._handle;
  return handle == null || typeof handle.writeBuffer !== 'function' ? null : handle;
}

/** After a write attempt on `handle`: keeps a queued request's bytes alive; false when bytes wait. */
function settle(socket: Socket, req: WriteReq, err: number, data: Buffer | null): boolean {
  if (err !== 0) {
    socket.destroy(writeError(err));
    return false;
  }
  if (binding!.streamBaseState[binding!.kLastWriteWasAsync] !== 0) {
    // The native side now owns this request until the write completes.
    req.socket = socket;
    req.buffer = data;
    spare = null;
    return false;
  }
  req.handle = null;
  // Written in full at once: libuv only does that when nothing was queued before these bytes.
  return true;
}

/**
 * Writes `data` to a plain (not TLS) socket; see the header. Returns false when bytes are still
 * queued ('drain' follows) or the socket failed, like socket.write's "wait for drain".
 */
export function writeDirect(socket: Socket, data: Buffer): boolean {
  if (batch.length !== 0) flushWrites();
  return writeBufferNow(socket, data);
}

function writeBufferNow(socket: Socket, data: Buffer): boolean {
  const handle = directHandle(socket);
  if (handle === null) return socket.write(data);
  const req = request();
  req.handle = handle;
  return settle(socket, req, handle.writeBuffer(req, data), data);
}

/** writeDirect for a latin1 string (a message head). */
export function writeDirectLatin1(socket: Socket, data: string): boolean {
  if (batch.length !== 0) flushWrites();
  return writeLatin1Now(socket, data);
}

function writeLatin1Now(socket: Socket, data: string): boolean {
  const handle = directHandle(socket);
  if (handle === null) return socket.write(data, 'latin1');
  const req = request();
  req.handle = handle;
  // A queued string write keeps its own copy of the bytes natively.
  return settle(socket, req, handle.writeLatin1String(req, data), null);
}

/**
 * Whether `socket` still holds bytes it was given: in its Writable queue or queued by a direct
 * write. Messages in the batch (writeSoon) are not counted: call flushWrites() first where they
 * matter.
 */
export function hasPendingWrites(socket: Socket): boolean {
  if (socket.writableLength !== 0) return true;
  const handle = (socket as unknown as { _handle: Partial<StreamHandle> | null })._handle;
  return handle != null && (handle.writeQueueSize ?? 0) !== 0;
}

// ---- Batched writes ----------------------------------------------------------------------------

/** Sockets and their messages, in the order given: [socket, data, socket, data, ...]. */
const batch: (Socket | Buffer | string)[] = [];
let flushScheduled = false;
/**
 * A full batch is written at once: it bounds how long a message can wait behind the turn's other
 * work (32 messages is about 16 proxied requests). Smaller batches gave back part of the saving
 * (8: ~4% more CPU per request); larger ones measured the same as unbounded.
 */
export const BATCH_MESSAGES = 32;

function onImmediate(): void {
  flushScheduled = false;
  flushWrites();
}

/**
 * Queues a message the caller will not touch again (a Buffer it made, or a latin1 string) for
 * the end of this event-loop turn; see the header. A socket that cannot take a direct write now
 * (TLS, connecting, corked, ended) is written at once, after whatever is queued. Returns false
 * like writeDirect when bytes wait for 'drain'. A queued message counts as taken, even on a
 * socket whose earlier bytes still wait for the kernel (libuv queues it behind them): the
 * messages given here are heads and small joined ones, so that overshoots the socket's limit by
 * at most one message, and the next writeDirect reports the backlog.
 */
export function writeSoon(socket: Socket, data: Buffer | string): boolean {
  if (directHandle(socket) !== null) {
    batch.push(socket, data);
    if (batch.length >= 2 * BATCH_MESSAGES) {
      flushWrites();
      return true;
    }
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(onImmediate);
    }
    return true;
  }
  return typeof data === 'string' ? writeDirectLatin1(socket, data) : writeDirect(socket, data);
}

/** Writes every queued message now, in order. Cheap when nothing is queued. */
export function flushWrites(): void {
  const q = batch;
  if (q.length === 0) return;
  for (let i = 0; i < q.length; i += 2) {
    const socket = q[i] as Socket;
    const data = q[i + 1]!;
    if (socket.destroyed) continue;
    if (typeof data === 'string') writeLatin1Now(socket, data);
    else writeBufferNow(socket, data as Buffer);
  }
  q.length = 0;
}

/** Messages waiting for the end of the turn (tests). */
export function batchedWrites(): number {
  return batch.length / 2;
}
