// Joined writes: a message head (latin1 string) and the first body bytes in one socket write,
// so a small message costs one syscall and no writev bookkeeping. Small joined messages are
// batched (writeSoon, socketwrite.ts).
import type { Socket } from 'node:net';
import { flushWrites, writeSoon } from '../socketwrite.ts';

/** Small bodies are copied next to their head so both leave in one write (one syscall, no writev). */
export const JOIN_LIMIT = 16 * 1024;

export function writeJoined(s: Socket, head: string, chunk: Buffer, crlf: boolean): boolean {
  const tail = crlf ? 2 : 0;
  if (chunk.length > JOIN_LIMIT) {
    flushWrites();
    s.cork();
    s.write(head, 'latin1');
    s.write(chunk);
    const ok = crlf ? s.write('\r\n', 'latin1') : true;
    s.uncork();
    return ok && s.writableLength < s.writableHighWaterMark;
  }
  const buf = Buffer.allocUnsafe(head.length + chunk.length + tail);
  // The binding's latin1Write and TypedArray#set: Buffer#write and Buffer#copy validate and
  // dispatch on every call, which showed in profiles of small responses.
  (buf as Buffer & { latin1Write(s: string, offset: number): number }).latin1Write(head, 0);
  buf.set(chunk, head.length);
  if (crlf) {
    buf[buf.length - 2] = 13;
    buf[buf.length - 1] = 10;
  }
  return writeSoon(s, buf);
}
