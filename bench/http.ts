// bench:http / bench — Portunus side by side with nginx and haproxy, in one run, on loopback.
//
//   node bench/http.ts [--duration 10s] [--warmup 2s] [--rounds 1] [--only portunus,nginx]
//                      [--scenarios get-keepalive,reload | all] [--reload-routes 1000]
//                      [--reload-iterations 200] [--reload-debounce default,0] [--reload-write inplace]
//                      [--json bench/results/http-latest.json | none] [--markdown] [--keep]
//
// One upstream nginx (20-byte body, 100 KiB file, 1 MiB POSTs) serves every proxy. Each proxy
// gets one worker (or two in workers-2), is started fresh per scenario, warmed up, loaded with wrk
// (or h2load), and stopped. CPU seconds come from /proc (utime+stime of the proxy's whole process
// tree), RSS from VmRSS after the load. Nothing is pinned: load generator, proxy and upstream
// share the cores, so compare ratios within one run rather than absolute numbers across machines.
// Needs nginx, haproxy, wrk, h2load: `bash bench/setup.sh` installs the missing ones.

import { parseArgs } from 'node:util';
import {
  COMMON_HELP,
  commonOptionSpecs,
  commonOptions,
  docHeader,
  finish,
  list,
  openRun,
  sameVersions,
  versionsOf,
  parsePositive,
  ROOT,
  requireTools,
} from './lib/cli.ts';
import { directDriver, haproxyDriver, nginxDriver } from './lib/peers.ts';
import { portunusDriver, workersNote } from './lib/portunus.ts';
import { measureReload, medianReloadRound, RELOAD_WRITES, type ReloadResult, type ReloadWrite } from './lib/reload.ts';
import { memoryTable, RELOAD_TARGET_P99_MS, type ResultsDoc, reloadTable, scenarioTable } from './lib/report.ts';
import { runScenarios, type ScenarioResult } from './lib/runner.ts';
import { ALL_SCENARIOS, DEFAULT_SCENARIOS, RELOAD, SCENARIOS } from './lib/scenarios.ts';
import type { ProxyDriver } from './lib/types.ts';

const DRIVERS: readonly ProxyDriver[] = [directDriver, nginxDriver, haproxyDriver, portunusDriver];

const HELP = `Usage: node bench/http.ts [options]
  --only LIST            proxies: ${DRIVERS.map((d) => d.name).join(',')} (default all)
  --scenarios LIST       ${ALL_SCENARIOS.join(',')} or all (default ${DEFAULT_SCENARIOS.join(',')})
${COMMON_HELP}
  --reload-routes N      HTTPRoutes loaded for the reload test (default 1000)
  --reload-iterations N  route changes timed (default 200: with 50, the p99 is the maximum)
  --reload-rounds N      measure each reload setup N times (a fresh serve each) and report the
                         round with the median p99; every round's p99 is shown (default 1)
  --reload-debounce LIST serve --reload-debounce values, 'default' for serve's own (default: default,0)
  --reload-write LIST    inplace (rewrite the file) and/or rename (write a dot-file, rename it over)
                         (default inplace)
  --json PATH|none       results file (default bench/results/http-latest.json)`;

function options() {
  const { values } = parseArgs({
    options: {
      ...commonOptionSpecs('bench/results/http-latest.json'),
      'reload-routes': { type: 'string', default: '1000' },
      'reload-iterations': { type: 'string', default: '200' },
      'reload-rounds': { type: 'string', default: '1' },
      'reload-debounce': { type: 'string', default: 'default,0' },
      'reload-write': { type: 'string', default: 'inplace' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const debounces = list(values['reload-debounce']).map((d) =>
    d === 'default' ? null : /^\d+$/.test(d) ? Number(d) : Number.NaN,
  );
  if (debounces.some((d) => Number.isNaN(d))) throw new Error(`--reload-debounce: expected numbers or 'default'`);
  const writes = list(values['reload-write']) as ReloadWrite[];
  for (const w of writes) if (!RELOAD_WRITES.includes(w)) throw new Error(`--reload-write: unknown mode ${w}`);
  return {
    ...commonOptions(values, DRIVERS, ALL_SCENARIOS, DEFAULT_SCENARIOS),
    writes,
    reloadRoutes: parsePositive(values['reload-routes'], 'reload-routes'),
    reloadIterations: parsePositive(values['reload-iterations'], 'reload-iterations'),
    reloadRounds: parsePositive(values['reload-rounds'], 'reload-rounds'),
    debounces,
  };
}

async function main(): Promise<void> {
  let o: ReturnType<typeof options>;
  try {
    o = options();
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n\n${HELP}\n`);
    process.exit(2);
  }
  requireTools();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const run = await openRun(o, log);
  const ctx = run.ctx;
  const versionsAtStart = versionsOf(o.drivers);
  let results: ScenarioResult[] = [];
  const reload: ReloadResult[] = [];
  const output: string[] = [];
  try {
    const scenarios = SCENARIOS.filter((s) => o.scenarios.includes(s.name));
    results = await runScenarios(o.drivers, scenarios, ctx, o, log, (s, rows) => {
      const table = scenarioTable({ scenario: s.name, title: s.title, rows });
      output.push(table);
      log(`\n${table}`);
    });
    if (o.scenarios.includes(RELOAD) && o.drivers.includes(portunusDriver)) {
      for (const write of o.writes) {
        for (const debounceMs of o.debounces) {
          log(
            `bench: reload, ${o.reloadRoutes} routes, ${write} writes, debounce ${debounceMs ?? 'serve default'} ...`,
          );
          const spec = { routes: o.reloadRoutes, iterations: o.reloadIterations, debounceMs, write };
          const rounds: ReloadResult[] = [];
          for (let round = 1; round <= o.reloadRounds; round++) {
            try {
              rounds.push(await measureReload(ctx, spec));
            } catch (err) {
              log(`bench: reload measurement failed: ${(err as Error).message}`);
            }
          }
          const median = medianReloadRound(rounds);
          if (median !== null) reload.push(median);
        }
      }
      if (reload.length) output.push(reloadTable(reload));
    }
  } finally {
    await run.close();
  }
  const versions = sameVersions(versionsAtStart, versionsOf(o.drivers));
  const doc: ResultsDoc = {
    ...docHeader(
      'Portunus HTTP benchmark',
      'bench/http.ts',
      o,
      run.busyPctAtStart,
      `wrk -t1, h2load -t1; 1 worker per proxy, 2 in workers-2; ${workersNote(ROOT)}`,
    ),
    versions,
    scenarios: results,
    reload: reload.map((r) => ({ ...r, targetP99Ms: RELOAD_TARGET_P99_MS })),
  };
  const memory = memoryTable(doc);
  if (memory) output.push(memory);

  finish(
    doc,
    o,
    'CPU s/100k: CPU seconds the proxy (all its processes and threads) spent per 100,000 requests; it\n' +
      'moves least when the machine is shared. others %: CPU that processes outside this benchmark used\n' +
      'during the measurement, in % of one core (high = noisy row). RSS: after the load, nginx worker(s),\n' +
      'other proxies whole (Portunus: primary + workers); RSS/worker: the largest worker process (the only\n' +
      'process when there are no separate workers); procs: processes in RSS.',
    output,
  );
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
