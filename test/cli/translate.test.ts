// `portunus translate` as a real process: output formats, stdin, exit codes, messages.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/portunus.js');

function run(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const MANIFESTS = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: portunus}
spec: {controllerName: portunus.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: default}
spec:
  gatewayClassName: portunus
  listeners: [{name: http, port: 8080, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: default}
spec:
  parentRefs: [{name: eg}]
  rules: [{backendRefs: [{name: missing, port: 80}]}]
`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portunus-translate-'));
  await writeFile(join(dir, 'ok.yaml'), MANIFESTS);
  await writeFile(join(dir, 'broken.yaml'), 'kind: [unclosed\n');
  await writeFile(
    join(dir, 'invalid.yaml'),
    `${MANIFESTS}---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bad, namespace: default}\nspec:\n  parentRefs: [{name: eg}]\n  rules:\n  - matches:\n    - path: {type: Exact, value: no-slash}\n`,
  );
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('--to status (default) prints every Gateway API resource with its computed status, exit 0', async () => {
  const r = await run(['translate', '-f', join(dir, 'ok.yaml'), '--now', '2026-01-01T00:00:00Z']);
  assert.equal(r.code, 0, r.stderr);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
  assert.deepEqual(
    docs.map((d) => d.kind),
    ['GatewayClass', 'Gateway', 'HTTPRoute'],
  );
  const route = docs[2];
  const parent = route.status.parents[0];
  assert.equal(parent.controllerName, 'portunus.dev/gateway-controller');
  const byType = Object.fromEntries(parent.conditions.map((c: { type: string }) => [c.type, c]));
  assert.equal(byType.Accepted.status, 'True');
  assert.equal(byType.ResolvedRefs.reason, 'BackendNotFound');
  assert.equal(byType.Accepted.lastTransitionTime, '2026-01-01T00:00:00Z');
  assert.equal(docs[1].status.listeners[0].attachedRoutes, 1);
});

test('-f - reads stdin; --to ir -o json prints the IR', async () => {
  const r = await run(['translate', '-f', '-', '--to', 'ir', '-o', 'json'], MANIFESTS);
  assert.equal(r.code, 0, r.stderr);
  const ir = JSON.parse(r.stdout);
  assert.equal(ir.apiVersion, 'portunus.dev/ir/v1');
  const listener = ir.gateways[0].listeners[0];
  assert.equal(listener.port, 8080);
  // The invalid backend answers 500, as the spec requires.
  assert.deepEqual(listener.virtualHosts[0].routes[0].action, { type: 'DirectResponse', status: 500 });
});

test('--to all -o json prints resources and IR together', async () => {
  const r = await run(['translate', '-f', dir + '/ok.yaml', '--to', 'all', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.resources.length, 3);
  assert.equal(out.ir.gateways.length, 1);
});

test('an invalid resource is reported with kind/namespace/name, field and file:line; the rest translates', async () => {
  const file = join(dir, 'invalid.yaml');
  const r = await run(['translate', '-f', file]);
  assert.equal(r.code, 0);
  assert.match(
    r.stderr,
    new RegExp(`${file}:27: error: HTTPRoute/default/bad: spec\\.rules\\[0\\]\\.matches\\[0\\]\\.path`),
  );
  const kinds = parseAllDocuments(r.stdout).map((d) => d.toJS().metadata.name);
  assert.deepEqual(kinds, ['portunus', 'eg', 'web']);
});

test('input that cannot be parsed or read exits 1 with the file and line', async () => {
  const broken = await run(['translate', '-f', join(dir, 'broken.yaml')]);
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /broken\.yaml:2: error: invalid YAML/);
  const missing = await run(['translate', '-f', join(dir, 'nope.yaml')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.yaml/);
});

test('bad usage exits 2', async () => {
  assert.equal((await run(['translate'])).code, 2);
  assert.equal((await run(['translate', '-f', dir, '--to', 'xml'])).code, 2);
  assert.equal((await run(['translate', '--bogus'])).code, 2);
});
