// HTTP/2 over cleartext, reached by the HTTP/1.1 "Upgrade: h2c" dance (RFC 7540 §3.2; prior
// knowledge is detected earlier, on the connection's first bytes). After the 101 the request that
// asked for the upgrade becomes stream 1 of the new HTTP/2 connection and is answered there.
//
// Node's HTTP/2 server has no way to adopt that implicit stream, so the connection is handed to it
// through a small splice: the client's connection preface and first SETTINGS frame pass through
// unchanged, then a HEADERS frame carrying the original request (stream 1, END_STREAM) is inserted,
// then the rest of the client's bytes follow. To the server it looks like the client opened stream
// 1 itself. Only requests without a body are upgraded (the caller checks), so the HEADERS frame is
// the whole request.

import type { IncomingMessage } from 'node:http';
import type { Http2Server } from 'node:http2';
import { Duplex } from 'node:stream';

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const FRAME_HEADERS = 0x1;
const FRAME_SETTINGS = 0x4;
const FRAME_CONTINUATION = 0x9;
const FLAG_END_STREAM = 0x1;
const FLAG_END_HEADERS = 0x4;
/** SETTINGS_MAX_FRAME_SIZE's initial value: the largest frame the server accepts before settings change. */
const MAX_FRAME = 16384;

// Connection-specific fields that HTTP/2 forbids (RFC 9113 §8.2.2), plus the upgrade's own.
const HOP_BY_HOP = new Set([
  'host',
  'connection',
  'upgrade',
  'http2-settings',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
]);

/** Whether an HTTP/1.1 request asking for h2c can be switched: cleartext, no body, HTTP2-Settings present. */
export function canUpgradeToH2c(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return false;
  if (typeof req.headers['http2-settings'] !== 'string') return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

/** Answers 101 and hands the connection, with the request as stream 1, to the HTTP/2 server. */
export function upgradeToH2c(req: IncomingMessage, socket: Duplex, head: Buffer, h2: Http2Server): void {
  socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
  h2.emit('connection', spliceStreamOne(socket, head, stream1Frames(req)));
}

function stream1Frames(req: IncomingMessage): Buffer {
  const fields: Array<[string, string]> = [
    [':method', req.method ?? 'GET'],
    [':scheme', 'http'],
    [':authority', req.headers.host ?? ''],
    [':path', req.url ?? '/'],
  ];
  const connectionTokens = new Set(
    String(req.headers.connection ?? '')
      .toLowerCase()
      .split(',')
      .map((t) => t.trim()),
  );
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (HOP_BY_HOP.has(name) || connectionTokens.has(name) || (name === 'te' && value !== 'trailers')) continue;
    fields.push([name, value]);
  }
  return headerFrames(1, hpackLiterals(fields));
}

/**
 * HPACK "literal header field without indexing, new name" for every field: no Huffman, no dynamic
 * table, so the server's decoder state is the same as if nothing had been inserted.
 */
function hpackLiterals(fields: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(Buffer.from([0x00]), hpackInt(n.length), n, hpackInt(v.length), v);
  }
  return Buffer.concat(parts);
}

/** An HPACK integer with a 7-bit prefix (string lengths, Huffman bit clear). */
function hpackInt(n: number): Buffer {
  if (n < 0x7f) return Buffer.from([n]);
  const bytes = [0x7f];
  n -= 0x7f;
  while (n >= 0x80) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** HEADERS (END_STREAM) plus CONTINUATION frames as needed; the last one carries END_HEADERS. */
function headerFrames(streamId: number, block: Buffer): Buffer {
  const frames: Buffer[] = [];
  let offset = 0;
  do {
    const chunk = block.subarray(offset, offset + MAX_FRAME);
    offset += chunk.length;
    const first = frames.length === 0;
    const last = offset >= block.length;
    const flags = (first ? FLAG_END_STREAM : 0) | (last ? FLAG_END_HEADERS : 0);
    frames.push(frameHeader(chunk.length, first ? FRAME_HEADERS : FRAME_CONTINUATION, flags, streamId), chunk);
  } while (offset < block.length);
  return Buffer.concat(frames);
}

function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(streamId, 5);
  return h;
}

/** A duplex over the socket whose readable side has `insert` spliced in after the client's first SETTINGS frame. */
function spliceStreamOne(socket: Duplex, head: Buffer, insert: Buffer): Duplex {
  let pending: Buffer | null = Buffer.alloc(0);
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  const onData = (chunk: Buffer): void => {
    let out = chunk;
    if (pending !== null) {
      pending = Buffer.concat([pending, chunk]);
      const settingsAt = H2_PREFACE.length;
      if (pending.length < settingsAt + 9) return;
      if (!pending.subarray(0, settingsAt).equals(H2_PREFACE) || pending[settingsAt + 3] !== FRAME_SETTINGS) {
        socket.destroy();
        return;
      }
      const end = settingsAt + 9 + pending.readUIntBE(settingsAt, 3);
      if (pending.length < end) return;
      out = Buffer.concat([pending.subarray(0, end), insert, pending.subarray(end)]);
      pending = null;
    }
    if (!duplex.push(out)) socket.pause();
  };
  socket.on('data', onData);
  socket.on('end', () => duplex.push(null));
  socket.on('error', (err) => duplex.destroy(err));
  socket.on('close', () => duplex.destroy());
  if (head.length > 0) onData(head);
  socket.resume();
  return duplex;
}
