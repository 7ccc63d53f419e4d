// biome-ignore-all lint/suspicious/noExplicitAny: JSON from the admin API is probed field by field
// `portunus serve --address-pool`: Gateways with identical listeners each get an address of their
// own and are served side by side on one port, told apart by the address a client connects to.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
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
  waitFor,
} from './harness.ts';

let a: Backend;
let b: Backend;
let serve: ServeProcess;
let cleanup: () => Promise<void>;
let port: number;

function get(address: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: address, port, path: '/', headers: { host: 'www.example.com' }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error('request timed out')));
    req.end();
  });
}

before(async () => {
  [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
  const t = await tempDir();
  cleanup = t.cleanup;
  port = await freePort();
  // The GatewayClass is in the first document of gatewayYaml; the second Gateway file repeats it
  // (a duplicate, reported and ignored), so only its Gateway document is written.
  await writeFile(join(t.dir, 'one.yaml'), gatewayYaml([{ name: 'http', port }], 'one'));
  await writeFile(join(t.dir, 'two.yaml'), gatewayYaml([{ name: 'http', port }], 'two').split('---\n')[1]!);
  await writeFile(join(t.dir, 'services.yaml'), `${serviceYaml('svc-a', a.port)}---\n${serviceYaml('svc-b', b.port)}`);
  await writeFile(
    join(t.dir, 'routes.yaml'),
    `${routeYaml({ name: 'to-a', hostnames: ['www.example.com'], rules: [{ prefix: '/', backendPort: a.port, service: 'svc-a' }] }, 'one')}---\n${routeYaml({ name: 'to-b', hostnames: ['www.example.com'], rules: [{ prefix: '/', backendPort: b.port, service: 'svc-b' }] }, 'two')}`,
  );
  serve = await spawnServe({ args: ['-f', t.dir, '--address-pool', '127.0.1.1-127.0.1.2'] });
  await waitFor('ready', async () => (await fetch(`${serve.admin}/readyz`)).status === 200);
});

after(async () => {
  await serve?.stop();
  await Promise.all([a?.close(), b?.close()]);
  await cleanup?.();
});

test('each Gateway gets its own pool address, reported in status and served there', async () => {
  const status = await getJson(`${serve.admin}/status`);
  const gateways = status.resources.filter((r: any) => r.kind === 'Gateway');
  const addressOf = (name: string) =>
    gateways.find((g: any) => g.metadata.name === name).status.addresses.map((x: any) => x.value);
  assert.deepEqual(addressOf('one'), ['127.0.1.1']);
  assert.deepEqual(addressOf('two'), ['127.0.1.2']);
  for (const g of gateways) {
    const listener = g.status.listeners[0];
    const conditions = Object.fromEntries(listener.conditions.map((c: any) => [c.type, c.status]));
    assert.deepEqual([conditions.Conflicted, conditions.Programmed], ['False', 'True'], g.metadata.name);
  }

  const one = await waitFor('one serves', async () => {
    const r = await get('127.0.1.1');
    return r.status === 200 ? r : undefined;
  });
  assert.equal(JSON.parse(one.body).backend, 'a');
  const two = await get('127.0.1.2');
  assert.equal(two.status, 200);
  assert.equal(JSON.parse(two.body).backend, 'b');
  // No Gateway has 127.0.0.1: nothing routes there.
  assert.equal((await get('127.0.0.1')).status, 404);
});
