// The data plane against the project's echo backend (the conformance echo server's behaviour):
// retries on resets and status codes, timeouts, h2c and WebSocket backends, gRPC.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http2 from 'node:http2';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import { type EchoServer, GRPC_ECHO_SERVICE, startEchoServer } from '../../src/echo/index.ts';
import type { HTTPRouteIR } from '../../src/ir/types.ts';
import { cluster, forward, freePort, json, match, request, route, simpleIR } from './helpers.ts';

let echo: EchoServer;
let port = 0;
const dp = createDataPlane({ bindAddress: '127.0.0.1' });

function at(prefix: string, r: Partial<HTTPRouteIR>): HTTPRouteIR {
  return route({ match: match({ path: { type: 'PathPrefix', value: prefix } }), action: forward('echo'), ...r });
}

before(async () => {
  echo = await startEchoServer({ namespace: 'ns', pod: 'pod-1' });
  port = await freePort();
  await dp.apply(
    simpleIR(
      port,
      [
        at('/retry', { retry: { attempts: 3, codes: [500], backoffMs: 0, onConnectFailure: true } }),
        at('/timeout', { timeouts: { requestMs: 200 } }),
        at('/h2c', { action: forward('echo-h2c') }),
        at('/ws', { action: forward('echo-ws') }),
        at('/' + GRPC_ECHO_SERVICE, { action: forward('echo-h2c'), grpc: true }),
        at('/', {}),
      ],
      [
        cluster('echo', [echo.port]),
        cluster('echo-h2c', [echo.port], { protocol: 'h2c' }),
        cluster('echo-ws', [echo.port], { protocol: 'ws' }),
      ],
    ),
    'v1',
  );
});

after(async () => {
  await dp.close({ graceMs: 50 });
  await echo.close();
});

test('echo JSON through the gateway', async () => {
  const r = await json(port, '/hello', { headers: { host: 'example.com' } });
  assert.equal(r.status, 200);
  assert.equal(r.json.path, '/hello');
  assert.equal(r.json.host, 'example.com');
  assert.equal(r.json.pod, 'pod-1');
});

test('retries (attempts 3): resets and 500s succeed within the budget and fail beyond it', async () => {
  const status = async (q: string) => (await request(port, '/retry/?uuid=' + randomUUID() + '&' + q)).status;
  // Warm the upstream pool so attempts run on reused keep-alive sockets.
  await request(port, '/warm');
  assert.equal(await status('succeedAfter=2'), 200);
  assert.equal(await status('succeedAfter=3'), 200);
  assert.ok([500, 503].includes(await status('succeedAfter=4')));
  assert.equal(await status('succeedAfter=3&responseCode=500'), 200);
  assert.equal(await status('succeedAfter=4&responseCode=500'), 500);
  assert.equal(await status('succeedAfter=1&responseCode=503'), 503);
});

test('request timeout against a delayed echo', async () => {
  assert.equal((await request(port, '/timeout?delay=1s')).status, 504);
  assert.equal((await request(port, '/timeout?delay=10ms')).status, 200);
});

test('h2c backend reached from an HTTP/1.1 client', async () => {
  const r = await json(port, '/h2c/x');
  assert.equal(r.status, 200);
  assert.equal(r.json.proto, 'HTTP/2.0');
});

test('WebSocket backend', async () => {
  const ws = new WebSocket('ws://127.0.0.1:' + port + '/ws');
  const got = await new Promise<string>((resolve, reject) => {
    ws.onopen = () => ws.send('ping-through');
    ws.onmessage = (e) => resolve(String(e.data));
    ws.onerror = () => reject(new Error('ws error'));
  });
  ws.close();
  assert.equal(got, 'ping-through');
});

test('gRPC echo through the gateway; unknown method is UNIMPLEMENTED from the backend', async () => {
  const c = http2.connect('http://127.0.0.1:' + port);
  const call = (method: string) =>
    new Promise<{ status: string | undefined; headers: http2.IncomingHttpHeaders }>((resolve, reject) => {
      const req = c.request({
        ':method': 'POST',
        ':path': '/' + GRPC_ECHO_SERVICE + '/' + method,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      let headers: http2.IncomingHttpHeaders = {};
      let status: string | undefined;
      req.on('response', (h) => {
        headers = h;
        status = h['grpc-status'] as string | undefined;
      });
      req.on('trailers', (t) => {
        status = t['grpc-status'] as string | undefined;
      });
      req.on('data', () => {});
      req.on('end', () => resolve({ status, headers }));
      req.on('error', reject);
      req.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  assert.equal((await call('Echo')).status, '0');
  assert.equal((await call('EchoThree')).status, '12');
  c.close();
});
