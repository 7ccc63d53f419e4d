// Upstream conformance/utils/tcp, tls and udp (tag v1.6.1) for node:test: the same probes with
// Node's own clients (net, tls, dgram, dns), the same expectations, retried until they hold or a
// bound passes (upstream: assert.Eventually / PollUntilContextTimeout). As in http.ts, `env.use`
// has already waited for the data plane to run the scenario's version, so bounds are short.

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { TCP_WELCOME } from './l4backends.ts';
import { type CapturedRequest, compareRoundTrip, type ExpectedResponse, type RoundTrip } from './http.ts';

export const L4_TIMEOUT_MS = 10_000;
const RETRY_MS = 250;

function split(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}

async function eventually(what: string, timeoutMs: number, attempt: () => Promise<string | null>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const problem = await attempt();
      if (problem === null) return;
      last = problem;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not satisfied after ${attempts} attempts: ${last}`);
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

// ---------------------------------------------------------------------------------------------
// TCP (utils/tcp): the echo-basic TCP server's line protocol, over TCP or TLS.

/** tcp.ExpectedResponse */
export interface TCPExpected {
  BackendIsTLS?: boolean;
  Backend: string;
  Namespace: string;
  TLSProtocol?: string;
  Hostname?: string;
}

/** tls.Config of MakeTCPRequestAndExpectEventuallyValidResponse: SNI and the CA (RootCAs). */
export interface TCPTLS {
  serverName: string;
  ca: string;
}

/** A line reader over a socket (bufio.Reader.ReadString('\n')). */
class Lines {
  #buf = '';
  #waiting: ((line: string | Error) => void) | null = null;
  #ended: Error | null = null;

  constructor(socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      this.#buf += c;
      this.#wake();
    });
    const end = (err?: Error) => {
      this.#ended ??= err ?? new Error('EOF');
      this.#wake();
    };
    socket.on('end', () => end());
    socket.on('close', () => end());
    socket.on('error', (err) => end(err));
  }

  #wake(): void {
    const w = this.#waiting;
    if (w === null) return;
    const i = this.#buf.indexOf('\n');
    if (i >= 0) {
      this.#waiting = null;
      const line = this.#buf.slice(0, i + 1);
      this.#buf = this.#buf.slice(i + 1);
      w(line);
    } else if (this.#ended !== null) {
      this.#waiting = null;
      w(this.#ended);
    }
  }

  read(timeoutMs = 5_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#waiting = null;
        reject(new Error('read timed out'));
      }, timeoutMs);
      this.#waiting = (v) => {
        clearTimeout(t);
        if (typeof v === 'string') resolve(v);
        else reject(v);
      };
      this.#wake();
    });
  }
}

/** Opens a TCP (or TLS, verified against `t.ca` for `t.serverName`) connection. */
export function dial(addr: string, t?: TCPTLS): Promise<net.Socket> {
  const { host, port } = split(addr);
  return new Promise((resolve, reject) => {
    const s = t
      ? tls.connect({ host, port, servername: t.serverName, ca: t.ca, minVersion: 'TLSv1.2' })
      : net.connect({ host, port });
    const timer = setTimeout(() => s.destroy(new Error('connect timed out')), 5_000);
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.once(t ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
  });
}

/** One pass of WaitForValidTCPResponse's check: null when every assertion holds. */
async function tcpCheck(addr: string, t: TCPTLS | undefined, expected: TCPExpected): Promise<string | null> {
  const s = await dial(addr, t);
  try {
    const lines = new Lines(s);
    const welcome = await lines.read();
    if (welcome !== TCP_WELCOME) return `TCPServer welcome message does not match: ${JSON.stringify(welcome)}`;
    s.write('PING\n');
    const pong = await lines.read();
    if (pong !== 'PONG\n') return `expected PONG, got ${JSON.stringify(pong)}`;
    s.write('IS_TLS\n');
    const isTLS = (await lines.read()).replace(/\n$/, '');
    if (isTLS !== String(expected.BackendIsTLS ?? false))
      return `IS_TLS: expected ${expected.BackendIsTLS ?? false}, got ${isTLS}`;
    s.write('TEST\n');
    const payload = JSON.parse(await lines.read()) as {
      namespace: string;
      pod: string;
      tls?: { serverName: string; negotiatedProtocol?: string };
    };
    if (payload.namespace !== expected.Namespace)
      return `namespace does not match: expected ${expected.Namespace}, got ${payload.namespace}`;
    if (!payload.pod.startsWith(`${expected.Backend}-`))
      return `backend name does not match with pod prefix. pod=${payload.pod} and backend=${expected.Backend}`;
    if (expected.Hostname && payload.tls?.serverName !== expected.Hostname)
      return `SNI seen by the backend: expected ${expected.Hostname}, got ${payload.tls?.serverName}`;
    if (expected.TLSProtocol && payload.tls?.negotiatedProtocol !== expected.TLSProtocol)
      return `negotiated protocol: expected ${expected.TLSProtocol}, got ${payload.tls?.negotiatedProtocol}`;
    return null;
  } finally {
    s.destroy();
  }
}

/** tcp.MakeTCPRequestAndExpectEventuallyValidResponse */
export function expectTCPResponse(
  addr: string,
  t: TCPTLS | undefined,
  expected: TCPExpected,
  timeoutMs = L4_TIMEOUT_MS,
): Promise<void> {
  return eventually(`TCP${t ? ' over TLS' : ''} to ${addr} (backend ${expected.Backend})`, timeoutMs, () =>
    tcpCheck(addr, t, expected),
  );
}

/** tcp.EchoSendOnce: the pod that answered TEST over plain TCP. */
export async function tcpEchoSendOnce(addr: string): Promise<string> {
  const s = await dial(addr);
  try {
    const lines = new Lines(s);
    const welcome = await lines.read();
    if (welcome !== TCP_WELCOME) throw new Error(`unexpected TCP welcome message: ${JSON.stringify(welcome)}`);
    s.write('TEST\n');
    const resp = JSON.parse(await lines.read()) as { pod?: string };
    if (!resp.pod) throw new Error('TCP echo response missing pod name');
    return resp.pod;
  } finally {
    s.destroy();
  }
}

/** tcp.ExpectAddressBeAvailable */
export function expectAddressAvailable(addr: string, timeoutMs = L4_TIMEOUT_MS): Promise<void> {
  return eventually(`TCP connection to ${addr}`, timeoutMs, async () => {
    (await dial(addr)).destroy();
    return null;
  });
}

// ---------------------------------------------------------------------------------------------
// TLS (utils/tls)

/** isConnectionRejected: the handshake ended by EOF or reset, not by a certificate error. */
function rejected(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ECONNRESET' || /EOF|socket hang up|disconnected before secure TLS/i.test(err.message);
}

/**
 * tls.MakeTLSConnectionAndExpectEventuallyConnectionRejection: a TLS dial with this SNI (and the
 * default roots) must end in EOF/reset. A completed handshake or a certificate error retries.
 */
export function expectTLSRejection(addr: string, serverName: string, timeoutMs = L4_TIMEOUT_MS): Promise<void> {
  const { host, port } = split(addr);
  return eventually(`TLS connection to ${addr} with SNI ${serverName} rejected`, timeoutMs, () => {
    return new Promise<string | null>((resolve) => {
      const s = tls.connect({ host, port, servername: serverName, minVersion: 'TLSv1.2' });
      const timer = setTimeout(() => {
        s.destroy();
        resolve('handshake neither completed nor was rejected within 5 s');
      }, 5_000);
      s.once('secureConnect', () => {
        clearTimeout(timer);
        s.destroy();
        resolve('client could connect');
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        s.destroy();
        resolve(rejected(err) ? null : `client could not connect: ${err.message}; retrying`);
      });
    });
  });
}

/**
 * tls.MakeTLSRequestAndExpectEventuallyConsistentResponse: an HTTPS request with this SNI, trusting
 * `serverCertificate` (the route's backend certificate, handed back by passthrough). Go accepts a
 * trusted certificate that is not self-signed as a chain of its own; Node does with
 * allowPartialTrustChain.
 */
export function expectHTTPSResponse(
  addr: string,
  serverName: string,
  serverCertificate: string,
  expected: ExpectedResponse,
  opts: { threshold?: number; timeoutMs?: number; client?: ClientCertificate } = {},
): Promise<void> {
  const threshold = opts.threshold ?? 3;
  let successes = 0;
  return eventually(
    `HTTPS to ${addr} with SNI ${serverName} (backend ${expected.Backend})`,
    opts.timeoutMs ?? L4_TIMEOUT_MS,
    async () => {
      const rt = await httpsRoundTrip(
        addr,
        serverName,
        serverCertificate,
        expected.Request.Host ?? serverName,
        expected.Request.Path ?? '/',
        opts.client,
      );
      const problem = compareRoundTrip(expected.Request, rt, expected, 'https');
      if (problem !== null) {
        successes = 0;
        return problem;
      }
      return ++successes >= threshold ? null : `${successes} of ${threshold} consecutive successes`;
    },
  );
}

/** A client certificate and its key (tls.X509KeyPair of the Go helpers). */
export interface ClientCertificate {
  certPem: string;
  keyPem: string;
}

/**
 * Go's crypto/tls hostname check: a leading "*" label matches exactly one label whatever the label
 * count ("*.org" matches "example.org", which Node's own check refuses).
 */
function goCheckServerIdentity(host: string, cert: tls.PeerCertificate): Error | undefined {
  const sans = (cert.subjectaltname ?? '')
    .split(', ')
    .filter((x) => x.startsWith('DNS:'))
    .map((x) => x.slice(4).toLowerCase());
  const h = host.toLowerCase().replace(/\.$/, '').split('.');
  for (const san of sans) {
    const p = san.split('.');
    if (p.length === h.length && p.every((label, i) => (i === 0 && label === '*') || label === h[i])) return undefined;
  }
  return tls.checkServerIdentity(host, cert);
}

/** One HTTPS GET (roundtripper.CaptureRoundTrip with ServerName, ServerCertificate and client certificate). */
export function httpsRoundTrip(
  addr: string,
  serverName: string,
  ca: string,
  host: string,
  path: string,
  client?: ClientCertificate,
): Promise<RoundTrip> {
  const { host: hostname, port } = split(addr);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: hostname,
        port,
        path,
        method: 'GET',
        headers: { host, 'user-agent': 'Go-http-client/1.1' },
        agent: false,
        setHost: false,
        servername: serverName,
        ca,
        allowPartialTrustChain: true,
        checkServerIdentity: goCheckServerIdentity,
        minVersion: 'TLSv1.2',
        ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
      } as import('node:https').RequestOptions,
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let captured: CapturedRequest = {
            path: '',
            host: '',
            method: 'GET',
            proto: '',
            headers: {},
            namespace: '',
            pod: '',
            httpPort: '',
          };
          if (res.headers['content-type'] === 'application/json') captured = JSON.parse(body) as CapturedRequest;
          const headers: Record<string, string[]> = {};
          for (const [k, v] of Object.entries(res.headersDistinct)) if (v) headers[k] = v;
          resolve({
            req: captured,
            res: {
              statusCode: res.statusCode ?? 0,
              protocol: `HTTP/${res.httpVersion}`,
              headers,
              body,
              redirect: null,
            },
          });
        });
      },
    );
    req.setTimeout(5_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * tls.MakeTLSRequestAndExpectFailureResponse: one request (after the scenario's version is served)
 * must fail at the transport: no response at all, as a refused client certificate gives.
 */
export async function expectHTTPSFailure(
  addr: string,
  serverName: string,
  serverCertificate: string,
  host: string,
  client?: ClientCertificate,
): Promise<void> {
  let rt: RoundTrip;
  try {
    rt = await httpsRoundTrip(addr, serverName, serverCertificate, host, '/', client);
  } catch {
    return;
  }
  throw new Error(`Request should fail; got HTTP ${rt.res.statusCode} from ${rt.req.pod || 'the gateway'}`);
}

/**
 * The "client certificate was presented" check of the Go helpers (their GetClientCertificateHook is
 * called only when the server asks): `openssl s_client` with the certificate reports the server's
 * CertificateRequest.
 */
export async function certificateRequested(
  addr: string,
  serverName: string,
  serverCertificate: string,
  client: ClientCertificate,
): Promise<boolean> {
  const files = [pemFile(serverCertificate), pemFile(client.certPem), pemFile(client.keyPem)];
  try {
    const args = ['s_client', '-connect', addr, '-servername', serverName, '-CAfile', files[0]!.file];
    args.push('-cert', files[1]!.file, '-key', files[2]!.file, '-ign_eof');
    const out = await run(
      '/usr/bin/openssl',
      args,
      `GET / HTTP/1.1\r\nHost: ${serverName}\r\nConnection: close\r\n\r\n`,
      /HTTP\/1\.1 \d{3}/,
    );
    return /Acceptable client certificate CA names|No client certificate CA names sent|Requested Signature Algorithms/.test(
      out,
    );
  } finally {
    for (const f of files) f.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// UDP (utils/udp)

/** udp.ExpectedResponse: empty fields are not checked. */
export interface UDPExpected {
  Service?: string;
  Namespace?: string;
}

/** One datagram on a connected socket (net.Dial("udp")); the reply must come from `addr`. */
export function udpExchange(addr: string, payload: string | Buffer, timeoutMs = 2_000): Promise<Buffer> {
  const { host, port } = split(addr);
  const s = createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no UDP reply (deadline exceeded)')), timeoutMs);
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.on('message', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    s.connect(port, host, () => s.send(payload));
  }).finally(() => {
    try {
      s.close();
    } catch {
      // already closed
    }
  });
}

/** udp.ExpectEchoResponseFromBackend (ExpectEchoResponse when `expected` is empty). */
export function expectUDPEcho(addr: string, expected: UDPExpected = {}, timeoutMs = L4_TIMEOUT_MS): Promise<void> {
  return eventually(`UDP echo probe on ${addr}`, timeoutMs, async () => {
    const reply = await udpExchange(addr, 'gateway-api-conformance-udp-echo');
    if (!expected.Service && !expected.Namespace) return null;
    const resp = JSON.parse(reply.toString('utf8')) as { service: string; namespace: string; pod: string };
    if (expected.Service && resp.service !== expected.Service)
      return `UDP echo response service=${resp.service} did not match expected ${expected.Service} (pod=${resp.pod})`;
    if (expected.Namespace && resp.namespace !== expected.Namespace)
      return `UDP echo response namespace=${resp.namespace} did not match expected ${expected.Namespace} (pod=${resp.pod})`;
    return null;
  });
}

/** udpEchoSendOnce of udproute-weighted-routing.go: the pod that answered. */
export async function udpEchoSendOnce(addr: string): Promise<string> {
  const reply = await udpExchange(addr, 'gateway-api-conformance-udp-weight\n');
  const resp = JSON.parse(reply.toString('utf8')) as { pod?: string };
  if (!resp.pod) throw new Error(`UDP echo response missing pod name: ${reply.toString('utf8')}`);
  return resp.pod;
}

/** A DNS A query through the gateway (dns.Exchange), with Node's resolver pointed at `addr`. */
export async function dnsQuery(addr: string, name: string): Promise<string[]> {
  const r = new Resolver({ timeout: 2_000, tries: 1 });
  r.setServers([addr]);
  return r.resolve4(name);
}

// ---------------------------------------------------------------------------------------------
// The same probes with the command-line clients people debug with.

function pemFile(pem: string): { file: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'portunus-ca-'));
  const file = join(dir, 'ca.pem');
  writeFileSync(file, pem);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function run(cmd: string, args: string[], input: string, until: RegExp, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => p.kill(), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (until.test(out)) p.kill();
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    p.stdin.on('error', () => {});
    p.stdin.write(input);
  });
}

/**
 * The TCP echo check through `openssl s_client` (certificate verified against `t.ca` for the SNI
 * name): PING, IS_TLS and TEST over the gateway, the JSON line judged as tcpCheck judges it.
 */
export function expectTCPResponseOpenSSL(
  addr: string,
  t: TCPTLS,
  expected: TCPExpected,
  timeoutMs = L4_TIMEOUT_MS,
): Promise<void> {
  const ca = pemFile(t.ca);
  const args = ['s_client', '-connect', addr, '-servername', t.serverName, '-verify_hostname', t.serverName];
  args.push('-CAfile', ca.file, '-verify_return_error', '-ign_eof');
  return eventually(`openssl s_client to ${addr} (SNI ${t.serverName})`, timeoutMs, async () => {
    const out = await run('/usr/bin/openssl', args, 'PING\nIS_TLS\nTEST\n', /\n\{[^\n]*\}\n/);
    if (!/Verify return code: 0 \(ok\)/.test(out)) return `certificate not verified: ${out.slice(-500)}`;
    if (!out.includes(TCP_WELCOME)) return `no welcome message: ${out.slice(-500)}`;
    if (!/\nPONG\n/.test(out)) return `no PONG: ${out.slice(-500)}`;
    if (!new RegExp(`\\n${expected.BackendIsTLS ?? false}\\n`).test(out))
      return `IS_TLS is not ${expected.BackendIsTLS}`;
    const json = /\n(\{[^\n]*\})\n/.exec(out)?.[1];
    if (!json) return `no TEST payload: ${out.slice(-500)}`;
    const payload = JSON.parse(json) as { namespace: string; pod: string; tls?: { serverName: string } };
    if (payload.namespace !== expected.Namespace) return `namespace ${payload.namespace}`;
    if (!payload.pod.startsWith(`${expected.Backend}-`)) return `pod ${payload.pod} is not from ${expected.Backend}`;
    if (expected.Hostname && payload.tls?.serverName !== expected.Hostname)
      return `SNI seen by the backend: ${payload.tls?.serverName}`;
    return null;
  }).finally(() => ca.remove());
}

/**
 * An HTTPS GET with curl (`--resolve` sends SNI and Host `serverName` to the gateway address;
 * `--cacert` trusts `serverCertificate`, which curl accepts as a partial chain, as Go does).
 * Resolves with the echo backend's JSON once curl reports HTTP 200.
 */
export async function curlHTTPS(
  addr: string,
  serverName: string,
  serverCertificate: string,
): Promise<{ status: number; body: { namespace?: string; pod?: string; host?: string; path?: string } }> {
  const { host, port } = split(addr);
  const ca = pemFile(serverCertificate);
  try {
    const out = await run(
      '/usr/bin/curl',
      [
        '-sS',
        '--max-time',
        '5',
        '--resolve',
        `${serverName}:${port}:${host}`,
        '--cacert',
        ca.file,
        '-w',
        '\n%{http_code}',
        `https://${serverName}:${port}/`,
      ],
      '',
      /\n\d{3}$/,
      6_000,
    );
    const lines = out.trimEnd().split('\n');
    const status = Number(lines.pop());
    const text = lines.join('\n');
    let body = {};
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: the status says why
    }
    return { status, body };
  } finally {
    ca.remove();
  }
}
