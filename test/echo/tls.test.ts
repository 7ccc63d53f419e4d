import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectH2 } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { EchoResponseBody } from '../../src/echo/index.ts';
import { echoRequest, parseEcho, type StartedEcho, startEcho } from '../helpers/echo.ts';

interface Certificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A CA, a server certificate for echo.test and a client certificate, made with the openssl CLI. */
function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'echo-tls-'));
  try {
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=echo test CA');
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:echo.test\n');
    writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const name of ['server', 'client']) {
      ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      ssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-out',
        `${name}.crt`,
        '-extfile',
        `${name}.ext`,
      );
    }
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return {
      ca: read('ca.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
      clientCert: read('client.crt'),
      clientKey: read('client.key'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function httpsGet(
  port: number,
  path: string,
  opts: { ca: string; cert?: string; key?: string },
): Promise<EchoResponseBody> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, servername: 'echo.test', headers: { host: 'echo.test' }, agent: false, ...opts },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          try {
            assert.equal(res.statusCode, 200);
            resolve(parseEcho(body));
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('echo backend over TLS', () => {
  let certs: Certificates;
  let echo: StartedEcho;
  before(async () => {
    certs = makeCertificates();
    echo = await startEcho('tls-pod', {
      tls: { certPem: certs.serverCert, keyPem: certs.serverKey, clientCaPem: certs.ca },
    });
  });
  after(() => echo.close());

  test('HTTPS/1.1 reports version, SNI and cipher suite', async () => {
    const body = await httpsGet(echo.port, '/secure', { ca: certs.ca });
    assert.equal(body.proto, 'HTTP/1.1');
    assert.equal(body.path, '/secure');
    assert.equal(body.pod, 'tls-pod');
    assert.equal(body.tls?.version, 'TLSv1.3');
    assert.equal(body.tls?.serverName, 'echo.test');
    assert.match(body.tls?.cipherSuite ?? '', /^TLS_[A-Z0-9_]+$/);
    assert.equal(body.tls?.negotiatedProtocol, undefined, 'the client offered no ALPN');
    assert.equal(body.tls?.peerCertificates, undefined);
  });

  test('a client certificate signed by the client CA is reported as PEM', async () => {
    const body = await httpsGet(echo.port, '/mtls', { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
    const peers = body.tls?.peerCertificates ?? [];
    assert.equal(peers.length, 1);
    assert.equal(new X509Certificate(peers[0]!).fingerprint256, new X509Certificate(certs.clientCert).fingerprint256);
  });

  test('a client certificate the client CA did not sign is refused', async () => {
    const other = makeCertificates();
    await assert.rejects(httpsGet(echo.port, '/bad', { ca: certs.ca, cert: other.clientCert, key: other.clientKey }));
  });

  test('HTTP/2 is negotiated with ALPN h2', async () => {
    const session = connectH2(`https://127.0.0.1:${echo.port}`, { ca: certs.ca, servername: 'echo.test' });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': '/h2tls', ':authority': 'echo.test' });
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (d: string) => {
          text += d;
        });
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      });
      const echoed = parseEcho(body);
      assert.equal(echoed.proto, 'HTTP/2.0');
      assert.equal(echoed.tls?.negotiatedProtocol, 'h2');
      assert.equal(echoed.tls?.serverName, 'echo.test');
    } finally {
      session.close();
    }
  });

  test('plaintext still works on the same port', async () => {
    const got = await echoRequest(`${echo.url}/plain`);
    assert.equal(got.body.tls, undefined);
  });

  test('gRPC over TLS carries tls_assertions', async () => {
    const def = protoLoader.loadSync(new URL('../../src/echo/grpcecho.proto', import.meta.url).pathname, {});
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      gateway_api_conformance: { echo_basic: { grpcecho: { GrpcEcho: grpc.ServiceClientConstructor } } };
    };
    const client = new pkg.gateway_api_conformance.echo_basic.grpcecho.GrpcEcho(
      echo.address,
      grpc.credentials.createSsl(Buffer.from(certs.ca)),
      { 'grpc.ssl_target_name_override': 'echo.test', 'grpc.default_authority': 'echo.test' },
    ) as unknown as grpc.Client & {
      Echo(
        req: object,
        cb: (err: grpc.ServiceError | null, res?: { assertions: { tlsAssertions: Record<string, unknown> } }) => void,
      ): void;
    };
    try {
      const res = await new Promise<{ assertions: { tlsAssertions: Record<string, unknown> } }>((resolve, reject) =>
        client.Echo({}, (err, r) => (err ? reject(err) : resolve(r!))),
      );
      const tls = res.assertions.tlsAssertions;
      assert.equal(tls.version, 'TLSv1.3');
      assert.equal(tls.serverName, 'echo.test');
      assert.equal(tls.negotiatedProtocol, 'h2');
      assert.match(String(tls.cipherSuite), /^TLS_/);
    } finally {
      client.close();
    }
  });
});
