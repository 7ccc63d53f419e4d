// Measures one proxy in one scenario: start it, probe it, warm up, then load it while reading
// its CPU time before and after, and its RSS after. The proxy is always stopped.

import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type LoadResult, runLoad } from './load.ts';
import { probe } from './probe.ts';
import { machineBusySeconds, rssBytes, selfAndReapedCpuSeconds, treeCpuSeconds } from './proc.ts';
import type { ProxyDriver, RunContext, RunningProxy, Scenario } from './types.ts';

export interface Row {
  scenario: string;
  proxy: string;
  status: 'ok' | 'unsupported' | 'failed';
  reason: string | null;
  rps: number | null;
  /** rps / nginx's rps in the same scenario and run. */
  vsNginx: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  cpuSecondsPer100k: number | null;
  rssMiB: number | null;
  requests: number | null;
  /**
   * CPU used during the measurement by processes outside this benchmark (other work on the
   * machine), in % of one core: a high value means the row was measured on a busy machine.
   */
  othersCpuPct: number | null;
  errors: number | null;
  errorDetail: string | null;
  /** req/s of every round (the row shows the round with the median req/s). */
  roundsRps?: number[];
}

export interface MeasureOptions {
  durationS: number;
  warmupS: number;
}

function emptyRow(scenario: Scenario, driver: ProxyDriver, status: Row['status'], reason: string): Row {
  return {
    scenario: scenario.name,
    proxy: driver.name,
    status,
    reason,
    rps: null,
    vsNginx: null,
    p50Ms: null,
    p99Ms: null,
    cpuSecondsPer100k: null,
    rssMiB: null,
    requests: null,
    othersCpuPct: null,
    errors: null,
    errorDetail: null,
  };
}

function logTail(file: string | null, lines = 15): string {
  if (!file || !existsSync(file)) return '';
  const text = readFileSync(file, 'utf8').trimEnd();
  return text ? `\n  last lines of ${file}:\n    ${text.split('\n').slice(-lines).join('\n    ')}` : '';
}

export async function measure(
  driver: ProxyDriver,
  scenario: Scenario,
  ctx: RunContext,
  o: MeasureOptions,
  log: (line: string) => void,
): Promise<Row> {
  const why = driver.unsupported(scenario.tweaks, ctx);
  if (why) return emptyRow(scenario, driver, 'unsupported', why);

  let proxy: RunningProxy;
  try {
    proxy = await driver.start(scenario.tweaks, ctx);
  } catch (err) {
    const m = /\(log: (\S+)\)/.exec((err as Error).message);
    return emptyRow(scenario, driver, 'failed', `start: ${(err as Error).message}${logTail(m?.[1] ?? null)}`);
  }
  try {
    const { tls, h2 } = scenario.tweaks;
    const probeError = await probe(proxy.port, scenario.load.path, tls, h2);
    if (probeError) {
      const status = proxy.exited() ? 'failed' : driver.probeFailure;
      log(`  ${driver.name}: probe failed (${probeError})${logTail(proxy.logFile)}`);
      return emptyRow(scenario, driver, status, `probe: ${probeError}`);
    }
    const target = { port: proxy.port, tls, dir: ctx.dir };
    if (o.warmupS > 0) await runLoad(scenario.load, target, o.warmupS);
    const ours = () =>
      selfAndReapedCpuSeconds() + (proxy.cpuRoot === ctx.upstream.pid ? 0 : treeCpuSeconds(ctx.upstream.pid));
    const machine0 = machineBusySeconds();
    const ours0 = ours();
    const cpu0 = treeCpuSeconds(proxy.cpuRoot);
    const t0 = performance.now();
    const r: LoadResult = await runLoad(scenario.load, target, o.durationS);
    const cpu1 = treeCpuSeconds(proxy.cpuRoot);
    const wall = (performance.now() - t0) / 1000;
    const others = machineBusySeconds() - machine0 - (ours() - ours0) - (cpu1 - cpu0);
    const rss = proxy.rssPids().reduce((sum, pid) => sum + rssBytes(pid), 0);
    if (proxy.exited()) return emptyRow(scenario, driver, 'failed', `exited during the load${logTail(proxy.logFile)}`);
    return {
      scenario: scenario.name,
      proxy: driver.name,
      status: 'ok',
      reason: null,
      rps: r.rps,
      vsNginx: null,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      cpuSecondsPer100k: r.requests > 0 ? ((cpu1 - cpu0) / r.requests) * 100_000 : null,
      rssMiB: rss / 1048576,
      requests: r.requests,
      othersCpuPct: Math.max(0, (others / wall) * 100),
      errors: r.errors,
      errorDetail: r.errorDetail || null,
    };
  } catch (err) {
    return emptyRow(scenario, driver, 'failed', `${(err as Error).message}${logTail(proxy.logFile)}`);
  } finally {
    await proxy.stop();
  }
}

/** Fills vsNginx for every measured row of one scenario. */
export function addRatios(rows: Row[]): void {
  const nginx = rows.find((r) => r.proxy === 'nginx' && r.status === 'ok')?.rps;
  for (const r of rows) if (nginx && r.rps !== null) r.vsNginx = r.rps / nginx;
}

/**
 * Folds the rounds of one proxy into one row: the round with the median req/s (lower median for
 * an even count), so a neighbour's burst of load during one round does not decide the result.
 * A proxy with any failed round is reported failed.
 */
export function medianRound(rounds: Row[]): Row {
  const failed = rounds.find((r) => r.status !== 'ok');
  if (failed) return failed;
  const sorted = [...rounds].sort((a, b) => a.rps! - b.rps!);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { ...mid, roundsRps: rounds.map((r) => r.rps!) };
}
