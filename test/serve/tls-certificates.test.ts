// biome-ignore-all lint/suspicious/noExplicitAny: JSON from the admin API is probed field by field
// `portunus serve` and listener certificates, end to end with real TLS clients:
// - rotation: rewriting a Secret's file swaps the certificate of HTTPS and TLS Terminate listeners
//   without a restart; connections opened before keep working on the old certificate, new
//   handshakes get the new one;
// - bad input: an expired certificate, a key that is not the certificate's, a tls.crt that is not
//   PEM and a missing Secret each put ResolvedRefs=False (InvalidCertificateRef) and
//   Programmed=False on their listener, with an error log line naming the Gateway, the listener
//   and the Secret, while the valid listeners of the same ports keep serving; a Secret that goes
//   bad at runtime does the same without disturbing the others.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';
import { echoUpstream, LineClient } from '../dataplane/l4/helpers.ts';
import { type CA, type Leaf, makeCA } from '../dataplane/tls/certs.ts';
import {
  freePort,
  getJson,
  ROOT,
  serviceYaml,
  spawnServe,
  startBackend,
  tempDir,
  tlsSecretYaml,
  waitFor,
  writeAtomic,
} from './harness.ts';

const EXPIRED = {
  certPem: readFileSync(join(ROOT, 'test/testdata/translate/certs/expired.example.com.crt'), 'utf8'),
  keyPem: readFileSync(join(ROOT, 'test/testdata/translate/certs/expired.example.com.key'), 'utf8'),
};

interface L {
  name: string;
  protocol: 'HTTPS' | 'TLS';
  port: number;
  hostname: string;
  secret: string;
}

/** GatewayClass, Gateway `tls` with these listeners, an HTTPRoute on the HTTPS ones and a TLSRoute on the TLS ones. */
function gatewayYaml(listeners: L[], http: number, tcp: number): string {
  const ls = listeners
    .map(
      (l) => `    - name: ${l.name}
      protocol: ${l.protocol}
      port: ${l.port}
      hostname: ${l.hostname}
      tls:
        mode: Terminate
        certificateRefs:
          - name: ${l.secret}`,
    )
    .join('\n');
  const refs = (protocol: string) =>
    listeners
      .filter((l) => l.protocol === protocol)
      .map((l) => `    - name: tls\n      sectionName: ${l.name}`)
      .join('\n');
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: portunus
spec:
  controllerName: portunus.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: tls
  namespace: default
spec:
  gatewayClassName: portunus
  listeners:
${ls}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  namespace: default
spec:
  parentRefs:
${refs('HTTPS')}
  rules:
    - backendRefs:
        - name: web
          port: ${http}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata:
  name: stream
  namespace: default
spec:
  parentRefs:
${refs('TLS')}
  hostnames: ["*.example.com"]
  rules:
    - backendRefs:
        - name: stream
          port: ${tcp}
---
${serviceYaml('web', http)}---
${serviceYaml('stream', tcp)}`;
}

/** An HTTP/1.1 client on one kept-alive TLS connection. */
class HTTPSConnection {
  readonly socket: tls.TLSSocket;
  #buf = '';
  #wake: (() => void) | null = null;

  constructor(port: number, servername: string, ca: string) {
    this.socket = tls.connect({ host: '127.0.0.1', port, servername, ca, ALPNProtocols: ['http/1.1'] });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (d: string) => {
      this.#buf += d;
      this.#wake?.();
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => this.#wake?.());
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState === 'open' && this.socket.getPeerX509Certificate()) resolve();
      this.socket.once('secureConnect', () => resolve());
      this.socket.once('error', reject);
    });
  }

  /** Sends GET / and reads one response (Content-Length framed); resolves with status and body. */
  async get(host: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
    this.socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.#buf.slice(0, end);
        const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? '0');
        if (this.#buf.length >= end + 4 + len) {
          const body = this.#buf.slice(end + 4, end + 4 + len);
          this.#buf = this.#buf.slice(end + 4 + len);
          return { status: Number(head.split(' ')[1]), body };
        }
      }
      if (this.socket.destroyed) throw new Error(`connection closed; got ${JSON.stringify(this.#buf)}`);
      if (Date.now() > deadline) throw new Error(`no response in time; got ${JSON.stringify(this.#buf)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.#wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.#wake = null;
    }
  }
}

/** SHA-256 fingerprint of the certificate a new handshake on `port` with this SNI gets. */
function servedFingerprint(port: number, servername: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false });
    s.once('secureConnect', () => {
      const fp = s.getPeerX509Certificate()?.fingerprint256 ?? '';
      s.destroy();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

function fingerprint(leaf: Leaf): string {
  return new X509Certificate(leaf.certPem).fingerprint256;
}

function condition(l: any, type: string): any {
  return l?.conditions?.find((c: any) => c.type === type);
}

async function listenerStatus(admin: string, name: string, version?: string): Promise<any> {
  const s = await getJson(`${admin}/status`);
  if (version !== undefined && String(s.version) === version) return undefined;
  const gw = s.resources.find((r: any) => r.kind === 'Gateway' && r.metadata.name === 'tls');
  return gw?.status?.listeners?.find((l: any) => l.name === name);
}

test('serve: rewriting a Secret rotates the certificate of HTTPS and TLS listeners; open connections keep working', async () => {
  const ca: CA = makeCA('rotation-ca');
  const first = ca.issue('a.example.com', ['DNS:a.example.com']);
  const second = ca.issue('a.example.com', ['DNS:a.example.com']);
  const web = await startBackend('web');
  const stream = await echoUpstream('S');
  const { dir, cleanup } = await tempDir();
  const httpsPort = await freePort();
  const tlsPort = await freePort();
  const listeners: L[] = [
    { name: 'https', protocol: 'HTTPS', port: httpsPort, hostname: 'a.example.com', secret: 'a' },
    { name: 'tls', protocol: 'TLS', port: tlsPort, hostname: 'a.example.com', secret: 'a' },
  ];
  await writeFile(join(dir, 'gateway.yaml'), gatewayYaml(listeners, web.port, stream.port));
  const secretFile = join(dir, 'secret.yaml');
  await writeFile(secretFile, tlsSecretYaml('a', first.certPem, first.keyPem));
  const serve = await spawnServe({ args: ['-f', dir, '--bind-address', '127.0.0.1', '--reload-debounce', '20'] });
  const clients: { destroy(): void }[] = [];
  try {
    await waitFor('ready', async () => (await getJson(`${serve.admin}/status`)).ready === true);
    const fp1 = fingerprint(first);
    const fp2 = fingerprint(second);
    assert.equal(await servedFingerprint(httpsPort, 'a.example.com', ca.caPem), fp1);
    assert.equal(await servedFingerprint(tlsPort, 'a.example.com', ca.caPem), fp1);

    // Connections opened on the first certificate.
    const h = new HTTPSConnection(httpsPort, 'a.example.com', ca.caPem);
    clients.push(h.socket);
    await h.ready();
    assert.equal((await h.get('a.example.com')).status, 200);
    const t = LineClient.tls(tlsPort, { servername: 'a.example.com', ca: ca.caPem });
    clients.push(t.socket);
    assert.equal(await t.backend(), 'S');

    await writeAtomic(secretFile, tlsSecretYaml('a', second.certPem, second.keyPem));
    // New handshakes see the new certificate on both listeners, without a restart.
    await waitFor(
      'the HTTPS listener to serve the new certificate',
      async () => (await servedFingerprint(httpsPort, 'a.example.com', ca.caPem)) === fp2,
      10_000,
    );
    await waitFor(
      'the TLS listener to serve the new certificate',
      async () => (await servedFingerprint(tlsPort, 'a.example.com', ca.caPem)) === fp2,
      10_000,
    );
    // The connections opened before keep working, still on the certificate they started with.
    const again = await h.get('a.example.com');
    assert.equal(again.status, 200, again.body);
    assert.equal(h.socket.getPeerX509Certificate()?.fingerprint256, fp1);
    t.socket.write('still here\n');
    await t.waitFor(/still here\n/);
    assert.equal((t.socket as tls.TLSSocket).getPeerX509Certificate()?.fingerprint256, fp1);
    // And a fresh HTTPS connection gets through on the new certificate.
    const h2 = new HTTPSConnection(httpsPort, 'a.example.com', ca.caPem);
    clients.push(h2.socket);
    await h2.ready();
    assert.equal(h2.socket.getPeerX509Certificate()?.fingerprint256, fp2);
    assert.equal((await h2.get('a.example.com')).status, 200);
    assert.equal(serve.child.exitCode, null, 'serve did not restart');
  } finally {
    for (const c of clients) c.destroy();
    await serve.stop();
    await Promise.all([web.close(), stream.close()]);
    await cleanup();
  }
});

test('serve: expired, mismatched, malformed and missing certificates are reported per listener; valid listeners keep serving', async () => {
  const ca: CA = makeCA('bad-input-ca');
  const good = ca.issue('a.example.com', ['DNS:a.example.com']);
  const other = ca.issue('b.example.com', ['DNS:b.example.com']);
  const web = await startBackend('web');
  const stream = await echoUpstream('S');
  const { dir, cleanup } = await tempDir();
  const httpsPort = await freePort();
  const tlsPort = await freePort();
  const bad: [string, string][] = [
    ['expired', 'x.example.com'],
    ['mismatch', 'm.example.com'],
    ['malformed', 'p.example.com'],
    ['missing', 'n.example.com'],
  ];
  const listeners: L[] = [
    { name: 'https-good', protocol: 'HTTPS', port: httpsPort, hostname: 'a.example.com', secret: 'good' },
    { name: 'https-b', protocol: 'HTTPS', port: httpsPort, hostname: 'b.example.com', secret: 'b' },
    ...bad.map(
      ([s, host]): L => ({ name: `https-${s}`, protocol: 'HTTPS', port: httpsPort, hostname: host, secret: s }),
    ),
    { name: 'tls-good', protocol: 'TLS', port: tlsPort, hostname: 'a.example.com', secret: 'good' },
    ...bad.map(([s, host]): L => ({ name: `tls-${s}`, protocol: 'TLS', port: tlsPort, hostname: host, secret: s })),
  ];
  await writeFile(join(dir, 'gateway.yaml'), gatewayYaml(listeners, web.port, stream.port));
  await writeFile(
    join(dir, 'secrets.yaml'),
    [
      tlsSecretYaml('good', good.certPem, good.keyPem),
      tlsSecretYaml('expired', EXPIRED.certPem, EXPIRED.keyPem),
      tlsSecretYaml('mismatch', good.certPem, other.keyPem),
      tlsSecretYaml(
        'malformed',
        '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----',
        good.keyPem,
      ),
    ].join('---\n'),
  );
  const bFile = join(dir, 'secret-b.yaml');
  await writeFile(bFile, tlsSecretYaml('b', other.certPem, other.keyPem));
  const serve = await spawnServe({ args: ['-f', dir, '--bind-address', '127.0.0.1', '--reload-debounce', '20'] });
  const clients: { destroy(): void }[] = [];
  try {
    const status = await waitFor('ready', async () => {
      const s = await getJson(`${serve.admin}/status`);
      return s.ready ? s : undefined;
    });
    const gw = status.resources.find((r: any) => r.kind === 'Gateway' && r.metadata.name === 'tls');
    const why: Record<string, RegExp> = {
      expired: /Secret default\/expired: the certificate in tls\.crt expired at 2020-02-01T00:00:00\.000Z/,
      mismatch: /Secret default\/mismatch: tls\.key does not match the certificate in tls\.crt/,
      malformed: /Secret default\/malformed: tls\.crt is not a valid PEM certificate/,
      missing: /Secret default\/missing does not exist/,
    };
    for (const l of listeners) {
      const st = gw.status.listeners.find((x: any) => x.name === l.name);
      const kind = l.secret;
      if (kind === 'good' || kind === 'b') {
        assert.equal(condition(st, 'ResolvedRefs')?.status, 'True', JSON.stringify(st));
        assert.equal(condition(st, 'Programmed')?.status, 'True', JSON.stringify(st));
        continue;
      }
      const rr = condition(st, 'ResolvedRefs');
      assert.equal(rr?.status, 'False', `${l.name}: ${JSON.stringify(st)}`);
      assert.equal(rr?.reason, 'InvalidCertificateRef', `${l.name}: ${JSON.stringify(st)}`);
      assert.match(rr?.message, why[kind]!);
      assert.equal(condition(st, 'Programmed')?.status, 'False', `${l.name}: ${JSON.stringify(st)}`);
      assert.equal(condition(st, 'Accepted')?.status, 'True', `${l.name}: ${JSON.stringify(st)}`);
      // One error log line per bad reference, naming the Gateway, the listener and the Secret.
      const line = serve.logs.find(
        (o) => o.level === 50 && typeof o.msg === 'string' && o.msg.includes(`listener "${l.name}"`),
      );
      assert.ok(line, `no log line for ${l.name}:\n${serve.stderr()}`);
      assert.match(String(line.msg), /Gateway\/default\/tls/);
      assert.match(String(line.msg), why[kind]!);
    }

    // The valid listeners serve, next to the broken ones on the same ports.
    const h = new HTTPSConnection(httpsPort, 'a.example.com', ca.caPem);
    clients.push(h.socket);
    await h.ready();
    assert.equal((await h.get('a.example.com')).status, 200);
    const t = LineClient.tls(tlsPort, { servername: 'a.example.com', ca: ca.caPem });
    clients.push(t.socket);
    assert.equal(await t.backend(), 'S');
    // A TLS listener without a usable certificate closes its connections instead of guessing.
    const refused = LineClient.tls(tlsPort, { servername: 'x.example.com', ca: ca.caPem });
    clients.push(refused.socket);
    await refused.closed;
    assert.equal(refused.text, '');

    // A Secret that goes bad while serving: its listener is reported, the others are not disturbed.
    const before = String((await getJson(`${serve.admin}/status`)).version);
    await writeAtomic(bFile, tlsSecretYaml('b', other.certPem, good.keyPem));
    const bStatus = await waitFor(
      'listener https-b to report its broken certificate',
      async () => {
        const st = await listenerStatus(serve.admin, 'https-b', before);
        return condition(st, 'ResolvedRefs')?.status === 'False' ? st : undefined;
      },
      10_000,
    );
    assert.equal(condition(bStatus, 'ResolvedRefs')?.reason, 'InvalidCertificateRef');
    assert.match(condition(bStatus, 'ResolvedRefs')?.message, /Secret default\/b: tls\.key does not match/);
    assert.equal(condition(bStatus, 'Programmed')?.status, 'False');
    const again = await h.get('a.example.com');
    assert.equal(again.status, 200, 'the open HTTPS connection keeps working');
    t.socket.write('ping\n');
    await t.waitFor(/ping\n/);
    const fresh = new HTTPSConnection(httpsPort, 'a.example.com', ca.caPem);
    clients.push(fresh.socket);
    await fresh.ready();
    assert.equal((await fresh.get('a.example.com')).status, 200);
  } finally {
    for (const c of clients) c.destroy();
    await serve.stop();
    await Promise.all([web.close(), stream.close()]);
    await cleanup();
  }
});
