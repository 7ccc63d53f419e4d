// The data plane's clocks (src/dataplane/clock.ts): monotonic stamps converted to wall time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tickClock, wallTime } from '../../src/dataplane/clock.ts';

test('wallTime converts a performance.now() stamp to the wall clock, before and after a tick', async () => {
  for (let i = 0; i < 2; i++) {
    const before = Date.now();
    const w = wallTime(performance.now());
    const after = Date.now();
    // Date.now() has whole milliseconds; the conversion may be off by up to one more.
    assert.ok(w >= before - 2 && w <= after + 2, `${w} not in [${before}, ${after}]`);
    // A stamp taken earlier maps to that earlier wall time.
    const stamp = performance.now();
    await new Promise((r) => setTimeout(r, 30));
    assert.ok(Date.now() - wallTime(stamp) >= 29);
    tickClock();
  }
});
