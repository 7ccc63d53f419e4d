// Memory compaction after configuration bursts (src/serve/compact.ts): one
// collection per burst, after the quiet period, only when the process grew, and only
// while the event loop is idle.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { afterReloadCompaction, loopUtilizationMeter } from '../../src/serve/compact.ts';

interface Logged {
  fields: { pauseMs: number; rssBeforeMiB: number; rssAfterMiB: number; deferredPeriods: number; utilization?: number };
  msg: string;
}

const idle = () => 0;

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await sleep(5);
  assert.ok(done(), 'condition not reached within 2.5 s');
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
  const c = afterReloadCompaction(r.gc, r.log, { quietMs: 40, growthBytes: 0, utilization: idle });
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
  const c = afterReloadCompaction(r.gc, r.log, { quietMs: 10, growthBytes: 1024 * 1048576, utilization: idle });
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
  const c = afterReloadCompaction(r.gc, r.log, { quietMs: 10, growthBytes: -1, utilization: idle });
  c.applied();
  await sleep(40);
  c.applied();
  await sleep(40);
  assert.equal(r.calls.length, 2);
});

test('cancel() drops a pending compaction; without gc() nothing is scheduled', async () => {
  const r = recorder();
  const c = afterReloadCompaction(r.gc, r.log, { quietMs: 10, growthBytes: 0, utilization: idle });
  c.applied();
  c.cancel();
  await sleep(40);
  assert.equal(r.calls.length, 0);
  const none = afterReloadCompaction(undefined, r.log, { quietMs: 10, growthBytes: 0, utilization: idle });
  none.applied();
  await sleep(40);
  assert.equal(r.logged.length, 0);
});

test('a busy event loop defers the collection period by period until it goes idle', async () => {
  const r = recorder();
  // Utilization readings in turn: the reset in applied(), then one per quiet period.
  const readings = [0, 0.5, 0.03, 0.019];
  const seen: number[] = [];
  const utilization = () => {
    const u = readings.shift() ?? 0;
    seen.push(u);
    return u;
  };
  const c = afterReloadCompaction(r.gc, r.log, { quietMs: 10, growthBytes: 0, utilization });
  c.applied();
  await until(() => r.logged.length === 1);
  assert.equal(r.calls.length, 0, 'busy (50%): waits');
  assert.equal(r.logged[0]!.msg, 'memory compaction waits for an idle event loop');
  assert.equal(r.logged[0]!.fields.utilization, 0.5);
  await until(() => r.calls.length === 1);
  assert.deepEqual(seen, [0, 0.5, 0.03, 0.019], 'checked again each period (3% is still busy); under 2% compacts');
  assert.equal(r.logged.length, 2, 'the deferral is logged once per burst');
  assert.equal(r.logged[1]!.fields.deferredPeriods, 2);
  c.cancel();
});

test('the default meter reads the event loop: a loop kept busy is not idle, a sleeping one is', async () => {
  const meter = loopUtilizationMeter();
  const until = performance.now() + 30;
  while (performance.now() < until) {
    // Busy for 30 ms of the ~30 ms since the meter started.
  }
  await sleep(1);
  assert.ok(meter() > 0.5, 'a spinning loop reads as busy');
  await sleep(50);
  assert.ok(meter() < 0.2, 'a loop waiting on a timer reads as idle');
});
