// Golden tests: every test/testdata/translate/*.in.yaml is translated and compared with the
// matching .out.yaml (status documents, IR, diagnostics). UPDATE_GOLDEN=1 rewrites the .out.yaml
// files; a missing .out.yaml fails. The .out.yaml files are the assertions: review their diffs.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { loadTexts } from '../../src/provider/file/load.ts';
import { type TranslateOptions, translate } from '../../src/translate/index.ts';
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

// Inputs go through the file provider (kinds, defaults, validation) like `portunus translate`;
// what it rejects shows up under loadDiagnostics instead of as status. A file whose text contains
// a line starting "# golden: unvalidated" is parsed without defaults and validation instead: it checks
// how the translator copes with objects an API server would have rejected.
const UNVALIDATED = /^# golden: unvalidated\b/m;
// "# golden-options: {json}" adds TranslateOptions (e.g. {"sharedAddressSpace": true}).
const OPTIONS = /^# golden-options: (\{.*\})$/m;

function render(file: string, text: string): string {
  const loaded = UNVALIDATED.test(text)
    ? { snapshot: snapshotFromYaml(text), diagnostics: [] }
    : loadTexts([{ file, text }]);
  const snapshot = loaded.snapshot;
  const extra = JSON.parse(OPTIONS.exec(text)?.[1] ?? '{}') as Partial<TranslateOptions>;
  const result = translate(snapshot, { ...extra, controllerName: CONTROLLER, now: NOW });
  const doc: Record<string, unknown> = { resources: renderStatusDocuments(snapshot, result), ir: result.ir };
  if (loaded.diagnostics.length > 0) {
    doc.loadDiagnostics = loaded.diagnostics.map(({ severity, code, message, resource, field, source }) => ({
      severity,
      code,
      message,
      ...(resource ? { resource } : {}),
      ...(field ? { field } : {}),
      ...(source ? { line: source.line } : {}),
    }));
  }
  if (result.diagnostics.length > 0) doc.diagnostics = result.diagnostics;
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}

for (const input of inputs) {
  test(input.replace(/\.in\.yaml$/, ''), () => {
    const text = readFileSync(new URL(input, dir), 'utf8');
    const got = render(input, text);
    assert.equal(render(input, text), got, 'translation is not deterministic');
    const outUrl = new URL(input.replace(/\.in\.yaml$/, '.out.yaml'), dir);
    if (update) {
      writeFileSync(outUrl, got);
      return;
    }
    assert.ok(existsSync(outUrl), `missing ${outUrl.pathname}; run with UPDATE_GOLDEN=1 and review it`);
    assert.equal(got, readFileSync(outUrl, 'utf8'));
  });
}
