import assert from 'node:assert/strict';
import http2 from 'node:http2';
import https from 'node:https';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import type { CertificateIR, ListenerIR } from '../../src/ir/types.ts';
import { makeCA, type TestCA } from './certs.ts';
import { cluster, echoServer, type EchoServer, forward, freePort, ir, route } from './helpers.ts';

let ca: TestCA;
let v1: EchoServer;
let v2: EchoServer;
let v3: EchoServer;
let port = 0;
let mtlsPort = 0;
let client: { certPem: string; keyPem: string };
const dp = createDataPlane({ bindAddress: '127.0.0.1' });

function httpsListener(
  p: number,
  name: string,
  hostname: string | null,
  c: string,
  cert: CertificateIR,
  extra: Partial<ListenerIR> = {},
): ListenerIR {
  return {
    name,
    sectionName: name,
    port: p,
    protocol: 'HTTPS',
    hostname,
    tls: { mode: 'Terminate', certificates: [cert] },
    virtualHosts: [{ hostname: hostname ?? '*', routes: [route({ action: forward(c) })] }],
    ...extra,
  };
}

before(async () => {
  ca = makeCA();
  const leaf = ca.issue('example.org', [
    'DNS:example.org',
    'DNS:second-example.org',
    'DNS:*.wildcard.org',
    'DNS:unknown-example.org',
  ]);
  client = ca.issue('client', ['DNS:client']);
  const cert: CertificateIR = {
    source: 'ns/cert',
    certPem: leaf.certPem,
    keyPem: leaf.keyPem,
    dnsNames: ['example.org', 'second-example.org', '*.wildcard.org'],
  };
  v1 = await echoServer('v1');
  v2 = await echoServer('v2');
  v3 = await echoServer('v3');
  port = await freePort();
  mtlsPort = await freePort();
  const any = httpsListener(port, 'https', null, 'v1', cert);
  any.virtualHosts = [{ hostname: 'example.org', routes: [route({ action: forward('v1') })] }];
  const res = await dp.apply(
    ir(
      [
        any,
        httpsListener(port, 'https-with-hostname', 'second-example.org', 'v2', cert),
        httpsListener(port, 'https-with-wildcard-hostname', '*.wildcard.org', 'v3', cert),
        httpsListener(port, 'https-with-hostname-matching-wildcard', 'fourth-example.wildcard.org', 'v1', cert),
        httpsListener(mtlsPort, 'mtls', null, 'v1', cert, {
          tls: {
            mode: 'Terminate',
            certificates: [cert],
            clientValidation: { caPem: [ca.caPem], mode: 'AllowValidOnly' },
          },
        }),
      ],
      [cluster('v1', [v1.port]), cluster('v2', [v2.port]), cluster('v3', [v3.port])],
    ),
    'v1',
  );
  assert.deepEqual(res.errors, []);
});

after(async () => {
  await dp.close({ graceMs: 50 });
  for (const s of [v1, v2, v3]) await s.close();
});

function get(
  p: number,
  servername: string,
  host: string,
  cert?: { certPem: string; keyPem: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: p,
        path: '/detect-misdirected-requests',
        servername,
        headers: { host },
        ca: ca.caPem,
        agent: false,
        checkServerIdentity: () => undefined,
        cert: cert?.certPem,
        key: cert?.keyPem,
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('HTTPS listeners on one port: SNI and Host must select the same listener (421 otherwise)', async () => {
  const cases: [string, string, number, string?][] = [
    ['example.org', 'example.org', 200, 'v1'],
    ['example.org', 'second-example.org', 421],
    ['example.org', 'unknown-example.org', 404],
    ['second-example.org', 'second-example.org', 200, 'v2'],
    ['second-example.org', 'example.org', 421],
    ['second-example.org', 'unknown-example.org', 421],
    ['third-example.wildcard.org', 'third-example.wildcard.org', 200, 'v3'],
    ['third-example.wildcard.org', 'fith-example.wildcard.org', 200, 'v3'],
    ['third-example.wildcard.org', 'fourth-example.wildcard.org', 421],
    ['fourth-example.wildcard.org', 'fourth-example.wildcard.org', 200, 'v1'],
    ['fourth-example.wildcard.org', 'fith-example.wildcard.org', 421],
    ['unknown-example.org', 'example.org', 200, 'v1'],
    ['unknown-example.org', 'unknown-example.org', 404],
  ];
  for (const [sni, host, status, backend] of cases) {
    const r = await get(port, sni, host);
    assert.equal(r.status, status, sni + ' / ' + host);
    if (backend !== undefined) {
      const j = JSON.parse(r.body);
      assert.equal(j.backend, backend, sni + ' / ' + host);
      assert.equal(j.headers['x-forwarded-proto'], 'https');
    }
  }
});

test('HTTP/2 over TLS via ALPN', async () => {
  const c = http2.connect('https://127.0.0.1:' + port, {
    ca: ca.caPem,
    servername: 'second-example.org',
    checkServerIdentity: () => undefined,
  });
  const body = await new Promise<string>((resolve, reject) => {
    const req = c.request({ ':path': '/x', ':authority': 'second-example.org' });
    let s = '';
    req.on('data', (d) => (s += d));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
  c.close();
  assert.equal(JSON.parse(body).backend, 'v2');
});

test('client certificate validation (AllowValidOnly)', async () => {
  const ok = await get(mtlsPort, 'example.org', 'example.org', client);
  assert.equal(ok.status, 200);
  await assert.rejects(get(mtlsPort, 'example.org', 'example.org'));
});
