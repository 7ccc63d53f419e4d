import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import type { HTTPRouteIR } from '../../src/ir/types.ts';
import {
  cluster,
  echoServer,
  type EchoServer,
  forward,
  freePort,
  json,
  match,
  RecordingObserver,
  request,
  route,
  simpleIR,
} from './helpers.ts';

const obs = new RecordingObserver();
const dp = createDataPlane({ bindAddress: '127.0.0.1', observer: obs });
let port = 0;
const servers: EchoServer[] = [];
let flaky: EchoServer;
let flakyFailures = 0;
let deadPort = 0;

function prefixRoute(prefix: string, r: Partial<HTTPRouteIR>): HTTPRouteIR {
  return route({ match: match({ path: { type: 'PathPrefix', value: prefix } }), action: forward('a'), ...r });
}

before(async () => {
  for (const name of ['a', 'b', 'c']) servers.push(await echoServer(name));
  flaky = await echoServer('flaky', (_req, res) => {
    if (flakyFailures > 0) {
      flakyFailures--;
      res.statusCode = 503;
      res.end('fail');
      return true;
    }
  });
  deadPort = await freePort();
  port = await freePort();
  const [a, b, c] = servers as [EchoServer, EchoServer, EchoServer];
  await dp.apply(
    simpleIR(
      port,
      [
        prefixRoute('/weights', { action: forward(['a', 1], ['b', 3], ['c', 0]) }),
        prefixRoute('/invalid-share', { action: forward(['a', 1], [null, 1]) }),
        prefixRoute('/rr', { action: forward('abc-rr') }),
        prefixRoute('/lr', { action: forward('abc-lr') }),
        prefixRoute('/retry', {
          action: forward('flaky'),
          retry: { attempts: 2, codes: [503], backoffMs: 5, onConnectFailure: true },
        }),
        prefixRoute('/noretry', { action: forward('flaky') }),
        prefixRoute('/retry-connect', {
          action: forward('dead-then-a'),
          retry: { attempts: 3, codes: [], backoffMs: 0, onConnectFailure: true },
        }),
        prefixRoute('/cookie', {
          action: forward('abc-rr'),
          sessionPersistence: { type: 'Cookie', name: 'sp', absoluteTimeoutMs: 60000 },
        }),
        prefixRoute('/header-session', {
          action: forward('abc-rr'),
          sessionPersistence: { type: 'Header', name: 'X-Session' },
        }),
      ],
      [
        cluster('a', [a.port]),
        cluster('b', [b.port]),
        cluster('c', [c.port]),
        cluster('abc-rr', [a.port, b.port, c.port], { loadBalancer: 'RoundRobin' }),
        cluster('abc-lr', [a.port, b.port, c.port]),
        cluster('flaky', [flaky.port]),
        cluster('dead-then-a', [deadPort, a.port], { loadBalancer: 'RoundRobin' }),
      ],
    ),
    'v1',
  );
});

after(async () => {
  await dp.close({ graceMs: 100 });
  for (const s of servers) await s.close();
  await flaky.close();
});

async function backends(path: string, n: number, headers?: Record<string, string>): Promise<Map<string, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const counts = new Map<string, number>();
  const one = async () => {
    const r = await json(port, path, { agent, headers });
    const key = r.status === 200 ? r.json.backend : String(r.status);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const batch: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    batch.push(one());
    if (batch.length === 10) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  agent.destroy();
  return counts;
}

test('weighted backends: 1:3 split within tolerance over 1000 requests, weight 0 never chosen', async () => {
  const c = await backends('/weights', 1000);
  const a = c.get('a') ?? 0;
  const b = c.get('b') ?? 0;
  assert.equal(c.get('c'), undefined);
  assert.equal(a + b, 1000);
  assert.ok(a > 180 && a < 320, 'a=' + a);
});

test('invalid backendRef gets 500 in proportion to its weight', async () => {
  const c = await backends('/invalid-share', 400);
  const errors = c.get('500') ?? 0;
  assert.ok(errors > 140 && errors < 260, 'errors=' + errors);
  assert.equal((c.get('a') ?? 0) + errors, 400);
});

test('RoundRobin spreads evenly; LeastRequest reaches every endpoint', async () => {
  const rr = await backends('/rr', 300);
  for (const k of ['a', 'b', 'c']) assert.ok((rr.get(k) ?? 0) >= 90, JSON.stringify([...rr]));
  const lr = await backends('/lr', 300);
  for (const k of ['a', 'b', 'c']) assert.ok((lr.get(k) ?? 0) >= 30, JSON.stringify([...lr]));
});

test('retries on configured codes, up to the attempt limit', async () => {
  flakyFailures = 2;
  const r = await json(port, '/retry');
  assert.equal(r.status, 200);
  assert.equal(flakyFailures, 0);
  flakyFailures = 5;
  const r2 = await request(port, '/retry');
  assert.equal(r2.status, 503);
  assert.equal(flakyFailures, 2);
  flakyFailures = 1;
  assert.equal((await request(port, '/noretry')).status, 503);
  flakyFailures = 0;
});

test('retries on connect failure', async () => {
  for (let i = 0; i < 4; i++) {
    const r = await json(port, '/retry-connect', { method: 'POST', body: 'body-' + i });
    assert.equal(r.status, 200);
    assert.equal(r.json.bodyLength, 6);
  }
});

test('cookie session persistence pins the endpoint', async () => {
  const first = await json(port, '/cookie');
  const setCookie = first.headers['set-cookie']?.[0];
  assert.ok(setCookie, 'set-cookie missing');
  assert.match(setCookie!, /^sp=[^;]+; Path=\/; HttpOnly; Max-Age=60$/);
  const cookie = setCookie!.split(';')[0]!;
  for (let i = 0; i < 10; i++) {
    const r = await json(port, '/cookie', { headers: { cookie: 'other=1; ' + cookie } });
    assert.equal(r.json.backend, first.json.backend);
    assert.equal(r.headers['set-cookie'], undefined);
  }
  const bogus = await json(port, '/cookie', { headers: { cookie: 'sp=garbage' } });
  assert.ok(bogus.headers['set-cookie']);
});

test('header session persistence pins the endpoint', async () => {
  const first = await json(port, '/header-session');
  const token = first.headers['x-session'] as string;
  assert.ok(token);
  for (let i = 0; i < 10; i++) {
    const r = await json(port, '/header-session', { headers: { 'x-session': token } });
    assert.equal(r.json.backend, first.json.backend);
  }
});

test('an upstream closing idle keep-alive sockets does not fail requests', async () => {
  const s = servers[0]!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 5; i++) {
    assert.equal((await request(port, '/weights', { agent })).status, 200);
    // The upstream drops every idle connection between requests.
    s.server.closeIdleConnections();
    servers[1]!.server.closeIdleConnections();
    // The FIN reaches the pool before the next request, as it does for an upstream keep-alive timeout.
    await new Promise((r) => setTimeout(r, 20));
  }
  agent.destroy();
});

test('a backend request timeout is retried within the attempt budget, then 504', async () => {
  const port2 = await freePort();
  let slowFirst = 0;
  const s = await echoServer('t', (_req, res) => {
    if (slowFirst > 0) {
      slowFirst--;
      setTimeout(() => res.end('late'), 300);
      return true;
    }
  });
  const dp2 = createDataPlane({ bindAddress: '127.0.0.1' });
  await dp2.apply(
    simpleIR(
      port2,
      [
        route({
          action: forward('t'),
          timeouts: { backendRequestMs: 100, requestMs: 1000 },
          retry: { attempts: 2, codes: [], backoffMs: 0, onConnectFailure: true },
        }),
      ],
      [cluster('t', [s.port])],
    ),
    'v1',
  );
  slowFirst = 2;
  const ok = await json(port2, '/');
  assert.equal(ok.status, 200);
  assert.equal(ok.json.backend, 't');
  slowFirst = 3;
  assert.equal((await request(port2, '/')).status, 504);
  await dp2.close({ graceMs: 50 });
  s.server.closeAllConnections();
  await s.close();
});

test('session tokens expire after absoluteTimeout; idleTimeout slides with use', async () => {
  const { findSession, sessionToken } = await import('../../src/dataplane/session.ts');
  const { Cluster, PoolRegistry } = await import('../../src/dataplane/upstream/cluster.ts');
  const registry = new PoolRegistry();
  const c = new Cluster(cluster('x', [1000, 1001]), 'fp', registry, () => {});
  const backends = [{ cluster: c, weight: 1, chain: { request: [], response: [] } }];
  const token = sessionToken(c, c.endpoints[1]!, 1000, 1000);
  const headers = ['x-s', token];
  const hit = (s: Partial<import('../../src/ir/types.ts').SessionPersistenceIR>, now: number) =>
    findSession({ type: 'Header', name: 'X-S', ...s }, headers, backends, now);
  assert.equal(hit({}, 99999)?.pool, c.endpoints[1]);
  assert.equal(hit({ absoluteTimeoutMs: 10_000 }, 1005)?.pool, c.endpoints[1]);
  assert.equal(hit({ absoluteTimeoutMs: 10_000 }, 1011), null);
  assert.equal(hit({ idleTimeoutMs: 5_000 }, 1004)?.pool, c.endpoints[1]);
  assert.equal(hit({ idleTimeoutMs: 5_000 }, 1006), null);
  assert.equal(findSession({ type: 'Header', name: 'X-S' }, ['x-s', 'garbage'], backends, 1000), null);
  c.stop();
  registry.destroyAll();
});
