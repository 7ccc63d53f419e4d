import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { websocketAccept } from '../../src/echo/websocket.ts';
import { type StartedEcho, startEcho } from '../helpers/echo.ts';

/** A client frame: always masked, as RFC 6455 requires of clients. */
function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (len < 126) head[1] = 0x80 | len;
  else if (len < 65536) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] = masked[i]! ^ mask[i & 3]!;
  return Buffer.concat([head, mask, masked]);
}

interface ServerFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** A minimal client: handshake, then reads server frames in order. */
async function openWebSocket(
  port: number,
  path: string,
  extraHeaders = '',
): Promise<{ socket: Socket; head: string; next(): Promise<ServerFrame> }> {
  const socket = connect(port, '127.0.0.1');
  const key = randomBytes(16).toString('base64');
  let buf = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  let closed = false;
  socket.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    waiter?.();
  });
  socket.on('close', () => {
    closed = true;
    waiter?.();
  });
  socket.on('error', () => {});
  const wait = async (ready: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!ready()) {
      if (closed) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise<void>((r) => {
        waiter = r;
        setTimeout(r, 100);
      });
    }
  };
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://ws.example.com\r\n${extraHeaders}\r\n`,
  );
  await wait(() => buf.includes('\r\n\r\n'));
  const end = buf.indexOf('\r\n\r\n') + 4;
  const head = buf.subarray(0, end).toString('latin1');
  buf = buf.subarray(end);
  if (head.startsWith('HTTP/1.1 101'))
    assert.match(
      head,
      new RegExp(`\r\nSec-WebSocket-Accept: ${websocketAccept(key).replace(/[+/]/g, '\\$&')}\r\n`, 'i'),
    );
  return {
    socket,
    head,
    async next(): Promise<ServerFrame> {
      const headerLength = () =>
        buf.length < 2 ? Infinity : (buf[1]! & 0x7f) === 126 ? 4 : (buf[1]! & 0x7f) === 127 ? 10 : 2;
      const payloadLength = () => {
        const l = buf[1]! & 0x7f;
        return l === 126 ? buf.readUInt16BE(2) : l === 127 ? Number(buf.readBigUInt64BE(2)) : l;
      };
      await wait(() => buf.length >= headerLength() && buf.length >= headerLength() + payloadLength());
      const h = headerLength();
      const len = payloadLength();
      const f = {
        fin: (buf[0]! & 0x80) !== 0,
        opcode: buf[0]! & 0x0f,
        masked: (buf[1]! & 0x80) !== 0,
        payload: buf.subarray(h, h + len),
      };
      buf = buf.subarray(h + len);
      return f;
    },
  };
}

describe('echo backend WebSocket', () => {
  let echo: StartedEcho;
  before(async () => {
    echo = await startEcho('ws-pod');
  });
  after(() => echo.close());

  test('accepts RFC 6455 (accept key per the RFC example)', () => {
    assert.equal(websocketAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  test('echoes text, binary (64 KiB) and fragmented messages; answers ping; echoes close', async () => {
    const ws = await openWebSocket(echo.port, '/ws');
    try {
      assert.match(ws.head, /^HTTP\/1\.1 101 /);
      ws.socket.write(clientFrame(0x1, Buffer.from('hello, echo')));
      const text = await ws.next();
      assert.deepEqual([text.fin, text.opcode, text.masked, text.payload.toString()], [true, 1, false, 'hello, echo']);

      const big = randomBytes(65536);
      ws.socket.write(clientFrame(0x2, big));
      const bin = await ws.next();
      assert.equal(bin.opcode, 2);
      assert.ok(bin.payload.equals(big), 'binary payload round-trips');

      ws.socket.write(
        Buffer.concat([clientFrame(0x1, Buffer.from('frag-'), false), clientFrame(0x0, Buffer.from('ment'))]),
      );
      const f1 = await ws.next();
      const f2 = await ws.next();
      assert.deepEqual([f1.fin, f1.opcode, f1.payload.toString()], [false, 1, 'frag-']);
      assert.deepEqual([f2.fin, f2.opcode, f2.payload.toString()], [true, 0, 'ment']);

      ws.socket.write(clientFrame(0x9, Buffer.from('are you there')));
      const pong = await ws.next();
      assert.deepEqual([pong.opcode, pong.payload.toString()], [0xa, 'are you there']);

      const code = Buffer.from([0x03, 0xe8]); // 1000, normal closure
      ws.socket.write(clientFrame(0x8, code));
      const close = await ws.next();
      assert.deepEqual([close.opcode, [...close.payload]], [0x8, [0x03, 0xe8]]);
    } finally {
      ws.socket.destroy();
    }
  });

  test('agrees to the first offered subprotocol and works on any path', async () => {
    const ws = await openWebSocket(echo.port, '/chat/room', 'Sec-WebSocket-Protocol: chat, superchat\r\n');
    try {
      assert.match(ws.head, /\r\nSec-WebSocket-Protocol: chat\r\n/);
      ws.socket.write(clientFrame(0x1, Buffer.from('x')));
      assert.equal((await ws.next()).payload.toString(), 'x');
    } finally {
      ws.socket.destroy();
    }
  });

  test('an unmasked client frame closes with 1002', async () => {
    const ws = await openWebSocket(echo.port, '/ws');
    try {
      ws.socket.write(Buffer.from([0x81, 0x01, 0x41]));
      const close = await ws.next();
      assert.equal(close.opcode, 0x8);
      assert.equal(close.payload.readUInt16BE(0), 1002);
    } finally {
      ws.socket.destroy();
    }
  });

  test('a handshake without a valid key is refused with 400', async () => {
    const socket = connect(echo.port, '127.0.0.1');
    const text = await new Promise<string>((resolve, reject) => {
      let got = '';
      socket.on('data', (c) => {
        got += c.toString('latin1');
      });
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
      socket.write(
        'GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    socket.destroy();
    assert.match(text, /^HTTP\/1\.1 400 /);
  });
});
