// Upstream conformance/utils/http (tag v1.6.1) for node:test: ExpectedResponse with the same field
// names (so scenario tables read like the Go source), a round trip that captures what the client
// and the echo backend saw, CompareRoundTrip with the same rules, and the eventually-consistent
// wait (RequiredConsecutiveSuccesses in a row within a bounded time).

import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { request as httpRequest } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { TrafficEnv } from './env.ts';

export interface Request {
  Host?: string;
  Method?: string;
  Path?: string;
  Headers?: Record<string, string>;
  UnfollowRedirect?: boolean;
  Protocol?: string;
  Body?: string;
}

export interface ExpectedRequest {
  Request?: Request;
  AbsentHeaders?: string[];
  HTTPPort?: string;
}

export interface RedirectRequest {
  Scheme?: string;
  Host?: string;
  Port?: string;
  Path?: string;
}

export interface Response {
  StatusCode?: number;
  StatusCodes?: number[];
  Headers?: Record<string, string>;
  ValidHeaderValues?: Record<string, string[]>;
  AbsentHeaders?: string[];
  Protocol?: string;
  IgnoreWhitespace?: boolean;
}

export interface ExpectedResponse {
  Request: Request;
  ExpectedRequest?: ExpectedRequest;
  RedirectRequest?: RedirectRequest;
  BackendSetResponseHeaders?: Record<string, string>;
  Response?: Response;
  Backend?: string;
  Namespace?: string;
  TestCaseName?: string;
}

/** What the echo backend reports (roundtripper.CapturedRequest). */
export interface CapturedRequest {
  path: string;
  host: string;
  method: string;
  proto: string;
  headers: Record<string, string[]>;
  namespace: string;
  pod: string;
  httpPort: string;
}

export interface CapturedResponse {
  statusCode: number;
  protocol: string;
  /** Lower-case names, one entry per field line. */
  headers: Record<string, string[]>;
  body: string;
  redirect: RedirectRequest | null;
}

export interface RoundTrip {
  req: CapturedRequest;
  res: CapturedResponse;
}

export const REQUEST_TIMEOUT_MS = 10_000;

/** HTTPS: the SNI to send and the certificate to trust (tls.MakeTLSRequest...). */
export interface TLSOptions {
  serverName: string;
  serverCertificate: string;
}

/**
 * Go's crypto/tls hostname check (matchHostnames): a leading "*" label matches exactly one label,
 * with no minimum label count; Node's own check refuses SANs such as "*.org" that Go accepts.
 */
function goCheckServerIdentity(host: string, cert: PeerCertificate): Error | undefined {
  const sans = (cert.subjectaltname ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  const h = host.toLowerCase().replace(/\.$/, '').split('.');
  for (const san of sans) {
    const p = san.split('.');
    if (p.length !== h.length) continue;
    if (p.every((label, i) => (i === 0 && label === '*') || label === h[i])) return undefined;
  }
  return checkServerIdentity(host, cert);
}

/** HTTP/2 over TLS (roundtripper H2Protocol). */
function roundTripH2(
  addr: string,
  r: Request,
  tls: TLSOptions,
  extraHeaders: Record<string, string>,
): Promise<RoundTrip> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`https://${addr}`, {
      servername: tls.serverName,
      ca: tls.serverCertificate,
      checkServerIdentity: goCheckServerIdentity,
    });
    session.on('error', reject);
    const headers: Record<string, string> = {
      ':method': r.Method || 'GET',
      ':path': r.Path || '/',
      ':authority': r.Host || addr,
    };
    for (const [k, v] of Object.entries({ ...extraHeaders, ...(r.Headers ?? {}) })) headers[k.toLowerCase()] = v;
    // A request without body ends its stream with the headers (Node does so for GET by itself).
    const req = session.request(headers, { endStream: !r.Body });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('request timed out')));
    let head: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      head = h;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', (err) => {
      session.close();
      reject(err);
    });
    req.on('end', () => {
      session.close();
      const text = Buffer.concat(chunks).toString('utf8');
      const resHeaders: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(head)) {
        if (!k.startsWith(':') && v !== undefined) resHeaders[k] = Array.isArray(v) ? v : [String(v)];
      }
      let captured: CapturedRequest = {
        path: '',
        host: '',
        method: r.Method || 'GET',
        proto: '',
        headers: {},
        namespace: '',
        pod: '',
        httpPort: '',
      };
      if (head['content-type'] === 'application/json') {
        try {
          captured = JSON.parse(text) as CapturedRequest;
        } catch (err) {
          reject(new Error(`unexpected error reading response: ${(err as Error).message}`));
          return;
        }
      }
      resolve({
        req: captured,
        res: {
          statusCode: Number(head[':status']),
          protocol: 'HTTP/2.0',
          headers: resHeaders,
          body: text,
          redirect: null,
        },
      });
    });
    if (r.Body) req.end(r.Body);
  });
}

/** One request to host:port (the Gateway address), as roundtripper.CaptureRoundTrip makes it. */
export function roundTrip(
  addr: string,
  r: Request,
  extraHeaders: Record<string, string> = {},
  tls?: TLSOptions,
): Promise<RoundTrip> {
  if (tls && r.Protocol === 'HTTP/2') return roundTripH2(addr, r, tls, extraHeaders);
  const i = addr.lastIndexOf(':');
  const hostname = addr.slice(0, i);
  const port = Number(addr.slice(i + 1));
  const method = r.Method || 'GET';
  const headers: Record<string, string> = {
    // Go's URL host: the port is left out only when it is the scheme's default (CalculateHost).
    host: r.Host || (port === (tls ? 443 : 80) ? hostname : addr),
    'user-agent': 'Go-http-client/1.1',
    ...extraHeaders,
  };
  for (const [k, v] of Object.entries(r.Headers ?? {})) headers[k] = v;
  const body = r.Body ?? '';
  if (body !== '') headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const send = tls ? httpsRequest : httpRequest;
    const tlsOptions = tls
      ? { servername: tls.serverName, ca: tls.serverCertificate, checkServerIdentity: goCheckServerIdentity }
      : {};
    const req = send(
      { host: hostname, port, method, path: r.Path || '/', headers, agent: false, setHost: false, ...tlsOptions },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const resHeaders: Record<string, string[]> = {};
          for (const [k, v] of Object.entries(res.headersDistinct)) if (v) resHeaders[k] = v;
          let captured: CapturedRequest = {
            path: '',
            host: '',
            method,
            proto: '',
            headers: {},
            namespace: '',
            pod: '',
            httpPort: '',
          };
          if (res.headers['content-type'] === 'application/json') {
            try {
              captured = JSON.parse(text) as CapturedRequest;
            } catch (err) {
              reject(new Error(`unexpected error reading response: ${(err as Error).message}`));
              return;
            }
          }
          let redirect: RedirectRequest | null = null;
          const status = res.statusCode ?? 0;
          if (isRedirect(status)) {
            const loc = res.headers.location;
            if (!loc) {
              reject(new Error(`redirect ${status} without Location`));
              return;
            }
            // Go's resp.Location() resolves relative to the request URL.
            const u = new URL(loc, `${tls ? 'https' : 'http'}://${addr}${r.Path || '/'}`);
            redirect = {
              Scheme: u.protocol.replace(/:$/, ''),
              Host: u.hostname.replace(/^\[|\]$/g, ''),
              Port: portOf(loc, u),
              Path: decodeURIComponent(u.pathname),
            };
          }
          resolve({
            req: captured,
            res: {
              statusCode: status,
              protocol: `HTTP/${res.httpVersion}`,
              headers: resHeaders,
              body: text,
              redirect,
            },
          });
        });
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** URL.port hides the scheme's default port; Go's URL.Port() does not. */
function portOf(loc: string, u: URL): string {
  if (u.port) return u.port;
  const m = /^[a-z][a-z0-9+.-]*:\/\/(\[[^\]]*\]|[^/:?#]*):(\d+)/i.exec(loc);
  return m ? m[2]! : '';
}

export function isRedirect(code: number): boolean {
  return [300, 301, 302, 303, 304, 305, 307, 308].includes(code);
}

export function isTimeoutError(code: number): boolean {
  return code === 408 || code === 504;
}

function statusCodes(e: ExpectedResponse): number[] {
  const codes = [...(e.Response?.StatusCodes ?? [])];
  const single = e.Response?.StatusCode;
  if (single !== undefined && single !== 0 && !codes.includes(single)) codes.push(single);
  return codes.length === 0 ? [200] : codes;
}

function lower(h: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/**
 * CompareRoundTrip: null when the round trip matches, else why not. `listenerPort` is the port the
 * request was sent to, for redirect expectations without a port (see env.ts on rewritten ports).
 */
export function compareRoundTrip(
  sent: Request,
  rt: RoundTrip,
  expected: ExpectedResponse,
  scheme = 'http',
  defaultPorts: { http: number; https: number } = { http: 80, https: 443 },
): string | null {
  const { req: cReq, res: cRes } = rt;
  const codes = statusCodes(expected);
  if (isTimeoutError(cRes.statusCode) && codes.some(isTimeoutError)) return null;
  if (!codes.includes(cRes.statusCode)) {
    return `expected status code to be one of [${codes.join(' ')}], got ${cRes.statusCode} (body: ${cRes.body.slice(0, 200)})`;
  }
  const resp = expected.Response ?? {};
  if (resp.Protocol && resp.Protocol !== cRes.protocol)
    return `expected protocol to be ${resp.Protocol}, got ${cRes.protocol}`;

  if (cRes.statusCode === 200 || cRes.statusCode === 204) {
    const er: ExpectedRequest = expected.ExpectedRequest ?? { Request: expected.Request };
    const want = er.Request ?? {};
    const method = want.Method || 'GET';
    if (want.Host && want.Host !== cReq.host) return `expected host to be ${want.Host}, got ${cReq.host}`;
    if ((want.Path ?? '') !== cReq.path) return `expected path to be ${want.Path ?? ''}, got ${cReq.path}`;
    if (method !== cReq.method) return `expected method to be ${method}, got ${cReq.method}`;
    if ((expected.Namespace ?? '') !== cReq.namespace)
      return `expected namespace to be ${expected.Namespace ?? ''}, got ${cReq.namespace}`;
    const reqHeaders = lower(cReq.headers);
    if (want.Headers) {
      for (const [name, val] of Object.entries(want.Headers)) {
        const actual = reqHeaders[name.toLowerCase()];
        if (!actual) return `expected ${name} header to be set, actual headers: ${JSON.stringify(cReq.headers)}`;
        if (actual.join(',') !== val) return `expected ${name} header to be set to ${val}, got ${actual.join(',')}`;
      }
    }
    if (er.HTTPPort && er.HTTPPort !== cReq.httpPort) return `expected httpPort ${er.HTTPPort}, got ${cReq.httpPort}`;
    const resHeaders = lower(cRes.headers);
    const ws = (s: string) => (resp.IgnoreWhitespace ? s.replaceAll(' ', '') : s);
    for (const [name, vals] of Object.entries(resp.ValidHeaderValues ?? {})) {
      const actual = resHeaders[name.toLowerCase()];
      if (!actual) return `expected ${name} header to be set, actual headers: ${JSON.stringify(cRes.headers)}`;
      if (!vals.map(ws).includes(ws(actual.join(','))))
        return `expected ${name} header to be set to one of ${JSON.stringify(vals)}, got ${actual.join(',')}`;
    }
    for (const [name, val] of Object.entries(resp.Headers ?? {})) {
      const actual = resHeaders[name.toLowerCase()];
      if (!actual) return `expected ${name} header to be set, actual headers: ${JSON.stringify(cRes.headers)}`;
      if (ws(actual.join(',')) !== ws(val))
        return `expected ${name} header to be set to ${val}, got ${actual.join(',')}`;
    }
    for (const name of resp.AbsentHeaders ?? []) {
      const v = resHeaders[name.toLowerCase()];
      if (v) return `expected ${name} header to not be set, got ${v.join(',')}`;
    }
    for (const name of er.AbsentHeaders ?? []) {
      const v = reqHeaders[name.toLowerCase()];
      if (v) return `expected ${name} header to not be set on the backend request, got ${v.join(',')}`;
    }
    if (!cReq.pod.startsWith(expected.Backend ?? ''))
      return `expected pod name to start with ${expected.Backend}, got ${cReq.pod}`;
  } else if (isRedirect(cRes.statusCode)) {
    if (!expected.RedirectRequest) return null;
    const got = cRes.redirect!;
    const want: RedirectRequest = { ...expected.RedirectRequest };
    if (!want.Host) want.Host = got.Host;
    if (!want.Scheme) want.Scheme = scheme;
    if (!want.Path) want.Path = (sent.Path || '/').split('?')[0];
    if (want.Host !== got.Host) return `expected redirected hostname to be "${want.Host}", got "${got.Host}"`;
    const gotPort = got.Port ?? '';
    if (!want.Port) {
      // "80 or not set" for http, "443 or not set" for https: with listener ports rewritten, the
      // well-known ports are the rewritten ones (see env.ts).
      const s = (got.Scheme ?? '').toLowerCase();
      if (s === 'http' && gotPort !== String(defaultPorts.http) && gotPort !== '' && gotPort !== '80')
        return `for http scheme, expected redirected port to be 80 (${defaultPorts.http}) or not set, got "${gotPort}"`;
      if (s === 'https' && gotPort !== String(defaultPorts.https) && gotPort !== '' && gotPort !== '443')
        return `for https scheme, expected redirected port to be 443 (${defaultPorts.https}) or not set, got "${gotPort}"`;
    } else if (want.Port !== gotPort) return `expected redirected port to be "${want.Port}", got "${gotPort}"`;
    if (want.Scheme !== got.Scheme) return `expected redirected scheme to be "${want.Scheme}", got "${got.Scheme}"`;
    if (want.Path !== got.Path) return `expected redirected path to be "${want.Path}", got "${got.Path}"`;
  }
  return null;
}

export interface WaitOptions {
  threshold?: number;
  timeoutMs?: number;
  /** Delay after a failed attempt (upstream: 1 s). */
  retryDelayMs?: number;
}

export const REQUIRED_CONSECUTIVE_SUCCESSES = 3;
// Upstream waits up to 30 s; here use() returns only once the data plane runs the scenario's
// version, so consistency is immediate and 5 s is a generous bound that keeps failures quick.
export const MAX_TIME_TO_CONSISTENCY_MS = 5_000;

function echoSetHeader(e: ExpectedResponse): Record<string, string> {
  const parts = Object.entries(e.BackendSetResponseHeaders ?? {}).map(([k, v]) => `${k}:${v}`);
  return { 'X-Echo-Set-Header': parts.join(',') };
}

/**
 * MakeRequestAndExpectEventuallyConsistentResponse: repeats the request until it matches
 * `threshold` times in a row; throws with the last mismatch when the time is up.
 */
export async function expectResponse(
  addr: string,
  expected: ExpectedResponse,
  opts: WaitOptions & { scheme?: string; defaultPorts?: { http: number; https: number }; tls?: TLSOptions } = {},
): Promise<void> {
  const threshold = opts.threshold ?? REQUIRED_CONSECUTIVE_SUCCESSES;
  const deadline = Date.now() + (opts.timeoutMs ?? MAX_TIME_TO_CONSISTENCY_MS);
  let successes = 0;
  let attempts = 0;
  let last = '';
  for (;;) {
    attempts++;
    let problem: string | null;
    try {
      const rt = await roundTrip(addr, expected.Request, echoSetHeader(expected), opts.tls);
      problem = compareRoundTrip(
        expected.Request,
        rt,
        expected,
        opts.scheme ?? (opts.tls ? 'https' : 'http'),
        opts.defaultPorts,
      );
    } catch (err) {
      problem = `request failed: ${(err as Error).message}`;
    }
    if (problem === null) {
      successes++;
      if (successes >= threshold) return;
      continue;
    }
    successes = 0;
    last = problem;
    if (Date.now() > deadline) {
      throw new Error(`${caseName(expected)}: no consistent response after ${attempts} attempts to ${addr}: ${last}`);
    }
    await new Promise((r) => setTimeout(r, opts.retryDelayMs ?? 250));
  }
}

/** MakeRequestAndExpectFailure: after it stabilises, the request must consistently not return 200. */
export async function expectFailure(addr: string, expected: ExpectedResponse, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let successes = 0;
  for (;;) {
    let ok = false;
    try {
      const rt = await roundTrip(addr, expected.Request, echoSetHeader(expected));
      if (rt.res.statusCode === 200)
        throw new Error(`request ${JSON.stringify(expected.Request)} should fail, returned 200 instead`);
      ok = !isTimeoutError(rt.res.statusCode);
    } catch (err) {
      if ((err as Error).message.includes('should fail')) throw err;
    }
    if (ok) {
      if (++successes >= 5) return;
      continue;
    }
    successes = 0;
    if (Date.now() > deadline) throw new Error('timed out waiting for a consistent failure response');
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function caseName(e: ExpectedResponse, i?: number): string {
  if (e.TestCaseName) return e.TestCaseName;
  const headers = e.Request.Headers ? ' with headers' : '';
  const req = `${i ?? ''} request to '${e.Request.Host ?? ''}${e.Request.Path ?? ''}'${headers}`.trim();
  if (e.Backend) return `${req} should go to ${e.Backend}`;
  return `${req} should receive one of [${statusCodes(e).join(' ')}]`;
}

/** The listener's well-known ports after rewriting, for redirect checks. */
export function defaultPorts(env: TrafficEnv): { http: number; https: number } {
  return { http: env.port(80), https: env.port(443) };
}

/** One subtest per case, named as upstream names them (GetTestCaseName), run in parallel as upstream's t.Parallel(). */
export async function runCases(
  t: import('node:test').TestContext,
  addr: string,
  cases: ExpectedResponse[],
  opts: Parameters<typeof expectResponse>[2] = {},
): Promise<void> {
  await Promise.all(cases.map((tc, i) => t.test(caseName(tc, i), () => expectResponse(addr, tc, opts))));
}
