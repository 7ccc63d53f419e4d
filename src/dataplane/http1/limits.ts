// Limits on what a downstream HTTP/1.1 client may send, and the status each one answers. The
// defaults follow Envoy (what Envoy Gateway users are used to): max_request_headers_kb 60 KiB
// (ClientTrafficPolicy headers.maxRequestHeaderLimit), max_headers_count 100, and no request body
// limit unless one is configured (BackendTrafficPolicy requestBuffer.limit answers 413).
// ClientTrafficPolicy connection.bufferLimit (32 KiB) has no counterpart: it bounds Envoy's
// per-connection buffers, while this data plane streams bodies with backpressure and bounds what
// it buffers by these limits. Every violation closes the connection after the error response:
// once a limit is hit the framing of the rest of the stream is no longer trusted.

export interface Http1Limits {
  /**
   * Request line (method, target, version; CRLF excluded). Over it: 414, answered as soon as that
   * many bytes arrived without a line end. The default equals maxHeadBytes, so anything Envoy
   * accepts passes; set it lower (nginx uses 8 KiB) to refuse long URLs early.
   */
  readonly maxRequestLineBytes: number;
  /** The whole request head, request line and final CRLF included. Over it: 431. */
  readonly maxHeadBytes: number;
  /** Header field lines in one request head. Over it: 431. */
  readonly maxHeaderCount: number;
  /**
   * Request body bytes; Infinity for no limit. Over it: 413, before anything is forwarded when
   * Content-Length announces it, as soon as a chunk size would pass it for chunked bodies.
   */
  readonly maxBodyBytes: number;
}

export const DEFAULT_MAX_HEAD_BYTES = 60 * 1024;

export const DEFAULT_HTTP1_LIMITS: Http1Limits = Object.freeze({
  maxRequestLineBytes: DEFAULT_MAX_HEAD_BYTES,
  maxHeadBytes: DEFAULT_MAX_HEAD_BYTES,
  maxHeaderCount: 100,
  maxBodyBytes: Number.POSITIVE_INFINITY,
});

/**
 * Upstream response heads (not configurable: upstreams are the operator's own). Also bounds the
 * pipelined bytes a downstream connection buffers while a response is in progress.
 */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;
export const MAX_RESPONSE_HEADER_COUNT = 200;

/** Longest chunk extension accepted on one chunk-size line (bytes after the size digits). */
export const MAX_CHUNK_EXTENSION_BYTES = 4096;
/** Longest trailer section accepted after a chunked body. */
export const MAX_TRAILER_BYTES = DEFAULT_MAX_HEAD_BYTES;

/** Fills in defaults; throws on a value that is not a positive integer (Infinity allowed for the body). */
export function resolveHttp1Limits(given: Partial<Http1Limits> | undefined): Http1Limits {
  if (given === undefined) return DEFAULT_HTTP1_LIMITS;
  const limits: Http1Limits = { ...DEFAULT_HTTP1_LIMITS, ...given };
  for (const key of ['maxRequestLineBytes', 'maxHeadBytes', 'maxHeaderCount'] as const) {
    const v = limits[key];
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`http1.${key} must be a positive integer, got ${v}`);
  }
  const body = limits.maxBodyBytes;
  if (body !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(body) || body < 0)) {
    throw new RangeError(`http1.maxBodyBytes must be a non-negative integer or Infinity, got ${body}`);
  }
  return Object.freeze(limits);
}
