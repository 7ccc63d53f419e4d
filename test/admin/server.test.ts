import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, test } from 'node:test';
import { type AdminServer, startAdminServer } from '../../src/admin/server.ts';
import { createMetrics } from '../../src/observe/metrics.ts';

// The admin server only reads through AdminSource; this one is flipped by the tests. The
// end-to-end tests in test/serve check the same endpoints against a running `portunus serve`.
let ready = false;
const dump = {
  version: 'abc123',
  appliedAt: '2026-01-01T00:00:00.000Z',
  ir: { apiVersion: 'portunus.dev/ir/v1', gateways: [] },
};
const status = {
  version: 'abc123',
  ready: true,
  resources: [{ kind: 'Gateway', metadata: { name: 'eg' } }],
  diagnostics: [],
};
const metrics = createMetrics({ processMetrics: false });
let admin: AdminServer;

before(async () => {
  admin = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    source: { ready: () => ready, configDump: () => dump, status: () => status },
    metrics,
  });
});
after(() => admin.close());

async function get(path: string, method = 'GET') {
  const res = await fetch(`${admin.url}${path}`, { method });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

test('binds the requested address and an ephemeral port', () => {
  assert.equal(admin.host, '127.0.0.1');
  assert.ok(admin.port > 0);
  assert.equal(admin.url, `http://127.0.0.1:${admin.port}`);
});

test('/healthz answers 200', async () => {
  const r = await get('/healthz');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'ok\n');
});

test('/readyz is 503 until a configuration is applied, then 200', async () => {
  ready = false;
  assert.equal((await get('/readyz')).status, 503);
  ready = true;
  assert.equal((await get('/readyz')).status, 200);
});

test('/config_dump and /status are JSON', async () => {
  const c = await get('/config_dump');
  assert.equal(c.status, 200);
  assert.match(c.type, /^application\/json/);
  assert.deepEqual(JSON.parse(c.body), dump);
  const s = await get('/status?verbose=1');
  assert.equal(s.status, 200);
  assert.deepEqual(JSON.parse(s.body), status);
});

test('/metrics is Prometheus text', async () => {
  metrics.recordReload({ ok: true, version: 'abc123', time: Date.now() });
  const r = await get('/metrics');
  assert.equal(r.status, 200);
  assert.match(r.type, /^text\/plain; version=0\.0\.4/);
  assert.match(r.body, /^portunus_config_info\{version="abc123"\} 1$/m);
  assert.match(r.body, /^portunus_config_reloads_total 1$/m);
});

test('unknown paths are 404, writes are 405, HEAD has no body', async () => {
  const r = await get('/nope');
  assert.equal(r.status, 404);
  assert.match(r.body, /\/healthz/);
  assert.equal((await get('/healthz', 'POST')).status, 405);
  const h = await get('/status', 'HEAD');
  assert.equal(h.status, 200);
  assert.equal(h.body, '');
  const index = JSON.parse((await get('/')).body);
  assert.deepEqual(Object.keys(index.endpoints).sort(), ['/config_dump', '/healthz', '/metrics', '/readyz', '/status']);
});

test('close() does not wait for idle keep-alive clients', async () => {
  const other = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    source: { ready: () => true, configDump: () => ({}), status: () => ({}) },
    metrics,
  });
  // A keep-alive connection left open by a client.
  await new Promise<void>((resolve, reject) => {
    const agent = new Agent({ keepAlive: true });
    request(`${other.url}/healthz`, { agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    })
      .on('error', reject)
      .end();
  });
  const t0 = Date.now();
  await other.close();
  assert.ok(Date.now() - t0 < 1000);
});

test('a port in use is a clear error', async () => {
  await assert.rejects(
    startAdminServer({
      host: '127.0.0.1',
      port: admin.port,
      source: { ready: () => true, configDump: () => ({}), status: () => ({}) },
      metrics,
    }),
    { code: 'EADDRINUSE' },
  );
});
