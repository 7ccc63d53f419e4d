// HTTP/1.1 "Upgrade: h2c" (RFC 7540 §3.2). node:http2 has no server-side upgrade, so after the 101
// the gateway waits for the client preface and SETTINGS, then injects the upgraded request as a
// HEADERS frame on stream 1 (HPACK literals, no compression) and hands the socket to HTTP/2. The
// request is then served like any other stream. Only bodyless requests are upgraded.
import type { H1ServerConnection } from '../http1/connection.ts';
import type { RequestHead } from '../http1/parser.ts';
import { isHopOrFraming } from '../http1/serializer.ts';

const PREFACE_LEN = 24;
const MAX_FRAME = 16384;

function hpackInt(out: number[], value: number, prefixBits: number, firstByte: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(firstByte | value);
    return;
  }
  out.push(firstByte | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function hpackLiteral(out: number[], name: string, value: string): void {
  // Literal Header Field without Indexing, new name (RFC 7541 §6.2.2).
  out.push(0);
  const n = Buffer.from(name, 'latin1');
  hpackInt(out, n.length, 7, 0);
  for (const b of n) out.push(b);
  const v = Buffer.from(value, 'latin1');
  hpackInt(out, v.length, 7, 0);
  for (const b of v) out.push(b);
}

function headersFrame(head: RequestHead, authority: string): Buffer | null {
  const block: number[] = [];
  hpackLiteral(block, ':method', head.method);
  hpackLiteral(block, ':scheme', 'http');
  hpackLiteral(block, ':path', head.target);
  hpackLiteral(block, ':authority', authority);
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]!;
    if (isHopOrFraming(name)) continue;
    hpackLiteral(block, name, h[i + 1]!);
  }
  if (block.length > MAX_FRAME) return null;
  const frame = Buffer.alloc(9 + block.length);
  frame.writeUIntBE(block.length, 0, 3);
  frame[3] = 0x1; // HEADERS
  frame[4] = 0x1 | 0x4; // END_STREAM | END_HEADERS
  frame.writeUInt32BE(1, 5);
  Buffer.from(block).copy(frame, 9);
  return frame;
}

export function tryH2cUpgrade(conn: H1ServerConnection, head: RequestHead, rest: Buffer): boolean {
  if (head.target.charCodeAt(0) !== 47 || head.host === null) return false;
  let hasSettings = false;
  for (let i = 0; i < head.headers.length; i += 2) if (head.headers[i] === 'http2-settings') hasSettings = true;
  if (!hasSettings) return false;
  const frame = headersFrame(head, head.host);
  if (frame === null) return false;
  const socket = conn.socket;
  const pending = conn.takeOver();
  socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n', 'latin1');
  let buf = Buffer.concat([pending, rest]);
  const onData = (chunk: Buffer): void => {
    buf = Buffer.concat([buf, chunk]);
    check();
  };
  const check = (): void => {
    if (buf.length < PREFACE_LEN + 9) return;
    const len = buf.readUIntBE(PREFACE_LEN, 3);
    const end = PREFACE_LEN + 9 + len;
    if (buf.length < end) return;
    conn.readsTo(null);
    socket.pause();
    // preface + client SETTINGS, then the upgraded request as stream 1, then whatever followed.
    socket.unshift(Buffer.concat([buf.subarray(0, end), frame, buf.subarray(end)]));
    conn.port.h2Handoff(socket, null);
  };
  conn.readsTo(onData);
  socket.resume();
  check();
  return true;
}
