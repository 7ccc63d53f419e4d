// Misbehaving upstreams and clients: the gateway answers 502/503 or resets, never crashes, and
// keeps serving.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import {
  cluster,
  echoServer,
  type EchoServer,
  forward,
  freePort,
  match,
  RecordingObserver,
  request,
  route,
  simpleIR,
} from './helpers.ts';

const obs = new RecordingObserver();
const dp = createDataPlane({ bindAddress: '127.0.0.1', observer: obs });
let port = 0;
let bad: net.Server;
let good: EchoServer;

// Answers according to the request path.
const replies: Record<string, string | ((s: net.Socket) => void)> = {
  '/garbage': 'NOT HTTP AT ALL\r\n\r\n',
  '/both': 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  '/bad-chunk': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n',
  '/short': 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-part',
  '/until-close': 'HTTP/1.1 200 OK\r\n\r\nbody-until-close',
  '/interim':
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  '/silent': () => {},
  '/reset': (s) => s.resetAndDestroy(),
};

before(async () => {
  bad = net.createServer((s) => {
    let buf = '';
    s.on('error', () => {});
    s.on('data', (c) => {
      buf += c.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const path = buf.split(' ')[1]!;
      buf = '';
      const reply = replies[path];
      if (typeof reply === 'function') reply(s);
      else if (path === '/until-close' || path === '/short') s.end(reply ?? '');
      else s.write(reply ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    });
  });
  await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
  good = await echoServer('good');
  port = await freePort();
  await dp.apply(
    simpleIR(
      port,
      [
        route({ match: match({ path: { type: 'PathPrefix', value: '/ok' } }), action: forward('good') }),
        route({
          match: match({ path: { type: 'PathPrefix', value: '/silent' } }),
          action: forward('bad'),
          timeouts: { requestMs: 100 },
        }),
        route({ action: forward('bad') }),
      ],
      [cluster('bad', [(bad.address() as AddressInfo).port]), cluster('good', [good.port])],
    ),
    'v1',
  );
});

after(async () => {
  await dp.close({ graceMs: 50 });
  bad.close();
  await good.close();
});

async function outcome(path: string): Promise<string> {
  try {
    const r = await request(port, path);
    return String(r.status) + ' ' + r.body;
  } catch (err) {
    return 'error ' + (err as NodeJS.ErrnoException).code;
  }
}

test('malformed upstream responses become 502-class answers or resets, never a crash', async () => {
  assert.match(await outcome('/garbage'), /^502 /);
  assert.match(await outcome('/both'), /^502 /);
  // Head already forwarded: the client sees a broken response.
  assert.match(await outcome('/bad-chunk'), /^error /);
  assert.match(await outcome('/short'), /^error /);
  assert.equal(await outcome('/until-close'), '200 body-until-close');
  assert.equal(await outcome('/interim'), '200 ok');
  assert.match(await outcome('/reset'), /^503 /);
  assert.match(await outcome('/silent'), /^504 /);
  assert.equal((await request(port, '/ok')).status, 200);
});

test('clients that vanish mid-body or mid-response leave the gateway healthy', async () => {
  for (let i = 0; i < 20; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    if (i % 2 === 0) s.write('POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial');
    else s.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 2));
    s.destroy();
  }
  const agent = new http.Agent({ keepAlive: true });
  const results = await Promise.all(Array.from({ length: 20 }, () => request(port, '/ok', { agent })));
  agent.destroy();
  assert.ok(results.every((r) => r.status === 200));
});
