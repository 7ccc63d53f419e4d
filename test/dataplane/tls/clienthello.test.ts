// ClientHello parsing: real hellos captured from node:tls and openssl s_client, every prefix of
// them, re-fragmented into many records, and hand-made malformed variants.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { before, describe, it } from 'node:test';
import tls from 'node:tls';
import {
  ClientHelloPeeker,
  MAX_HELLO_LENGTH,
  MAX_RECORDS,
  parseClientHello,
} from '../../../src/dataplane/tls/clienthello.ts';

/** Accepts one connection and returns the bytes of its first complete handshake message's records. */
async function capture(connect: (port: number) => () => void): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const got = new Promise<Buffer>((resolve, reject) => {
      server.once('connection', (s) => {
        let buf = Buffer.alloc(0);
        s.on('data', (d) => {
          buf = Buffer.concat([buf, d]);
          // Independent of the parser under test: one record holding one whole handshake message.
          if (buf.length >= 9) {
            const rec = buf.readUInt16BE(3);
            const msg = buf.readUIntBE(6, 3) + 4;
            if (msg > rec) reject(new Error('hello spans records; capture expects one'));
            if (buf.length >= 5 + rec) {
              resolve(buf.subarray(0, 5 + rec));
              s.destroy();
            }
          }
        });
        s.on('error', () => {});
      });
    });
    const stop = connect(port);
    const hello = await Promise.race([
      got,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no hello captured')), 5000).unref()),
    ]);
    stop();
    return hello;
  } finally {
    server.close();
  }
}

function nodeClient(opts: tls.ConnectionOptions) {
  return (port: number) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts });
    s.on('error', () => {});
    return () => s.destroy();
  };
}

function opensslClient(args: string[]) {
  return (port: number) => {
    const p = spawn('/usr/bin/openssl', ['s_client', '-connect', '127.0.0.1:' + port, ...args], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    p.on('error', () => {});
    return () => p.kill();
  };
}

/** Re-frames the handshake message of a single-record hello into records of `size` bytes. */
function refragment(hello: Buffer, size: number): Buffer {
  const msg = hello.subarray(5);
  const out: Buffer[] = [];
  for (let i = 0; i < msg.length; i += size) {
    const part = msg.subarray(i, i + size);
    const head = Buffer.from([22, 3, 1, 0, 0]);
    head.writeUInt16BE(part.length, 3);
    out.push(head, part);
  }
  return Buffer.concat(out);
}

// A minimal but valid ClientHello built by hand, to make precise malformed variants.
function ext(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(body.length, 2);
  return Buffer.concat([h, body]);
}
function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function sniExt(name: string | Buffer): Buffer {
  const n = Buffer.isBuffer(name) ? name : Buffer.from(name);
  const entry = Buffer.concat([Buffer.from([0]), u16(n.length), n]);
  return ext(0, Buffer.concat([u16(entry.length), entry]));
}
function alpnExt(protos: string[]): Buffer {
  const list = Buffer.concat(protos.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])));
  return ext(16, Buffer.concat([u16(list.length), list]));
}
function helloBody(exts: Buffer[] | null, opts: { version?: number[]; session?: number } = {}): Buffer {
  const parts = [
    Buffer.from(opts.version ?? [3, 3]),
    Buffer.alloc(32, 7),
    Buffer.from([opts.session ?? 0]),
    Buffer.alloc(opts.session ?? 0),
    u16(2),
    Buffer.from([0x13, 0x01]),
    Buffer.from([1, 0]),
  ];
  if (exts !== null) {
    const e = Buffer.concat(exts);
    parts.push(u16(e.length), e);
  }
  return Buffer.concat(parts);
}
function record(body: Buffer, type = 1): Buffer {
  const hs = Buffer.concat([Buffer.from([type, 0, 0, 0]), body]);
  hs.writeUIntBE(body.length, 1, 3);
  const head = Buffer.from([22, 3, 1, 0, 0]);
  head.writeUInt16BE(hs.length, 3);
  return Buffer.concat([head, hs]);
}

function expectError(data: Buffer, code: string, pattern?: RegExp) {
  const r = parseClientHello(data);
  assert.equal(r.status, 'error', 'expected an error, got ' + JSON.stringify(r));
  if (r.status !== 'error') return;
  assert.equal(r.code, code, r.message);
  if (pattern) assert.match(r.message, pattern);
}

describe('ClientHello from real clients', () => {
  const hellos: Record<string, Buffer> = {};
  before(async () => {
    hellos.nodeSniAlpn = await capture(
      nodeClient({ servername: 'App.Example.com', ALPNProtocols: ['h2', 'http/1.1'] }),
    );
    hellos.nodeNoSni = await capture(nodeClient({}));
    hellos.nodeTls12 = await capture(nodeClient({ servername: 'old.example.com', maxVersion: 'TLSv1.2' }));
    hellos.opensslSni = await capture(opensslClient(['-servername', 'echo.test', '-alpn', 'h2,http/1.1']));
    hellos.opensslNoSni = await capture(opensslClient(['-noservername']));
    hellos.opensslTls12 = await capture(opensslClient(['-servername', 'tls12.test', '-tls1_2']));
  });

  const expected: Record<string, { sni?: string; alpn: string[] }> = {
    nodeSniAlpn: { sni: 'app.example.com', alpn: ['h2', 'http/1.1'] },
    nodeNoSni: { alpn: [] },
    nodeTls12: { sni: 'old.example.com', alpn: [] },
    opensslSni: { sni: 'echo.test', alpn: ['h2', 'http/1.1'] },
    opensslNoSni: { alpn: [] },
    opensslTls12: { sni: 'tls12.test', alpn: [] },
  };

  it('extracts SNI and ALPN', () => {
    for (const [name, want] of Object.entries(expected)) {
      const r = parseClientHello(hellos[name]!);
      assert.equal(r.status, 'ok', name + ': ' + JSON.stringify(r));
      if (r.status !== 'ok') continue;
      assert.equal(r.hello.sni, want.sni, name);
      assert.deepEqual(r.hello.alpn, want.alpn, name);
      assert.equal(r.hello.length, hellos[name]!.length, name);
    }
  });

  it('answers need-more for every proper prefix and ok at the end', () => {
    for (const [name, h] of Object.entries(hellos)) {
      for (let n = 0; n < h.length; n++) {
        const r = parseClientHello(h.subarray(0, n));
        assert.equal(r.status, 'need-more', name + ' prefix ' + n + ': ' + JSON.stringify(r));
      }
    }
  });

  it('ignores bytes after the hello (early data, pipelined records)', () => {
    const h = hellos.opensslSni!;
    const r = parseClientHello(Buffer.concat([h, Buffer.from([23, 3, 3, 0, 1, 0])]));
    assert.equal(r.status, 'ok');
    if (r.status === 'ok') assert.equal(r.hello.length, h.length);
  });

  it('reassembles a hello fragmented over several records and TCP segments', () => {
    for (const size of [1000, 100, 64]) {
      const frag = refragment(hellos.nodeSniAlpn!, size);
      const peeker = new ClientHelloPeeker();
      let result = null;
      for (let i = 0; i < frag.length; i += 7) {
        result = peeker.push(frag.subarray(i, i + 7));
        if (i + 7 < frag.length) assert.equal(result.status, 'need-more', 'size ' + size + ' at ' + i);
      }
      assert.ok(result !== null && result.status === 'ok', JSON.stringify(result));
      assert.equal(result.hello.sni, 'app.example.com');
      assert.deepEqual(result.hello.alpn, ['h2', 'http/1.1']);
      assert.equal(result.hello.length, frag.length);
      assert.deepEqual(peeker.buffered, frag);
    }
  });

  it('never throws on mutated hellos (seeded fuzz)', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const sources = Object.values(hellos);
    const counts = { ok: 0, 'need-more': 0, error: 0 };
    for (let i = 0; i < 3000; i++) {
      const h = Buffer.from(sources[rand(sources.length)]!);
      const flips = 1 + rand(4);
      for (let f = 0; f < flips; f++) h[rand(h.length)] = rand(256);
      const cut = rand(4) === 0 ? h.subarray(0, rand(h.length)) : h;
      const r = parseClientHello(cut);
      counts[r.status]++;
      if (r.status === 'ok') {
        assert.ok(r.hello.length <= cut.length);
        if (r.hello.sni !== undefined) assert.match(r.hello.sni, /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/);
      }
    }
    // Mutations land in every outcome: the parser is neither blind nor all-rejecting.
    assert.ok(counts.ok > 0 && counts.error > 0 && counts['need-more'] > 0, JSON.stringify(counts));
  });

  it('rejects a hello spread over too many records', () => {
    const frag = refragment(hellos.nodeSniAlpn!, Math.floor((hellos.nodeSniAlpn!.length - 5) / (MAX_RECORDS + 1)));
    expectError(frag, 'TOO_LARGE', /records/);
  });
});

describe('ClientHello: hand-made and malformed', () => {
  it('parses a minimal hello, with and without extensions', () => {
    const r = parseClientHello(record(helloBody([sniExt('a.b'), alpnExt(['x'])])));
    assert.deepEqual(r, {
      status: 'ok',
      hello: { sni: 'a.b', alpn: ['x'], length: r.status === 'ok' ? r.hello.length : 0 },
    });
    const bare = parseClientHello(record(helloBody(null, { version: [3, 1] })));
    assert.equal(bare.status, 'ok');
    if (bare.status === 'ok') assert.deepEqual(bare.hello.alpn, []);
  });

  it('fails early on non-TLS bytes', () => {
    expectError(Buffer.from('G'), 'NOT_TLS');
    expectError(Buffer.from('GET / HTTP/1.1\r\n'), 'NOT_TLS');
    expectError(Buffer.from([0x80, 0x2e, 0x01]), 'NOT_TLS', /SSLv2/);
    expectError(Buffer.from([22, 2]), 'NOT_TLS', /record version/);
    // The same check on a later record's partial header is a framing error.
    const first = record(helloBody([sniExt('a.example')]));
    const split = refragment(first, 20);
    expectError(Buffer.concat([split.subarray(0, 25), Buffer.from([22, 2])]), 'MALFORMED', /record version/);
    expectError(Buffer.from([22, 9, 1, 0, 5]), 'NOT_TLS', /record version/);
  });

  it('rejects bad record framing', () => {
    expectError(Buffer.from([22, 3, 1, 0, 0]), 'MALFORMED', /empty/);
    expectError(Buffer.from([22, 3, 1, 0x40, 0x01]), 'MALFORMED', /2\^14/);
    // A complete first record, then an alert record before the hello is complete.
    const good = record(helloBody([sniExt('a.example')]));
    const split = refragment(good, 10);
    const alertInside = Buffer.concat([split.subarray(0, 15), Buffer.from([21, 3, 3, 0, 2, 2, 40])]);
    expectError(alertInside, 'MALFORMED', /record type 21/);
  });

  it('rejects wrong handshake types and oversize declarations', () => {
    expectError(record(helloBody(null), 2), 'MALFORMED', /not a ClientHello/);
    const huge = Buffer.from([22, 3, 1, 0, 4, 1, 0, 0x40, 0x01]);
    expectError(huge, 'TOO_LARGE');
    // Exactly the limit is still waited for.
    assert.equal(parseClientHello(Buffer.from([22, 3, 1, 0x40, 0, 1, 0, 0x40, 0x00])).status, 'need-more');
    assert.equal(MAX_HELLO_LENGTH, 16384);
  });

  it('rejects inconsistent hello fields', () => {
    expectError(record(helloBody(null, { version: [2, 0] })), 'MALFORMED', /client_version/);
    expectError(record(helloBody(null, { version: [3, 4] })), 'MALFORMED', /client_version/);
    expectError(record(helloBody(null, { session: 33 })), 'MALFORMED', /session_id/);
    expectError(record(Buffer.alloc(20, 3)), 'MALFORMED');
    // Odd cipher_suites length.
    const oddSuites = helloBody(null);
    oddSuites.writeUInt16BE(3, 35);
    expectError(record(oddSuites), 'MALFORMED', /cipher_suites/);
    // Extensions length larger than what follows, and smaller.
    const longer = helloBody([sniExt('a.example')]);
    longer.writeUInt16BE(longer.readUInt16BE(41) + 1, 41);
    expectError(record(longer), 'MALFORMED', /extensions length/);
    const body = helloBody([sniExt('a.example')]);
    expectError(record(Buffer.concat([body, Buffer.from([0])])), 'MALFORMED', /extensions length/);
    // An extension whose length runs past the list.
    const e = sniExt('a.example');
    e.writeUInt16BE(e.length, 2);
    expectError(record(helloBody([e])), 'MALFORMED');
  });

  it('rejects duplicate extensions and bad server names', () => {
    expectError(record(helloBody([sniExt('a.example'), sniExt('b.example')])), 'MALFORMED', /duplicate/);
    for (const bad of ['a..example', '.a.example', 'a.example.', 'a b.example', 'a/b', 'é.example', 'x'.repeat(256)]) {
      expectError(record(helloBody([sniExt(Buffer.from(bad, 'latin1'))])), 'MALFORMED', /host_name/);
    }
    expectError(record(helloBody([sniExt('')])), 'MALFORMED', /host_name/);
    // Two host_name entries in one list.
    const one = Buffer.concat([Buffer.from([0]), u16(1), Buffer.from('a')]);
    const two = Buffer.concat([one, one]);
    expectError(record(helloBody([ext(0, Buffer.concat([u16(two.length), two]))])), 'MALFORMED', /more than one/);
    // Server-style empty extension in a client hello.
    expectError(record(helloBody([ext(0, Buffer.alloc(0))])), 'MALFORMED', /server_name/);
    // Mixed case and underscores are accepted; the name is lower-cased.
    const ok = parseClientHello(record(helloBody([sniExt('My_Host.Example.COM')])));
    assert.ok(ok.status === 'ok' && ok.hello.sni === 'my_host.example.com');
  });

  it('rejects bad ALPN lists', () => {
    expectError(record(helloBody([alpnExt([])])), 'MALFORMED', /ALPN/);
    expectError(record(helloBody([alpnExt(['h2', ''])])), 'MALFORMED', /ALPN/);
    const a = alpnExt(['h2']);
    a[a.length - 3] = 9; // protocol length past the list
    expectError(record(helloBody([a])), 'MALFORMED', /ALPN/);
  });

  it('the peeker reassembles a maximum-size hello and judges it once complete', () => {
    const p = new ClientHelloPeeker();
    const head = Buffer.from([22, 3, 1, 0x40, 0, 1, 0, 0x40, 0]);
    assert.equal(p.push(head).status, 'need-more');
    // The first record is complete; the message still needs 4 bytes from a next record.
    assert.equal(p.push(Buffer.alloc(16384 - 4, 0)).status, 'need-more');
    const r = p.push(Buffer.from([22, 3, 1, 0, 4, 0, 0, 0, 0]));
    // An all-zero body is not a valid hello.
    assert.ok(r.status === 'error' && /client_version/.test(r.message), JSON.stringify(r));
    assert.equal(p.buffered.length, 9 + 16380 + 9);
  });
});
