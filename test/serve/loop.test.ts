// biome-ignore-all lint/suspicious/noExplicitAny: status JSON is probed field by field
// The control loop in process, with the real file provider and translator, driving a target that
// records what it is asked to apply (the data plane itself is exercised by the process tests).

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { IR } from '../../src/ir/types.ts';
import { loadTexts } from '../../src/provider/file/load.ts';
import { createControlLoop, type Logger } from '../../src/serve/loop.ts';
import { createSourceStore } from '../../src/serve/sources.ts';
import type { ApplyError } from '../../src/serve/statusview.ts';
import { gatewayYaml, tempDir, waitFor } from './harness.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function recordingTarget() {
  const applied: { version: string; ir: IR }[] = [];
  let nextErrors: ApplyError[] = [];
  let fail: Error | null = null;
  return {
    applied,
    setErrors(e: ApplyError[]) {
      nextErrors = e;
    },
    setFailure(e: Error | null) {
      fail = e;
    },
    async apply(ir: IR, version: string) {
      if (fail) throw fail;
      applied.push({ version, ir });
      return { version, errors: nextErrors };
    },
  };
}

async function setup() {
  const { dir, cleanup } = await tempDir();
  const file = join(dir, 'gw.yaml');
  await writeFile(file, gatewayYaml([{ name: 'http', port: 18080 }]));
  const target = recordingTarget();
  const reloads: boolean[] = [];
  const loop = createControlLoop({
    sources: createSourceStore([dir], (f, text) => loadTexts([{ file: f, text }])),
    target,
    controllerName: 'portunus.dev/gateway-controller',
    logger: quiet,
    metrics: { recordReload: (o) => reloads.push(o.ok) },
    retryMs: { initial: 20, max: 40 },
  });
  return { dir, file, cleanup, target, loop, reloads };
}

test('applies the first configuration, then only when the IR changes', async () => {
  const { file, cleanup, target, loop, reloads } = await setup();
  assert.equal(loop.ready(), false);
  await loop.reload();
  assert.equal(loop.ready(), true);
  assert.equal(target.applied.length, 1);
  assert.match(target.applied[0]!.version, /^[0-9a-f]{16}$/);
  assert.equal(loop.configDump().ir!.gateways[0]!.listeners[0]!.port, 18080);

  await writeFile(file, `# comment only\n${gatewayYaml([{ name: 'http', port: 18080 }])}`);
  await loop.reload();
  assert.equal(target.applied.length, 1, 'same IR: not applied again');

  await writeFile(file, gatewayYaml([{ name: 'http', port: 18081 }]));
  await loop.reload();
  assert.equal(target.applied.length, 2);
  assert.notEqual(target.applied[1]!.version, target.applied[0]!.version);
  assert.deepEqual(reloads, [true, true, true]);
  await loop.close();
  await cleanup();
});

test('reloads requested while one runs are coalesced into one more', async () => {
  const { cleanup, loop, target, reloads } = await setup();
  await Promise.all([loop.reload(), loop.reload(), loop.reload(), loop.reload()]);
  assert.equal(reloads.length, 2, 'the first reload, then one for the three that arrived during it');
  assert.equal(target.applied.length, 1);
  await loop.close();
  await cleanup();
});

test('bind errors show in status and are retried until they clear', async () => {
  const { cleanup, target, loop } = await setup();
  target.setErrors([
    { listener: 'default/eg/http', port: 18080, code: 'EADDRINUSE', message: 'address already in use' },
  ]);
  await loop.reload();
  let view = loop.status();
  assert.equal(view.applyErrors.length, 1);
  const gw = view.resources.find((r) => r.kind === 'Gateway')!;
  const listener = (gw.status as any).listeners[0];
  assert.equal(listener.conditions.find((c: any) => c.type === 'Programmed').status, 'False');
  assert.equal(view.lastReload!.ok, false);

  target.setErrors([]);
  await waitFor('the retry to clear the error', () => loop.status().applyErrors.length === 0, 2_000, 10);
  assert.ok(target.applied.length >= 2, 'the same version was applied again');
  view = loop.status();
  const l2 = (view.resources.find((r) => r.kind === 'Gateway')!.status as any).listeners[0];
  assert.equal(l2.conditions.find((c: any) => c.type === 'Programmed').status, 'True');
  await loop.close();
  await cleanup();
});

test('a data plane that rejects the configuration leaves the previous one in place', async () => {
  const { file, cleanup, target, loop } = await setup();
  await loop.reload();
  const version = loop.version();
  target.setFailure(new Error('boom'));
  await writeFile(file, gatewayYaml([{ name: 'http', port: 18082 }]));
  await loop.reload();
  assert.equal(loop.version(), version);
  assert.equal(loop.status().lastReload!.ok, false);
  assert.match(loop.status().lastReload!.error!, /apply failed: boom/);
  target.setFailure(null);
  await loop.reload();
  assert.notEqual(loop.version(), version);
  await loop.close();
  await cleanup();
});

test('conditions keep their lastTransitionTime across reloads that do not change them', async () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const { dir, cleanup } = await tempDir();
  const file = join(dir, 'gw.yaml');
  await writeFile(file, gatewayYaml([{ name: 'http', port: 18080 }]));
  const loop = createControlLoop({
    sources: createSourceStore([dir], (f, text) => loadTexts([{ file: f, text }])),
    target: recordingTarget(),
    controllerName: 'portunus.dev/gateway-controller',
    logger: quiet,
    clock: () => now,
  });
  await loop.reload();
  now += 60_000;
  await writeFile(file, gatewayYaml([{ name: 'http', port: 18081 }]));
  await loop.reload();
  const gw = loop.status().resources.find((r) => r.kind === 'Gateway')!;
  const accepted = (gw.status as any).conditions.find((c: any) => c.type === 'Accepted');
  assert.equal(accepted.lastTransitionTime, '2026-01-01T00:00:00Z');
  await loop.close();
  await cleanup();
});
