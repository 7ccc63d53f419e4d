// Raw bidirectional tunnel between two sockets (WebSocket after a 101): bytes are piped both ways
// with stream backpressure; when either side closes, both are destroyed and `onClosed` reports the
// downstream byte counts once.
import type { Socket } from 'node:net';

function ignore(): void {}

/**
 * `readDown` is given for a downstream socket whose bytes do not come as 'data' events (reused
 * read buffers, see reads.ts): it registers the function that receives them, owned.
 */
export function spliceTunnel(
  down: Socket,
  upstream: Socket,
  readDown: ((sink: (chunk: Buffer) => void) => void) | null,
  onClosed: (bytesIn: number, bytesOut: number) => void,
): void {
  const inBefore = down.bytesRead;
  const outBefore = down.bytesWritten;
  let closed = false;
  const onClose = (): void => {
    if (closed) return;
    closed = true;
    down.destroy();
    upstream.destroy();
    onClosed(down.bytesRead - inBefore, down.bytesWritten - outBefore);
  };
  down.on('error', ignore);
  upstream.on('error', ignore);
  down.on('close', onClose);
  upstream.on('close', onClose);
  if (readDown === null) down.pipe(upstream);
  else {
    readDown((chunk) => {
      if (!upstream.write(chunk)) down.pause();
    });
    upstream.on('drain', () => down.resume());
    down.once('end', () => upstream.end());
  }
  upstream.pipe(down);
  upstream.resume();
  down.resume();
}
