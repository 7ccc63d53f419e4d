// What bench/http.ts and bench/tls.ts share: their common options, the run's scratch directory,
// upstream and certificate, the machine's business at the start, and writing the results file.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCertificate } from './cert.ts';
import { startUpstream } from './peers.ts';
import { commandOutput, installCleanupHandlers, machineBusySeconds } from './proc.ts';
import { markdownReport, type ResultsDoc } from './report.ts';
import type { RunOptions } from './runner.ts';
import type { ProxyDriver, RunContext } from './types.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const COMMON_HELP = `  --duration D           measured load per proxy and scenario (default 10s; 500ms, 10s, 1m)
  --warmup D             load before measuring (default 2s; 0 to skip)
  --rounds N             measure each proxy N times, in turn, and report the median round (default 1)
  --busy-retries N       measure a round again, up to N times, when other processes used more than
                         --busy-threshold % of a core during it (default 1, threshold 50); the
                         quietest attempt is kept
  --markdown             also print the results as a GitHub markdown table (command, date, machine)
  --keep                 keep the scratch directory (configs, logs)`;

/** parseArgs option specs every benchmark accepts. */
export function commonOptionSpecs(defaultJson: string) {
  return {
    duration: { type: 'string', default: '10s' },
    warmup: { type: 'string', default: '2s' },
    rounds: { type: 'string', default: '1' },
    'busy-retries': { type: 'string', default: '1' },
    'busy-threshold': { type: 'string', default: '50' },
    only: { type: 'string' },
    scenarios: { type: 'string' },
    json: { type: 'string', default: join(ROOT, defaultJson) },
    markdown: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
}

export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) throw new Error(`--${flag}: expected a duration like 10s, 500ms or 1m, got ${text}`);
  const n = Number(m[1]);
  const s = m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
  // wrk and h2load take whole seconds.
  return s === 0 ? 0 : Math.max(1, Math.round(s));
}

export function parsePositive(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`--${flag}: expected a positive integer, got ${text}`);
  return Number(text);
}

export function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface CommonOptions extends RunOptions {
  drivers: ProxyDriver[];
  scenarios: string[];
  json: string | null;
  markdown: boolean;
  keep: boolean;
}

interface CommonValues {
  duration: string;
  warmup: string;
  rounds: string;
  'busy-retries': string;
  'busy-threshold': string;
  only?: string;
  scenarios?: string;
  json: string;
  markdown: boolean;
  keep: boolean;
}

export function commonOptions(
  values: CommonValues,
  drivers: readonly ProxyDriver[],
  all: readonly string[],
  defaults: readonly string[],
): CommonOptions {
  const names = values.only ? list(values.only) : drivers.map((d) => d.name);
  for (const n of names) if (!drivers.some((d) => d.name === n)) throw new Error(`--only: unknown proxy ${n}`);
  let scenarios = values.scenarios ? list(values.scenarios) : [...defaults];
  if (scenarios.includes('all')) scenarios = [...all];
  for (const s of scenarios) if (!all.includes(s)) throw new Error(`--scenarios: unknown scenario ${s}`);
  return {
    durationS: parseDuration(values.duration, 'duration'),
    warmupS: parseDuration(values.warmup, 'warmup'),
    rounds: parsePositive(values.rounds, 'rounds'),
    busyRetries: values['busy-retries'] === '0' ? 0 : parsePositive(values['busy-retries'], 'busy-retries'),
    busyPct: parsePositive(values['busy-threshold'], 'busy-threshold'),
    drivers: drivers.filter((d) => names.includes(d.name)),
    scenarios,
    json: values.json === 'none' ? null : resolve(values.json),
    markdown: values.markdown,
    keep: values.keep,
  };
}

/** Exits with a hint when nginx or wrk is missing. */
export function requireTools(): void {
  const probes: [string, string[]][] = [
    ['/usr/sbin/nginx', ['-v']],
    ['wrk', ['--version']],
  ];
  const missing = probes.filter(([cmd, args]) => commandOutput(cmd, args) === null).map(([cmd]) => cmd);
  if (missing.length) {
    process.stderr.write(`bench: missing ${missing.join(', ')}; run: bash bench/setup.sh\n`);
    process.exit(1);
  }
}

export interface Run {
  ctx: RunContext;
  busyPctAtStart: number;
  /** Stops the upstream and removes the scratch directory (unless --keep). */
  close(): Promise<void>;
}

/** Scratch directory, cleanup on signals, a one-second busy sample, the upstream and the certificate. */
export async function openRun(o: CommonOptions, log: (line: string) => void): Promise<Run> {
  const dir = mkdtempSync(join(os.tmpdir(), 'portunus-bench-'));
  const cleanDir = () => {
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  };
  installCleanupHandlers(cleanDir);
  // The load average lags by a minute; a one-second sample says whether the machine is busy now.
  const busy0 = machineBusySeconds();
  await new Promise((r) => setTimeout(r, 1000));
  const busyPct = (machineBusySeconds() - busy0) * 100;
  const cpus = os.cpus();
  log(
    `bench: ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${busyPct.toFixed(0)}% of a core busy before the start; ` +
      `${o.durationS}s per measurement after ${o.warmupS}s warm-up, ${o.rounds} round(s); scratch ${dir}`,
  );
  if (busyPct > 25) log('bench: WARNING: the machine is busy; watch the others % column');
  const up = await startUpstream(dir);
  return {
    ctx: { dir, upstreamPort: up.port, upstream: up.started, tls: makeCertificate(dir), root: ROOT },
    busyPctAtStart: busyPct,
    async close() {
      await up.started.stop();
      cleanDir();
    },
  };
}

export function versionsOf(drivers: readonly ProxyDriver[]): Record<string, string> {
  return Object.fromEntries(drivers.map((d) => [d.name, d.version()]));
}

/**
 * Versions for the report: bin/portunus.js picks the compiled build or the sources each time it
 * starts, and the tree may change during a run, so a version that changed says so.
 */
export function sameVersions(start: Record<string, string>, end: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(start).map(([k, v]) => [k, end[k] === v ? v : `${v} at the start, ${end[k]} at the end`]),
  );
}

/**
 * The commit measured, and whether the Portunus sources differed from it (several people edit the
 * tree at once; a run from a clean checkout of a commit is the one to quote).
 */
export function sourceRevision(): string {
  const sha = commandOutput('git', ['-C', ROOT, 'rev-parse', '--short=12', 'HEAD'])?.trim();
  if (!sha || !/^[0-9a-f]+$/.test(sha)) return 'unknown (not a git checkout)';
  const dirty = commandOutput('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'bin'])?.trim();
  return dirty ? `${sha} with uncommitted changes in src/ or bin/` : sha;
}

/** The results document's header fields for this process's command line. */
export function docHeader(
  title: string,
  script: string,
  o: CommonOptions,
  busyPctAtStart: number,
  tools: string,
): Omit<ResultsDoc, 'versions' | 'scenarios' | 'reload'> {
  const cpus = os.cpus();
  return {
    title,
    date: new Date().toISOString(),
    command: `node ${script} ${process.argv.slice(2).join(' ')}`.trim(),
    source: sourceRevision(),
    machine: { cpus: cpus.length, model: cpus[0]?.model ?? null, kernel: os.release(), busyPctAtStart },
    settings: { durationS: o.durationS, warmupS: o.warmupS, rounds: o.rounds, tools },
  };
}

/** Writes the results file (three decimals are plenty and keep it readable) and the markdown. */
/**
 * Prints the run's summary (title, versions, the column legend, the tables), then the markdown
 * when asked, and saves the results file.
 */
export function finish(doc: ResultsDoc, o: CommonOptions, legend: string, tables: readonly string[]): void {
  process.stdout.write(`\n${doc.title} (${doc.date}, commit ${doc.source})\n`);
  process.stdout.write(
    `${Object.entries(doc.versions)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}\n\n`,
  );
  process.stdout.write(`${legend}\n\n`);
  process.stdout.write(tables.join('\n'));
  const rounded = (_k: string, v: unknown) =>
    typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v;
  const text = `${JSON.stringify(doc, rounded, 2)}\n`;
  // From the rounded figures, so that bench/markdown.ts on the saved file prints the same table.
  if (o.markdown) process.stdout.write(`\n${markdownReport(JSON.parse(text) as ResultsDoc)}`);
  if (!o.json) return;
  mkdirSync(dirname(o.json), { recursive: true });
  writeFileSync(o.json, text);
  process.stdout.write(`\nresults: ${o.json}\n`);
}
