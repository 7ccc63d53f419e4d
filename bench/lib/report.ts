// Text table for the terminal. One block per scenario, then the reload figures.

import type { ReloadResult } from './reload.ts';
import type { Row } from './runner.ts';
import type { Scenario } from './types.ts';

export const RELOAD_TARGET_P99_MS = 50;

const fmt = (v: number | null, digits: number): string =>
  v === null || !Number.isFinite(v)
    ? '-'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const HEAD = ['proxy', 'req/s', 'vs nginx', 'p50 ms', 'p99 ms', 'CPU s/100k', 'RSS MiB', 'errors', 'others %'];

/** First line of a reason, plus the error line from a log tail if it has one. */
function summary(reason: string): string {
  const lines = reason.split('\n');
  const error = lines.slice(1).find((l) => /\b\w*Error\b|\[ALERT\]|\[emerg\]/.test(l));
  return error ? `${lines[0]} -- ${error.trim()}` : lines[0]!;
}

export function scenarioTable(s: Scenario, rows: Row[]): string {
  const body: string[][] = [];
  const notes: string[] = [];
  for (const r of rows) {
    if (r.status !== 'ok') {
      body.push([r.proxy, r.status, '', '', '', '', '', '', '']);
      notes.push(`  ${r.proxy}: ${r.status}: ${summary(r.reason ?? '')}`);
      continue;
    }
    body.push([
      r.proxy,
      fmt(r.rps, 0),
      r.vsNginx === null ? '-' : `${fmt(r.vsNginx, 2)}x`,
      fmt(r.p50Ms, 2),
      fmt(r.p99Ms, 2),
      fmt(r.cpuSecondsPer100k, 2),
      fmt(r.rssMiB, 1),
      String(r.errors ?? '-'),
      fmt(r.othersCpuPct, 0),
    ]);
    if (r.errors) notes.push(`  ${r.proxy}: ${r.errorDetail}`);
  }
  return `== ${s.name}: ${s.title}\n${align([HEAD, ...body])}${notes.length ? `\n${notes.join('\n')}` : ''}\n`;
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

export function reloadTable(results: ReloadResult[]): string {
  const head = [
    'write',
    'debounce',
    'routes',
    'changes',
    'startup ms',
    'p50 ms',
    'p99 ms',
    'max ms',
    'timeouts',
    'reloads',
    'reload p50 ms',
    'RSS MiB',
    `p99 < ${RELOAD_TARGET_P99_MS} ms`,
  ];
  const body = results.map((r) => [
    r.write,
    r.debounceMs === null ? 'serve default' : `${r.debounceMs} ms`,
    String(r.routes),
    r.changes < r.iterations ? `${r.changes} (gave up)` : String(r.changes),
    fmt(r.startupMs, 0),
    fmt(r.p50Ms, 1),
    fmt(r.p99Ms, 1),
    fmt(r.maxMs, 1),
    String(r.timeouts),
    String(r.reconciles),
    fmt(r.reconcileP50Ms, 0),
    fmt(r.rssMiB, 1),
    r.p99Ms !== null && r.timeouts === 0 && r.p99Ms < RELOAD_TARGET_P99_MS ? 'yes' : 'NO',
  ]);
  const legend =
    '  p50/p99/max: file write -> first response with the new config. reloads: configurations serve applied\n' +
    "  after startup; reload p50: serve's own read+translate+apply time for one (from its log).";
  return `== reload: one HTTPRoute file changed, time until a keep-alive client (polling ~1 ms) sees it\n${align([head, ...body])}\n${legend}\n`;
}
