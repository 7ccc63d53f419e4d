// HTTP request handling of the echo backend, for HTTP/1.1 and HTTP/2 alike (Node's HTTP/2
// compatibility API has the same request/response shape). The JSON body and the special paths
// follow the Gateway API conformance echo server ("echo-basic"), whose response the conformance
// suite parses:
//   /health          200 "OK"
//   /status/NNN      empty response with status NNN (request-target must be exactly that, else 400)
//   /retry/?uuid=U&succeedAfter=N[&responseCode=C][&delayRetry=D]
//                    the first N attempts per uuid fail (connection reset, or status C), then echo
//   /ws              WebSocket echo; a plain request there is answered 400 (unlike echo-basic, a
//                    WebSocket upgrade is accepted on any path, so routes can be tested by path)
//   anything else    the echo JSON; ?delay=D (Go duration, e.g. 500ms, 1.5s) delays it
// and every echo response sets the headers a client asks for in X-Echo-Set-Header ("Name: value, ...").

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import type { EchoContext, TLSAssertions } from './context.ts';
import { tlsAssertions, tlsSocketOf } from './context.ts';
import { handleGrpc } from './grpc.ts';

/** The JSON body of an echo response; field names and order are echo-basic's. */
export interface EchoResponseBody {
  path: string;
  host: string;
  method: string;
  proto: string;
  headers: Record<string, string[]>;
  httpPort: string;
  namespace: string;
  ingress: string;
  service: string;
  pod: string;
  tls?: TLSAssertions;
}

export type EchoRequest = IncomingMessage | Http2ServerRequest;
export type EchoResponse = ServerResponse | Http2ServerResponse;

/** Per-server mutable state: the retry simulation counts attempts per uuid. */
export interface EchoState {
  readonly context: EchoContext;
  readonly retryAttempts: Map<string, number>;
}

export function createEchoState(context: EchoContext): EchoState {
  return { context, retryAttempts: new Map() };
}

/** The request handler shared by the HTTP/1.1 and HTTP/2 servers. */
export function handleRequest(state: EchoState, req: EchoRequest, res: EchoResponse): void {
  const isH2 = req.httpVersionMajor === 2;
  if (isH2 && isGrpc(req)) {
    handleGrpc(state.context, req as Http2ServerRequest, res as Http2ServerResponse, tlsSocketOf(req));
    return;
  }
  // The echo never reads the body; drain it so an HTTP/1.1 connection stays reusable.
  req.resume();
  route(state, req, res as ServerResponse).catch((err: unknown) => {
    try {
      if (!res.headersSent) sendError(res as ServerResponse, err, 500);
      else (res as ServerResponse).destroy();
    } catch {
      // The client went away while the answer was delayed; nobody is left to tell.
    }
  });
}

function isGrpc(req: EchoRequest): boolean {
  const ct = req.headers['content-type'];
  return typeof ct === 'string' && ct.startsWith('application/grpc');
}

async function route(state: EchoState, req: EchoRequest, res: ServerResponse): Promise<void> {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1));
  // echo-basic routes on the decoded path with "//" collapsed, but echoes the raw request-target.
  const path = safeDecode(rawPath).replaceAll('//', '/');

  if (path === '/health') return send(res, 200, { 'content-type': 'text/plain; charset=utf-8' }, 'OK');
  if (path === '/status' || path === '/retry') return redirectToSubtree(res, path, q === -1 ? '' : target.slice(q));
  if (path.startsWith('/status/')) {
    const m = /^\/status\/(\d\d\d)$/.exec(target);
    return sendStatus(res, m ? Number(m[1]) : 400);
  }
  if (path.startsWith('/retry/')) return retry(state, req, res, query);
  if (path === '/ws') return send(res, 400, { 'content-type': 'text/plain; charset=utf-8' }, 'Bad Request');
  return echo(state.context, req, res, query);
}

async function echo(ctx: EchoContext, req: EchoRequest, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const delay = query.get('delay');
  if (delay) await sleep(delay);
  const body = JSON.stringify(echoBody(ctx, req), null, 1);
  for (const [name, value] of echoSetHeaders(req.rawHeaders)) {
    try {
      res.setHeader(name, value);
    } catch {
      // echo-basic skips header names or values it cannot write; so do we.
    }
  }
  res.setHeader('content-type', 'application/json');
  res.setHeader('x-content-type-options', 'nosniff');
  res.statusCode = 200;
  res.end(body);
}

/** The echo JSON for a request. */
export function echoBody(ctx: EchoContext, req: EchoRequest): EchoResponseBody {
  const isH2 = req.httpVersionMajor === 2;
  const authority = isH2 ? req.headers[':authority'] : req.headers.host;
  const tlsSocket = tlsSocketOf(req);
  const body: EchoResponseBody = {
    path: req.url ?? '',
    host: (typeof authority === 'string' ? authority : req.headers.host) ?? '',
    method: req.method ?? '',
    proto: isH2 ? 'HTTP/2.0' : `HTTP/${req.httpVersion}`,
    headers: canonicalHeaders(req.rawHeaders, isH2),
    httpPort: ctx.httpPort,
    namespace: ctx.namespace,
    ingress: ctx.ingress,
    service: ctx.service,
    pod: ctx.pod,
  };
  if (tlsSocket) body.tls = tlsAssertions(tlsSocket);
  return body;
}

/**
 * Request headers as Go's http.Header: canonical names, one entry per field line, sorted names.
 * Go leaves out Host (it is `host`) and, on HTTP/1.1, a chunked Transfer-Encoding; HTTP/2
 * pseudo-headers are not headers, and Go's HTTP/2 server joins cookie fields with "; ".
 */
export function canonicalHeaders(rawHeaders: string[], isH2: boolean): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (name.startsWith(':') || (!isH2 && (lower === 'host' || lower === 'transfer-encoding'))) continue;
    const key = canonicalHeaderKey(name);
    const list = out[key];
    if (list) list.push(rawHeaders[i + 1]!);
    else out[key] = [rawHeaders[i + 1]!];
  }
  if (isH2 && (out.Cookie?.length ?? 0) > 1) out.Cookie = [out.Cookie!.join('; ')];
  const sorted: Record<string, string[]> = {};
  for (const key of Object.keys(out).sort()) sorted[key] = out[key]!;
  return sorted;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Go's textproto.CanonicalMIMEHeaderKey: "x-foo-bar" → "X-Foo-Bar"; names with non-token bytes stay as they are. */
export function canonicalHeaderKey(name: string): string {
  if (!TOKEN.test(name)) return name;
  let out = '';
  let upper = true;
  for (const ch of name) {
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === '-';
  }
  return out;
}

/**
 * Response headers requested through X-Echo-Set-Header: each field value is a comma-separated list
 * of "Name: value"; a name given twice gets its values joined with ",". Names keep their case.
 */
export function echoSetHeaders(rawHeaders: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'x-echo-set-header') continue;
    for (const item of rawHeaders[i + 1]!.split(',')) {
      const kv = item.trim();
      const colon = kv.indexOf(':');
      const name = colon === -1 ? kv : kv.slice(0, colon);
      const value = colon === -1 ? '' : kv.slice(colon + 1).trim();
      if (!TOKEN.test(name)) continue;
      const prev = out.get(name);
      out.set(name, prev === undefined ? value : `${prev},${value}`);
    }
  }
  return out;
}

async function retry(state: EchoState, req: EchoRequest, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const uuid = query.get('uuid') ?? '';
  if (uuid === '') return send(res, 400, { 'content-type': 'text/plain; charset=utf-8' }, 'uuid is required');
  const succeedAfter = goAtoi(query.get('succeedAfter'));
  if (succeedAfter === undefined) {
    return send(res, 400, { 'content-type': 'text/plain; charset=utf-8' }, 'succeedAfter is required');
  }
  const attempts = state.retryAttempts.get(uuid) ?? 0;
  if (attempts >= succeedAfter) return echo(state.context, req, res, query);
  state.retryAttempts.set(uuid, attempts + 1);
  const delay = query.get('delayRetry');
  if (delay) await sleep(delay);
  const responseCode = goAtoi(query.get('responseCode'));
  if (responseCode !== undefined) return sendStatus(res, responseCode);
  abortConnection(req, res);
}

/** The retry simulation's default failure: no HTTP response at all. */
function abortConnection(req: EchoRequest, res: ServerResponse): void {
  if (req.httpVersionMajor === 2) {
    // HTTP/2 has no connection to hand back per request; resetting the stream is the equivalent.
    (req as Http2ServerRequest).stream.close(2 /* INTERNAL_ERROR */);
    return;
  }
  // A TCP RST, as echo-basic's SO_LINGER 0 close sends.
  (res.socket as Socket | null)?.resetAndDestroy();
}

/** strconv.Atoi: optional sign and decimal digits only. */
function goAtoi(s: string | null): number | undefined {
  return s !== null && /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

function sendStatus(res: ServerResponse, code: number): void {
  // Go cannot write a status outside 100-999 (the handler panics and the connection drops), and a 1xx
  // is informational there, followed by the implicit 200 when the handler returns.
  if (code < 100 || code > 999) {
    res.destroy();
    return;
  }
  res.statusCode = Math.max(code, 200);
  res.end();
}

function redirectToSubtree(res: ServerResponse, path: string, search: string): void {
  const location = `${path}/${search}`;
  send(
    res,
    301,
    { location, 'content-type': 'text/html; charset=utf-8' },
    `<a href="${location}">Moved Permanently</a>.\n\n`,
  );
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, headers);
  res.end(body);
}

function sendError(res: ServerResponse, err: unknown, status: number): void {
  const message = err instanceof Error ? err.message : String(err);
  send(
    res,
    status,
    { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' },
    JSON.stringify({ message }),
  );
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function sleep(goDuration: string): Promise<void> {
  const ms = parseGoDuration(goDuration);
  if (ms === undefined) return Promise.reject(new Error(`time: invalid duration "${goDuration}"`));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, Math.min(ms, MAX_TIMER_MS)));
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };

/** Go's time.ParseDuration ("300ms", "1.5s", "1h2m", "-1s", "0"), in milliseconds; undefined when invalid. */
export function parseGoDuration(s: string): number | undefined {
  const sign = s.startsWith('-') ? -1 : 1;
  const rest = s.startsWith('-') || s.startsWith('+') ? s.slice(1) : s;
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  const part = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  while (part.lastIndex < rest.length) {
    const m = part.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
    total += Number(`${m[1] || '0'}.${m[2] || '0'}`) * UNIT_MS[m[3]!]!;
  }
  return sign * total;
}
