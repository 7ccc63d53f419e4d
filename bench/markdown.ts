// Prints saved benchmark results as GitHub markdown (the same as --markdown at the end of a run),
// e.g. for README:
//
//   node bench/markdown.ts bench/results/http-latest.json bench/results/tls-latest.json

import { readFileSync } from 'node:fs';
import { markdownReport, type ResultsDoc } from './lib/report.ts';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node bench/markdown.ts RESULTS.json...\n');
  process.exit(2);
}
const parts = files.map((f) => {
  const doc = JSON.parse(readFileSync(f, 'utf8')) as ResultsDoc;
  // Files written before documents had a title.
  doc.title ??= 'Portunus benchmark';
  return markdownReport(doc);
});
process.stdout.write(parts.join('\n'));
