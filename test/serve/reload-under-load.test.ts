// Hot reload under load: clients on keep-alive connections send continuously while 100
// configuration changes arrive through the files. Not one request may fail, and the connections
// must survive every swap.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  freePort,
  gatewayYaml,
  getJson,
  routeYaml,
  serviceYaml,
  spawnServe,
  startBackend,
  tempDir,
  waitFor,
  writeAtomic,
} from './harness.ts';

const CLIENTS = 8;
const CHANGES = 100;

function route(port: number, generation: number): string {
  return routeYaml({
    name: 'web',
    hostnames: ['www.example.com'],
    rules: [{ prefix: '/', backendPort: port, setHeader: { name: 'x-config-generation', value: String(generation) } }],
  });
}

test(`${CHANGES} reloads under keep-alive load: zero failed requests, zero resets`, { timeout: 60_000 }, async () => {
  const backend = await startBackend('a');
  const { dir, cleanup } = await tempDir();
  const port = await freePort();
  await writeFile(join(dir, 'gateway.yaml'), gatewayYaml([{ name: 'http', port }]));
  await writeFile(join(dir, 'service.yaml'), serviceYaml(`svc-${backend.port}`, backend.port));
  const routeFile = join(dir, 'route.yaml');
  await writeFile(routeFile, route(backend.port, 0));
  const serve = await spawnServe({
    args: ['-f', dir, '--bind-address', '127.0.0.1', '--reload-debounce', '20', '--access-log', 'off'],
  });
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const sockets = new Set<Socket>();
  const failures: string[] = [];
  const generations = new Set<string>();
  let ok = 0;
  let stop = false;

  const once = () =>
    new Promise<void>((resolve) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/load', headers: { host: 'www.example.com' }, agent },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) {
              ok++;
              generations.add(String(res.headers['x-config-generation']));
            } else failures.push(`HTTP ${res.statusCode}`);
            resolve();
          });
          res.on('error', (err) => {
            failures.push(`response: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
            resolve();
          });
        },
      );
      req.on('socket', (s: Socket) => sockets.add(s));
      req.setTimeout(5_000, () => req.destroy(new Error('no response in 5 s')));
      req.on('error', (err) => {
        failures.push(`request: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
        resolve();
      });
      req.end();
    });

  try {
    await waitFor('ready', async () => (await fetch(`${serve.admin}/readyz`)).status === 200);
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (!stop) await once();
    });
    await waitFor('traffic', () => ok > CLIENTS * 10);

    let version = (await getJson(`${serve.admin}/config_dump`)).version as string;
    const t0 = Date.now();
    for (let g = 1; g <= CHANGES; g++) {
      await writeAtomic(routeFile, route(backend.port, g));
      const previous = version;
      version = await waitFor(
        `change ${g} to be applied`,
        async () => {
          const v = (await getJson(`${serve.admin}/config_dump`)).version as string;
          return v !== previous ? v : undefined;
        },
        5_000,
        5,
      );
    }
    const elapsed = Date.now() - t0;
    // Let every client see the last generation.
    const seenBefore = ok;
    await waitFor('requests after the last change', () => ok > seenBefore + CLIENTS * 5);
    stop = true;
    await Promise.all(clients);

    const status = await getJson(`${serve.admin}/status`);
    const metrics = await (await fetch(`${serve.admin}/metrics`)).text();
    const reloads = Number(/^portunus_config_reloads_total (\d+)$/m.exec(metrics)?.[1]);
    process.stdout.write(
      `# ${ok} requests, ${CHANGES} changes in ${elapsed} ms, ${reloads} reloads, ${generations.size} generations seen, ${sockets.size} connections\n`,
    );
    assert.deepEqual(failures, []);
    assert.ok(sockets.size <= CLIENTS, `connections were replaced: ${sockets.size} used for ${CLIENTS} clients`);
    assert.ok(generations.has(String(CHANGES)), 'the last change is served');
    assert.ok(generations.size > 10, `traffic saw many versions (${generations.size})`);
    assert.ok(reloads >= CHANGES + 1);
    assert.equal(status.lastReload.ok, true);
  } finally {
    stop = true;
    agent.destroy();
    await serve.stop();
    await backend.close();
    await cleanup();
  }
});
