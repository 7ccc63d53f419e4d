// Raw bidirectional tunnel between two sockets (WebSocket after a 101): bytes are piped both ways
// with stream backpressure; when either side closes, both are destroyed and `onClosed` reports the
// downstream byte counts once.
import type { Socket } from 'node:net';

function ignore(): void {}

export function spliceTunnel(
  down: Socket,
  upstream: Socket,
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
  down.pipe(upstream);
  upstream.pipe(down);
  upstream.resume();
  down.resume();
}
