// Measures one proxy in one scenario: start it, probe it, warm up, then load it while reading
// its CPU time before and after, and its RSS after. The proxy is always stopped.

import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type LoadResult, runLoad, type TlsCounts } from './load.ts';
import { probe } from './probe.ts';
import { largestWorker, machineBusySeconds, rssBytes, selfAndReapedCpuSeconds, treeCpuSeconds } from './proc.ts';
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
  /** VmRSS after the load, summed over the proxy's reported processes. */
  rssMiB: number | null;
  /** The largest worker process (a worker's own footprint; the proxy itself when it has no workers). */
  rssWorkerMiB: number | null;
  /** Private memory (proc.ts privateBytes) of the process RSS/worker names. */
  privateWorkerMiB?: number | null;
  /** How many processes rssMiB sums (primary and workers). */
  processes: number | null;
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
  /** TLS handshake scenarios: connections made, how many the server resumed, what was negotiated. */
  tls?: TlsCounts;
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
    rssWorkerMiB: null,
    privateWorkerMiB: null,
    processes: null,
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
      // A 5xx is a broken proxy, not a missing feature.
      const status = proxy.exited() || /^status 5\d\d$/.test(probeError) ? 'failed' : driver.probeFailure;
      log(`  ${driver.name}: probe failed (${probeError})${logTail(proxy.logFile)}`);
      return emptyRow(scenario, driver, status, `probe: ${probeError}`);
    }
    const target = { port: proxy.port, tls, dir: ctx.dir, ...(ctx.tlsload ? { tlsload: ctx.tlsload } : {}) };
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
    const rssEach = proxy.rssPids().map(rssBytes);
    const rss = rssEach.reduce((sum, b) => sum + b, 0);
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
      ...largestWorker(proxy.workerPids?.() ?? proxy.rssPids()),
      processes: rssEach.filter((b) => b > 0).length,
      requests: r.requests,
      othersCpuPct: Math.max(0, (others / wall) * 100),
      errors: r.errors,
      errorDetail: r.errorDetail || null,
      ...(r.tls ? { tls: r.tls } : {}),
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

export interface RunOptions extends MeasureOptions {
  /** Measure each proxy this many times, in turn, and keep the median round. */
  rounds: number;
  /** Measure a round again up to this many times when others used more than busyPct % of a core. */
  busyRetries: number;
  busyPct: number;
}

export interface ScenarioResult {
  scenario: string;
  title: string;
  /** Rate column header when it is not req/s. */
  rate?: string;
  rows: Row[];
}

/** Every scenario, every driver; `done` sees each scenario's rows as soon as they are known. */
export async function runScenarios(
  drivers: readonly ProxyDriver[],
  scenarios: readonly Scenario[],
  ctx: RunContext,
  o: RunOptions,
  log: (line: string) => void,
  done: (s: Scenario, rows: Row[]) => void,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const s of scenarios) {
    // Rounds go through the proxies in turn, so slow drift on the machine hits them all alike.
    const rounds = new Map<ProxyDriver, Row[]>(drivers.map((d) => [d, []]));
    for (let round = 1; round <= o.rounds; round++) {
      for (const d of drivers) {
        const measured = rounds.get(d)!;
        if (measured.some((r) => r.status !== 'ok')) continue;
        log(`bench: ${s.name} / ${d.name}${o.rounds > 1 ? ` (round ${round}/${o.rounds})` : ''} ...`);
        let row = await measure(d, s, ctx, o, log);
        // A round measured while other processes took a large share of the CPU says little;
        // measure it again (a bounded number of times) and keep the quietest attempt.
        for (let retry = 1; retry <= o.busyRetries && row.status === 'ok' && row.othersCpuPct! > o.busyPct; retry++) {
          log(
            `bench:   others used ${row.othersCpuPct!.toFixed(0)}% of a core; measuring again (${retry}/${o.busyRetries})`,
          );
          const again = await measure(d, s, ctx, o, log);
          if (again.status === 'ok' && again.othersCpuPct! < row.othersCpuPct!) row = again;
        }
        measured.push(row);
      }
    }
    const rows = drivers.map((d) => medianRound(rounds.get(d)!));
    addRatios(rows);
    results.push({ scenario: s.name, title: s.title, ...(s.rate ? { rate: s.rate } : {}), rows });
    done(s, rows);
  }
  return results;
}
