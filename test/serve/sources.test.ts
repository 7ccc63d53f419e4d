// The per-file last-good policy of the serve source store, with a minimal loader (YAML parse, one
// rejection rule) so the policy is tested on its own; serve.test.ts runs it with the real loader
// (loadTexts), and one case below does too.

import assert from 'node:assert/strict';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { Resource } from '../../src/api/types.ts';
import { type Diagnostic, Snapshot, type SnapshotEntry } from '../../src/provider/snapshot.ts';
import { createSourceStore, type FileLoader } from '../../src/serve/sources.ts';
import { tempDir } from './harness.ts';

let loads = 0;
const load: FileLoader = (file, text) => {
  loads++;
  const docs = parseAllDocuments(text);
  const diagnostics: Diagnostic[] = [];
  const entries: SnapshotEntry[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    for (const e of doc.errors) {
      diagnostics.push({
        severity: 'error',
        code: 'PARSE_ERROR',
        message: e.message,
        source: { file, line: e.linePos?.[0].line ?? 1 },
      });
    }
    const r = doc.toJS() as Resource | null;
    if (!r) continue;
    if (!r.metadata?.name) {
      diagnostics.push({
        severity: 'error',
        code: 'INVALID_FIELD',
        message: 'metadata.name is required',
        source: { file, line: 1 },
      });
      continue;
    }
    entries.push({ resource: r, source: { file, line: 1 } });
  }
  const fatal = diagnostics.some((d) => d.code === 'PARSE_ERROR');
  return { snapshot: new Snapshot(fatal ? [] : entries), diagnostics, fatal };
};

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\n`;
const names = (entries: SnapshotEntry[]) => entries.map((e) => e.resource.metadata.name).sort();

test('an unparseable file keeps its last good version; a rejected resource is left out; deletion removes', async () => {
  const { dir, cleanup } = await tempDir();
  const one = join(dir, 'one.yaml');
  const two = join(dir, 'two.yaml');
  await writeFile(one, `${cm('a')}---\n${cm('b')}`);
  await writeFile(two, cm('c'));
  let t = 1000;
  const store = createSourceStore([dir], load, () => t);

  let read = await store.read();
  assert.deepEqual(names(read.entries), ['a', 'b', 'c']);
  assert.deepEqual(read.diagnostics, []);

  // Broken YAML in one.yaml: a and b stay, the error is reported with the file and line.
  t = 2000;
  await writeFile(one, `${cm('a')}---\nmetadata: [unclosed\n`);
  read = await store.read();
  assert.deepEqual(names(read.entries), ['a', 'b', 'c']);
  const codes = read.diagnostics.map((d) => d.code);
  assert.equal(codes[0], 'PARSE_ERROR');
  assert.equal(codes.at(-1), 'KEPT_PREVIOUS_VERSION');
  assert.equal(read.diagnostics[0]!.source!.file, one);
  assert.match(read.diagnostics.at(-1)!.message, /previous version \(parsed 1970-01-01T00:00:01\.000Z\)/);
  assert.deepEqual(
    read.files.map((f) => [f.file, f.parsed, f.goodSince]),
    [
      [one, false, 1000],
      [two, true, 1000],
    ],
  );

  // Fixed, with one resource rejected: the valid one is served, the rejected one reported.
  await writeFile(one, `${cm('a')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n`);
  read = await store.read();
  assert.deepEqual(names(read.entries), ['a', 'c']);
  assert.deepEqual(
    read.diagnostics.map((d) => d.code),
    ['INVALID_FIELD'],
  );

  // Deleted: its resources go.
  await rm(one);
  read = await store.read();
  assert.deepEqual(names(read.entries), ['c']);
  await cleanup();
});

test('an empty file (a save caught between truncate and write) keeps its previous version', async () => {
  const { dir, cleanup } = await tempDir();
  const one = join(dir, 'one.yaml');
  await writeFile(one, `${cm('a')}---\n${cm('b')}`);
  const store = createSourceStore([dir], load, () => 1000);
  assert.deepEqual(names((await store.read()).entries), ['a', 'b']);

  await writeFile(one, '');
  let read = await store.read();
  assert.deepEqual(names(read.entries), ['a', 'b']);
  assert.deepEqual(
    read.diagnostics.map((d) => [d.severity, d.code]),
    [['warning', 'KEPT_PREVIOUS_VERSION']],
  );

  // The write that follows is read as usual.
  await writeFile(one, cm('c'));
  read = await store.read();
  assert.deepEqual(names(read.entries), ['c']);
  await cleanup();
});

test('a file broken from the start contributes nothing and says so', async () => {
  const { dir, cleanup } = await tempDir();
  await writeFile(join(dir, 'bad.yaml'), 'a: [\n');
  const read = await createSourceStore([dir], load).read();
  assert.deepEqual(read.entries, []);
  assert.match(read.diagnostics.at(-1)!.message, /no previous version/);
  await cleanup();
});

test('unchanged files are not parsed again', async () => {
  const { dir, cleanup } = await tempDir();
  await writeFile(join(dir, 'a.yaml'), cm('a'));
  await writeFile(join(dir, 'b.yaml'), cm('b'));
  const store = createSourceStore([dir], load);
  await store.read();
  const before = loads;
  await store.read();
  assert.equal(loads, before);
  await writeFile(join(dir, 'b.yaml'), cm('b2'));
  const read = await store.read();
  assert.equal(loads, before + 1);
  assert.deepEqual(names(read.entries), ['a', 'b2']);
  await cleanup();
});

test('with the changed paths a watcher reported, only those (and new files) are read', async () => {
  const { dir, cleanup } = await tempDir();
  const a = join(dir, 'a.yaml');
  const b = join(dir, 'b.yaml');
  await writeFile(a, cm('a'));
  await writeFile(b, cm('b'));
  const store = createSourceStore([dir], load);
  await store.read();
  // Both change on disk, but only b is reported: a keeps what was read before.
  await writeFile(a, cm('a2'));
  await writeFile(b, cm('b2'));
  let read = await store.read(new Set([b]));
  assert.deepEqual(names(read.entries), ['a', 'b2']);
  // A new file and a deleted one, as a watcher names them.
  await writeFile(join(dir, 'c.yaml'), cm('c'));
  await rm(b);
  read = await store.read(new Set([join(dir, 'c.yaml'), b]));
  assert.deepEqual(names(read.entries), ['a', 'c']);
  // An editor's temporary file, renamed over a manifest: the temporary name is gone, the target named.
  await writeFile(join(dir, 'c.yaml'), cm('c2'));
  read = await store.read(new Set([join(dir, '.c.yaml.tmp'), join(dir, 'c.yaml')]));
  assert.deepEqual(names(read.entries), ['a', 'c2']);
  // Without a list, everything is read again.
  read = await store.read();
  assert.deepEqual(names(read.entries), ['a2', 'c2']);
  await cleanup();
});

test('a changed link or directory re-reads every file behind it (a mounted ConfigMap update, a directory moved away)', async () => {
  const { dir, cleanup } = await tempDir();
  // The layout Kubernetes gives a mounted ConfigMap: visible links into ..data, itself a link to a
  // timestamped directory; an update writes a new directory and swaps ..data.
  await mkdir(join(dir, '..v1'));
  await writeFile(join(dir, '..v1', 'a.yaml'), cm('a1'));
  await symlink('..v1', join(dir, '..data'));
  await symlink(join('..data', 'a.yaml'), join(dir, 'a.yaml'));
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'sub', 'b.yaml'), cm('b'));
  const store = createSourceStore([dir], load);
  assert.deepEqual(names((await store.read()).entries), ['a1', 'b']);
  await mkdir(join(dir, '..v2'));
  await writeFile(join(dir, '..v2', 'a.yaml'), cm('a2'));
  await symlink('..v2', join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  // The events name only the hidden link.
  assert.deepEqual(names((await store.read(new Set([join(dir, '..data')]))).entries), ['a2', 'b']);
  // A directory moved out of the tree: only its own name is reported.
  await rename(join(dir, 'sub'), join(dir, '..moved'));
  assert.deepEqual(names((await store.read(new Set([join(dir, 'sub')]))).entries), ['a2']);
  await cleanup();
});

test('with the file provider: a broken edit keeps the Gateway, a rejected route is reported with its line', async () => {
  const { loadTexts } = await import('../../src/provider/file/load.ts');
  const { dir, cleanup } = await tempDir();
  const gw = join(dir, 'gw.yaml');
  const gateway = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: eg
  namespace: default
spec:
  gatewayClassName: portunus
  listeners:
    - name: http
      protocol: HTTP
      port: 8080
`;
  await writeFile(gw, gateway);
  const store = createSourceStore([dir], (file, text) => loadTexts([{ file, text }]));
  assert.deepEqual(names((await store.read()).entries), ['eg']);

  await writeFile(gw, `${gateway}    - name: [oops\n`);
  let read = await store.read();
  assert.deepEqual(names(read.entries), ['eg']);
  const parse = read.diagnostics.find((d) => d.code === 'PARSE_ERROR');
  assert.ok(parse, JSON.stringify(read.diagnostics));
  assert.equal(parse.source?.file, gw);
  assert.ok((parse.source?.line ?? 0) >= 12, `line ${parse.source?.line}`);

  await writeFile(gw, gateway);
  await writeFile(
    join(dir, 'route.yaml'),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: bad
  namespace: default
spec:
  rules:
    - matches:
        - path:
            type: NotAPathType
            value: /x
`,
  );
  read = await store.read();
  assert.deepEqual(names(read.entries), ['eg']);
  const rejected = read.diagnostics.find((d) => d.resource?.name === 'bad');
  assert.equal(rejected?.severity, 'error');
  assert.equal(rejected?.source?.file, join(dir, 'route.yaml'));
  assert.equal(rejected?.source?.line, 10);
  await cleanup();
});
