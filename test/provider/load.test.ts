import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HTTPRoute, ListenerSet } from '../../src/api/types.ts';
import { loadSnapshot, loadTexts, STDIN_NAME } from '../../src/provider/file/load.ts';
import type { Diagnostic } from '../../src/provider/snapshot.ts';

const dir = fileURLToPath(new URL('../testdata/load/', import.meta.url));
const at = (name: string) => join(dir, name);
const codes = (ds: readonly Diagnostic[]) => ds.map((d) => d.code);

test('multi-document YAML: every object loads with its file:line, empty documents are skipped', async () => {
  const r = await loadSnapshot([at('multi.yaml')]);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.fatal, false);
  assert.deepEqual(r.snapshot.kinds(), ['Gateway', 'GatewayClass', 'HTTPRoute']);
  assert.equal(r.snapshot.entry('GatewayClass', undefined, 'portunus')?.source?.line, 2);
  const gw = r.snapshot.entry('Gateway', 'infra', 'web');
  assert.deepEqual(gw?.source, { file: at('multi.yaml'), line: 13 });
  assert.equal(gw?.locate?.('spec.listeners[0].port')?.line, 22);
  // A path that is not written (defaulted, or beyond the document) maps to its nearest ancestor.
  assert.equal(gw?.locate?.('spec.listeners[0].allowedRoutes.namespaces')?.line, 21);
  // Namespaced kinds default to "default"; cluster-scoped ones lose a namespace they were given.
  assert.ok(r.snapshot.get('HTTPRoute', 'default', 'app'));
  assert.equal(r.snapshot.get('GatewayClass', undefined, 'portunus')?.metadata.namespace, undefined);
});

test('kind: List and <Kind>List items load one by one, each with its own line', async () => {
  const r = await loadSnapshot([at('list.yaml')]);
  assert.deepEqual(
    r.snapshot.list('Service').map((s) => s.metadata.name),
    ['one', 'two'],
  );
  const two = r.snapshot.entry('Service', 'default', 'two');
  assert.equal(two?.source?.line, 11);
  // After loading, locate() parses the document again; lines stay those of the file.
  assert.equal(two?.locate?.('spec.ports[0].port')?.line, 17);
  assert.equal(two?.locate?.('spec.nothing.here')?.line, 15);
  assert.equal(two?.locate?.('')?.line, 11);
  // The HTTPRouteList item is invalid: the error names it and points into the item.
  const bad = r.diagnostics.find((d) => d.code === 'INVALID_FIELD');
  assert.deepEqual(bad?.resource, { kind: 'HTTPRoute', namespace: 'default', name: 'listed' });
  assert.equal(bad?.field, 'spec.hostnames[0]');
  assert.equal(bad?.source?.line, 28);
});

test('JSON: a single object, an array (tab-indented), and a kind: List', async () => {
  const r = await loadSnapshot([at('single.json'), at('array.json'), at('list.json')]);
  assert.ok(r.snapshot.get('Secret', 'infra', 'cert'));
  assert.equal(r.snapshot.entry('Secret', 'infra', 'cert')?.locate?.('data[tls.key]')?.line, 11);
  assert.ok(r.snapshot.get('ConfigMap', 'default', 'first'));
  assert.equal(r.snapshot.entry('ConfigMap', 'default', 'first')?.locate?.('data[a]')?.line, 6);
  assert.equal(r.snapshot.get('ConfigMap', 'default', 'second'), undefined);
  const bad = r.diagnostics.find((d) => d.code === 'INVALID_FIELD');
  assert.equal(bad?.field, 'data[b]');
  assert.equal(bad?.message, 'Invalid value: "integer": must be of type string');
  assert.deepEqual(bad?.source, { file: at('array.json'), line: 12 });
  assert.deepEqual(
    r.snapshot.list('Namespace').map((n) => n.metadata.name),
    ['apps', 'infra'],
  );
  assert.equal(r.snapshot.entry('Namespace', undefined, 'apps')?.source?.line, 6);
});

test('directories are read recursively, in sorted order, manifests only, hidden entries skipped', async () => {
  const r = await loadSnapshot([at('tree')]);
  assert.deepEqual(r.files, [at('tree/a/c.yml'), at('tree/a/d.json'), at('tree/b.yaml')]);
  assert.deepEqual(
    r.snapshot.list('Service').map((s) => s.metadata.name),
    ['b', 'c', 'd'],
  );
  assert.deepEqual(r.diagnostics, []);
  // A file named explicitly is read whatever its extension; a file reached twice is read once.
  const r2 = await loadSnapshot([at('tree/a/notes.txt'), at('tree'), at('tree/b.yaml')]);
  assert.equal(r2.files.length, 4);
  assert.ok(r2.snapshot.get('Service', 'default', 'not-read'));
});

test('stdin text (-f -) loads like a file named <stdin>, in argument order', async () => {
  const stdin = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: piped\nspec:\n  ports:\n  - port: 80\n';
  const r = await loadSnapshot([at('tree/b.yaml'), '-'], { stdin });
  assert.deepEqual(r.files, [at('tree/b.yaml'), STDIN_NAME]);
  assert.deepEqual(r.snapshot.entry('Service', 'default', 'piped')?.source, { file: STDIN_NAME, line: 1 });
  // The synchronous core takes texts directly.
  const t = loadTexts([{ file: 'x.yaml', text: stdin }]);
  assert.ok(t.snapshot.get('Service', 'default', 'piped'));
  // A zero-length file (often one caught mid-write) is reported, not fatal.
  const empty = loadTexts([{ file: 'e.yaml', text: '' }]);
  assert.deepEqual(codes(empty.diagnostics), ['EMPTY_FILE']);
  assert.equal(empty.fatal, false);
});

test('malformed YAML: a PARSE_ERROR with file:line, the other documents still load, and fatal is set', async () => {
  const r = await loadSnapshot([at('malformed.yaml'), at('tree/b.yaml')]);
  const err = r.diagnostics.find((d) => d.code === 'PARSE_ERROR');
  assert.equal(err?.severity, 'error');
  assert.equal(err?.source?.file, at('malformed.yaml'));
  // The parser notices the unclosed sequence where the next document starts.
  assert.equal(err?.source?.line, 14);
  assert.equal(
    err?.message,
    'invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]; this document is skipped',
  );
  assert.ok(r.snapshot.get('Service', 'default', 'before'));
  assert.ok(r.snapshot.get('Service', 'default', 'after'));
  assert.ok(r.snapshot.get('Service', 'default', 'b'));
  assert.equal(r.snapshot.get('Service', 'default', 'broken'), undefined);
  assert.equal(r.fatal, true);
  assert.equal(r.parseErrors, 1);
});

test('unknown kinds and versions are warnings naming kind/ns/name and file:line, skipped, never fatal', async () => {
  const r = await loadSnapshot([at('unknown.yaml')]);
  assert.equal(r.fatal, false);
  assert.ok(r.snapshot.get('Service', 'apps', 'echo'));
  const unknown = r.diagnostics.filter((d) => d.code === 'UNKNOWN_KIND');
  assert.deepEqual(
    unknown.map((d) => [d.severity, d.resource, d.source?.line, d.message]),
    [
      [
        'warning',
        { kind: 'Deployment', namespace: 'apps', name: 'echo' },
        1,
        'no matches for kind "Deployment" in version "apps/v1"; skipped',
      ],
      [
        'warning',
        { kind: 'HTTPRoute', namespace: 'default', name: 'future' },
        7,
        'no matches for kind "HTTPRoute" in version "gateway.networking.k8s.io/v1alpha9"; skipped',
      ],
    ],
  );
  const noVersion = r.diagnostics.find((d) => d.code === 'INVALID_DOCUMENT');
  assert.equal(noVersion?.message, 'error validating data: [apiVersion not set]; skipped');
  assert.equal(noVersion?.source?.line, 21);
});

test('duplicates: the first definition wins, the later one is reported with its line', async () => {
  const r = await loadSnapshot([at('duplicates.yaml')]);
  assert.equal(
    r.snapshot.get('Service', 'default', 'app')?.spec &&
      (r.snapshot.get('Service', 'default', 'app')!.spec as { ports: { port: number }[] }).ports[0]!.port,
    80,
  );
  assert.ok(r.snapshot.get('Service', 'other', 'app'));
  const dup = r.diagnostics.filter((d) => d.code === 'DUPLICATE_RESOURCE');
  assert.equal(dup.length, 1);
  assert.equal(dup[0]!.source?.line, 9);
  assert.match(dup[0]!.message, /duplicates\.yaml:1\) is used$/);
  assert.deepEqual(r.snapshot.diagnostics, r.diagnostics);
});

test('XListenerSet is read as ListenerSet v1 and deprecated versions warn; versions v1.6 does not serve are skipped', async () => {
  const r = await loadSnapshot([at('versions.yaml')]);
  const ls = r.snapshot.get('ListenerSet', 'infra', 'extra') as ListenerSet | undefined;
  assert.equal(ls?.apiVersion, 'gateway.networking.k8s.io/v1');
  assert.equal(ls?.kind, 'ListenerSet');
  assert.equal(ls?.spec?.parentRef.kind, 'Gateway');
  assert.ok(r.snapshot.get('TLSRoute', 'default', 'old'));
  assert.deepEqual(codes(r.diagnostics), ['DEPRECATED_VERSION', 'DEPRECATED_VERSION', 'UNKNOWN_KIND']);
  assert.match(r.diagnostics[1]!.message, /The v1alpha2 version of TLSRoute has been deprecated/);
  assert.equal(r.diagnostics[1]!.source?.line, 14);
});

test('defaults are applied before the snapshot is built', async () => {
  const r = await loadSnapshot([at('multi.yaml')]);
  const route = r.snapshot.get('HTTPRoute', 'default', 'app') as HTTPRoute;
  assert.deepEqual(route.spec?.parentRefs?.[0], {
    name: 'web',
    namespace: 'infra',
    group: 'gateway.networking.k8s.io',
    kind: 'Gateway',
  });
  assert.deepEqual(route.spec?.rules?.[0]?.matches, [{ path: { type: 'PathPrefix', value: '/' } }]);
  assert.deepEqual(route.spec?.rules?.[0]?.backendRefs?.[0], {
    name: 'app',
    port: 8080,
    group: '',
    kind: 'Service',
    weight: 1,
  });
  assert.equal(route.metadata.generation, 1);
  assert.equal(route.metadata.creationTimestamp, undefined);
});

test('unreadable and missing paths: a clear error, fatal, and the rest still loads', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'portunus-load-'));
  try {
    const locked = join(tmp, 'locked.yaml');
    writeFileSync(locked, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n');
    chmodSync(locked, 0);
    const missing = join(tmp, 'nope.yaml');
    const r = await loadSnapshot([missing, locked, at('tree/b.yaml')]);
    assert.equal(r.fatal, true);
    const missingDiag = r.diagnostics.find((d) => d.code === 'PATH_NOT_FOUND');
    assert.equal(missingDiag?.message, `no such file or directory: ${missing}`);
    assert.ok(r.unreadable.includes(missing));
    // root can read a mode-0 file; only assert the read error when the OS refuses it.
    if (r.unreadable.includes(locked)) assert.ok(codes(r.diagnostics).includes('READ_ERROR'));
    assert.ok(r.snapshot.get('Service', 'default', 'b'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('JSON fast path: object lines with tricky strings, invalid JSON reported by line, large inputs', () => {
  const text = [
    '[',
    '  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "[{\\"x\\": \\"]}\\"}"}},',
    '',
    '  {"apiVersion": "v1", "kind": "ConfigMap",',
    '   "metadata": {"name": "b", "labels": {"x": "y"}}, "data": {"k": 1}}',
    ']',
  ].join('\n');
  const r = loadTexts([{ file: 'tricky.json', text }]);
  assert.equal(r.snapshot.entry('ConfigMap', 'default', 'a')?.source?.line, 2);
  assert.equal(r.snapshot.get('ConfigMap', 'default', 'a')?.data?.k, '[{"x": "]}"}');
  const bad = r.diagnostics.find((d) => d.code === 'INVALID_FIELD');
  assert.deepEqual([bad?.field, bad?.source?.line], ['data[k]', 5]);

  const broken = loadTexts([
    { file: 'broken.json', text: '{\n  "apiVersion": "v1",\n  "kind": "Service"\n  "metadata": {}\n}\n' },
  ]);
  assert.equal(broken.fatal, true);
  assert.equal(broken.diagnostics[0]?.code, 'PARSE_ERROR');
  assert.equal(
    broken.diagnostics[0]?.message,
    "invalid JSON: Expected ',' or '}' after property value in JSON; the file is skipped",
  );
  assert.equal(broken.diagnostics[0]?.source?.line, 4);
  // Where V8 gives no position, the line still comes from the YAML parser when it can tell.
  const noPos = loadTexts([{ file: 'x.json', text: '{\n  "a": [1,\n  "b": 2\n}\n' }]);
  assert.equal(noPos.diagnostics[0]?.code, 'PARSE_ERROR');
  // A .yaml file in YAML flow style is read as YAML.
  const flow = loadTexts([{ file: 'flow.yaml', text: '{apiVersion: v1, kind: Namespace, metadata: {name: flow}}\n' }]);
  assert.ok(flow.snapshot.get('Namespace', undefined, 'flow'));

  const items = Array.from({ length: 3000 }, (_, i) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: `r${i}`, namespace: 'apps' },
    spec: { parentRefs: [{ name: 'web' }], rules: [{ backendRefs: [{ name: 'app', port: 80 }] }] },
  }));
  const big = JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2);
  const t0 = performance.now();
  const loaded = loadTexts([{ file: 'big.json', text: big }]);
  const ms = performance.now() - t0;
  assert.equal(loaded.snapshot.list('HTTPRoute').length, 3000);
  const last = loaded.snapshot.entry('HTTPRoute', 'apps', 'r2999');
  assert.equal(last?.source?.line, big.split('\n').findIndex((l) => l.includes('"name": "r2999"')) - 3);
  assert.equal(
    last?.locate?.('spec.rules[0].backendRefs[0].port')?.line,
    big.split('\n').findIndex((l, i) => i > (last?.source?.line ?? 0) && l.includes('"port": 80')) + 1,
  );
  assert.ok(ms < 3000, `3000 routes of JSON took ${Math.round(ms)} ms`);
});
