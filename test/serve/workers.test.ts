// biome-ignore-all lint/suspicious/noExplicitAny: JSON from the admin API is probed field by field
// `portunus serve --workers N`: data plane worker processes sharing the listeners. Every worker
// serves the same version, a change reaches all of them, metrics are summed across them, a worker
// that dies is replaced and brought up to the current configuration, and workers do not outlive
// the primary.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { lineAtomicSink } from '../../src/serve/workers/sink.ts';
import {
  type Backend,
  freePort,
  gatewayYaml,
  getJson,
  routeYaml,
  type ServeProcess,
  serviceYaml,
  spawnServe,
  startBackend,
  tempDir,
  through,
  waitFor,
  writeAtomic,
} from './harness.ts';

let backend: Backend;
let serve: ServeProcess;
let dir: string;
let cleanup: () => Promise<void>;
let gwPort: number;

interface WorkerInfo {
  id: number;
  pid: number | null;
  state: string;
  version: string | null;
  restarts: number;
}

const workers = async (): Promise<WorkerInfo[]> => (await getJson(`${serve.admin}/status`)).workers;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function route(header: string): string {
  return routeYaml({
    name: 'web',
    hostnames: ['www.example.com'],
    rules: [{ prefix: '/', backendPort: backend.port, setHeader: { name: 'x-config', value: header } }],
  });
}

/** `n` requests, each on its own connection (so SO_REUSEPORT spreads them over the workers). */
async function fresh(n: number): Promise<{ status: number; config: string | undefined }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = await through(gwPort, 'www.example.com', `/n${i}`);
    out.push({ status: r.status, config: r.headers['x-config'] as string | undefined });
  }
  return out;
}

before(async () => {
  backend = await startBackend('a');
  ({ dir, cleanup } = await tempDir());
  gwPort = await freePort();
  await writeFile(join(dir, 'gateway.yaml'), gatewayYaml([{ name: 'http', port: gwPort }]));
  await writeFile(join(dir, 'service.yaml'), serviceYaml(`svc-${backend.port}`, backend.port));
  await writeFile(join(dir, 'route.yaml'), route('one'));
  serve = await spawnServe({
    args: [
      '-f',
      dir,
      '--bind-address',
      '127.0.0.1',
      '--reload-debounce',
      '10',
      '--workers',
      '2',
      '--access-log',
      'json',
      '--log-level',
      'debug',
    ],
  });
  await waitFor('ready', async () => (await fetch(`${serve.admin}/readyz`)).status === 200);
});

after(async () => {
  await serve?.stop();
  await backend?.close();
  await cleanup?.();
});

test('two worker processes serve one version; the primary holds no listener', async () => {
  const list = await workers();
  assert.equal(list.length, 2);
  const version = (await getJson(`${serve.admin}/config_dump`)).version;
  for (const w of list) {
    assert.equal(w.state, 'serving');
    assert.equal(w.version, version);
    assert.ok(w.pid !== null && w.pid !== serve.child.pid && alive(w.pid));
    // A small young generation, one V8 helper thread and no mid-tier (Maglev) compiler keep worker
    // memory low and flat across reloads.
    const cmdline = readFileSync(`/proc/${w.pid}/cmdline`, 'utf8');
    assert.match(cmdline, /--max-semi-space-size=4\0/);
    assert.match(cmdline, /--v8-pool-size=1\0/);
    assert.match(cmdline, /--no-maglev\0/);
    assert.match(cmdline, /--expose-gc\0/);
  }
  const status = await getJson(`${serve.admin}/status`);
  assert.deepEqual(
    status.listening.map((l: any) => l.port),
    [gwPort],
  );
  for (const r of await fresh(10)) assert.deepEqual(r, { status: 200, config: 'one' });
  // Workers log the primary's JSON line layout, with their slot number.
  for (const id of [1, 2]) {
    const line = serve.logs.find((l) => l.worker === id && l.msg === 'listening');
    assert.ok(line, `worker ${id} logged its listener`);
    assert.equal(line.level, 30);
    assert.equal(line.component, 'dataplane');
    assert.equal(typeof line.time, 'string');
    assert.ok(list.some((w) => w.pid === line.pid));
  }
});

test('metrics are summed over the workers', async () => {
  const before = await requestsServed();
  const n = 40;
  const results = await fresh(n);
  assert.ok(results.every((r) => r.status === 200));
  // Every request on its own connection: with two workers both get some (all 40 on one worker
  // has probability 2^-39), so a count missing either worker's series falls short.
  assert.equal((await requestsServed()) - before, n);
  // The workers' access log lines reach the primary's stdout whole: one JSON object per line.
  await waitFor('access log lines', () => serve.stdout().includes('"path":"/n39"'));
  const lines = serve.stdout().trim().split('\n');
  assert.equal(lines.filter((l) => l.includes('"path":"/n')).length, 10 + n);
  for (const line of serve.stdout().trim().split('\n')) JSON.parse(line);
});

async function requestsServed(): Promise<number> {
  const text = await (await fetch(`${serve.admin}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('portunus_http_requests_total{') && line.includes('code_class="2xx"')) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

test('a change reaches every worker: all report the new version and no connection sees the old one after', async () => {
  const old = (await getJson(`${serve.admin}/config_dump`)).version;
  await writeAtomic(join(dir, 'route.yaml'), route('two'));
  const version = await waitFor('new version on every worker', async () => {
    const list = await workers();
    const v = list[0]!.version;
    return v !== old && list.every((w) => w.version === v && w.state === 'serving') ? v : undefined;
  });
  assert.equal((await getJson(`${serve.admin}/config_dump`)).version, version);
  for (const r of await fresh(20)) assert.deepEqual(r, { status: 200, config: 'two' });
  // Workers holding the previous configuration got only the difference from it.
  const sent = serve.logs.filter((l) => l.msg === 'configuration sent to worker' && l.version === version);
  assert.deepEqual(sent.map((l) => [l.worker, l.form]).sort(), [
    [1, 'delta'],
    [2, 'delta'],
  ]);
  const full = serve.logs.find((l) => l.msg === 'configuration sent to worker' && l.form === 'full');
  assert.ok(full, 'the first configuration went whole');
  assert.ok(
    sent.every((l) => (l.chars as number) < (full.chars as number) / 10),
    JSON.stringify(sent),
  );
});

test('a worker killed is replaced and serves the current version; traffic goes on meanwhile', async () => {
  const version = (await getJson(`${serve.admin}/config_dump`)).version;
  for (const victim of [1, 2]) {
    const list = await workers();
    const target = list.find((w) => w.id === victim)!;
    process.kill(target.pid!, 'SIGKILL');
    await waitFor('worker gone', () => !alive(target.pid!));
    // The dead worker's listening socket is gone with it: new connections reach the other one.
    for (const r of await fresh(10)) assert.deepEqual(r, { status: 200, config: 'two' });
    const replaced = await waitFor('worker replaced', async () => {
      const w = (await workers()).find((x) => x.id === victim)!;
      return w.pid !== target.pid && w.state === 'serving' ? w : undefined;
    });
    assert.equal(replaced.version, version);
    assert.equal(
      replaced.restarts,
      target.restarts + 1,
      serve
        .stderr()
        .split('\n')
        .filter((l) => !l.includes('"level":30') && !l.includes('"level":20'))
        .join('\n'),
    );
  }
  // Both original workers were killed one after the other: only replacements serve now.
  for (const r of await fresh(10)) assert.deepEqual(r, { status: 200, config: 'two' });
  // A replacement got the whole configuration; the next change reaches it as a delta from that.
  const sentTo = (v: string) => serve.logs.filter((l) => l.msg === 'configuration sent to worker' && l.version === v);
  assert.deepEqual(
    sentTo(version)
      .filter((l) => l.form === 'full')
      .map((l) => l.worker)
      .sort(),
    [1, 2],
  );
  await writeAtomic(join(dir, 'route.yaml'), route('three'));
  const next = await waitFor('next version on every worker', async () => {
    const list = await workers();
    const v = list[0]!.version;
    return v !== version && list.every((w) => w.version === v && w.state === 'serving') ? (v ?? undefined) : undefined;
  });
  assert.deepEqual(
    sentTo(next)
      .map((l) => [l.worker, l.form])
      .sort(),
    [
      [1, 'delta'],
      [2, 'delta'],
    ],
  );
  for (const r of await fresh(10)) assert.deepEqual(r, { status: 200, config: 'three' });
  assert.ok(serve.logs.some((l) => l.msg === 'worker exited; restarting it' && l.signal === 'SIGKILL'));
});

test('a hung worker does not hold a change back: the others switch, it is killed and replaced', {
  timeout: 30_000,
}, async () => {
  const [hung, other] = await workers();
  process.kill(hung!.pid!, 'SIGSTOP');
  try {
    const started = Date.now();
    await writeAtomic(join(dir, 'route.yaml'), route('four'));
    const replaced = await waitFor(
      'hung worker replaced',
      async () => {
        const w = (await workers()).find((x) => x.id === hung!.id)!;
        return w.pid !== hung!.pid && w.state === 'serving' ? w : undefined;
      },
      20_000,
      100,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 9_000, `replaced after ${elapsed} ms, before the 10 s reply timeout`);
    const version = (await getJson(`${serve.admin}/config_dump`)).version;
    assert.equal(replaced.version, version);
    assert.equal((await workers()).find((x) => x.id === other!.id)!.version, version);
    for (const r of await fresh(10)) assert.deepEqual(r, { status: 200, config: 'four' });
    assert.ok(serve.logs.some((l) => l.msg === 'worker hung; killing it' && l.worker === hung!.id));
  } finally {
    try {
      process.kill(hung!.pid!, 'SIGCONT');
    } catch {
      // already gone
    }
  }
});

test('once configuration changes stop, the primary and each worker compact their memory', async () => {
  const list = await workers();
  const compacted = (id: number | undefined) =>
    serve.logs.find((l) => l.worker === id && l.msg === 'memory compacted after configuration changes');
  // The last change above was applied a few seconds ago; each process compacts 5 s after its last
  // one (workers get gc() from --expose-gc, the primary enables it at run time).
  const ids = [undefined, ...list.map((w) => w.id)];
  for (const id of ids) await waitFor(`process ${id ?? 'primary'} compacts`, () => compacted(id) !== undefined, 15_000);
  for (const id of ids) {
    const line = compacted(id) as { pauseMs: number; rssBeforeMiB: number; rssAfterMiB: number };
    assert.ok(line.pauseMs >= 0 && line.rssBeforeMiB > 0, JSON.stringify(line));
    assert.ok(line.rssAfterMiB <= line.rssBeforeMiB, JSON.stringify(line));
  }
});

test('workers exit when the primary is killed outright', async () => {
  const list = await workers();
  serve.child.kill('SIGKILL');
  await serve.exited;
  for (const w of list) await waitFor(`worker ${w.pid} exits`, () => !alive(w.pid!), 5_000);
});

test('access log batches are cut at line boundaries no longer than a pipe writes atomically', () => {
  const writes: string[] = [];
  const sink = lineAtomicSink({ write: (s: string) => writes.push(s) > 0 });
  const line = `${'x'.repeat(299)}\n`;
  sink.write(line.repeat(50));
  assert.equal(writes.join(''), line.repeat(50));
  for (const w of writes) {
    assert.ok(w.length <= 4096, `write of ${w.length} bytes`);
    assert.ok(w.endsWith('\n'));
  }
  // One line longer than the limit goes out alone and whole.
  writes.length = 0;
  const long = `${'y'.repeat(5000)}\n`;
  sink.write(`a\n${long}b\n`);
  assert.equal(writes.join(''), `a\n${long}b\n`);
  assert.ok(writes.includes(long) || writes.some((w) => w.includes(long) && w.length <= long.length + 2));
});
