// Direct socket writes (src/dataplane/socketwrite.ts): bytes go straight to the handle when the
// socket has nothing queued, and keep their order with socket.write() and end() when the kernel
// cannot take them at once.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import {
  BATCH_MESSAGES,
  batchedWrites,
  directWritesAvailable,
  flushWrites,
  hasPendingWrites,
  writeDirect,
  writeDirectLatin1,
  writeSoon,
} from '../../src/dataplane/socketwrite.ts';

async function pair(): Promise<{ client: net.Socket; server: net.Socket; close: () => Promise<void> }> {
  let accepted!: (s: net.Socket) => void;
  const got = new Promise<net.Socket>((r) => {
    accepted = r;
  });
  const srv = net.createServer((s) => accepted(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const client = net.connect((srv.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  const server = await got;
  return { client, server, close: () => new Promise((r) => srv.close(() => r())) };
}

function collect(s: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((r) => s.on('end', () => r(Buffer.concat(chunks))));
}

test('the shipped Node.js offers direct writes', () => {
  assert.equal(directWritesAvailable, true);
});

test('a small write completes at once, through the handle, without the Writable queue', async () => {
  const { client, server, close } = await pair();
  const done = collect(server);
  const writeSpy = client.write;
  let viaWritable = 0;
  client.write = function (this: net.Socket, ...args: Parameters<net.Socket['write']>) {
    viaWritable++;
    return writeSpy.apply(this, args);
  } as net.Socket['write'];
  assert.equal(writeDirectLatin1(client, 'head\r\n'), true);
  assert.equal(writeDirect(client, Buffer.from('body')), true);
  assert.equal(viaWritable, 0);
  assert.equal(hasPendingWrites(client), false);
  client.write = writeSpy;
  client.end();
  assert.equal((await done).toString(), 'head\r\nbody');
  server.destroy();
  await close();
});

test('writes the kernel cannot take queue in order behind each other, with socket.write and end()', async () => {
  const { client, server, close } = await pair();
  server.pause(); // nothing read: the kernel buffers fill and direct writes queue in libuv
  const parts: Buffer[] = [];
  let sawQueued = false;
  for (let i = 0; i < 64; i++) {
    const b = crypto.randomBytes(64 * 1024);
    parts.push(b);
    // Alternate direct and Writable writes: order must hold across both.
    const ok = i % 3 === 2 ? client.write(b) : writeDirect(client, b);
    if (!ok) sawQueued = true;
  }
  const tail = Buffer.from('the end');
  parts.push(tail);
  writeDirectLatin1(client, tail.toString('latin1'));
  assert.equal(sawQueued, true, 'expected the socket to back up');
  assert.equal(hasPendingWrites(client), true);
  client.end();
  const done = collect(server);
  server.resume();
  const got = await done;
  const want = Buffer.concat(parts);
  assert.equal(got.length, want.length);
  assert.ok(got.equals(want));
  server.destroy();
  await close();
});

test("a queued direct write emits 'drain' once the kernel has taken every byte", async () => {
  const { client, server, close } = await pair();
  server.pause();
  const parts: Buffer[] = [];
  let ok = true;
  while (ok) {
    const b = crypto.randomBytes(64 * 1024);
    parts.push(b);
    ok = writeDirect(client, b);
  }
  assert.equal(hasPendingWrites(client), true);
  const drained = new Promise((r) => client.once('drain', r));
  const chunks: Buffer[] = [];
  server.on('data', (c: Buffer) => chunks.push(c));
  server.resume();
  await drained;
  assert.equal(hasPendingWrites(client), false);
  const done = new Promise((r) => server.on('end', r));
  client.end();
  await done;
  assert.ok(Buffer.concat(chunks).equals(Buffer.concat(parts)));
  server.destroy();
  await close();
});

test('a corked socket falls back to socket.write, keeping the order', async () => {
  const { client, server, close } = await pair();
  const done = collect(server);
  client.cork();
  // Corked: the Writable holds the bytes, so the direct path must not overtake them.
  client.write('first ');
  writeDirect(client, Buffer.from('second'));
  client.uncork();
  client.end();
  assert.equal((await done).toString(), 'first second');
  server.destroy();
  await close();
});

test('an ended socket falls back to socket.write, which reports the write after end', async () => {
  const { client, server, close } = await pair();
  const done = collect(server);
  client.end('bye');
  const err = new Promise<Error>((r) => client.once('error', r));
  assert.equal(writeDirect(client, Buffer.from('late')), false);
  assert.equal(((await err) as NodeJS.ErrnoException).code, 'ERR_STREAM_WRITE_AFTER_END');
  assert.equal((await done).toString(), 'bye');
  server.destroy();
  await close();
});

// ---- Batched writes (writeSoon) -----------------------------------------------------------------

const turnEnd = (): Promise<void> => new Promise((r) => setImmediate(r));

async function closeAll(...pairs: Awaited<ReturnType<typeof pair>>[]): Promise<void> {
  for (const p of pairs) {
    p.server.destroy();
    await p.close();
  }
}

test('writeSoon holds messages until the end of the event-loop turn, then writes them in order', async () => {
  const a = await pair();
  const b = await pair();
  const doneA = collect(a.server);
  const doneB = collect(b.server);
  assert.equal(writeSoon(a.client, 'HTTP/1.1 200 OK\r\n\r\n'), true);
  assert.equal(writeSoon(b.client, Buffer.from('to b')), true);
  assert.equal(writeSoon(a.client, Buffer.from('body')), true);
  assert.equal(batchedWrites(), 3);
  await turnEnd();
  assert.equal(batchedWrites(), 0);
  a.client.end();
  b.client.end();
  assert.equal((await doneA).toString(), 'HTTP/1.1 200 OK\r\n\r\nbody');
  assert.equal((await doneB).toString(), 'to b');
  await closeAll(a, b);
});

test('writes that cannot wait go after the batched ones: writeDirect, and flushWrites() before socket.write/end', async () => {
  const { client, server, close } = await pair();
  const done = collect(server);
  writeSoon(client, 'one ');
  writeDirect(client, Buffer.from('two '));
  assert.equal(batchedWrites(), 0);
  writeSoon(client, Buffer.from('three '));
  writeDirectLatin1(client, 'four ');
  writeSoon(client, 'five');
  flushWrites();
  client.end();
  assert.equal((await done).toString(), 'one two three four five');
  server.destroy();
  await close();
});

test('writeSoon on a socket that cannot take a direct write writes at once, after the batch', async () => {
  const a = await pair();
  const b = await pair();
  const doneA = collect(a.server);
  const doneB = collect(b.server);
  writeSoon(a.client, 'batched ');
  b.client.cork();
  // Corked: not batched; the batch (another socket's) is written first, then this one at once.
  writeSoon(b.client, 'corked');
  assert.equal(batchedWrites(), 0);
  b.client.uncork();
  a.client.end('now');
  b.client.end();
  assert.equal((await doneA).toString(), 'batched now');
  assert.equal((await doneB).toString(), 'corked');
  await closeAll(a, b);
});

test('batched messages for a socket destroyed meanwhile are dropped; the others still go', async () => {
  const a = await pair();
  const b = await pair();
  const doneB = collect(b.server);
  const closedA = new Promise((r) => a.server.on('close', r));
  a.server.resume();
  writeSoon(a.client, 'lost');
  writeSoon(b.client, 'kept');
  a.client.destroy();
  await turnEnd();
  b.client.end();
  assert.equal((await doneB).toString(), 'kept');
  await closedA;
  await closeAll(a, b);
});

test('a full batch is written at once, so no message waits behind more than a batch', async () => {
  const { client, server, close } = await pair();
  const done = collect(server);
  for (let i = 0; i < BATCH_MESSAGES; i++) writeSoon(client, `${i},`);
  assert.equal(batchedWrites(), 0);
  writeSoon(client, 'last');
  assert.equal(batchedWrites(), 1);
  await turnEnd();
  client.end();
  const want = Array.from({ length: BATCH_MESSAGES }, (_, i) => `${i},`).join('') + 'last';
  assert.equal((await done).toString(), want);
  server.destroy();
  await close();
});
