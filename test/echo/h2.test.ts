import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as connectH2, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseEcho, type StartedEcho, startEcho } from '../helpers/echo.ts';

const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

function h2Request(
  session: ClientHttp2Session,
  headers: Record<string, string>,
): Promise<{ headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let responseHeaders: IncomingHttpHeaders = {};
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => {
      responseHeaders = h;
    });
    stream.on('data', (d: string) => {
      body += d;
    });
    stream.on('end', () => resolve({ headers: responseHeaders, body }));
    stream.on('error', reject);
  });
}

describe('echo backend over HTTP/2 cleartext', () => {
  let echo: StartedEcho;
  let session: ClientHttp2Session;
  before(async () => {
    echo = await startEcho('h2-pod', { namespace: 'ns1' });
    session = connectH2(echo.url);
  });
  after(async () => {
    session.close();
    await echo.close();
  });

  test('prior knowledge: proto HTTP/2.0, host from :authority, canonical headers', async () => {
    const res = await h2Request(session, {
      ':path': '/h2/path?q=1',
      ':authority': 'h2.example.com',
      'x-request-id': 'abc',
      cookie: 'a=1',
    });
    assert.equal(res.headers[':status'], 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const body = parseEcho(res.body);
    assert.equal(body.proto, 'HTTP/2.0');
    assert.equal(body.path, '/h2/path?q=1');
    assert.equal(body.host, 'h2.example.com');
    assert.equal(body.method, 'GET');
    assert.deepEqual(body.headers['X-Request-Id'], ['abc']);
    assert.deepEqual(body.headers.Cookie, ['a=1']);
    assert.equal(body.headers[':path'], undefined);
    assert.equal(body.pod, 'h2-pod');
    assert.equal(body.namespace, 'ns1');
  });

  test('prior knowledge: concurrent streams on one connection, special paths work too', async () => {
    const [a, status, set] = await Promise.all([
      h2Request(session, { ':path': '/a' }),
      h2Request(session, { ':path': '/status/404' }),
      h2Request(session, { ':path': '/b', 'x-echo-set-header': 'x-from-echo: yes' }),
    ]);
    assert.equal(parseEcho(a.body).path, '/a');
    assert.equal(status.headers[':status'], 404);
    assert.equal(set.headers['x-from-echo'], 'yes');
  });

  test('/retry/ without responseCode resets the HTTP/2 stream, not the connection', async () => {
    await assert.rejects(h2Request(session, { ':path': '/retry/?uuid=h2&succeedAfter=1' }), /RST_STREAM|INTERNAL/);
    const again = await h2Request(session, { ':path': '/retry/?uuid=h2&succeedAfter=1' });
    assert.equal(parseEcho(again.body).proto, 'HTTP/2.0');
  });

  test('Upgrade: h2c switches protocols and answers the request on stream 1', async () => {
    const socket = connect(echo.port, '127.0.0.1');
    try {
      const reader = frameReader(socket);
      socket.write(
        'GET /upgraded?x=1 HTTP/1.1\r\nHost: up.example.com\r\nConnection: Upgrade, HTTP2-Settings\r\n' +
          'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nX-Test: 1\r\n\r\n',
      );
      const head = await reader.head();
      assert.match(head, /^HTTP\/1\.1 101 /);
      assert.match(head, /\r\nupgrade: h2c/i);
      socket.write(Buffer.concat([Buffer.from(H2_PREFACE, 'latin1'), frame(0x4, 0, 0, Buffer.alloc(0))]));
      let data = '';
      let sawHeaders = false;
      for (let i = 0; i < 20; i++) {
        const f = await reader.frame();
        if (f.type === 0x4 && (f.flags & 1) === 0) socket.write(frame(0x4, 1, 0, Buffer.alloc(0)));
        if (f.stream !== 1) continue;
        if (f.type === 0x1) sawHeaders = true;
        if (f.type === 0x0) data += f.payload.toString('utf8');
        if (f.flags & 1) break;
      }
      assert.ok(sawHeaders, 'a HEADERS frame on stream 1');
      const body = parseEcho(data);
      assert.equal(body.proto, 'HTTP/2.0');
      assert.equal(body.path, '/upgraded?x=1');
      assert.equal(body.host, 'up.example.com');
      assert.deepEqual(body.headers['X-Test'], ['1']);
      for (const gone of ['Upgrade', 'Connection', 'Http2-Settings']) assert.equal(body.headers[gone], undefined, gone);
    } finally {
      socket.destroy();
    }
  });

  test('Upgrade: h2c on a request with a body is answered over HTTP/1.1', async () => {
    const socket = connect(echo.port, '127.0.0.1');
    const reader = frameReader(socket);
    socket.write(
      'POST /with-body HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n' +
        'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 3\r\n\r\nabc',
    );
    const head = await reader.head();
    socket.destroy();
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(head, /upgrade/i);
  });

  test('curl --http2 upgrades, then reuses the HTTP/2 connection for a second request', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'echo-h2c-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const [one, two] = [join(dir, 'one.json'), join(dir, 'two.json')];
    const { stdout } = await promisify(execFile)(
      'curl',
      [
        '-sS',
        '--http2',
        '-w',
        '%{http_version} %{num_connects}\\n',
        `${echo.url}/first`,
        '-o',
        one,
        `${echo.url}/second`,
        '-o',
        two,
      ],
      { timeout: 10_000 },
    );
    assert.deepEqual(stdout.trim().split('\n'), ['2 1', '2 0'], 'both over HTTP/2, one connection');
    const first = parseEcho(await readFile(one));
    const second = parseEcho(await readFile(two));
    assert.equal(first.proto, 'HTTP/2.0');
    assert.equal(first.path, '/first');
    assert.equal(second.proto, 'HTTP/2.0');
    assert.equal(second.path, '/second');
  });
});

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/** Reads an HTTP/1.1 response head, then HTTP/2 frames, from a raw socket. */
function frameReader(socket: Socket) {
  let buf = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  socket.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    wake?.();
  });
  const fail = (err?: Error) => {
    failure = err ?? new Error('connection closed');
    wake?.();
  };
  socket.on('error', fail);
  socket.on('close', () => fail());
  const until = async (ready: () => boolean): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (!ready()) {
      if (failure) throw failure;
      if (Date.now() > deadline) throw new Error('timed out reading from the echo server');
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  return {
    async head(): Promise<string> {
      await until(() => buf.includes('\r\n\r\n'));
      const end = buf.indexOf('\r\n\r\n') + 4;
      const text = buf.subarray(0, end).toString('latin1');
      buf = buf.subarray(end);
      return text;
    },
    async frame(): Promise<{ type: number; flags: number; stream: number; payload: Buffer }> {
      await until(() => buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3));
      const len = buf.readUIntBE(0, 3);
      const f = {
        type: buf[3]!,
        flags: buf[4]!,
        stream: buf.readUInt32BE(5) & 0x7fffffff,
        payload: buf.subarray(9, 9 + len),
      };
      buf = buf.subarray(9 + len);
      return f;
    },
  };
}
