import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { applyDefaults } from '../../src/api/defaults.ts';
import type { Resource } from '../../src/api/types.ts';
import { validateResource } from '../../src/api/validate/index.ts';
import { loadSnapshot, loadTexts } from '../../src/provider/file/load.ts';
import type { Diagnostic } from '../../src/provider/snapshot.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../testdata/load/invalid/${name}`, import.meta.url));

interface Expectation {
  line: number;
  field: string;
  message: string;
}

/** Reads the `# expect: <field> | <message>` markers of a fixture. */
function expectations(file: string): Expectation[] {
  const out: Expectation[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (text.startsWith('#')) return; // a comment line explaining the markers
      const m = /# expect: (\S+) \| (.*)$/.exec(text);
      if (m) out.push({ line: i + 1, field: m[1]!, message: m[2]! });
    });
  return out;
}

/** Every marked error is reported (field, message, line) and nothing else is. */
async function checkFixture(name: string, mustLoad: [string, string | undefined, string][]): Promise<void> {
  const file = fixture(name);
  const want = expectations(file);
  assert.ok(want.length > 0);
  const { snapshot, diagnostics } = await loadSnapshot([file]);
  const errors = diagnostics.filter((d) => d.code === 'INVALID_FIELD');
  for (const e of want) {
    const hit = errors.find((d) => d.source?.line === e.line && d.field === e.field && d.message.includes(e.message));
    const near = errors.filter((d) => d.source?.line === e.line || d.field === e.field).map(show);
    assert.ok(hit, `no error at ${name}:${e.line} ${e.field}: ${e.message}\nnearby: ${near.join('\n')}`);
    assert.equal(hit.severity, 'error');
    assert.equal(hit.source?.file, file);
  }
  for (const d of errors) {
    assert.ok(
      want.some((e) => e.line === d.source?.line && e.field === d.field && d.message.includes(e.message)),
      `unexpected error: ${show(d)}`,
    );
  }
  for (const [kind, ns, n] of mustLoad) assert.ok(snapshot.get(kind, ns, n), `${kind} ${ns}/${n} should load`);
  // A resource with an error is rejected; the valid ones are the only ones in the snapshot.
  assert.equal(
    snapshot.all().length,
    mustLoad.length,
    snapshot
      .all()
      .map((r) => `${r.kind}/${r.metadata.name}`)
      .join(', '),
  );
}

const show = (d: Diagnostic) => `${d.source?.line}: ${d.field}: ${d.message}`;

test('Gateway: metadata, listener CEL rules, hostname/port/enum/required schema checks', async () => {
  await checkFixture('gateway.yaml', [['Gateway', 'infra', 'valid']]);
});

test('HTTPRoute: path rules, header tokens and uniqueness, filter rules, weights, timeouts, retries, parentRefs', async () => {
  await checkFixture('httproute.yaml', [['HTTPRoute', 'apps', 'valid']]);
});

test('GRPCRoute, TLS/TCP routes, ReferenceGrant, BackendTLSPolicy, Backend, Service name', async () => {
  await checkFixture('other.yaml', [
    ['TLSRoute', 'default', 'tls-v1alpha2-no-hostnames'],
    ['Namespace', undefined, 'apps'],
    ['Backend', 'default', 'valid'],
  ]);
});

// ---------- list limits, generated (too long to write out by hand) ----------

function route(spec: Record<string, unknown>): string {
  return stringify({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r' }, spec });
}

function onlyError(text: string): Diagnostic {
  const { diagnostics, snapshot } = loadTexts([{ file: 'gen.yaml', text }]);
  const errors = diagnostics.filter((d) => d.code === 'INVALID_FIELD');
  assert.equal(errors.length, 1, errors.map(show).join('\n'));
  assert.equal(snapshot.all().length, 0);
  return errors[0]!;
}

/** The 1-based line of the first line of `text` starting (after indentation) with `prefix`. */
function lineOf(text: string, prefix: string): number {
  return text.split('\n').findIndex((l) => l.trimStart().replace(/^- /, '').startsWith(prefix)) + 1;
}

const n = <T>(count: number, f: (i: number) => T): T[] => Array.from({ length: count }, (_, i) => f(i));

test('list size limits: listeners 64, hostnames 16, parentRefs 32, rules 16, matches 64, filters 16, backendRefs 16', () => {
  const gw = stringify({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'g' },
    spec: { gatewayClassName: 'c', listeners: n(65, (i) => ({ name: `l${i}`, port: 1000 + i, protocol: 'HTTP' })) },
  });
  let d = onlyError(gw);
  assert.equal(d.field, 'spec.listeners');
  assert.equal(d.message, 'Too many: 65: must have at most 64 items');
  assert.equal(d.source?.line, lineOf(gw, 'listeners:'));

  const cases: [Record<string, unknown>, string, string, number][] = [
    [{ hostnames: n(17, (i) => `h${i}.example.com`) }, 'spec.hostnames', 'hostnames:', 17],
    [{ parentRefs: n(33, (i) => ({ name: `g${i}` })) }, 'spec.parentRefs', 'parentRefs:', 33],
    [{ rules: n(17, () => ({})) }, 'spec.rules', 'rules:', 17],
    [{ rules: [{ matches: n(65, (i) => ({ path: { value: `/m${i}` } })) }] }, 'spec.rules[0].matches', 'matches:', 65],
    [
      {
        rules: [
          { filters: n(17, () => ({ type: 'ExtensionRef', extensionRef: { group: 'x', kind: 'Y', name: 'z' } })) },
        ],
      },
      'spec.rules[0].filters',
      'filters:',
      17,
    ],
    [
      { rules: [{ backendRefs: n(17, (i) => ({ name: `b${i}`, port: 80 })) }] },
      'spec.rules[0].backendRefs',
      'backendRefs:',
      17,
    ],
  ];
  for (const [spec, field, key, count] of cases) {
    const text = route(spec);
    d = onlyError(text);
    assert.equal(d.field, field);
    const max = field.endsWith('parentRefs') ? 32 : field.endsWith('matches') ? 64 : 16;
    assert.equal(d.message, `Too many: ${count}: must have at most ${max} items`);
    assert.equal(d.source?.line, lineOf(text, key));
  }
});

test('total matches across rules must be <= 128 (CEL on spec.rules)', () => {
  const text = route({ rules: n(3, (r) => ({ matches: n(50, (i) => ({ path: { value: `/r${r}/m${i}` } })) })) });
  const d = onlyError(text);
  assert.equal(d.field, 'spec.rules');
  assert.match(d.message, /the total number of matches across all rules in a route must be less than 128$/);
  assert.equal(d.source?.line, lineOf(text, 'rules:'));
});

// ---------- the API used by other providers ----------

test('validateResource returns field errors for a defaulted object and nothing for a valid one', () => {
  const ok = applyDefaults({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r', namespace: 'apps' },
    spec: { rules: [{ backendRefs: [{ name: 'app', port: 80 }] }] },
  } as Resource);
  assert.deepEqual(validateResource(ok), []);

  const bad = applyDefaults({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r' },
    spec: { rules: [{ matches: [{ path: { type: 'Exact', value: 'nope' } }] }] },
  } as Resource);
  assert.deepEqual(validateResource(bad), [
    {
      field: 'spec.rules[0].matches[0].path.value',
      message: `Invalid value: "object": value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']`,
    },
  ]);
});

test('unknown fields are warnings, not errors', () => {
  const text =
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: c\nspec:\n  controllerName: example.com/c\n  colour: blue\n';
  const { snapshot, diagnostics } = loadTexts([{ file: 'u.yaml', text }]);
  assert.ok(snapshot.get('GatewayClass', undefined, 'c'));
  const w = diagnostics.find((d) => d.code === 'UNKNOWN_FIELD');
  assert.equal(w?.severity, 'warning');
  assert.equal(w?.field, 'spec.colour');
  assert.equal(w?.source?.line, 12);
});

test('schema regular expressions compile, and the header value check does not backtrack badly', () => {
  const long = `${'a'.repeat(4000)}\u0001`;
  const t0 = performance.now();
  const d = onlyError(route({ rules: [{ matches: [{ headers: [{ name: 'X', value: long }] }] }] }));
  assert.equal(d.field, 'spec.rules[0].matches[0].headers[0].value');
  assert.ok(performance.now() - t0 < 1000);
});
