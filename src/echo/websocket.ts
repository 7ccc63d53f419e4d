// WebSocket echo (RFC 6455): the opening handshake, then every data frame the client sends comes
// back as the same frame (opcode, FIN and payload), so fragmented messages round-trip as they
// were sent. Pings get pongs; a close gets the close echoed and ends the connection.

import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Largest frame payload accepted; an echo backend for tests needs no more. */
const MAX_PAYLOAD = 16 * 1024 * 1024;

const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export function websocketAccept(key: string): string {
  return createHash('sha1')
    .update(key + ACCEPT_GUID)
    .digest('base64');
}

/** Completes the handshake on an upgraded HTTP/1.1 connection and echoes frames until close. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const key = req.headers['sec-websocket-key'];
  const version = req.headers['sec-websocket-version'];
  if (req.method !== 'GET' || typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16 || version !== '13') {
    const body = 'Bad WebSocket handshake';
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    return;
  }
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${websocketAccept(key)}`,
  ];
  // Subprotocols are opaque to an echo: agree to the client's first choice.
  const protocol = req.headers['sec-websocket-protocol']?.split(',')[0]?.trim();
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);

  let buffered: Buffer = head.length > 0 ? Buffer.from(head) : Buffer.alloc(0);
  let closed = false;
  const onData = (chunk: Buffer): void => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (!closed) {
      const frame = parseFrame(buffered);
      if (frame === undefined) break;
      if ('error' in frame) {
        closed = true;
        socket.end(encodeFrame(true, OP_CLOSE, closePayload(frame.error)));
        return;
      }
      buffered = buffered.subarray(frame.size);
      if (frame.opcode === OP_CLOSE) {
        closed = true;
        socket.end(encodeFrame(true, OP_CLOSE, frame.payload));
      } else if (frame.opcode === OP_PING) {
        socket.write(encodeFrame(true, OP_PONG, frame.payload));
      } else if (frame.opcode !== OP_PONG) {
        socket.write(encodeFrame(frame.fin, frame.opcode, frame.payload));
      }
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  if (buffered.length > 0) {
    const first = buffered;
    buffered = Buffer.alloc(0);
    onData(first);
  }
}

interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
  /** Bytes the frame took in the input. */
  size: number;
}

/** One client frame from the front of buf: undefined when incomplete, an error (close code) when invalid. */
export function parseFrame(buf: Buffer): Frame | { error: number } | undefined {
  if (buf.length < 2) return undefined;
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  const opcode = b0 & 0x0f;
  const fin = (b0 & 0x80) !== 0;
  // Clients must mask; no extension was negotiated, so RSV bits must be clear.
  if ((b0 & 0x70) !== 0 || (b1 & 0x80) === 0 || ![0, 1, 2, 8, 9, 10].includes(opcode)) return { error: 1002 };
  let len = b1 & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    const big = buf.readBigUInt64BE(2);
    if (big > BigInt(MAX_PAYLOAD)) return { error: 1009 };
    len = Number(big);
    offset = 10;
  }
  if (opcode >= 8 && (len > 125 || !fin)) return { error: 1002 };
  if (len > MAX_PAYLOAD) return { error: 1009 };
  if (buf.length < offset + 4 + len) return undefined;
  const mask = buf.subarray(offset, offset + 4);
  const payload = Buffer.from(buf.subarray(offset + 4, offset + 4 + len));
  for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i & 3]!;
  return { fin, opcode, payload, size: offset + 4 + len };
}

/** A server frame (unmasked). */
export function encodeFrame(fin: boolean, opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const headLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const head = Buffer.alloc(headLen);
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (len < 126) head[1] = len;
  else if (len < 65536) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

function closePayload(code: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return b;
}
