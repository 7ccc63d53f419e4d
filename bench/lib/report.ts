// Result tables: plain text for the terminal (one block per scenario, then the reload figures and
// the memory check), and GitHub markdown of a whole results document for README (--markdown, or
// bench/markdown.ts on a saved results file).

import type { ReloadResult } from './reload.ts';
import type { Row, ScenarioResult } from './runner.ts';

export const RELOAD_TARGET_P99_MS = 50;
/** Issue #4: resident memory of one worker process with 1,000 HTTPRoutes loaded. */
export const RSS_TARGET_MIB = 80;
const MANY_ROUTES = 1000;

/** What a benchmark run writes to bench/results/*.json, and what the markdown is made from. */
export interface ResultsDoc {
  title: string;
  date: string;
  command: string;
  /** Commit measured (sourceRevision in cli.ts); absent in older files. */
  source?: string;
  machine: { cpus: number; model: string | null; kernel: string; busyPctAtStart: number };
  settings: { durationS: number; warmupS: number; rounds: number; tools: string };
  versions: Record<string, string>;
  scenarios: ScenarioResult[];
  reload?: (ReloadResult & { targetP99Ms: number })[];
}

const fmt = (v: number | null | undefined, digits: number): string =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '-'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Share of TLS connections the server resumed, when the load generator counted them. */
export function resumedPct(r: Row): number | null {
  return r.tls && r.tls.connections > 0 ? (r.tls.resumed / r.tls.connections) * 100 : null;
}

function hasTls(rows: Row[]): boolean {
  return rows.some((r) => r.tls !== undefined);
}

function head(rate: string | undefined, tls: boolean): string[] {
  return [
    'proxy',
    rate ?? 'req/s',
    'vs nginx',
    'p50 ms',
    'p99 ms',
    'CPU s/100k',
    'RSS MiB',
    'RSS/worker MiB',
    'procs',
    ...(tls ? ['resumed %'] : []),
    'errors',
    'others %',
  ];
}

function cells(r: Row, tls: boolean): string[] {
  return [
    fmt(r.rps, 0),
    r.vsNginx === null ? '-' : `${fmt(r.vsNginx, 2)}x`,
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    fmt(r.cpuSecondsPer100k, 2),
    fmt(r.rssMiB, 1),
    fmt(r.rssWorkerMiB, 1),
    String(r.processes ?? '-'),
    ...(tls ? [fmt(resumedPct(r), 1)] : []),
    String(r.errors ?? '-'),
    fmt(r.othersCpuPct, 0),
  ];
}

/** First line of a reason, plus the error line from a log tail if it has one. */
function summary(reason: string): string {
  const lines = reason.split('\n');
  const error = lines.slice(1).find((l) => /\b\w*Error\b|\[ALERT\]|\[emerg\]/.test(l));
  return error ? `${lines[0]} -- ${error.trim()}` : lines[0]!;
}

export function scenarioTable(s: ScenarioResult): string {
  const tls = hasTls(s.rows);
  const width = head(s.rate, tls).length;
  const body: string[][] = [];
  const notes: string[] = [];
  for (const r of s.rows) {
    if (r.status !== 'ok') {
      body.push([r.proxy, r.status, ...Array<string>(width - 2).fill('')]);
      notes.push(`  ${r.proxy}: ${r.status}: ${summary(r.reason ?? '')}`);
      continue;
    }
    body.push([r.proxy, ...cells(r, tls)]);
    if (r.errors) notes.push(`  ${r.proxy}: ${r.errorDetail}`);
  }
  const tlsNote = tls ? tlsNegotiated(s.rows) : '';
  return `== ${s.scenario}: ${s.title}\n${align([head(s.rate, tls), ...body])}${tlsNote ? `\n  ${tlsNote}` : ''}${notes.length ? `\n${notes.join('\n')}` : ''}\n`;
}

function tlsNegotiated(rows: Row[]): string {
  const seen = new Set(rows.flatMap((r) => (r.tls?.protocol ? [`${r.proxy}: ${r.tls.protocol} ${r.tls.cipher}`] : [])));
  return seen.size ? `negotiated: ${[...seen].join(', ')}` : '';
}

function align(table: string[][]): string {
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => (row[c] ?? '').length)));
  return table
    .map((row) =>
      row
        // First column left-aligned, numbers right-aligned.
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const RELOAD_HEAD = [
  'write',
  'debounce',
  'routes',
  'changes',
  'startup ms',
  'p50 ms',
  'p99 ms',
  'max ms',
  'p99 each round',
  'timeouts',
  'reloads',
  'reload p50 ms',
  'RSS MiB',
  'RSS/worker MiB',
  'procs',
  `p99 < ${RELOAD_TARGET_P99_MS} ms`,
];

function reloadCells(r: ReloadResult): string[] {
  return [
    r.write,
    r.debounceMs === null ? 'serve default' : `${r.debounceMs} ms`,
    String(r.routes),
    r.changes < r.iterations ? `${r.changes} (gave up)` : String(r.changes),
    fmt(r.startupMs, 0),
    fmt(r.p50Ms, 1),
    fmt(r.p99Ms, 1),
    fmt(r.maxMs, 1),
    r.roundsP99Ms ? r.roundsP99Ms.map((v) => fmt(v, 1)).join(' / ') : '-',
    String(r.timeouts),
    String(r.reconciles),
    fmt(r.reconcileP50Ms, 0),
    fmt(r.rssMiB, 1),
    fmt(r.rssWorkerMiB, 1),
    String(r.processes ?? '-'),
    r.p99Ms !== null && r.timeouts === 0 && r.p99Ms < RELOAD_TARGET_P99_MS ? 'yes' : 'NO',
  ];
}

const RELOAD_LEGEND =
  'p50/p99/max: file write -> first response with the new config; with --reload-rounds, of the round with ' +
  'the median p99, every round listed under p99 each round. reloads: configurations serve applied ' +
  "after startup; reload p50: serve's own read+translate+apply time for one (from its log). serve runs " +
  'with its default worker count here.';

export function reloadTable(results: ReloadResult[]): string {
  return `== reload: one HTTPRoute file changed, time until a keep-alive client (polling ~1 ms) sees it\n${align([RELOAD_HEAD, ...results.map(reloadCells)])}\n  ${RELOAD_LEGEND}\n`;
}

interface MemoryRow {
  setup: string;
  processes: number | null;
  rssMiB: number | null;
  rssWorkerMiB: number | null;
  privateWorkerMiB: number | null;
}

/** Portunus with 1,000 HTTPRoutes: RSS per process after the regex-1000 load and after the reloads. */
function memoryRows(doc: Pick<ResultsDoc, 'scenarios' | 'reload'>): MemoryRow[] {
  const out: MemoryRow[] = [];
  for (const s of doc.scenarios) {
    const r = s.rows.find((x) => x.proxy === 'portunus' && x.status === 'ok');
    if (!r || !/^regex-1000/.test(s.scenario)) continue;
    out.push({
      setup: `${s.scenario}: after the load`,
      processes: r.processes ?? null,
      rssMiB: r.rssMiB,
      rssWorkerMiB: r.rssWorkerMiB ?? null,
      privateWorkerMiB: r.privateWorkerMiB ?? null,
    });
  }
  for (const r of doc.reload ?? []) {
    if (r.routes < MANY_ROUTES) continue;
    const setup = `reload (${r.write}, debounce ${r.debounceMs ?? 'default'}): after ${r.changes} changes`;
    out.push({
      setup,
      processes: r.processes ?? null,
      rssMiB: r.rssMiB,
      rssWorkerMiB: r.rssWorkerMiB ?? null,
      privateWorkerMiB: r.privateWorkerMiB ?? null,
    });
    const q = r.quiet;
    if (q === undefined) continue;
    out.push({
      setup: `${setup}, then ${q.afterMs / 1000} s without one`,
      processes: r.processes ?? null,
      rssMiB: q.rssMiB,
      rssWorkerMiB: q.rssWorkerMiB,
      privateWorkerMiB: q.privateWorkerMiB ?? null,
    });
  }
  return out;
}

const MEMORY_HEAD = [
  'setup',
  'procs',
  'RSS MiB',
  'RSS/worker MiB',
  'private/worker MiB',
  `RSS per worker < ${RSS_TARGET_MIB} MiB`,
];
const memoryCells = (m: MemoryRow): string[] => [
  m.setup,
  String(m.processes ?? '-'),
  fmt(m.rssMiB, 1),
  fmt(m.rssWorkerMiB, 1),
  fmt(m.privateWorkerMiB, 1),
  m.rssWorkerMiB == null ? '-' : m.rssWorkerMiB < RSS_TARGET_MIB ? 'yes' : 'NO',
];

const MEMORY_LEGEND =
  "private/worker: the worker's own pages (Private_Clean + Private_Dirty), what it frees on exit; RSS also " +
  "counts pages it shares, mostly the node executable's code mapped by every Portunus process.";

/** '' when no measurement had 1,000 routes. */
export function memoryTable(doc: Pick<ResultsDoc, 'scenarios' | 'reload'>): string {
  const rows = memoryRows(doc);
  if (!rows.length) return '';
  return `== memory: Portunus with ${MANY_ROUTES.toLocaleString('en-US')} HTTPRoutes, RSS of the whole process tree and of the largest worker\n${align([MEMORY_HEAD, ...rows.map(memoryCells)])}\n  ${MEMORY_LEGEND}\n`;
}

// ---- markdown ----

const mdEscape = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function mdTable(headRow: string[], rows: string[][], leftColumns: number): string {
  const align = headRow.map((_, i) => (i < leftColumns ? '---' : '---:'));
  return [headRow, align, ...rows].map((r) => `| ${r.map(mdEscape).join(' | ')} |`).join('\n');
}

/** The range of others % over the measured rows, e.g. "0-34". */
function othersRange(doc: ResultsDoc): string {
  const v = doc.scenarios.flatMap((s) => s.rows.flatMap((r) => (r.othersCpuPct === null ? [] : [r.othersCpuPct])));
  if (!v.length) return '-';
  return `${fmt(Math.min(...v), 0)}-${fmt(Math.max(...v), 0)}`;
}

/** A results document as GitHub markdown: what was run, where, and one table for all scenarios. */
export function markdownReport(doc: ResultsDoc): string {
  const out: string[] = [];
  const m = doc.machine;
  out.push(`#### ${doc.title}`);
  out.push('');
  out.push(`- command: \`${doc.command}\``);
  out.push(`- date: ${doc.date}${doc.source ? `, commit ${doc.source}` : ''}`);
  out.push(
    `- machine: ${m.cpus} × ${m.model ?? 'cpu'}, Linux ${m.kernel}, shared with other work: ` +
      `${fmt(m.busyPctAtStart, 0)} % of a core busy at the start, others % per row ${othersRange(doc)}`,
  );
  out.push(
    `- ${doc.settings.durationS} s per measurement after ${doc.settings.warmupS} s warm-up, ` +
      `${doc.settings.rounds} round(s) (median); ${doc.settings.tools}`,
  );
  out.push(
    `- versions: ${Object.entries(doc.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}`,
  );
  out.push('');
  const tls = doc.scenarios.some((s) => hasTls(s.rows));
  const rateNames = [...new Set(doc.scenarios.map((s) => s.rate ?? 'req/s'))];
  const headRow = ['scenario', ...head(rateNames.length === 1 ? rateNames[0] : 'rate/s', tls)];
  const body: string[][] = [];
  const notes: string[] = [];
  for (const s of doc.scenarios) {
    for (const r of s.rows) {
      if (r.status !== 'ok') {
        body.push([s.scenario, r.proxy, r.status, ...Array<string>(headRow.length - 3).fill('')]);
        notes.push(`${s.scenario} / ${r.proxy}: ${r.status}: ${summary(r.reason ?? '')}`);
      } else {
        body.push([s.scenario, r.proxy, ...cells(r, tls)]);
        if (r.errors) notes.push(`${s.scenario} / ${r.proxy}: ${r.errorDetail}`);
      }
    }
  }
  out.push(mdTable(headRow, body, 2));
  out.push('');
  const legend = doc.scenarios.map((s) => `\`${s.scenario}\`: ${s.title}${s.rate ? ` (rate = ${s.rate})` : ''}`);
  out.push(`Scenarios: ${legend.join('; ')}.`);
  out.push('');
  out.push(
    'CPU s/100k: CPU seconds of the proxy (all its processes) per 100,000 requests, the figure that moves least on a ' +
      'shared machine. RSS: after the load, summed over the proxy (nginx: its workers); RSS/worker: the largest ' +
      'worker process (the proxy itself when it has no separate workers); procs: processes counted (Portunus: ' +
      'primary + workers). others %: CPU used by processes outside the benchmark during the row, in % of one core.' +
      (tls ? ' resumed %: share of the new TLS connections whose session the proxy resumed.' : ''),
  );
  if (notes.length) {
    out.push('');
    for (const n of notes) out.push(`- ${n}`);
  }
  if (doc.reload?.length) {
    out.push('');
    out.push(mdTable(RELOAD_HEAD, doc.reload.map(reloadCells), 2));
    out.push('');
    out.push(`Reload: one HTTPRoute file of ${doc.reload[0]!.routes} changed; ${RELOAD_LEGEND}`);
  }
  const mem = memoryRows(doc);
  if (mem.length) {
    out.push('');
    out.push(mdTable(MEMORY_HEAD, mem.map(memoryCells), 1));
    out.push('');
    out.push(
      `Memory: Portunus with ${MANY_ROUTES.toLocaleString('en-US')} HTTPRoutes; RSS/worker is the largest worker process (serve's primary, the control plane, is only in RSS). ${MEMORY_LEGEND}`,
    );
  }
  return `${out.join('\n')}\n`;
}
