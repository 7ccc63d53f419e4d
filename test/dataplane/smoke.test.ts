import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import { cluster, echoServer, forward, freePort, json, route, simpleIR } from './helpers.ts';

const dp = createDataPlane({ bindAddress: '127.0.0.1' });
let port = 0;
let echo: Awaited<ReturnType<typeof echoServer>>;
before(async () => {
  echo = await echoServer('a');
  port = await freePort();
  const res = await dp.apply(simpleIR(port, [route({ action: forward('c') })], [cluster('c', [echo.port])]), 'v1');
  assert.deepEqual(res.errors, []);
});
after(async () => {
  await dp.close({ graceMs: 100 });
  await echo.close();
});

test('proxies a GET', async () => {
  const r = await json(port, '/hello?x=1', { headers: { 'x-test': 'yes' } });
  assert.equal(r.status, 200);
  assert.equal(r.json.path, '/hello?x=1');
  assert.equal(r.json.headers['x-test'], 'yes');
  assert.equal(r.json.headers['x-forwarded-for'], '127.0.0.1');
});

test('proxies a POST body', async () => {
  const r = await json(port, '/p', { method: 'POST', body: 'hello world' });
  assert.equal(r.status, 200);
  assert.equal(r.json.bodyLength, 11);
});
