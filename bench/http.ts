// bench:http / bench — Portunus side by side with nginx and haproxy, in one run, on loopback.
//
//   node bench/http.ts [--duration 10s] [--warmup 2s] [--rounds 1] [--only portunus,nginx]
//                      [--scenarios get-keepalive,reload | all] [--reload-routes 1000]
//                      [--reload-iterations 50] [--reload-debounce default,0] [--reload-write inplace]
//                      [--json bench/results/http-latest.json | none] [--keep]
//
// One upstream nginx (20-byte body, 100 KiB file, 1 MiB POSTs) serves every proxy. Each proxy
// gets one worker, is started fresh per scenario, warmed up, loaded with wrk (or h2load), and
// stopped. CPU seconds come from /proc (utime+stime of the proxy's whole process tree), RSS from
// VmRSS after the load. Nothing is pinned: load generator, proxy and upstream share the cores,
// so compare ratios within one run rather than absolute numbers across machines.
// Needs nginx, haproxy, wrk, h2load: `bash bench/setup.sh` installs the missing ones.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeCertificate } from './lib/cert.ts';
import { directDriver, haproxyDriver, nginxDriver, startUpstream } from './lib/peers.ts';
import { portunusDriver } from './lib/portunus.ts';
import { commandOutput, installCleanupHandlers, machineBusySeconds, rssBytes } from './lib/proc.ts';
import { measureReload, RELOAD_WRITES, type ReloadResult, type ReloadWrite } from './lib/reload.ts';
import { RELOAD_TARGET_P99_MS, reloadTable, scenarioTable } from './lib/report.ts';
import { addRatios, measure, medianRound, type Row } from './lib/runner.ts';
import { ALL_SCENARIOS, DEFAULT_SCENARIOS, RELOAD, SCENARIOS } from './lib/scenarios.ts';
import type { ProxyDriver, RunContext } from './lib/types.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DRIVERS: readonly ProxyDriver[] = [directDriver, nginxDriver, haproxyDriver, portunusDriver];

const HELP = `Usage: node bench/http.ts [options]
  --duration D           measured load per proxy and scenario (default 10s; 500ms, 10s, 1m)
  --warmup D             load before measuring (default 2s; 0 to skip)
  --rounds N             measure each proxy N times, in turn, and report the median round (default 1)
  --busy-retries N       measure a round again, up to N times, when other processes used more than
                         --busy-threshold % of a core during it (default 1, threshold 50); the
                         quietest attempt is kept
  --only LIST            proxies: ${DRIVERS.map((d) => d.name).join(',')} (default all)
  --scenarios LIST       ${ALL_SCENARIOS.join(',')} or all (default ${DEFAULT_SCENARIOS.join(',')})
  --reload-routes N      HTTPRoutes loaded for the reload test (default 1000)
  --reload-iterations N  route changes timed (default 50)
  --reload-debounce LIST serve --reload-debounce values, 'default' for serve's own (default: default,0)
  --reload-write LIST    inplace (rewrite the file) and/or rename (write a dot-file, rename it over)
                         (default inplace)
  --json PATH|none       results file (default bench/results/http-latest.json)
  --keep                 keep the scratch directory (configs, logs)`;

function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) throw new Error(`--${flag}: expected a duration like 10s, 500ms or 1m, got ${text}`);
  const n = Number(m[1]);
  const s = m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
  // wrk and h2load take whole seconds.
  return s === 0 ? 0 : Math.max(1, Math.round(s));
}

function parsePositive(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`--${flag}: expected a positive integer, got ${text}`);
  return Number(text);
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10s' },
      warmup: { type: 'string', default: '2s' },
      rounds: { type: 'string', default: '1' },
      'busy-retries': { type: 'string', default: '1' },
      'busy-threshold': { type: 'string', default: '50' },
      only: { type: 'string' },
      scenarios: { type: 'string' },
      'reload-routes': { type: 'string', default: '1000' },
      'reload-iterations': { type: 'string', default: '50' },
      'reload-debounce': { type: 'string', default: 'default,0' },
      'reload-write': { type: 'string', default: 'inplace' },
      json: { type: 'string', default: join(ROOT, 'bench/results/http-latest.json') },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const names = values.only ? list(values.only) : DRIVERS.map((d) => d.name);
  for (const n of names) if (!DRIVERS.some((d) => d.name === n)) throw new Error(`--only: unknown proxy ${n}`);
  let scenarios = values.scenarios ? list(values.scenarios) : DEFAULT_SCENARIOS;
  if (scenarios.includes('all')) scenarios = ALL_SCENARIOS;
  for (const s of scenarios) if (!ALL_SCENARIOS.includes(s)) throw new Error(`--scenarios: unknown scenario ${s}`);
  const debounces = list(values['reload-debounce']).map((d) =>
    d === 'default' ? null : /^\d+$/.test(d) ? Number(d) : Number.NaN,
  );
  if (debounces.some((d) => Number.isNaN(d))) throw new Error(`--reload-debounce: expected numbers or 'default'`);
  const writes = list(values['reload-write']) as ReloadWrite[];
  for (const w of writes) if (!RELOAD_WRITES.includes(w)) throw new Error(`--reload-write: unknown mode ${w}`);
  return {
    writes,
    durationS: parseDuration(values.duration, 'duration'),
    warmupS: parseDuration(values.warmup, 'warmup'),
    rounds: parsePositive(values.rounds, 'rounds'),
    busyRetries: values['busy-retries'] === '0' ? 0 : parsePositive(values['busy-retries'], 'busy-retries'),
    busyPct: parsePositive(values['busy-threshold'], 'busy-threshold'),
    drivers: DRIVERS.filter((d) => names.includes(d.name)),
    scenarios,
    reloadRoutes: parsePositive(values['reload-routes'], 'reload-routes'),
    reloadIterations: parsePositive(values['reload-iterations'], 'reload-iterations'),
    debounces,
    json: values.json === 'none' ? null : resolve(values.json),
    keep: values.keep,
  };
}

function missingTools(): string[] {
  const probes: [string, string[]][] = [
    ['/usr/sbin/nginx', ['-v']],
    ['wrk', ['--version']],
  ];
  return probes.filter(([cmd, args]) => commandOutput(cmd, args) === null).map(([cmd]) => cmd);
}

async function main(): Promise<void> {
  let o: ReturnType<typeof options>;
  try {
    o = options();
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n\n${HELP}\n`);
    process.exit(2);
  }
  const missing = missingTools();
  if (missing.length) {
    process.stderr.write(`bench: missing ${missing.join(', ')}; run: bash bench/setup.sh\n`);
    process.exit(1);
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'portunus-bench-'));
  const cleanDir = () => {
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  };
  installCleanupHandlers(cleanDir);
  const log = (line: string) => process.stderr.write(`${line}\n`);

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
  const ctx: RunContext = { dir, upstreamPort: up.port, upstream: up.started, tls: makeCertificate(dir), root: ROOT };
  const versions = Object.fromEntries(o.drivers.map((d) => [d.name, d.version()]));
  const results: { scenario: string; title: string; rows: Row[] }[] = [];
  const reload: ReloadResult[] = [];
  const output: string[] = [];
  try {
    for (const s of SCENARIOS) {
      if (!o.scenarios.includes(s.name)) continue;
      // Rounds go through the proxies in turn, so slow drift on the machine hits them all alike.
      const rounds = new Map<ProxyDriver, Row[]>(o.drivers.map((d) => [d, []]));
      for (let round = 1; round <= o.rounds; round++) {
        for (const d of o.drivers) {
          const done = rounds.get(d)!;
          if (done.some((r) => r.status !== 'ok')) continue;
          log(`bench: ${s.name} / ${d.name}${o.rounds > 1 ? ` (round ${round}/${o.rounds})` : ''} ...`);
          const m = { durationS: o.durationS, warmupS: o.warmupS };
          let row = await measure(d, s, ctx, m, log);
          // A round measured while other processes took a large share of the CPU says little;
          // measure it again (a bounded number of times) and keep the quietest attempt.
          for (let retry = 1; retry <= o.busyRetries && row.status === 'ok' && row.othersCpuPct! > o.busyPct; retry++) {
            log(
              `bench:   others used ${row.othersCpuPct!.toFixed(0)}% of a core; measuring again (${retry}/${o.busyRetries})`,
            );
            const again = await measure(d, s, ctx, m, log);
            if (again.status === 'ok' && again.othersCpuPct! < row.othersCpuPct!) row = again;
          }
          done.push(row);
        }
      }
      const rows = o.drivers.map((d) => medianRound(rounds.get(d)!));
      addRatios(rows);
      results.push({ scenario: s.name, title: s.title, rows });
      const table = scenarioTable(s, rows);
      output.push(table);
      log(`\n${table}`);
    }
    if (o.scenarios.includes(RELOAD) && o.drivers.includes(portunusDriver)) {
      for (const write of o.writes) {
        for (const debounceMs of o.debounces) {
          log(
            `bench: reload, ${o.reloadRoutes} routes, ${write} writes, debounce ${debounceMs ?? 'serve default'} ...`,
          );
          const spec = { routes: o.reloadRoutes, iterations: o.reloadIterations, debounceMs, write };
          try {
            reload.push(await measureReload(ctx, spec, rssBytes));
          } catch (err) {
            log(`bench: reload measurement failed: ${(err as Error).message}`);
          }
        }
      }
      if (reload.length) output.push(reloadTable(reload));
    }
  } finally {
    await up.started.stop();
    cleanDir();
  }

  process.stdout.write(`\nPortunus HTTP benchmark (${new Date().toISOString()})\n`);
  process.stdout.write(
    `${Object.entries(versions)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}\n\n`,
  );
  process.stdout.write(
    'CPU s/100k: CPU seconds the proxy (all its processes and threads) spent per 100,000 requests; it\n' +
      'moves least when the machine is shared. others %: CPU that processes outside this benchmark used\n' +
      'during the measurement, in % of one core (high = noisy row). RSS: nginx worker(s), other proxies whole.\n\n',
  );
  process.stdout.write(output.join('\n'));

  if (o.json) {
    mkdirSync(dirname(o.json), { recursive: true });
    const doc = {
      date: new Date().toISOString(),
      command: `node bench/http.ts ${process.argv.slice(2).join(' ')}`.trim(),
      machine: { cpus: cpus.length, model: cpus[0]?.model ?? null, kernel: os.release(), busyPctAtStart: busyPct },
      settings: {
        durationS: o.durationS,
        warmupS: o.warmupS,
        rounds: o.rounds,
        tools: 'wrk -t1, h2load -t1, one worker per proxy',
      },
      versions,
      scenarios: results,
      reload: reload.map((r) => ({ ...r, targetP99Ms: RELOAD_TARGET_P99_MS })),
    };
    // Three decimals are plenty for any figure here and keep the committed file readable.
    const rounded = (_k: string, v: unknown) =>
      typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v;
    writeFileSync(o.json, `${JSON.stringify(doc, rounded, 2)}\n`);
    process.stdout.write(`\nresults: ${o.json}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
