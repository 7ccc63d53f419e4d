// Reads of accepted plaintext sockets into buffers the data plane chooses. Node's default read path
// allocates a fresh 64 KiB buffer per read, shrinks it, wraps it in a Buffer and pushes it through
// the Readable machinery to 'data' listeners; for a small request that is a large share of the
// proxy's own CPU time. net.Socket's documented `onread` option reads into a caller's buffer
// instead and calls back with the byte count, but only sockets the caller constructs take options:
// those a net.Server accepts do not. `readInto` sets up the same wiring on an accepted socket: the
// Socket fields `onread` fills in (found by their symbol descriptions) and the handle's
// useUserBuffer(). Where either is missing (a Node.js that changed them) it answers false and the
// caller reads 'data' events as before; test/dataplane/downstream-reads.test.ts pins that the
// Node.js this project ships takes the fast path.
//
// Contract with the callback: `buf` is only valid during the call; the next read overwrites it
// unless `next` hands out another buffer. `next` answers undefined to keep the current buffer:
// Node then leaves the handle's buffer as it is, where a returned buffer (even the same one) is
// looked up again natively on every read. The socket must come from a server created with
// `pauseOnConnect: true` (nothing read yet); readInto resumes it.
import net from 'node:net';

type SymbolKeyed = Record<symbol, unknown>;
interface UserBufferHandle {
  useUserBuffer(buf: Uint8Array): void;
}

function socketSymbol(description: string): symbol | null {
  // A socket without a handle: constructing one opens nothing.
  const probe = new net.Socket();
  return Object.getOwnPropertySymbols(probe).find((s) => s.description === description) ?? null;
}

const K_BUFFER = socketSymbol('kBuffer');
const K_BUFFER_CB = socketSymbol('kBufferCb');
const K_BUFFER_GEN = socketSymbol('kBufferGen');

/** Whether this Node.js lets readInto set up reused-buffer reads (see the header). */
export const reusedReadsAvailable = K_BUFFER !== null && K_BUFFER_CB !== null && K_BUFFER_GEN !== null;

/**
 * Makes `socket` read into `first`, then into whatever `next()` returns after each read, calling
 * `onRead(n, buf)` with the bytes at buf[0..n). Returns false (and changes nothing) when the
 * socket or this Node.js cannot do it.
 */
export function readInto(
  socket: net.Socket,
  first: Buffer,
  onRead: (n: number, buf: Buffer) => boolean,
  next: () => Buffer | undefined,
): boolean {
  if (!reusedReadsAvailable) return false;
  const handle = (socket as unknown as { _handle: Partial<UserBufferHandle> | null })._handle;
  const s = socket as unknown as SymbolKeyed;
  if (handle == null || typeof handle.useUserBuffer !== 'function' || s[K_BUFFER!] !== null) return false;
  s[K_BUFFER!] = first;
  s[K_BUFFER_CB!] = onRead;
  s[K_BUFFER_GEN!] = next;
  handle.useUserBuffer(first);
  socket.resume();
  return true;
}

/** One read's worth: what Node reads at most per read call. */
export const READ_BUFFER_BYTES = 64 * 1024;

let shared: Buffer | null = null;

/**
 * The buffer every downstream connection of this process reads request heads into. Reads happen
 * one at a time on the event loop, so one buffer serves them all, as long as nobody keeps a view
 * of it after the read's callback returns: bytes that must outlive it are copied.
 */
export function sharedReadBuffer(): Buffer {
  if (shared === null) shared = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  return shared;
}
