// Golden tests: every test/testdata/translate/*.in.yaml is translated and compared with the
// matching .out.yaml (status documents, IR, diagnostics). UPDATE_GOLDEN=1 rewrites the .out.yaml
// files; a missing .out.yaml fails. The .out.yaml files are the assertions: review their diffs.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { translate } from '../../src/translate/index.ts';
import { renderStatusDocuments } from '../../src/translate/status.ts';
import { CONTROLLER, NOW, snapshotFromYaml } from './helpers.ts';

const dir = new URL('../testdata/translate/', import.meta.url);
const update = process.env.UPDATE_GOLDEN === '1';
const inputs = readdirSync(dir)
  .filter((f) => f.endsWith('.in.yaml'))
  .sort();

test('golden inputs exist', () => {
  assert.ok(inputs.length > 0, `no *.in.yaml in ${dir.pathname}`);
});

function render(text: string): string {
  const snapshot = snapshotFromYaml(text);
  const result = translate(snapshot, { controllerName: CONTROLLER, now: NOW });
  const doc: Record<string, unknown> = { resources: renderStatusDocuments(snapshot, result), ir: result.ir };
  if (result.diagnostics.length > 0) doc.diagnostics = result.diagnostics;
  return stringify(doc, { lineWidth: 0 });
}

for (const input of inputs) {
  test(input.replace(/\.in\.yaml$/, ''), () => {
    const text = readFileSync(new URL(input, dir), 'utf8');
    const got = render(text);
    assert.equal(render(text), got, 'translation is not deterministic');
    const outUrl = new URL(input.replace(/\.in\.yaml$/, '.out.yaml'), dir);
    if (update) {
      writeFileSync(outUrl, got);
      return;
    }
    assert.ok(existsSync(outUrl), `missing ${outUrl.pathname}; run with UPDATE_GOLDEN=1 and review it`);
    assert.equal(got, readFileSync(outUrl, 'utf8'));
  });
}
