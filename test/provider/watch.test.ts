import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { watchPaths } from '../../src/provider/file/watch.ts';

/** Waits (bounded) until cond() holds. */
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

test('a burst of changes in a watched directory (recursively) triggers one debounced callback', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portunus-watch-'));
  mkdirSync(join(dir, 'sub'));
  let calls = 0;
  const close = watchPaths([dir], () => calls++, { debounceMs: 150 });
  try {
    await sleep(50); // let the watcher start
    writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
    await sleep(20);
    writeFileSync(join(dir, 'sub', 'b.yaml'), 'b: 1\n');
    await sleep(20);
    writeFileSync(join(dir, 'a.yaml'), 'a: 2\n');
    await until(() => calls > 0);
    await sleep(400);
    assert.equal(calls, 1);

    // A later, separate change is a second burst.
    writeFileSync(join(dir, 'sub', 'b.yaml'), 'b: 2\n');
    await until(() => calls > 1);
    await sleep(300);
    assert.equal(calls, 2);
  } finally {
    close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a watched file reacts to itself only, and close() stops callbacks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portunus-watch-'));
  const file = join(dir, 'gw.yaml');
  writeFileSync(file, 'a: 1\n');
  let calls = 0;
  const close = watchPaths([file], () => calls++, { debounceMs: 50 });
  try {
    await sleep(50);
    writeFileSync(join(dir, 'other.yaml'), 'x: 1\n');
    await sleep(300);
    assert.equal(calls, 0);
    writeFileSync(file, 'a: 2\n');
    await until(() => calls === 1);
    close();
    writeFileSync(file, 'a: 3\n');
    await sleep(300);
    assert.equal(calls, 1);
  } finally {
    close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file replaced by rename again and again (as editors save) is seen every time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portunus-watch-'));
  const file = join(dir, 'route.yaml');
  writeFileSync(file, 'v: 0\n');
  let calls = 0;
  const closeDir = watchPaths([dir], () => calls++, { debounceMs: 30 });
  let fileCalls = 0;
  const closeFile = watchPaths([file], () => fileCalls++, { debounceMs: 30 });
  try {
    await sleep(50);
    for (let i = 1; i <= 5; i++) {
      const tmp = join(dir, `.route.yaml.${i}.tmp`);
      writeFileSync(tmp, `v: ${i}\n`);
      renameSync(tmp, file);
      await until(() => calls >= i && fileCalls >= i);
      await sleep(60);
    }
    assert.equal(calls, 5);
    assert.equal(fileCalls, 5);
  } finally {
    closeDir();
    closeFile();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('directories created after the watch starts are watched too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portunus-watch-'));
  let calls = 0;
  const close = watchPaths([dir], () => calls++, { debounceMs: 30 });
  try {
    await sleep(50);
    mkdirSync(join(dir, 'late'));
    await until(() => calls === 1);
    await sleep(60);
    writeFileSync(join(dir, 'late', 'x.yaml'), 'x: 1\n');
    await until(() => calls === 2);
    // Removed and created again: a new directory to watch.
    rmSync(join(dir, 'late'), { recursive: true });
    await until(() => calls === 3);
    mkdirSync(join(dir, 'late'));
    await until(() => calls === 4);
    await sleep(60);
    writeFileSync(join(dir, 'late', 'y.yaml'), 'y: 1\n');
    await until(() => calls === 5);
  } finally {
    close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the callback names the paths that changed in the burst', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portunus-watch-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'keep.yaml'), 'k: 1\n');
  const bursts: (ReadonlySet<string> | null)[] = [];
  const close = watchPaths([dir], (changed) => bursts.push(changed), { debounceMs: 50 });
  try {
    await sleep(50);
    writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
    writeFileSync(join(dir, 'sub', 'b.yaml'), 'b: 1\n');
    await until(() => bursts.length > 0);
    const changed = bursts[0];
    assert.ok(changed, 'events named their files');
    assert.ok(changed.has(join(dir, 'a.yaml')));
    assert.ok(changed.has(join(dir, 'sub', 'b.yaml')));
    assert.ok(!changed.has(join(dir, 'keep.yaml')));
  } finally {
    close();
    rmSync(dir, { recursive: true, force: true });
  }
});
