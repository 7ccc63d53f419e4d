// gRPC side of the echo backend: the conformance suite's GrpcEcho service
// (package gateway_api_conformance.echo_basic.grpcecho, see grpcecho.proto beside this file).
// Echo and EchoTwo answer with assertions about the request; EchoThree is deliberately
// unimplemented. The messages are a handful of string fields, so they are encoded by hand.

import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { EchoContext, TLSAssertions } from './context.ts';
import { tlsAssertions } from './context.ts';

export const GRPC_ECHO_SERVICE = 'gateway_api_conformance.echo_basic.grpcecho.GrpcEcho';
const IMPLEMENTED = new Set(['Echo', 'EchoTwo']);
const KNOWN = new Set(['Echo', 'EchoTwo', 'EchoThree']);

const OK = 0;
const INTERNAL = 13;
const UNIMPLEMENTED = 12;

/** Largest request message accepted; the request message is empty, so anything big is a mistake. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export interface GrpcAssertions {
  fullyQualifiedMethod: string;
  headers: Array<{ key: string; value: string | Buffer }>;
  authority: string;
  context: EchoContext;
  tls?: TLSAssertions;
}

export function handleGrpc(
  ctx: EchoContext,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  tlsSocket: TLSSocket | undefined,
): void {
  const path = req.url ?? '';
  const slash = path.lastIndexOf('/');
  const service = path.slice(1, slash);
  const method = path.slice(slash + 1);
  if (service !== GRPC_ECHO_SERVICE || !KNOWN.has(method)) {
    req.resume();
    finish(
      res,
      UNIMPLEMENTED,
      service === GRPC_ECHO_SERVICE ? `unknown method ${method} for service ${service}` : `unknown service ${service}`,
    );
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) {
      finish(res, INTERNAL, 'request message too large');
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    const problem = checkUnaryRequest(Buffer.concat(chunks));
    if (problem) return finish(res, problem.code, problem.message);
    if (!IMPLEMENTED.has(method)) return finish(res, UNIMPLEMENTED, `method ${method} not implemented`);
    const assertions: GrpcAssertions = {
      fullyQualifiedMethod: `/${GRPC_ECHO_SERVICE}/${method}`,
      headers: grpcMetadata(req.rawHeaders),
      authority: headerString(req.headers[':authority']),
      context: ctx,
    };
    if (tlsSocket) assertions.tls = tlsAssertions(tlsSocket);
    finish(res, OK, '', encodeEchoResponse(assertions));
  });
}

/** The body must be exactly one uncompressed length-prefixed message (its content is ignored: EchoRequest is empty). */
function checkUnaryRequest(body: Buffer): { code: number; message: string } | undefined {
  if (body.length < 5) return { code: INTERNAL, message: 'expected one request message' };
  if (body[0] !== 0) return { code: UNIMPLEMENTED, message: 'compressed messages are not supported' };
  if (body.readUInt32BE(1) !== body.length - 5)
    return { code: INTERNAL, message: 'expected exactly one request message' };
  return undefined;
}

function finish(res: Http2ServerResponse, code: number, message: string, payload?: Buffer): void {
  if (res.headersSent) return;
  res.writeHead(200, { 'content-type': 'application/grpc' });
  res.addTrailers({ 'grpc-status': String(code), ...(message ? { 'grpc-message': encodeURIComponent(message) } : {}) });
  if (payload) res.end(frame(payload));
  else res.end();
}

function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

// grpc-go hands the handler every header as metadata except these reserved ones; :authority and
// user-agent are reserved but still shown, and content-type is shown too.
const RESERVED = new Set([
  'grpc-encoding',
  'grpc-message-type',
  'grpc-message',
  'grpc-status',
  'grpc-timeout',
  'grpc-status-details-bin',
  'te',
  'connection',
]);

/** Request metadata as grpc-go presents it (-bin values base64-decoded). */
export function grpcMetadata(rawHeaders: string[]): Array<{ key: string; value: string | Buffer }> {
  const out: Array<{ key: string; value: string | Buffer }> = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const key = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if ((key.startsWith(':') && key !== ':authority') || RESERVED.has(key)) continue;
    out.push({ key, value: key.endsWith('-bin') ? Buffer.from(value, 'base64') : value });
  }
  return out;
}

function headerString(v: string | string[] | undefined): string {
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

// Protocol buffers, the few pieces needed: varints, and length-delimited fields (wire type 2)
// for strings and nested messages. Empty strings are left out, as proto3 does.

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

function bytesField(fieldNumber: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((fieldNumber << 3) | 2), varint(payload.length), payload]);
}

function stringField(fieldNumber: number, value: string | Buffer | undefined): Buffer {
  if (value === undefined || value.length === 0) return Buffer.alloc(0);
  return bytesField(fieldNumber, typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
}

/** EchoResponse { Assertions assertions = 1; } */
export function encodeEchoResponse(a: GrpcAssertions): Buffer {
  const ctx = a.context;
  const parts = [
    stringField(1, a.fullyQualifiedMethod),
    ...a.headers.map((h) => bytesField(2, Buffer.concat([stringField(1, h.key), stringField(2, h.value)]))),
    stringField(3, a.authority),
    bytesField(
      4,
      Buffer.concat([
        stringField(1, ctx.namespace),
        stringField(2, ctx.ingress),
        stringField(3, ctx.service),
        stringField(4, ctx.pod),
      ]),
    ),
  ];
  if (a.tls) {
    const t = a.tls;
    parts.push(
      bytesField(
        5,
        Buffer.concat([
          stringField(1, t.version),
          stringField(2, t.negotiatedProtocol),
          stringField(3, t.serverName),
          stringField(4, t.cipherSuite),
          ...(t.peerCertificates ?? []).map((pem) => stringField(5, pem)),
        ]),
      ),
    );
  }
  return bytesField(1, Buffer.concat(parts));
}
