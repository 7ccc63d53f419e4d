// Downstream TLS termination: certificate choice by SNI and key type, ALPN, versions, ciphers,
// client-certificate validation, rotation and handshake timeout, with node:tls and openssl clients.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import {
  compileListenerTLS,
  type ListenerTLS,
  type SecureConnection,
  TLSConfigError,
  terminateTLS,
} from '../../../src/dataplane/tls/context.ts';
import type { ListenerTLSIR } from '../../../src/ir/types.ts';
import { type CA, certIR, type Leaf, makeCA } from './certs.ts';

interface Served {
  port: number;
  errors: Error[];
  setListener(lt: ListenerTLS): void;
  close(): Promise<void>;
}

/** A raw TCP server that terminates TLS with terminateTLS and answers with what it saw, as JSON. */
async function serve(initial: ListenerTLS): Promise<Served> {
  let lt = initial;
  const errors: Error[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    terminateTLS(raw, lt, (err, conn) => {
      if (err !== null) {
        errors.push(err);
        return;
      }
      const c = conn as SecureConnection;
      const info = { servername: c.servername ?? null, alpn: c.alpn, clientCert: c.clientCert };
      c.socket.write(JSON.stringify(info) + '\n');
      // Then echo, so a long-lived connection can be probed.
      c.socket.pipe(c.socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    errors,
    setListener(next) {
      lt = next;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

interface ClientResult {
  info: { servername: string | null; alpn: string | false; clientCert: unknown } | null;
  keyType: string | undefined;
  subject: string | undefined;
  cipher: string | undefined;
  protocol: string | null | undefined;
  error: string | undefined;
}

function connect(port: number, opts: tls.ConnectionOptions): Promise<ClientResult> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts });
    let data = '';
    let error: string | undefined;
    const out: ClientResult = {
      info: null,
      keyType: undefined,
      subject: undefined,
      cipher: undefined,
      protocol: undefined,
      error,
    };
    s.on('secureConnect', () => {
      const cert = s.getPeerX509Certificate();
      out.keyType = cert?.publicKey.asymmetricKeyType;
      out.subject = cert?.subject;
      out.cipher = s.getCipher()?.name;
      out.protocol = s.getProtocol();
    });
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      data += d;
      if (data.includes('\n')) s.end();
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    s.on('close', () => {
      const line = data.split('\n')[0];
      out.info = line ? JSON.parse(line) : null;
      out.error = error;
      resolve(out);
    });
  });
}

/** Runs s_client until the server's JSON line arrives or the connection ends; returns its output. */
function opensslClient(port: number, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn('/usr/bin/openssl', ['s_client', '-connect', '127.0.0.1:' + port, '-ign_eof', ...args]);
    let out = '';
    const timer = setTimeout(() => p.kill(), 5000);
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('"servername"')) p.kill();
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

let ca: CA;
let otherCA: CA;
let rsaA: Leaf;
let ecA: Leaf;
let wild: Leaf;
let other: Leaf;
let client: Leaf;
let strangerClient: Leaf;

before(() => {
  ca = makeCA('ctx-ca');
  otherCA = makeCA('other-ca');
  rsaA = makeCA('rsa-ca', 'rsa').issue('a.example.com', ['DNS:a.example.com'], 'rsa');
  ecA = ca.issue('a.example.com', ['DNS:a.example.com'], 'ec');
  wild = ca.issue('wild', ['DNS:*.wild.example.com'], 'ec');
  other = ca.issue('b.example.com', ['DNS:b.example.com'], 'rsa');
  client = ca.issue('client-1', ['DNS:client-1'], 'ec');
  strangerClient = otherCA.issue('client-2', ['DNS:client-2'], 'ec');
});

function tlsIR(extra: Partial<ListenerTLSIR> = {}): ListenerTLSIR {
  return {
    mode: 'Terminate',
    certificates: [
      certIR(rsaA, ['a.example.com'], 'default/a-rsa'),
      certIR(ecA, ['a.example.com'], 'default/a-ec'),
      certIR(wild, ['*.wild.example.com'], 'default/wild'),
      certIR(other, ['b.example.com'], 'default/b'),
    ],
    ...extra,
  };
}

describe('certificate selection', () => {
  let srv: Served;
  before(async () => {
    srv = await serve(compileListenerTLS(tlsIR()));
  });
  after(() => srv.close());

  it('picks by exact name, then wildcard, then the first certificate', async () => {
    const b = await connect(srv.port, { servername: 'b.example.com' });
    assert.equal(b.subject, 'CN=b.example.com');
    assert.equal(b.info?.servername, 'b.example.com');
    const w = await connect(srv.port, { servername: 'x.wild.example.com' });
    assert.equal(w.subject, 'CN=wild');
    const deep = await connect(srv.port, { servername: 'y.x.wild.example.com' });
    assert.equal(deep.subject, 'CN=wild');
    const unknown = await connect(srv.port, { servername: 'nothing.test' });
    assert.equal(unknown.subject, 'CN=a.example.com');
    assert.equal(unknown.keyType, 'ec', 'the default serves both key types; a modern client picks ECDSA');
    const noSni = await connect(srv.port, {});
    assert.equal(noSni.subject, 'CN=a.example.com');
    assert.equal(noSni.info?.servername, null);
  });

  it('serves RSA or ECDSA for the same name by what the client supports', async () => {
    // In TLS 1.3 the client's signature algorithms also cover the chain: the RSA leaf has an RSA CA.
    const ec = await connect(srv.port, { servername: 'a.example.com', sigalgs: 'ECDSA+SHA256' });
    assert.equal(ec.keyType, 'ec');
    const rsa = await connect(srv.port, { servername: 'a.example.com', sigalgs: 'rsa_pss_rsae_sha256:RSA+SHA256' });
    assert.equal(rsa.keyType, 'rsa', rsa.error);
    // TLS 1.2 with an RSA-only cipher suite.
    const rsa12 = await connect(srv.port, {
      servername: 'a.example.com',
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
    });
    assert.equal(rsa12.keyType, 'rsa');
    assert.equal(rsa12.protocol, 'TLSv1.2');
  });

  it('verifies against the CA with the SNI name (the chain is real)', async () => {
    const ok = await connect(srv.port, { servername: 'b.example.com', rejectUnauthorized: true, ca: ca.caPem });
    assert.equal(ok.error, undefined);
    assert.equal(ok.info?.servername, 'b.example.com');
  });

  it('negotiates ALPN h2 by default, http/1.1 when offered alone, none when not offered', async () => {
    assert.equal(
      (await connect(srv.port, { servername: 'b.example.com', ALPNProtocols: ['http/1.1', 'h2'] })).info?.alpn,
      'h2',
    );
    assert.equal(
      (await connect(srv.port, { servername: 'b.example.com', ALPNProtocols: ['http/1.1'] })).info?.alpn,
      'http/1.1',
    );
    assert.equal((await connect(srv.port, { servername: 'b.example.com' })).info?.alpn, false);
  });

  it('answers openssl s_client', async () => {
    const out = await opensslClient(srv.port, [
      '-servername',
      'x.wild.example.com',
      '-alpn',
      'h2,http/1.1',
      '-CAfile',
      ca.caFile,
      '-verify_return_error',
    ]);
    assert.match(out, /subject=CN\s*=\s*wild/);
    assert.match(out, /ALPN protocol: h2/);
    assert.match(out, /Verify return code: 0 \(ok\)/);
    assert.match(out, /"servername":"x.wild.example.com"/);
  });
});

describe('versions, ciphers and ALPN settings', () => {
  it('refuses TLS 1.1 by default and TLS 1.2 when minVersion is TLSv1.3', async () => {
    const srv = await serve(compileListenerTLS(tlsIR()));
    try {
      const old = await connect(srv.port, { servername: 'b.example.com', minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
      assert.ok(old.error !== undefined, 'TLS 1.1 must fail');
      assert.equal(old.info, null);
      srv.setListener(compileListenerTLS(tlsIR({ minVersion: 'TLSv1.3' })));
      const v12 = await connect(srv.port, { servername: 'b.example.com', maxVersion: 'TLSv1.2' });
      assert.ok(v12.error !== undefined, 'TLS 1.2 must fail');
      const v13 = await connect(srv.port, { servername: 'b.example.com' });
      assert.equal(v13.protocol, 'TLSv1.3');
      srv.setListener(compileListenerTLS(tlsIR({ maxVersion: 'TLSv1.2' })));
      assert.equal((await connect(srv.port, { servername: 'b.example.com' })).protocol, 'TLSv1.2');
    } finally {
      await srv.close();
    }
  });

  it('restricts cipher suites to the configured list', async () => {
    const srv = await serve(
      compileListenerTLS(tlsIR({ maxVersion: 'TLSv1.2', ciphers: ['ECDHE-ECDSA-AES256-GCM-SHA384'] })),
    );
    try {
      const r = await connect(srv.port, { servername: 'x.wild.example.com' });
      assert.equal(r.cipher, 'ECDHE-ECDSA-AES256-GCM-SHA384');
      const refused = await connect(srv.port, {
        servername: 'x.wild.example.com',
        ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      });
      assert.ok(refused.error !== undefined);
    } finally {
      await srv.close();
    }
  });

  it('uses the IR ALPN list, or an override; [] disables ALPN', async () => {
    const srv = await serve(compileListenerTLS(tlsIR({ alpn: ['http/1.1'] })));
    try {
      assert.equal((await connect(srv.port, { ALPNProtocols: ['h2', 'http/1.1'] })).info?.alpn, 'http/1.1');
      srv.setListener(compileListenerTLS(tlsIR(), { alpn: [] }));
      assert.equal((await connect(srv.port, { ALPNProtocols: ['h2', 'http/1.1'] })).info?.alpn, false);
    } finally {
      await srv.close();
    }
  });
});

describe('client certificates', () => {
  const mtls = (mode: 'AllowValidOnly' | 'AllowInsecureFallback') =>
    compileListenerTLS(tlsIR({ clientValidation: { caPem: [ca.caPem], mode } }));

  it('AllowValidOnly: only a certificate from the configured CA gets through', async () => {
    const srv = await serve(mtls('AllowValidOnly'));
    try {
      const ok = await connect(srv.port, { servername: 'b.example.com', cert: client.certPem, key: client.keyPem });
      assert.deepEqual(ok.info?.clientCert, { presented: true, verified: true });
      const none = await connect(srv.port, { servername: 'b.example.com' });
      assert.equal(none.info, null);
      assert.ok(none.error !== undefined);
      const stranger = await connect(srv.port, {
        servername: 'b.example.com',
        cert: strangerClient.certPem,
        key: strangerClient.keyPem,
      });
      assert.equal(stranger.info, null, 'a certificate from another CA is rejected');
      // Both rejections reached terminateTLS's callback as errors.
      await waitFor(() => srv.errors.length >= 2);
      assert.ok(
        srv.errors.some(
          (e) => /certificate/i.test(e.message) || /CERTIFICATE/.test(String((e as NodeJS.ErrnoException).code)),
        ),
      );
    } finally {
      await srv.close();
    }
  });

  it('AllowInsecureFallback: everyone gets through with the verification result recorded', async () => {
    const srv = await serve(mtls('AllowInsecureFallback'));
    try {
      const ok = await connect(srv.port, { servername: 'b.example.com', cert: client.certPem, key: client.keyPem });
      assert.deepEqual(ok.info?.clientCert, { presented: true, verified: true });
      const none = await connect(srv.port, { servername: 'b.example.com' });
      assert.deepEqual(none.info?.clientCert, { presented: false, verified: false, error: 'NO_CERTIFICATE' });
      const stranger = await connect(srv.port, {
        servername: 'b.example.com',
        cert: strangerClient.certPem,
        key: strangerClient.keyPem,
      });
      const cc = stranger.info?.clientCert as { presented: boolean; verified: boolean; error: string };
      assert.equal(cc.presented, true);
      assert.equal(cc.verified, false);
      assert.match(cc.error, /UNABLE_TO|SIGNATURE|ISSUER/);
    } finally {
      await srv.close();
    }
  });

  it('openssl s_client with a client certificate', async () => {
    const srv = await serve(mtls('AllowValidOnly'));
    try {
      const out = await opensslClient(srv.port, [
        '-servername',
        'b.example.com',
        '-cert',
        client.certFile,
        '-key',
        client.keyFile,
      ]);
      assert.match(out, /"clientCert":\{"presented":true,"verified":true\}/);
      const refused = await opensslClient(srv.port, ['-servername', 'b.example.com']);
      assert.doesNotMatch(refused, /clientCert/);
    } finally {
      await srv.close();
    }
  });
});

describe('lifecycle', () => {
  it('rotation: a new compilation serves new connections, open ones keep working', async () => {
    const v1 = compileListenerTLS({ mode: 'Terminate', certificates: [certIR(other, ['b.example.com'])] });
    const srv = await serve(v1);
    try {
      const s = tls.connect({ host: '127.0.0.1', port: srv.port, servername: 'b.example.com', ca: ca.caPem });
      s.setEncoding('utf8');
      const lines: string[] = [];
      let buf = '';
      s.on('data', (d: string) => {
        buf += d;
        lines.push(...buf.split('\n').slice(0, -1));
        buf = buf.slice(buf.lastIndexOf('\n') + 1);
      });
      await waitFor(() => lines.length === 1);
      assert.equal(s.getPeerX509Certificate()?.subject, 'CN=b.example.com');
      const v2 = compileListenerTLS({ mode: 'Terminate', certificates: [certIR(wild, ['*.wild.example.com'])] });
      assert.notEqual(v1.fingerprint, v2.fingerprint);
      srv.setListener(v2);
      const fresh = await connect(srv.port, { servername: 'b.example.com' });
      assert.equal(fresh.subject, 'CN=wild');
      s.write('still here\n');
      await waitFor(() => lines.length === 2);
      assert.equal(lines[1], 'still here');
      s.destroy();
    } finally {
      await srv.close();
    }
  });

  it('same IR and options compile to the same fingerprint', () => {
    assert.equal(compileListenerTLS(tlsIR()).fingerprint, compileListenerTLS(tlsIR()).fingerprint);
    assert.notEqual(compileListenerTLS(tlsIR()).fingerprint, compileListenerTLS(tlsIR(), { alpn: [] }).fingerprint);
  });

  it('a client that never handshakes is dropped after the handshake timeout', async () => {
    const srv = await serve(compileListenerTLS(tlsIR(), { handshakeTimeoutMs: 150 }));
    try {
      const s = net.connect(srv.port, '127.0.0.1');
      s.on('error', () => {});
      const t0 = Date.now();
      await new Promise((r) => s.on('close', r));
      assert.ok(Date.now() - t0 >= 100, 'closed too early');
      await waitFor(() => srv.errors.length === 1);
    } finally {
      await srv.close();
    }
  });

  it('a socketOptions wrapper works for callers that wrap sockets themselves', async () => {
    const lt = compileListenerTLS(tlsIR());
    const server = net.createServer((raw) => {
      const t = new tls.TLSSocket(raw, lt.socketOptions);
      t.on('secure', () => t.end('hello ' + t.servername));
      t.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'x.wild.example.com', ca: ca.caPem });
      let got = '';
      s.on('data', (d) => {
        got += d;
      });
      await new Promise((r) => s.on('close', r));
      assert.equal(got, 'hello x.wild.example.com');
    } finally {
      server.close();
    }
  });

  it('rejects unusable certificates at compile time', () => {
    assert.throws(
      () => compileListenerTLS({ mode: 'Terminate', certificates: [{ ...certIR(other, ['b']), keyPem: 'junk' }] }),
      TLSConfigError,
    );
    assert.throws(
      () => compileListenerTLS({ mode: 'Terminate', certificates: [{ ...certIR(other, ['b']), keyPem: ecA.keyPem }] }),
      TLSConfigError,
    );
    assert.throws(() => compileListenerTLS({ mode: 'Terminate', certificates: [] }), TLSConfigError);
    assert.equal(compileListenerTLS({ mode: 'Passthrough', certificates: [] }).mode, 'Passthrough');
  });
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in ' + ms + ' ms');
    await new Promise((r) => setTimeout(r, 10));
  }
}
