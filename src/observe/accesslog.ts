// Access log: one line per finished request, written in batches.
// The data plane calls `log` on its hot path, so a record is formatted into a string right away
// (the record object may be reused by the caller) and appended to a pending buffer; the buffer is
// written once per event-loop turn (setImmediate) or as soon as it grows past FLUSH_BYTES. One
// write per request would cost a syscall (and, for pipes, a wakeup of the reader) each time.

import type { AccessRecord } from '../dataplane/observer.ts';

export type AccessLogFormat = 'json' | 'text' | 'off';

export const ACCESS_LOG_FORMATS: readonly AccessLogFormat[] = ['json', 'text', 'off'];

/** Where formatted lines go: anything with a Writable-like write(). */
export interface LogSink {
  write(chunk: string): boolean;
  /** When present, used to notice a sink that broke (EPIPE: the reader of stdout went away). */
  on?(event: 'error', listener: (err: Error) => void): unknown;
  /** Bytes the sink still holds; used to drop lines instead of growing memory without bound. */
  readonly writableLength?: number;
}

export interface AccessLog {
  readonly format: AccessLogFormat;
  log(record: AccessRecord): void;
  /** Writes whatever is pending now (used at shutdown). */
  flush(): void;
  /** Lines dropped because the sink could not keep up (bounded memory beats an OOM). */
  readonly dropped: number;
}

/** Pending text is written when it reaches this size even before the next event-loop turn. */
const FLUSH_BYTES = 64 * 1024;
/** A sink holding more than this many unwritten bytes is considered stuck; new lines are dropped. */
const MAX_SINK_BACKLOG = 16 * 1024 * 1024;

export interface AccessLogOptions {
  format: AccessLogFormat;
  /** Defaults to process.stdout. */
  sink?: LogSink;
}

export function createAccessLog(options: AccessLogOptions): AccessLog {
  const format = options.format;
  const sink: LogSink = options.sink ?? process.stdout;
  const formatLine = format === 'text' ? formatText : formatJson;
  let pending = '';
  let scheduled = false;
  let dropped = 0;
  // A broken sink (`portunus serve | head` after head exits) must not take the server down with an
  // unhandled 'error'; the access log stops and everything else keeps serving.
  let broken = false;
  sink.on?.('error', () => {
    broken = true;
  });

  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const chunk = pending;
    pending = '';
    if (broken || (sink.writableLength ?? 0) > MAX_SINK_BACKLOG) {
      dropped += countLines(chunk);
      return;
    }
    sink.write(chunk);
  };

  return {
    format,
    get dropped() {
      return dropped;
    },
    flush,
    log:
      format === 'off'
        ? () => {}
        : (record: AccessRecord) => {
            pending += formatLine(record);
            if (pending.length >= FLUSH_BYTES) flush();
            else if (!scheduled) {
              scheduled = true;
              setImmediate(flush);
            }
          },
  };
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

// Requests finishing in the same millisecond share one formatted timestamp.
let lastTime = -1;
let lastIso = '';
function iso(ms: number): string {
  if (ms !== lastTime) {
    lastTime = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

// Most values (paths, hosts, ids) need no JSON escaping; checking is cheaper than JSON.stringify.
const NEEDS_JSON_ESCAPE = /["\\\x00-\x1f\u007f-\uffff]/;
function str(s: string): string {
  return NEEDS_JSON_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/**
 * JSON lines with Envoy's well-known field names. Built by hand (JSON.stringify only for the
 * strings that come from the client) so the object never has to be copied into a new shape.
 */
export function formatJson(r: AccessRecord): string {
  return (
    '{"start_time":"' +
    iso(r.startTime) +
    '","method":' +
    str(r.method) +
    ',"path":' +
    str(r.path) +
    ',"protocol":' +
    str(r.protocol) +
    ',"authority":' +
    str(r.authority) +
    ',"response_code":' +
    r.responseCode +
    ',"response_flags":' +
    str(r.responseFlags) +
    ',"bytes_received":' +
    r.bytesReceived +
    ',"bytes_sent":' +
    r.bytesSent +
    ',"duration":' +
    Math.round(r.durationMs) +
    ',"upstream_service_time":' +
    (r.upstreamLatencyMs < 0 ? 'null' : Math.round(r.upstreamLatencyMs)) +
    ',"upstream_host":' +
    str(r.upstreamHost) +
    ',"upstream_cluster":' +
    str(r.upstreamCluster) +
    ',"x_request_id":' +
    str(r.requestId) +
    ',"route":' +
    str(r.route) +
    ',"listener":' +
    str(r.listener) +
    ',"downstream_remote_address":' +
    str(r.downstreamRemoteAddress) +
    ',"user_agent":' +
    str(r.userAgent) +
    '}\n'
  );
}

/**
 * Envoy's default text format, extended with cluster/route/listener:
 * [START] "METHOD PATH PROTOCOL" CODE FLAGS RX TX DURATION UPSTREAM_TIME "REMOTE" "UA" "REQ_ID" "AUTHORITY" "UPSTREAM_HOST" CLUSTER ROUTE LISTENER
 */
export function formatText(r: AccessRecord): string {
  return (
    '[' +
    iso(r.startTime) +
    '] "' +
    quote(r.method) +
    ' ' +
    quote(r.path) +
    ' ' +
    quote(r.protocol) +
    '" ' +
    r.responseCode +
    ' ' +
    bare(r.responseFlags) +
    ' ' +
    r.bytesReceived +
    ' ' +
    r.bytesSent +
    ' ' +
    Math.round(r.durationMs) +
    ' ' +
    (r.upstreamLatencyMs < 0 ? '-' : Math.round(r.upstreamLatencyMs)) +
    ' "' +
    quote(r.downstreamRemoteAddress) +
    '" "' +
    quote(r.userAgent) +
    '" "' +
    quote(r.requestId) +
    '" "' +
    quote(r.authority) +
    '" "' +
    quote(r.upstreamHost) +
    '" ' +
    bare(r.upstreamCluster) +
    ' ' +
    bare(r.route) +
    ' ' +
    bare(r.listener) +
    '\n'
  );
}

// Client-controlled strings must not be able to forge a second log line or break the quoting.
const UNSAFE_QUOTED = /["\\\x00-\x1f\x7f]/;
const UNSAFE_BARE = /[\s"\\\x00-\x1f\x7f]/;

function quote(s: string): string {
  if (s === '') return '-';
  return UNSAFE_QUOTED.test(s) ? escapeUnsafe(s, false) : s;
}

function bare(s: string): string {
  if (s === '') return '-';
  return UNSAFE_BARE.test(s) ? escapeUnsafe(s, true) : s;
}

function escapeUnsafe(s: string, spaces: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c < 0x20 || c === 0x7f || (spaces && c === 0x20)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += s[i];
  }
  return out;
}
