// TLS at layer 4: passthrough routed by SNI (proven by which backend, and whose certificate,
// answers), listener choice by SNI on a shared port, Terminate listeners piping plaintext,
// client certificates, and upstream TLS verification (CA, SAN, client certificate).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { listen } from '../../../src/dataplane/l4/tcp.ts';
import type { ListenerIR, UpstreamTLSIR } from '../../../src/ir/types.ts';
import { type CA, certIR, type Leaf, makeCA } from '../tls/certs.ts';
import {
  cluster,
  clusters,
  echoUpstream,
  LineClient,
  l4route,
  RecordingObserver,
  tcpListener,
  type Upstream,
  waitUntil,
} from './helpers.ts';

let ca: CA;
let otherCA: CA;
let certA: Leaf;
let certB: Leaf;
let certC: Leaf;
let certTerm: Leaf;
let certSpiffe: Leaf;
let gatewayClient: Leaf;
let upA: Upstream;
let upB: Upstream;
let upC: Upstream;
let upSpiffe: Upstream;
let upMutual: Upstream;
let plain: Upstream;

before(async () => {
  ca = makeCA('l4-ca');
  otherCA = makeCA('l4-other-ca');
  certA = ca.issue('a.example.com', ['DNS:a.example.com']);
  certB = ca.issue('wild.example.com', ['DNS:*.example.com'], 'rsa');
  certC = ca.issue('fallback.test', ['DNS:fallback.test']);
  certTerm = ca.issue('term.example.net', ['DNS:term.example.net', 'DNS:*.two.test']);
  certSpiffe = ca.issue('spiffe-backend', ['URI:spiffe://cluster.local/ns/default/sa/backend']);
  gatewayClient = ca.issue('gateway-client', ['DNS:gateway-client']);
  [upA, upB, upC, upSpiffe, upMutual, plain] = await Promise.all([
    echoUpstream('A', certA),
    echoUpstream('B', certB),
    echoUpstream('C', certC),
    echoUpstream('S', certSpiffe),
    echoUpstream('M', { ...certA, caPem: ca.caPem }),
    echoUpstream('P'),
  ]);
});
after(async () => {
  await Promise.all([upA, upB, upC, upSpiffe, upMutual, plain].map((u) => u.close()));
});

function passthroughListener(extra: Partial<ListenerIR> = {}): ListenerIR {
  return {
    name: 'default/gw/tls-pass',
    sectionName: 'tls-pass',
    port: 0,
    protocol: 'TLS',
    hostname: null,
    tls: { mode: 'Passthrough', certificates: [] },
    tlsRoutes: [
      l4route('TLSRoute/default/exact', [['ca', 1]], ['a.example.com']),
      l4route('TLSRoute/default/wild', [['cb', 1]], ['*.example.com']),
      l4route('TLSRoute/default/any', [['cc', 1]]),
    ],
    ...extra,
  };
}

const tlsClusters = () =>
  clusters(
    cluster('ca', [upA.port]),
    cluster('cb', [upB.port]),
    cluster('cc', [upC.port]),
    cluster('plain', [plain.port]),
  );

function terminateListener(extra: Partial<ListenerIR> = {}): ListenerIR {
  return {
    name: 'default/gw/tls-term',
    sectionName: 'tls-term',
    port: 0,
    protocol: 'TLS',
    hostname: null,
    tls: { mode: 'Terminate', certificates: [certIR(certTerm, ['term.example.net', '*.two.test'])] },
    tlsRoutes: [l4route('TLSRoute/default/term', [['plain', 1]])],
    ...extra,
  };
}

describe('TLS passthrough', () => {
  it('routes by SNI: exact, then wildcard, then the route without hostnames', async () => {
    const obs = new RecordingObserver();
    const srv = await listen({ listeners: [passthroughListener()], clusters: tlsClusters() }, { observer: obs });
    try {
      const cases: [string | undefined, string, string][] = [
        ['a.example.com', 'A', 'CN=a.example.com'],
        ['x.example.com', 'B', 'CN=wild.example.com'],
        ['deep.x.example.com', 'B', 'CN=wild.example.com'],
        ['fallback.test', 'C', 'CN=fallback.test'],
        [undefined, 'C', 'CN=fallback.test'],
      ];
      for (const [sni, backend, subject] of cases) {
        const cl = LineClient.tls(srv.port, {
          servername: sni,
          ca: ca.caPem,
          rejectUnauthorized: sni === 'a.example.com',
        });
        const m = await cl.waitFor(/hello (\S+) (\S+)/);
        assert.equal(m[1], backend, String(sni));
        // The backend saw the client's own SNI: the ClientHello reached it untouched.
        assert.equal(m[2], sni ?? '-');
        // The certificate is the backend's: the proxy never terminated.
        assert.equal((cl.socket as import('node:tls').TLSSocket).getPeerX509Certificate()?.subject, subject);
        cl.socket.end('x\n');
        await cl.waitFor(/bye/);
        await cl.closed;
      }
      await waitUntil(() => obs.records.length === cases.length);
      assert.deepEqual(
        obs.records.map((r) => [r.protocol, r.authority, r.route, r.upstreamCluster]),
        [
          ['TLS', 'a.example.com', 'TLSRoute/default/exact', 'ca'],
          ['TLS', 'x.example.com', 'TLSRoute/default/wild', 'cb'],
          ['TLS', 'deep.x.example.com', 'TLSRoute/default/wild', 'cb'],
          ['TLS', 'fallback.test', 'TLSRoute/default/any', 'cc'],
          ['TLS', '-', 'TLSRoute/default/any', 'cc'],
        ],
      );
    } finally {
      await srv.close();
    }
  });

  it('openssl s_client reaches the backend chosen by its SNI', async () => {
    const srv = await listen({ listeners: [passthroughListener()], clusters: tlsClusters() });
    try {
      const out = await new Promise<string>((resolve) => {
        const p = spawn('/usr/bin/openssl', [
          's_client',
          '-connect',
          '127.0.0.1:' + srv.port,
          '-servername',
          'a.example.com',
          '-CAfile',
          ca.caFile,
          '-ign_eof',
        ]);
        let text = '';
        const timer = setTimeout(() => p.kill(), 5000);
        const onData = (d: Buffer) => {
          text += d;
          if (/hello A/.test(text)) p.kill();
        };
        p.stdout.on('data', onData);
        p.stderr.on('data', onData);
        p.on('close', () => {
          clearTimeout(timer);
          resolve(text);
        });
      });
      assert.match(out, /hello A a\.example\.com/);
      assert.match(out, /Verify return code: 0 \(ok\)/);
    } finally {
      await srv.close();
    }
  });

  it('closes connections without a route, and non-TLS bytes', async () => {
    const obs = new RecordingObserver();
    const listener = passthroughListener({
      tlsRoutes: [l4route('TLSRoute/default/exact', [['ca', 1]], ['a.example.com'])],
    });
    const srv = await listen({ listeners: [listener], clusters: tlsClusters() }, { observer: obs });
    try {
      const other = LineClient.tls(srv.port, { servername: 'b.example.org', rejectUnauthorized: false });
      await other.done;
      assert.equal(other.text, '');
      const plainText = LineClient.tcp(srv.port);
      plainText.socket.write('GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n');
      await plainText.done;
      assert.equal(plainText.text, '');
      await waitUntil(() => obs.records.length === 2);
      assert.deepEqual(obs.records.map((r) => r.responseFlags).sort(), ['DPE', 'NR']);
      other.socket.destroy();
      plainText.socket.destroy();
    } finally {
      await srv.close();
    }
  });

  it('a client that sends no (or half a) ClientHello is closed after the hello timeout', async () => {
    const obs = new RecordingObserver();
    const srv = await listen(
      { listeners: [passthroughListener()], clusters: tlsClusters() },
      { observer: obs, clientHelloTimeoutMs: 120 },
    );
    try {
      const t0 = Date.now();
      const silent = LineClient.tcp(srv.port);
      const half = LineClient.tcp(srv.port);
      half.socket.write(Buffer.from([22, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3]));
      await Promise.all([silent.done, half.done]);
      assert.ok(Date.now() - t0 >= 110);
      await waitUntil(() => obs.records.length === 2);
      assert.deepEqual(
        obs.records.map((r) => r.responseFlags),
        ['DPE', 'DPE'],
      );
      silent.socket.destroy();
      half.socket.destroy();
    } finally {
      await srv.close();
    }
  });

  it('a ClientHello that trickles in byte by byte still routes', async () => {
    const srv = await listen({ listeners: [passthroughListener()], clusters: tlsClusters() });
    try {
      // Capture a real hello, then replay it through the proxy one byte per write.
      const net = await import('node:net');
      const tls = await import('node:tls');
      const raw = net.connect({ port: srv.port, host: '127.0.0.1' });
      await new Promise((r) => raw.once('connect', r));
      raw.setNoDelay(true);
      // A TLSSocket over a duplex we feed by hand lets us slow down what the client writes.
      const { Duplex } = await import('node:stream');
      const slow = new Duplex({
        read() {},
        write(chunk: Buffer, _enc, cb) {
          let i = 0;
          const step = () => {
            if (i >= chunk.length) return cb();
            raw.write(chunk.subarray(i, i + 1));
            i++;
            if (i < 40) setTimeout(step, 1);
            else {
              raw.write(chunk.subarray(i));
              cb();
            }
          };
          step();
        },
      });
      raw.on('data', (d) => slow.push(d));
      raw.on('end', () => slow.push(null));
      const s = tls.connect({ socket: slow, servername: 'a.example.com', ca: ca.caPem });
      const cl = new LineClient(s);
      assert.equal(await cl.backend(), 'A');
      s.destroy();
      raw.destroy();
    } finally {
      await srv.close();
    }
  });
});

describe('TLS listeners sharing a port', () => {
  it('picks the listener by SNI: a passthrough and a terminating listener side by side', async () => {
    const srv = await listen({
      listeners: [
        passthroughListener({ name: 'default/gw/pass', hostname: '*.example.com' }),
        terminateListener({ name: 'default/gw/term', hostname: '*.two.test' }),
      ],
      clusters: tlsClusters(),
    });
    try {
      const pass = LineClient.tls(srv.port, { servername: 'x.example.com', ca: ca.caPem });
      assert.equal(await pass.backend(), 'B');
      const term = LineClient.tls(srv.port, { servername: 'q.two.test', ca: ca.caPem });
      assert.equal(await term.backend(), 'P');
      assert.equal(
        (term.socket as import('node:tls').TLSSocket).getPeerX509Certificate()?.subject,
        'CN=term.example.net',
      );
      const none = LineClient.tls(srv.port, { servername: 'nobody.test', rejectUnauthorized: false });
      await none.done;
      assert.equal(none.text, '');
      for (const c of [pass, term, none]) c.socket.destroy();
    } finally {
      await srv.close();
    }
  });
});

describe('TLS terminate', () => {
  it('decrypts and pipes plaintext, half-close included', async () => {
    const obs = new RecordingObserver();
    const srv = await listen({ listeners: [terminateListener()], clusters: tlsClusters() }, { observer: obs });
    try {
      const cl = LineClient.tls(srv.port, { servername: 'term.example.net', ca: ca.caPem });
      // The plaintext backend saw no TLS at all.
      assert.deepEqual([...(await cl.waitFor(/hello (\S+) (\S+)/))].slice(1), ['P', '-']);
      cl.socket.write('over tls\n');
      await cl.waitFor(/over tls\n/);
      cl.socket.end('end\n');
      await cl.waitFor(/bye P 13\n/);
      await cl.closed;
      await waitUntil(() => obs.records.length === 1);
      assert.equal(obs.records[0]!.route, 'TLSRoute/default/term');
      assert.equal(obs.records[0]!.responseFlags, '-');
    } finally {
      await srv.close();
    }
  });

  it('client certificates: AllowValidOnly refuses, AllowInsecureFallback admits', async () => {
    const strict = terminateListener({
      tls: {
        mode: 'Terminate',
        certificates: [certIR(certTerm, ['term.example.net'])],
        clientValidation: { caPem: [ca.caPem], mode: 'AllowValidOnly' },
      },
    });
    const srv = await listen({ listeners: [strict], clusters: tlsClusters() });
    try {
      const anonymous = LineClient.tls(srv.port, { servername: 'term.example.net', ca: ca.caPem });
      await anonymous.done;
      assert.equal(anonymous.text, '');
      const stranger = otherCA.issue('stranger', ['DNS:stranger']);
      const bad = LineClient.tls(srv.port, {
        servername: 'term.example.net',
        ca: ca.caPem,
        cert: stranger.certPem,
        key: stranger.keyPem,
      });
      await bad.done;
      assert.equal(bad.text, '');
      const good = LineClient.tls(srv.port, {
        servername: 'term.example.net',
        ca: ca.caPem,
        cert: gatewayClient.certPem,
        key: gatewayClient.keyPem,
      });
      assert.equal(await good.backend(), 'P');
      for (const c of [anonymous, bad, good]) c.socket.destroy();
      strict.tls!.clientValidation!.mode = 'AllowInsecureFallback';
      srv.listener.update({ listeners: [strict], clusters: tlsClusters() });
      const fallback = LineClient.tls(srv.port, { servername: 'term.example.net', ca: ca.caPem });
      assert.equal(await fallback.backend(), 'P');
      fallback.socket.destroy();
    } finally {
      await srv.close();
    }
  });

  it('certificate rotation: new connections get the new certificate, open ones keep working', async () => {
    const srv = await listen({ listeners: [terminateListener()], clusters: tlsClusters() });
    try {
      const old = LineClient.tls(srv.port, { servername: 'term.example.net', ca: ca.caPem });
      assert.equal(await old.backend(), 'P');
      const rotated = ca.issue('term-v2', ['DNS:term.example.net']);
      srv.listener.update({
        listeners: [
          terminateListener({ tls: { mode: 'Terminate', certificates: [certIR(rotated, ['term.example.net'])] } }),
        ],
        clusters: tlsClusters(),
      });
      const fresh = LineClient.tls(srv.port, { servername: 'term.example.net', ca: ca.caPem });
      assert.equal(await fresh.backend(), 'P');
      const subject = (c: LineClient) => (c.socket as import('node:tls').TLSSocket).getPeerX509Certificate()?.subject;
      assert.equal(subject(fresh), 'CN=term-v2');
      assert.equal(subject(old), 'CN=term.example.net');
      old.socket.write('old still works\n');
      await old.waitFor(/old still works/);
      old.socket.destroy();
      fresh.socket.destroy();
    } finally {
      await srv.close();
    }
  });

  it('a listener with an unusable certificate is reported and refuses connections', async () => {
    const broken = terminateListener({
      tls: { mode: 'Terminate', certificates: [{ ...certIR(certTerm, ['term.example.net']), keyPem: certA.keyPem }] },
    });
    const srv = await listen({ listeners: [broken], clusters: tlsClusters() });
    try {
      assert.equal(srv.listener.errors.length, 1);
      assert.match(srv.listener.errors[0]!.message, /does not match/);
      const cl = LineClient.tls(srv.port, { servername: 'term.example.net', rejectUnauthorized: false });
      await cl.done;
      assert.equal(cl.text, '');
      cl.socket.destroy();
    } finally {
      await srv.close();
    }
  });
});

describe('upstream TLS', () => {
  async function through(tlsIR: UpstreamTLSIR, port: number): Promise<{ text: string; flags: string }> {
    const obs = new RecordingObserver();
    const srv = await listen(
      {
        listeners: [tcpListener(0, l4route('TCPRoute/default/up', [['u', 1]]))],
        clusters: clusters(cluster('u', [port], { tls: tlsIR })),
      },
      { observer: obs },
    );
    try {
      const cl = LineClient.tcp(srv.port);
      try {
        await cl.waitFor(/hello .*\n/, 2000);
      } catch {}
      cl.socket.destroy();
      await waitUntil(() => obs.records.length === 1);
      return { text: cl.text, flags: obs.records[0]!.responseFlags };
    } finally {
      await srv.close();
    }
  }
  const base = (extra: Partial<UpstreamTLSIR> = {}): UpstreamTLSIR => ({
    serverName: 'a.example.com',
    caPem: [],
    useSystemCAs: false,
    subjectAltNames: [],
    ...extra,
  });

  it('verifies the backend against the CA with the SNI name', async () => {
    const ok = await through(base({ caPem: [ca.caPem] }), upA.port);
    assert.equal(ok.text, 'hello A a.example.com -\n');
    const wrongCA = await through(base({ caPem: [otherCA.caPem] }), upA.port);
    assert.equal(wrongCA.text, '');
    assert.match(wrongCA.flags, /UF/);
    const systemOnly = await through(base({ useSystemCAs: true }), upA.port);
    assert.equal(systemOnly.text, '', 'a private CA is not a system CA');
    const nothingTrusted = await through(base(), upA.port);
    assert.equal(nothingTrusted.text, '');
    const wrongName = await through(base({ caPem: [ca.caPem], serverName: 'b.example.org' }), upA.port);
    assert.equal(wrongName.text, '', 'certificate is not valid for the SNI name');
    const skip = await through(base({ caPem: [], serverName: 'b.example.org', insecureSkipVerify: true }), upA.port);
    assert.equal(skip.text, 'hello A b.example.org -\n');
  });

  it('subjectAltNames replace the SNI name in the identity check', async () => {
    const right = await through(
      base({
        caPem: [ca.caPem],
        serverName: 'sni.only.test',
        subjectAltNames: [{ type: 'Hostname', value: 'a.example.com' }],
      }),
      upA.port,
    );
    assert.equal(right.text, 'hello A sni.only.test -\n');
    const wrong = await through(
      base({ caPem: [ca.caPem], subjectAltNames: [{ type: 'Hostname', value: 'nope.example.com' }] }),
      upA.port,
    );
    assert.equal(wrong.text, '');
    assert.match(wrong.flags, /UF/);
    const wildcard = await through(
      base({
        caPem: [ca.caPem],
        serverName: 'x.example.com',
        subjectAltNames: [{ type: 'Hostname', value: 'x.example.com' }],
      }),
      upB.port,
    );
    assert.equal(wildcard.text, 'hello B x.example.com -\n');
    const uri = await through(
      base({
        caPem: [ca.caPem],
        serverName: 'backend.default',
        subjectAltNames: [{ type: 'URI', value: 'spiffe://cluster.local/ns/default/sa/backend' }],
      }),
      upSpiffe.port,
    );
    assert.equal(uri.text, 'hello S backend.default -\n');
    const wrongUri = await through(
      base({
        caPem: [ca.caPem],
        subjectAltNames: [{ type: 'URI', value: 'spiffe://cluster.local/ns/default/sa/other' }],
      }),
      upSpiffe.port,
    );
    assert.equal(wrongUri.text, '');
  });

  it('presents the gateway client certificate to backends that require one', async () => {
    const withCert = await through(
      base({ caPem: [ca.caPem], clientCertificate: { certPem: gatewayClient.certPem, keyPem: gatewayClient.keyPem } }),
      upMutual.port,
    );
    assert.equal(withCert.text, 'hello M a.example.com gateway-client\n');
    const without = await through(base({ caPem: [ca.caPem] }), upMutual.port);
    assert.equal(without.text, '');
  });
});
