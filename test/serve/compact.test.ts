// Memory compaction after configuration bursts (src/serve/compact.ts): one
// collection per burst, after the quiet period, and only when the process grew.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { afterReloadCompaction } from '../../src/serve/compact.ts';

interface Logged {
  fields: { pauseMs: number; rssBeforeMiB: number; rssAfterMiB: number };
  msg: string;
}

function recorder() {
  const calls: unknown[] = [];
  const logged: Logged[] = [];
  const gc = (options: unknown) => {
    calls.push(options);
  };
  const log = { debug: (fields: object, msg: string) => logged.push({ fields: fields as Logged['fields'], msg }) };
  return { calls, logged, gc, log };
}

test('a burst of applies leads to one memory-reducing collection after the quiet period', async () => {
  const r = recorder();
  const c = afterReloadCompaction(r.gc, r.log, 40, 0);
  c.applied();
  await sleep(10);
  c.applied();
  await sleep(10);
  c.applied();
  await sleep(25);
  assert.equal(r.calls.length, 0, 'each apply restarts the quiet period');
  await sleep(40);
  assert.deepEqual(r.calls, [{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
  assert.equal(r.logged.length, 1);
  assert.equal(r.logged[0]!.msg, 'memory compacted after configuration changes');
  assert.ok(r.logged[0]!.fields.pauseMs >= 0);
  assert.ok(r.logged[0]!.fields.rssBeforeMiB > 0 && r.logged[0]!.fields.rssAfterMiB > 0);
});

test('after the first compaction, a burst that did not grow the process by the threshold is left alone', async () => {
  const r = recorder();
  const c = afterReloadCompaction(r.gc, r.log, 10, 1024 * 1048576);
  c.applied();
  await sleep(40);
  assert.equal(r.calls.length, 1, 'the first quiet period compacts whatever startup left');
  c.applied();
  await sleep(40);
  assert.equal(r.calls.length, 1, 'under 1 GiB of growth: no second pause');
});

test('growth past the threshold compacts again', async () => {
  const r = recorder();
  // A negative threshold stands for "grew enough" without allocating a real 16 MiB.
  const c = afterReloadCompaction(r.gc, r.log, 10, -1);
  c.applied();
  await sleep(40);
  c.applied();
  await sleep(40);
  assert.equal(r.calls.length, 2);
});

test('cancel() drops a pending compaction; without gc() nothing is scheduled', async () => {
  const r = recorder();
  const c = afterReloadCompaction(r.gc, r.log, 10, 0);
  c.applied();
  c.cancel();
  await sleep(40);
  assert.equal(r.calls.length, 0);
  const none = afterReloadCompaction(undefined, r.log, 10, 0);
  none.applied();
  await sleep(40);
  assert.equal(r.logged.length, 0);
});
