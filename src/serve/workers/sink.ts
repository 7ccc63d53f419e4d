// The access log sink of a worker process: several workers write to one inherited stdout.

import type { LogSink } from '../../observe/accesslog.ts';

/**
 * Writes to a pipe are atomic only up to PIPE_BUF (4 KiB on Linux); the access log batches lines,
 * and a batch interleaved with another worker's would garble both. So batches go out in pieces of
 * whole lines no bigger than that (a single longer line is written alone).
 */
const PIPE_BUF = 4096;

export function lineAtomicSink(out: LogSink): LogSink {
  return {
    write(chunk: string): boolean {
      let ok = true;
      let start = 0;
      while (chunk.length - start > PIPE_BUF) {
        let end = chunk.lastIndexOf('\n', start + PIPE_BUF - 1);
        if (end < start) end = chunk.indexOf('\n', start + PIPE_BUF);
        if (end === -1) break;
        ok = out.write(chunk.slice(start, end + 1)) && ok;
        start = end + 1;
      }
      if (start < chunk.length) ok = out.write(start === 0 ? chunk : chunk.slice(start)) && ok;
      return ok;
    },
    on: (event, listener) => out.on?.(event, listener),
    get writableLength() {
      return out.writableLength ?? 0;
    },
  };
}
