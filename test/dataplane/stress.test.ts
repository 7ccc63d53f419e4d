// Concurrency: many keep-alive clients, mixed body sizes and framings, over pooled upstream
// connections. Every response must belong to its own request (no cross-talk between exchanges).
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import { cluster, echoServer, type EchoServer, forward, freePort, route, simpleIR } from './helpers.ts';

let a: EchoServer;
let b: EchoServer;
let port = 0;
const dp = createDataPlane({ bindAddress: '127.0.0.1' });

before(async () => {
  a = await echoServer('a');
  b = await echoServer('b');
  port = await freePort();
  await dp.apply(
    simpleIR(port, [route({ action: forward(['a', 1], ['b', 1]) })], [cluster('a', [a.port]), cluster('b', [b.port])]),
    'v1',
  );
});

after(async () => {
  await dp.close({ graceMs: 50 });
  await a.close();
  await b.close();
});

function one(agent: http.Agent, id: number): Promise<void> {
  const size = (id * 7919) % 50000;
  const chunked = id % 3 === 0;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/req/' + id,
        method: size > 0 ? 'POST' : 'GET',
        agent,
        headers: chunked || size === 0 ? {} : { 'content-length': size },
      },
      (res) => {
        let s = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (s += c));
        res.on('end', () => {
          try {
            const j = JSON.parse(s);
            assert.equal(j.path, '/req/' + id);
            assert.equal(j.bodyLength, size);
            resolve();
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on('error', reject);
    if (size > 0) {
      const body = Buffer.alloc(size, 'b');
      if (chunked) {
        req.write(body.subarray(0, size >> 1));
        setImmediate(() => req.end(body.subarray(size >> 1)));
        return;
      }
      req.end(body);
    } else req.end();
  });
}

test('2000 mixed HTTP/1.1 requests over 32 keep-alive connections: every answer matches its request', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  let next = 0;
  const worker = async () => {
    while (next < 2000) await one(agent, next++);
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  agent.destroy();
});

test('500 concurrent HTTP/2 streams on one connection', async () => {
  const c = http2.connect('http://127.0.0.1:' + port);
  const ids = Array.from({ length: 500 }, (_, i) => i);
  await Promise.all(
    ids.map(
      (id) =>
        new Promise<void>((resolve, reject) => {
          const req = c.request({ ':path': '/h2/' + id, ':method': 'POST' });
          let s = '';
          req.setEncoding('utf8');
          req.on('data', (d) => (s += d));
          req.on('end', () => {
            try {
              const j = JSON.parse(s);
              assert.equal(j.path, '/h2/' + id);
              assert.equal(j.bodyLength, id);
              resolve();
            } catch (err) {
              reject(err);
            }
          });
          req.on('error', reject);
          req.end(Buffer.alloc(id, 'x'));
        }),
    ),
  );
  c.close();
});
