// Configuration deltas between the serve process and its workers (src/serve/workers/delta.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTextDelta, textDelta } from '../../src/serve/workers/delta.ts';

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

test('a delta rebuilds the new text from the old, for edits anywhere and of any size', () => {
  const rand = rng(7);
  const word = () => Math.floor(rand() * 36 ** 4).toString(36);
  let base = Array.from({ length: 3000 }, word).join(',');
  for (let i = 0; i < 300; i++) {
    const at = Math.floor(rand() * base.length);
    const cut = Math.floor(rand() * (i % 10 === 0 ? 300 : 30));
    const insert = Array.from({ length: Math.floor(rand() * 5) }, word).join('');
    const next = base.slice(0, at) + insert + base.slice(at + cut);
    const d = textDelta(`v${i}`, base, next);
    assert.ok(d !== null, `edit ${i} is small against ${next.length} characters`);
    assert.ok(d.middle.length <= insert.length, `edit ${i}: middle ${d.middle.length} > insert ${insert.length}`);
    assert.equal(applyTextDelta({ version: `v${i}`, text: base }, d), next);
    base = next;
  }
});

test('repeated and block-aligned content: prefix and suffix never overlap', () => {
  const unit = 'x'.repeat(2048);
  for (const [a, b] of [
    [unit + unit, unit],
    [unit, unit + unit],
    ['abcabc', 'abc'],
    ['', 'abc'],
    ['abc', ''],
    ['same', 'same'],
  ] as const) {
    const d = textDelta('v', a, b) ?? { base: 'v', prefix: 0, suffix: 0, middle: b };
    assert.ok(d.prefix + d.suffix <= Math.min(a.length, b.length));
    assert.equal(applyTextDelta({ version: 'v', text: a }, d), b);
  }
});

test('a mostly new text is sent whole', () => {
  assert.equal(textDelta('v', 'a'.repeat(100), 'b'.repeat(100)), null);
});

test('a delta against another version or text is refused, not applied', () => {
  const d = textDelta('v1', '{"a":1,"b":2}', '{"a":1,"b":3}')!;
  assert.throws(() => applyTextDelta(null, d), /holds none/);
  assert.throws(
    () => applyTextDelta({ version: 'v0', text: '{"a":1,"b":2}' }, d),
    /against version v1, but this worker holds v0/,
  );
  assert.throws(() => applyTextDelta({ version: 'v1', text: '{}' }, d), /does not fit/);
});
