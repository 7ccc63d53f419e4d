import assert from 'node:assert/strict';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import { makeCA } from './certs.ts';
import { cluster, forward, freePort, match, request, route, simpleIR } from './helpers.ts';

const dp = createDataPlane({ bindAddress: '127.0.0.1' });
let port = 0;
let h1: https.Server;
let h2: http2.Http2SecureServer;

before(async () => {
  const ca = makeCA();
  const leaf = ca.issue('backend.example', ['DNS:backend.example', 'URI:spiffe://cluster/ns/backend']);
  h1 = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) =>
    res.end('tls-h1 ' + req.headers.host),
  );
  await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
  h2 = http2.createSecureServer({ cert: leaf.certPem, key: leaf.keyPem });
  h2.on('stream', (s) => {
    s.respond({ ':status': 200 });
    s.end('tls-h2');
  });
  await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
  const tlsOk = { serverName: 'backend.example', caPem: [ca.caPem], useSystemCAs: false, subjectAltNames: [] };
  port = await freePort();
  const mk = (p: string, c: string) =>
    route({ match: match({ path: { type: 'PathPrefix', value: p } }), action: forward(c) });
  await dp.apply(
    simpleIR(
      port,
      [
        mk('/h1', 'h1'),
        mk('/h2', 'h2'),
        mk('/wrong-name', 'wrong-name'),
        mk('/uri-san', 'uri-san'),
        mk('/no-ca', 'no-ca'),
      ],
      [
        cluster('h1', [(h1.address() as AddressInfo).port], { tls: tlsOk }),
        cluster('h2', [(h2.address() as AddressInfo).port], { protocol: 'h2', tls: tlsOk }),
        cluster('wrong-name', [(h1.address() as AddressInfo).port], { tls: { ...tlsOk, serverName: 'other.example' } }),
        cluster('uri-san', [(h1.address() as AddressInfo).port], {
          tls: { ...tlsOk, serverName: 'x', subjectAltNames: [{ type: 'URI', value: 'spiffe://cluster/ns/backend' }] },
        }),
        cluster('no-ca', [(h1.address() as AddressInfo).port], { tls: { ...tlsOk, caPem: [] } }),
      ],
    ),
    'v1',
  );
});

after(async () => {
  await dp.close({ graceMs: 50 });
  h1.close();
  h2.close();
});

test('HTTPS and h2 upstreams verified against the configured CA and name', async () => {
  assert.equal((await request(port, '/h1', { headers: { host: 'front.example' } })).body, 'tls-h1 front.example');
  assert.equal((await request(port, '/h2')).body, 'tls-h2');
  assert.equal((await request(port, '/uri-san')).status, 200);
});

test('certificate name mismatch or unknown CA fails the connection (503)', async () => {
  assert.equal((await request(port, '/wrong-name')).status, 503);
  assert.equal((await request(port, '/no-ca')).status, 503);
});
