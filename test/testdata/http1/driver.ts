// Reads a byte stream the way the data plane's HTTP/1.1 connection does (leading empty lines,
// head, body framing, pipelining, close), using only the parser modules, so corpus and fuzz tests
// can state what the gateway decides for raw input without a socket.
import { DEFAULT_HTTP1_LIMITS, type Http1Limits } from '../../../src/dataplane/http1/limits.ts';
import {
  ChunkedDecoder,
  checkPartialRequestHead,
  findHeadEnd,
  HttpParseError,
  parseRequestHead,
} from '../../../src/dataplane/http1/parser.ts';

export type Framing = 'none' | 'length' | 'chunked';

export interface DrivenRequest {
  method: string;
  target: string;
  minor: number;
  /** Flat [name, value, ...], names lower-cased. */
  headers: string[];
  framing: Framing;
  body: Buffer;
  close: boolean;
}

export interface DriveResult {
  /** Requests read completely, in order. */
  requests: DrivenRequest[];
  /** The error that stopped reading (its status is what the client is answered), else null. */
  error: HttpParseError | null;
  /** A head or body was still incomplete when the input ended. */
  incomplete: boolean;
}

/**
 * Unlike the connection, the whole input is present at once; `split` feeds it in pieces of that
 * size instead, to exercise the incremental paths (partial-head limits, chunk states).
 */
export function drive(input: Buffer, limits: Http1Limits = DEFAULT_HTTP1_LIMITS, split = 0): DriveResult {
  const requests: DrivenRequest[] = [];
  const result: DriveResult = { requests, error: null, incomplete: false };
  const step = split > 0 ? split : input.length;
  let received = Math.min(step, input.length);
  let buf = input.subarray(0, received);
  let base = 0; // offset of buf[0] in input
  const refill = (): boolean => {
    if (received >= input.length) return false;
    received = Math.min(received + step, input.length);
    buf = input.subarray(base, received);
    return true;
  };
  const decoder = new ChunkedDecoder(400, limits.maxBodyBytes);
  try {
    for (;;) {
      if (buf.length === 0 && !refill()) return result;
      let start: number;
      let end: number;
      for (;;) {
        // RFC 9112 §2.2: empty lines before a request line are skipped (recounted as bytes arrive).
        start = 0;
        while (start < buf.length - 1 && buf[start] === 13 && buf[start + 1] === 10) start += 2;
        end = findHeadEnd(buf, start, 0, 400);
        if (end !== -1) break;
        checkPartialRequestHead(buf, start, limits);
        if (!refill()) {
          result.incomplete = buf.length > start;
          return result;
        }
      }
      const head = parseRequestHead(buf, start, end, limits);
      const framing: Framing = head.chunked ? 'chunked' : head.contentLength > 0 ? 'length' : 'none';
      let next = end;
      const parts: Buffer[] = [];
      if (framing === 'length') {
        while (buf.length - end < head.contentLength) {
          if (!refill()) {
            result.incomplete = true;
            return result;
          }
        }
        parts.push(buf.subarray(end, end + head.contentLength));
        next = end + head.contentLength;
      } else if (framing === 'chunked') {
        decoder.reset();
        const sink = { onChunkData: (d: Buffer) => parts.push(Buffer.from(d)) };
        let pos = end;
        for (;;) {
          const r = decoder.decode(buf, pos, sink);
          if (r !== -1) {
            next = r;
            break;
          }
          pos = buf.length;
          if (!refill()) {
            result.incomplete = true;
            return result;
          }
        }
      }
      requests.push({
        method: head.method,
        target: head.target,
        minor: head.minor,
        headers: head.headers,
        framing,
        body: Buffer.concat(parts),
        close: head.close,
      });
      // The connection answers and closes; whatever follows is never read.
      if (head.close) return result;
      base += next;
      buf = input.subarray(base, received);
    }
  } catch (err) {
    if (!(err instanceof HttpParseError)) throw err;
    result.error = err;
    return result;
  }
}
