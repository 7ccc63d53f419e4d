// The translator reuses a route's compiled rules when the route and the resources its backendRefs
// resolve through are the same objects as in an earlier translation (serve keeps the objects of
// unchanged files). Reuse must never change the output: every golden input is translated again
// after edits of one route, one Service, or nothing, sharing the unchanged objects, and compared
// with a translation of deep copies (where nothing can be reused).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Resource } from '../../src/api/types.ts';
import { loadTexts } from '../../src/provider/file/load.ts';
import { Snapshot, type SnapshotEntry } from '../../src/provider/snapshot.ts';
import { translate } from '../../src/translate/index.ts';
import { renderStatusDocuments } from '../../src/translate/status.ts';
import { snapshotEntries } from '../../src/serve/sources.ts';
import { CONTROLLER, NOW } from './helpers.ts';

const dir = new URL('../testdata/translate/', import.meta.url);
const inputs = readdirSync(dir)
  .filter((f) => f.endsWith('.in.yaml'))
  .sort();
const ROUTE_KINDS = new Set(['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute']);

function output(snapshot: Snapshot, options: object): string {
  const result = translate(snapshot, { ...options, controllerName: CONTROLLER, now: NOW });
  return JSON.stringify({ resources: renderStatusDocuments(snapshot, result), ir: result.ir, d: result.diagnostics });
}

/** The same resources as new objects: nothing in them can hit a cache keyed by object. */
function fresh(entries: SnapshotEntry[]): Snapshot {
  return new Snapshot(entries.map((e) => ({ ...e, resource: structuredClone(e.resource) })));
}

/** An edit that changes what the translator produces for the resource. */
function edited(r: Resource): Resource {
  const copy = structuredClone(r) as Resource & {
    spec?: { rules?: { backendRefs?: { weight?: number }[] }[]; ports?: { port?: number }[] };
  };
  copy.metadata.annotations = { ...(copy.metadata.annotations ?? {}), edited: 'yes' };
  const ref = copy.spec?.rules?.[0]?.backendRefs?.[0];
  if (ref) ref.weight = (ref.weight ?? 1) + 6;
  const port = copy.spec?.ports?.[0];
  if (port && typeof port.port === 'number') port.port += 1;
  return copy;
}

for (const file of inputs) {
  const text = readFileSync(new URL(file, dir), 'utf8');
  if (/^# golden: unvalidated\b/m.test(text)) continue;
  const options = JSON.parse(/^# golden-options: (\{.*\})$/m.exec(text)?.[1] ?? '{}') as object;

  test(`reused route compilations give the same output: ${file}`, () => {
    const base = snapshotEntries(loadTexts([{ file, text }]).snapshot);
    // Warm the cache with the objects as loaded.
    assert.equal(output(new Snapshot(base), options), output(fresh(base), options));
    // The same objects again (a touched file): everything can be reused.
    assert.equal(output(new Snapshot(base), options), output(fresh(base), options));
    const variants: SnapshotEntry[][] = [];
    for (const kind of [...ROUTE_KINDS, 'Service']) {
      const i = base.findIndex((e) => e.resource.kind === kind);
      if (i === -1) continue;
      variants.push(base.map((e, j) => (j === i ? { ...e, resource: edited(e.resource) } : e)));
    }
    for (const entries of variants) {
      assert.equal(output(new Snapshot(entries), options), output(fresh(entries), options));
      // And back: the original objects are compiled against the original backends again.
      assert.equal(output(new Snapshot(base), options), output(fresh(base), options));
    }
  });
}
