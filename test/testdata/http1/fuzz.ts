// Seeded fuzzing of the HTTP/1.1 request codec: grammar-generated request streams
// (generate.ts) read by the gateway's parser (driver.ts) and, differentially, by llhttp through
// node:http (llhttp.ts).
//
// Rules checked on every case:
// 1. the parser throws nothing but HttpParseError, with a status a proxy answers (400, 413, 414,
//    431, 501, 505);
// 2. feeding the stream in small pieces gives the same result as feeding it at once;
// 3. the gateway never accepts a request llhttp rejects, and for every request both accept they
//    agree on method, target, header fields (names lower-cased, values and order) and body bytes,
//    request by request, so both found the same message boundaries.
//
// Deliberate differences: the gateway rejects, llhttp accepts (being stricter never smuggles; each
// is a vector in smuggling.ts, and parser-fuzz.test.ts checks this list against llhttp):
// - Transfer-Encoding with another coding before chunked ("gzip, chunked": 501; llhttp reads it as
//   chunked), with empty list elements (",chunked"), with trailing whitespace (llhttp accepts
//   "chunked " but not "chunked \t"), or in an HTTP/1.0 request;
// - a repeated Host, a Host with characters outside a URI authority;
// - request targets with "#", absolute-form that is not http(s), has userinfo or no authority,
//   "*" on another method than OPTIONS;
// - two spaces between request-line parts, HTTP/0.9 request lines, versions other than 1.0/1.1
//   (505);
// - chunk sizes of more than 12 hex digits (leading zeros included), chunk extensions over 4 KiB,
//   with an empty name or an empty value;
// - a bare LF before the request line (llhttp skips it as an empty line);
// - the size limits (Http1Limits: 60 KiB head, 100 fields; llhttp's are set high here).
// And one the other way round, which is not a framing question: the gateway accepts any token as
// a method (RFC 9110 §9.1), llhttp only the methods it knows; such requests are not compared.
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { HttpParseError } from '../../../src/dataplane/http1/parser.ts';
import { type DriveResult, drive } from './driver.ts';
import { caseSeed, generateRequest, type Rng, rng } from './generate.ts';
import { type LlhttpJudge, type LlhttpVerdict, startLlhttp } from './llhttp.ts';

const STATUSES = new Set([400, 413, 414, 431, 501, 505]);

export interface FuzzFailure {
  seed: number;
  index: number;
  input: string;
  reason: string;
}

export interface FuzzStats {
  cases: number;
  /** Cases where the gateway read at least one request completely. */
  accepted: number;
  /** Cases stopped by an error. */
  rejected: number;
  /** Requests compared with llhttp field by field. */
  compared: number;
  /** Of those, requests with a chunked / Content-Length body. */
  comparedChunked: number;
  comparedLength: number;
  /** Cases the gateway rejected where llhttp accepted everything (stricter). */
  stricter: number;
  failures: FuzzFailure[];
}

/**
 * Same requests, and both rejected or both not. The status may differ: a bare CR/LF in a head is
 * caught while the head is incomplete (400) before a later part (say the version, 505) is read.
 */
function same(a: DriveResult, b: DriveResult): boolean {
  if ((a.error === null) !== (b.error === null) || a.incomplete !== b.incomplete) return false;
  if (a.requests.length !== b.requests.length) return false;
  for (let i = 0; i < a.requests.length; i++) {
    const x = a.requests[i]!;
    const y = b.requests[i]!;
    if (x.method !== y.method || x.target !== y.target || x.framing !== y.framing || !x.body.equals(y.body))
      return false;
    if (x.headers.join('\n') !== y.headers.join('\n')) return false;
  }
  return true;
}

/** Rule 3: null when llhttp agrees with every request the gateway read. */
export function compareWithLlhttp(ours: DriveResult, theirs: LlhttpVerdict): string | null {
  for (let i = 0; i < ours.requests.length; i++) {
    const o = ours.requests[i]!;
    // llhttp does not know the method, or node:http hands it to a 'connect' listener: not comparable.
    if (!http.METHODS.includes(o.method) || o.method === 'CONNECT') return null;
    const t = theirs.requests[i];
    if (t === undefined) {
      return `gateway accepted request ${i + 1} (${o.method} ${o.target}), llhttp ${theirs.error ?? 'did not read it'}`;
    }
    if (t.method !== o.method) return `request ${i + 1}: method ${o.method} vs llhttp ${t.method}`;
    if (t.target !== o.target)
      return `request ${i + 1}: target ${JSON.stringify(o.target)} vs llhttp ${JSON.stringify(t.target)}`;
    if (t.headers.join('\n') !== o.headers.join('\n')) {
      return `request ${i + 1}: fields ${JSON.stringify(o.headers)} vs llhttp ${JSON.stringify(t.headers)}`;
    }
    if (!t.body.equals(o.body)) {
      return `request ${i + 1}: body ${JSON.stringify(o.body.toString('latin1'))} vs llhttp ${JSON.stringify(t.body.toString('latin1'))}`;
    }
    if (o.close) break; // the gateway reads nothing after it
  }
  return null;
}

/** Mutation rates: a share of valid requests, some one step off, some far off. */
const RATES = [0, 0.02, 0.05, 0.1, 0.2];

/** The input of case `index` (latin1) and the generator state after it. */
export function caseInput(seed: number, index: number): { input: string; r: Rng } {
  const r = rng(caseSeed(seed, index));
  const rate = RATES[Math.floor(r() * RATES.length)]!;
  return { input: generateRequest(r, rate), r };
}

/** Runs one case; returns the failure reason or null, and updates `stats`. */
export async function fuzzCase(
  seed: number,
  index: number,
  judge: LlhttpJudge | null,
  stats: FuzzStats,
): Promise<string | null> {
  const { input: text, r } = caseInput(seed, index);
  const input = Buffer.from(text, 'latin1');
  stats.cases++;
  let ours: DriveResult;
  try {
    ours = drive(input);
    const pieces = drive(input, undefined, 1 + Math.floor(r() * 16));
    if (!same(ours, pieces)) return 'result changes when the input arrives in pieces';
  } catch (err) {
    return 'parser threw ' + (err instanceof Error ? (err.stack ?? err.message) : String(err));
  }
  if (ours.error !== null) {
    if (!(ours.error instanceof HttpParseError) || !STATUSES.has(ours.error.status)) {
      return 'unexpected error status ' + ours.error.status;
    }
    stats.rejected++;
  }
  if (ours.requests.length > 0) stats.accepted++;
  if (judge === null) return null;
  const theirs = await judge.judge(input);
  const reason = compareWithLlhttp(ours, theirs);
  if (reason !== null) return reason;
  for (const o of ours.requests) {
    stats.compared++;
    if (o.framing === 'chunked') stats.comparedChunked++;
    else if (o.framing === 'length') stats.comparedLength++;
  }
  if (ours.error !== null && theirs.error === null && theirs.requests.length > ours.requests.length) stats.stricter++;
  return null;
}

export interface FuzzOptions {
  seed: number;
  iterations: number;
  /** Compare with llhttp (needs a local socket per case); otherwise rules 1 and 2 only. */
  llhttp: boolean;
  /** Stop after this many failures (default 5). */
  maxFailures?: number;
  /** Only this case index (replay). */
  only?: number;
}

export async function fuzzHttp1(opts: FuzzOptions): Promise<FuzzStats> {
  const stats: FuzzStats = {
    cases: 0,
    accepted: 0,
    rejected: 0,
    compared: 0,
    comparedChunked: 0,
    comparedLength: 0,
    stricter: 0,
    failures: [],
  };
  const judge = opts.llhttp ? await startLlhttp() : null;
  const maxFailures = opts.maxFailures ?? 5;
  try {
    const first = opts.only ?? 0;
    const last = opts.only !== undefined ? opts.only + 1 : opts.iterations;
    for (let i = first; i < last && stats.failures.length < maxFailures; i++) {
      const reason = await fuzzCase(opts.seed, i, judge, stats);
      if (reason !== null) {
        stats.failures.push({ seed: opts.seed, index: i, input: caseInput(opts.seed, i).input, reason });
      }
    }
  } finally {
    await judge?.close();
  }
  return stats;
}

export function describeFailure(f: FuzzFailure): string {
  return (
    `seed ${f.seed} case ${f.index}: ${f.reason}\n  input: ${JSON.stringify(f.input)}\n` +
    `  replay: npm run fuzz:http1 -- --seed ${f.seed} --case ${f.index}`
  );
}

// `npm run fuzz:http1 [-- --iterations N] [--seed S] [--case I] [--no-llhttp]`, or FUZZ_ITERATIONS
// and FUZZ_SEED in the environment. Without a seed a random one is chosen and printed.
async function main(argv: string[]): Promise<number> {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf('--' + name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const seed = num(flag('seed') ?? process.env.FUZZ_SEED) ?? Math.floor(Math.random() * 2 ** 32);
  const iterations = num(flag('iterations') ?? process.env.FUZZ_ITERATIONS) ?? 20000;
  const only = num(flag('case'));
  const llhttp = !argv.includes('--no-llhttp');
  if (
    !Number.isSafeInteger(seed) ||
    !Number.isSafeInteger(iterations) ||
    (only !== undefined && !Number.isSafeInteger(only))
  ) {
    console.error('usage: fuzz.ts [--iterations N] [--seed S] [--case I] [--no-llhttp]');
    return 2;
  }
  console.log(
    `fuzz:http1 seed ${seed}, ${only !== undefined ? 'case ' + only : iterations + ' cases'}, llhttp ${llhttp ? 'on' : 'off'}`,
  );
  const started = Date.now();
  const stats = await fuzzHttp1({ seed, iterations, llhttp, only });
  const { failures, ...counts } = stats;
  console.log(JSON.stringify(counts), `${((Date.now() - started) / 1000).toFixed(1)}s`);
  for (const f of failures) console.log(describeFailure(f));
  if (failures.length > 0) {
    console.log(`FAILED (seed ${seed})`);
    return 1;
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
