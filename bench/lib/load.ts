// Load generators: wrk (HTTP/1.1, optionally TLS), h2load (HTTP/2) and tlsload (TLS handshakes,
// tlsload.ts). Each run is a child process with a hard time limit; its output is parsed into one
// LoadResult.

import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trackHelper } from './proc.ts';

export interface WrkLoad {
  tool: 'wrk';
  path: string;
  connections: number;
  /** Extra request headers, "Name: value". */
  headers?: string[];
  /** POST this many bytes instead of a GET. */
  postBytes?: number;
}

export interface H2Load {
  tool: 'h2load';
  path: string;
  connections: number;
  /** Concurrent streams per connection (h2load -m). */
  streams: number;
}

/** New TLS connections, full or resumed handshakes, a few keep-alive GETs on each (tlsload.ts). */
export interface TlsLoad {
  tool: 'tlsload';
  path: string;
  /** Concurrent connections (one client thread each). */
  connections: number;
  /** GETs per connection; the last one says Connection: close. */
  requestsPerConnection: number;
  /** Resume the session of the thread's previous connection (else every handshake is full). */
  resume: boolean;
}

export type LoadSpec = WrkLoad | H2Load | TlsLoad;

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Non-2xx/3xx responses plus socket-level errors. */
  errors: number;
  errorDetail: string;
  /** tlsload only: TLS connections made, how many resumed a session, and what was negotiated. */
  tls?: TlsCounts;
}

export interface TlsCounts {
  connections: number;
  full: number;
  resumed: number;
  protocol: string;
  cipher: string;
}

export interface LoadTarget {
  port: number;
  tls: boolean;
  /** Scratch directory for scripts and logs. */
  dir: string;
  /** The compiled tlsload program, when a TLS handshake scenario runs (tlsload.ts). */
  tlsload?: string;
}

/** Runs one load test for durationS seconds against the target and parses its output. */
export async function runLoad(spec: LoadSpec, target: LoadTarget, durationS: number): Promise<LoadResult> {
  const url = `${target.tls ? 'https' : 'http'}://127.0.0.1:${target.port}${spec.path}`;
  if (spec.tool === 'tlsload') {
    if (!target.tlsload) throw new Error('tlsload is not built (see bench/lib/tlsload.ts)');
    const args = ['-p', String(target.port), '-P', spec.path, '-c', String(spec.connections)];
    args.push('-d', String(durationS), '-n', String(spec.requestsPerConnection));
    if (spec.resume) args.push('-r');
    return parseTlsload(await run(target.tlsload, args, durationS * 1000 + 30_000));
  }
  if (spec.tool === 'wrk') {
    const args = ['-t1', `-c${spec.connections}`, `-d${durationS}s`, '--latency', '--timeout', '5s'];
    for (const h of spec.headers ?? []) args.push('-H', h);
    if (spec.postBytes !== undefined) {
      const script = join(target.dir, `post-${spec.postBytes}.lua`);
      writeFileSync(
        script,
        `wrk.method = "POST"\nwrk.body = string.rep("a", ${spec.postBytes})\n` +
          `wrk.headers["Content-Type"] = "application/octet-stream"\n`,
      );
      args.push('-s', script);
    }
    args.push(url);
    const out = await run('wrk', args, durationS * 1000 + 30_000);
    return parseWrk(out);
  }
  // h2load has no percentiles of its own; it logs every request's duration when asked to.
  const log = join(target.dir, `h2load-${target.port}-${Date.now()}.log`);
  const args = ['-t1', `-c${spec.connections}`, `-m${spec.streams}`, '-D', String(durationS), '--log-file', log, url];
  const out = await run('h2load', args, durationS * 1000 + 30_000);
  const result = parseH2load(out);
  const pct = percentilesFromH2loadLog(readFileSync(log, 'utf8'));
  result.p50Ms = pct.p50Ms;
  result.p99Ms = pct.p99Ms;
  return result;
}

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    trackHelper(child);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} exited ${signal ?? code}:\n${out.slice(-2000)}`));
    });
  });
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function durationMs(value: string, unit: string): number {
  const f = UNIT_MS[unit];
  if (f === undefined) throw new Error(`unknown wrk time unit ${unit}`);
  return Number(value) * f;
}

/** Parses `wrk --latency` output. */
export function parseWrk(out: string): LoadResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m|h)/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!total || !rps) throw new Error(`cannot parse wrk output:\n${out}`);
  const pct = (p: string): number | null => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(out);
    return m ? durationMs(m[1]!, m[2]!) : null;
  };
  let errors = 0;
  const detail: string[] = [];
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (sock) {
    const n = sock.slice(1).reduce((a, b) => a + Number(b), 0);
    if (n > 0) {
      errors += n;
      detail.push(sock[0]);
    }
  }
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) {
    errors += Number(non2xx[1]);
    detail.push(non2xx[0]);
  }
  return {
    requests: Number(total[1]),
    seconds: durationMs(total[2]!, total[3]!) / 1000,
    rps: Number(rps[1]),
    p50Ms: pct('50'),
    p99Ms: pct('99'),
    errors,
    errorDetail: detail.join('; '),
  };
}

interface TlsloadOutput {
  seconds: number;
  connections: number;
  full: number;
  resumed: number;
  requests: number;
  errConnect: number;
  errHandshake: number;
  errIo: number;
  errStatus: number;
  p50Ms: number;
  p99Ms: number;
  protocol: string;
  cipher: string;
}

/** Parses tlsload's one JSON line. */
export function parseTlsload(out: string): LoadResult {
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`cannot parse tlsload output:\n${out}`);
  const j = JSON.parse(line) as TlsloadOutput;
  const errs: [string, number][] = [
    ['connect', j.errConnect],
    ['handshake', j.errHandshake],
    ['read/write', j.errIo],
    ['non-2xx/3xx', j.errStatus],
  ];
  return {
    requests: j.requests,
    seconds: j.seconds,
    rps: j.seconds > 0 ? j.requests / j.seconds : 0,
    p50Ms: j.p50Ms >= 0 ? j.p50Ms : null,
    p99Ms: j.p99Ms >= 0 ? j.p99Ms : null,
    errors: errs.reduce((n, [, v]) => n + v, 0),
    errorDetail: errs
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} errors: ${v}`)
      .join('; '),
    tls: { connections: j.connections, full: j.full, resumed: j.resumed, protocol: j.protocol, cipher: j.cipher },
  };
}

/** Parses h2load's summary (percentiles come from its log file, see below). */
export function parseH2load(out: string): LoadResult {
  const fin = /finished in ([\d.]+)(us|ms|s|m|h), ([\d.]+) req\/s/.exec(out);
  const req =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      out,
    );
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  if (!fin || !req || !codes) throw new Error(`cannot parse h2load output:\n${out}`);
  const failed = Number(req[5]) + Number(req[6]) + Number(req[7]);
  const bad = Number(codes[3]) + Number(codes[4]);
  const detail: string[] = [];
  if (failed > 0) detail.push(req[0]);
  if (bad > 0) detail.push(codes[0]);
  return {
    // Requests that completed, successful or not, like wrk's count.
    requests: Number(req[3]),
    seconds: durationMs(fin[1]!, fin[2]!) / 1000,
    rps: Number(fin[3]),
    p50Ms: null,
    p99Ms: null,
    errors: failed + bad,
    errorDetail: detail.join('; '),
  };
}

/** h2load --log-file lines: start time (µs since epoch), status, duration (µs), tab-separated. */
export function percentilesFromH2loadLog(text: string): { p50Ms: number | null; p99Ms: number | null } {
  const durations: number[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f.length >= 3) {
      const d = Number(f[2]);
      if (Number.isFinite(d)) durations.push(d);
    }
  }
  if (durations.length === 0) return { p50Ms: null, p99Ms: null };
  const sorted = Float64Array.from(durations).sort();
  return { p50Ms: percentile(sorted, 0.5) / 1000, p99Ms: percentile(sorted, 0.99) / 1000 };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}
