// One bench:translate case in its own process, on the compiled build (dist/, what `portunus`
// runs), so its peak RSS is that of reading, validating and translating one input.
// Usage: node bench/translate-case.mjs FILE RUNS  → one JSON line on stdout.
import { readFileSync } from 'node:fs';
import { loadTexts } from '../dist/provider/file/load.js';
import { Snapshot } from '../dist/provider/snapshot.js';
import { snapshotEntries } from '../dist/serve/sources.js';
import { translate } from '../dist/translate/index.js';

const [file, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const options = { controllerName: 'portunus.dev/gateway-controller', now: '2026-01-01T00:00:00Z' };

const t0 = performance.now();
const loaded = loadTexts([{ file, text: readFileSync(file, 'utf8') }]);
const loadMs = performance.now() - t0;
if (loaded.diagnostics.some((d) => d.severity === 'error')) throw new Error('generated manifests did not load cleanly');
// Peak RSS as `portunus translate` sees it: the input loaded and translated once. The timed
// repetitions below only add garbage, which says nothing about the translator's footprint.
translate(loaded.snapshot, options);
const peakRssMiB = process.resourceUsage().maxRSS / 1024;

// Each timed run translates new objects with the same content, as after reading the files again:
// the translator reuses a route's compilation when it sees the same route object again (what
// serve's reloads get for unchanged files), which would make repeated runs on one snapshot time
// that reuse instead of a translation. The copies are made before the clock starts.
const entries = snapshotEntries(loaded.snapshot);
const times = [];
let irRoutes = 0;
for (let r = 0; r < runs; r++) {
  const fresh = new Snapshot(entries.map((e) => ({ ...e, resource: structuredClone(e.resource) })));
  const start = performance.now();
  const result = translate(fresh, options);
  times.push(performance.now() - start);
  irRoutes = 0;
  for (const l of result.ir.gateways[0]?.listeners ?? [])
    for (const v of l.virtualHosts ?? []) irRoutes += v.routes.length;
}
times.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    loadMs: Math.round(loadMs),
    translateMs: Math.round(times[Math.floor(times.length / 2)]),
    translateMaxMs: Math.round(times[times.length - 1]),
    irRoutes,
    peakRssMiB: Math.round(peakRssMiB),
  })}\n`,
);
