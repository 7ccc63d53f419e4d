// HTTP/1.1 upstream connections read into one reused buffer (upstreamChunks in upstream/handler.ts):
// bytes a downstream keeps (a slow client's socket queue, an HTTP/2 stream) must never be
// overwritten by the next read. Large patterned bodies go through to clients that read slowly,
// over HTTP/1.1 and HTTP/2, chunked and with a length, and arrive byte for byte.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import { cluster, forward, freePort, match, route, simpleIR } from './helpers.ts';

const SIZE = 6 * 1024 * 1024 + 123;
// Every 4-byte word differs: a stale or overwritten region cannot go unnoticed.
const body = Buffer.alloc(SIZE);
for (let i = 0; i + 4 <= SIZE; i += 4) body.writeUInt32BE((i * 2654435761) >>> 0, i);
const digest = crypto.createHash('sha256').update(body).digest('hex');

const dp = createDataPlane({ bindAddress: '127.0.0.1' });
let upstream: http.Server;
let port = 0;

before(async () => {
  upstream = http.createServer((req, res) => {
    // Small uneven writes for the chunked case, so the proxy sees many reads of many sizes.
    if (req.url === '/chunked') {
      let off = 0;
      const write = (): void => {
        while (off < SIZE) {
          const n = Math.min(SIZE - off, 1000 + (off % 70_000));
          const ok = res.write(body.subarray(off, off + n));
          off += n;
          if (!ok) return void res.once('drain', write);
        }
        res.end();
      };
      write();
      return;
    }
    res.setHeader('content-length', SIZE);
    res.end(body);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  port = await freePort();
  const res = await dp.apply(
    simpleIR(
      port,
      [route({ match: match(), action: forward('u') })],
      [cluster('u', [(upstream.address() as AddressInfo).port])],
    ),
    'v1',
  );
  assert.deepEqual(res.errors, []);
});

after(async () => {
  await dp.close({ graceMs: 10 });
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

/** Raw HTTP/1.1 GET read in small bites with pauses, so the proxy's socket queue fills up. */
function slowGet(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let n = 0;
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      if (++n % 8 === 0) {
        s.pause();
        setTimeout(() => s.resume(), 2);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  });
}

function decodeChunked(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', pos);
    const size = Number.parseInt(b.subarray(pos, eol).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(out);
    out.push(b.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

for (const path of ['/length', '/chunked']) {
  test(`HTTP/1.1 client reading slowly: ${path} body arrives intact`, async () => {
    const raw = await slowGet(path);
    const headEnd = raw.indexOf('\r\n\r\n');
    const head = raw.subarray(0, headEnd).toString('latin1');
    assert.match(head, /^HTTP\/1.1 200 /);
    let got = raw.subarray(headEnd + 4);
    if (/transfer-encoding: chunked/i.test(head)) got = decodeChunked(got);
    assert.equal(got.length, SIZE);
    assert.equal(crypto.createHash('sha256').update(got).digest('hex'), digest);
  });

  test(`HTTP/2 client with a small window: ${path} body arrives intact`, async () => {
    const client = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 16 * 1024 } });
    try {
      const got = await new Promise<Buffer>((resolve, reject) => {
        const req = client.request({ ':path': path });
        const chunks: Buffer[] = [];
        let n = 0;
        req.on('data', (c: Buffer) => {
          chunks.push(c);
          if (++n % 16 === 0) {
            req.pause();
            setTimeout(() => req.resume(), 2);
          }
        });
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('error', reject);
      });
      assert.equal(got.length, SIZE);
      assert.equal(crypto.createHash('sha256').update(got).digest('hex'), digest);
    } finally {
      client.close();
    }
  });
}

test('keep-alive: many small responses on reused upstream connections stay intact', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  try {
    const one = (i: number) =>
      new Promise<void>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: `/length?i=${i}`, agent, headers: { range: 'ignored' } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              try {
                assert.equal(crypto.createHash('sha256').update(Buffer.concat(chunks)).digest('hex'), digest);
                resolve();
              } catch (err) {
                reject(err);
              }
            });
          })
          .on('error', reject);
      });
    await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(one));
  } finally {
    agent.destroy();
  }
});

test('byte-identical upstream heads: each response gets its own header list (filters do not pile up)', async (t) => {
  // A fixed head, so consecutive responses on a kept-alive upstream connection are byte-identical.
  const fixed = net.createServer((s) => {
    let buf = '';
    s.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      let i = buf.indexOf('\r\n\r\n');
      while (i !== -1) {
        buf = buf.slice(i + 4);
        s.write('HTTP/1.1 200 OK\r\nX-Up: 1\r\nContent-Length: 2\r\n\r\nok');
        i = buf.indexOf('\r\n\r\n');
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => fixed.listen(0, '127.0.0.1', r));
  const dp2 = createDataPlane({ bindAddress: '127.0.0.1' });
  const p2 = await freePort();
  const filters = [
    {
      type: 'ResponseHeaderModifier' as const,
      modifier: { add: [{ name: 'x-added', value: 'v' }], set: [], remove: ['x-up'] },
    },
  ];
  await dp2.apply(
    simpleIR(
      p2,
      [route({ match: match(), action: forward('f'), filters })],
      [cluster('f', [(fixed.address() as AddressInfo).port])],
    ),
    'v1',
  );
  t.after(async () => {
    await dp2.close({ graceMs: 10 });
    await new Promise((r) => fixed.close(r));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 5; i++) {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: p2, path: '/', agent }, resolve).on('error', reject);
      });
      res.resume();
      await new Promise((r) => res.on('end', r));
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-added'], 'v', `request ${i}`);
      assert.equal(res.rawHeaders.filter((h) => h.toLowerCase() === 'x-added').length, 1, `request ${i}`);
      assert.equal(res.headers['x-up'], undefined, `request ${i}`);
    }
  } finally {
    agent.destroy();
  }
});
