// bench:tls — what TLS connection setup costs: Portunus side by side with nginx and haproxy, in
// one run, on loopback, through the same upstream as bench/http.ts.
//
//   node bench/tls.ts [--duration 10s] [--warmup 2s] [--rounds 1] [--only portunus,nginx]
//                     [--scenarios tls-full,tls-resumed,tls-resumed-keepalive,https | all]
//                     [--json bench/results/tls-latest.json | none] [--markdown] [--keep]
//
// Each proxy terminates TLS with the same ECDSA P-256 certificate (made with openssl for the run)
// and one worker. The handshake scenarios use tlsload (lib/tlsload.c, built with cc at the start):
// tls-full makes a full handshake for every GET, tls-resumed resumes the session of the client
// thread's previous connection for every GET, tls-resumed-keepalive resumes and then sends 10
// keep-alive GETs; https is wrk over long-lived TLS connections (no handshakes). The resumed %
// column says how many connections the proxy actually resumed.

import { parseArgs } from 'node:util';
import {
  COMMON_HELP,
  commonOptionSpecs,
  commonOptions,
  docHeader,
  finish,
  openRun,
  sameVersions,
  versionsOf,
  ROOT,
  requireTools,
} from './lib/cli.ts';
import { haproxyDriver, nginxDriver } from './lib/peers.ts';
import { portunusDriver, workersNote } from './lib/portunus.ts';
import { type ResultsDoc, scenarioTable } from './lib/report.ts';
import { runScenarios, type ScenarioResult } from './lib/runner.ts';
import { TLS_BENCH_SCENARIOS } from './lib/scenarios.ts';
import { buildTlsload } from './lib/tlsload.ts';
import type { ProxyDriver } from './lib/types.ts';

const DRIVERS: readonly ProxyDriver[] = [nginxDriver, haproxyDriver, portunusDriver];
const ALL = TLS_BENCH_SCENARIOS.map((s) => s.name);

const HELP = `Usage: node bench/tls.ts [options]
  --only LIST            proxies: ${DRIVERS.map((d) => d.name).join(',')} (default all)
  --scenarios LIST       ${ALL.join(',')} or all (default all)
${COMMON_HELP}
  --json PATH|none       results file (default bench/results/tls-latest.json)`;

function options() {
  const { values } = parseArgs({ options: commonOptionSpecs('bench/results/tls-latest.json'), strict: true });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  return commonOptions(values, DRIVERS, ALL, ALL);
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
  const output: string[] = [];
  let results: ScenarioResult[] = [];
  let openssl = '';
  try {
    if (!ctx.tls) throw new Error('no certificate: openssl is missing or failed');
    const built = buildTlsload(ctx.dir);
    ctx.tlsload = built.path;
    openssl = built.openssl;
    const scenarios = TLS_BENCH_SCENARIOS.filter((s) => o.scenarios.includes(s.name));
    results = await runScenarios(o.drivers, scenarios, ctx, o, log, (s, rows) => {
      const table = scenarioTable({ scenario: s.name, title: s.title, ...(s.rate ? { rate: s.rate } : {}), rows });
      output.push(table);
      log(`\n${table}`);
    });
  } finally {
    await run.close();
  }
  const versions = sameVersions(versionsAtStart, versionsOf(o.drivers));
  const doc: ResultsDoc = {
    ...docHeader(
      'Portunus TLS benchmark',
      'bench/tls.ts',
      o,
      run.busyPctAtStart,
      `tlsload (one thread per connection, ${openssl} client), wrk -t1 for https; ` +
        `ECDSA P-256 certificate; 1 worker per proxy; ${workersNote(ROOT)}`,
    ),
    versions,
    scenarios: results,
  };
  finish(
    doc,
    o,
    'handshakes/s: new TLS connections per second, one GET each. resumed %: connections whose session the\n' +
      'proxy resumed (0 in tls-full by construction). CPU s/100k: proxy CPU seconds (all its processes) per\n' +
      '100,000 requests, i.e. per 100,000 handshakes where there is one GET per connection. others %: CPU\n' +
      'used by processes outside this benchmark during the row, in % of one core.',
    output,
  );
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
