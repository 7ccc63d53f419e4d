// biome-ignore-all lint/suspicious/noExplicitAny: JSON from the admin API is probed field by field
// Listeners that cannot be bound: the error is logged with the listener name, shown in /status
// (listener Programmed=False), and the other listeners keep serving.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import {
  freePort,
  gatewayYaml,
  getJson,
  ROOT,
  routeYaml,
  serviceYaml,
  spawnServe,
  startBackend,
  tempDir,
  through,
  waitFor,
} from './harness.ts';

function listenerStatus(status: any, name: string): any {
  const gw = status.resources.find((r: any) => r.kind === 'Gateway' && r.metadata.name === 'eg');
  return gw.status.listeners.find((l: any) => l.name === name);
}

test('a port in use: error in log and status, the other listener serves, bind retried once the port frees', async () => {
  const backend = await startBackend('a');
  const { dir, cleanup } = await tempDir();
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const busy = (blocker.address() as { port: number }).port;
  const free = await freePort();
  await writeFile(
    join(dir, 'all.yaml'),
    `${gatewayYaml([
      { name: 'busy', port: busy },
      { name: 'free', port: free },
    ])}---\n${serviceYaml(`svc-${backend.port}`, backend.port)}---\n${routeYaml({
      name: 'web',
      hostnames: ['www.example.com'],
      rules: [{ prefix: '/', backendPort: backend.port }],
    })}`,
  );
  const serve = await spawnServe({ args: ['-f', dir, '--bind-address', '127.0.0.1'] });
  try {
    const status = await waitFor('ready', async () => {
      const s = await getJson(`${serve.admin}/status`);
      return s.ready ? s : undefined;
    });
    assert.equal(status.applyErrors.length, 1, JSON.stringify(status.applyErrors));
    assert.deepEqual(
      { listener: status.applyErrors[0].listener, port: status.applyErrors[0].port, code: status.applyErrors[0].code },
      { listener: 'default/eg/busy', port: busy, code: 'EADDRINUSE' },
    );
    const busyCond = listenerStatus(status, 'busy').conditions.find((c: any) => c.type === 'Programmed');
    assert.equal(busyCond.status, 'False');
    assert.equal(busyCond.reason, 'Pending');
    assert.match(busyCond.message, /EADDRINUSE/);
    const freeCond = listenerStatus(status, 'free').conditions.find((c: any) => c.type === 'Programmed');
    assert.equal(freeCond.status, 'True');
    // The Gateway as a whole still serves.
    const gw = status.resources.find((r: any) => r.kind === 'Gateway');
    assert.equal(gw.status.conditions.find((c: any) => c.type === 'Programmed').status, 'True');

    const r = await through(free, 'www.example.com', '/');
    assert.equal(r.status, 200);
    assert.ok(
      serve.logs.some((l) => l.listener === 'default/eg/busy' && l.code === 'EADDRINUSE' && l.level === 50),
      'error logged with the listener name',
    );

    // Free the port: the retry (1 s backoff) binds it without any file change.
    await new Promise((res) => blocker.close(res));
    await waitFor(
      'the busy listener to be bound on retry',
      async () => (await getJson(`${serve.admin}/status`)).applyErrors.length === 0,
      5_000,
      100,
    );
    assert.equal((await through(busy, 'www.example.com', '/')).status, 200);
  } finally {
    blocker.close();
    await serve.stop();
    await backend.close();
    await cleanup();
  }
});

/** Why a non-root `portunus serve` cannot be run here, or null when it can. */
async function nonRootBlocker(isRoot: boolean): Promise<string | null> {
  const start = Number(
    (await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').catch(() => '1024')).trim(),
  );
  if (!(start > 1))
    return `net.ipv4.ip_unprivileged_port_start is ${start}: every port is unprivileged on this machine`;
  if (!isRoot) return null;
  // Running as "nobody" needs the checkout to be readable by others.
  for (let dir = ROOT; dir !== dirname(dir); dir = dirname(dir)) {
    if (((await stat(dir)).mode & 0o005) !== 0o005) return `running as root and ${dir} is not readable by other users`;
  }
  return null;
}

test('a privileged port as a non-root user: EACCES in status, the other listener serves', async (t) => {
  const isRoot = process.getuid?.() === 0;
  const blocker = await nonRootBlocker(isRoot);
  if (blocker !== null) {
    t.skip(`cannot test EACCES here: ${blocker}`);
    return;
  }
  // As root every port can be bound, so the server runs as "nobody" (uid 65534) to get a real EACCES.
  if (isRoot) t.diagnostic('running as root: starting portunus serve as uid 65534 (nobody) to test EACCES');
  const { dir, cleanup } = await tempDir();
  await chmod(dir, 0o755);
  const backend = await startBackend('a');
  const free = await freePort();
  const file = join(dir, 'all.yaml');
  await writeFile(
    file,
    `${gatewayYaml([
      { name: 'privileged', port: 80 },
      { name: 'free', port: free },
    ])}---\n${serviceYaml(`svc-${backend.port}`, backend.port)}---\n${routeYaml({
      name: 'web',
      hostnames: ['www.example.com'],
      rules: [{ prefix: '/', backendPort: backend.port }],
    })}`,
  );
  await chmod(file, 0o644);
  const serve = await spawnServe({
    args: ['-f', dir, '--bind-address', '127.0.0.1'],
    ...(isRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  try {
    const status = await waitFor('ready', async () => {
      const s = await getJson(`${serve.admin}/status`);
      return s.ready ? s : undefined;
    });
    const err = status.applyErrors.find((e: any) => e.listener === 'default/eg/privileged');
    assert.ok(err, JSON.stringify(status.applyErrors));
    assert.equal(err.code, 'EACCES');
    assert.equal(err.port, 80);
    const cond = listenerStatus(status, 'privileged').conditions.find((c: any) => c.type === 'Programmed');
    assert.equal(cond.status, 'False');
    assert.equal(cond.reason, 'Invalid');
    assert.equal((await through(free, 'www.example.com', '/')).status, 200);
  } finally {
    await serve.stop();
    await backend.close();
    await cleanup();
  }
});
