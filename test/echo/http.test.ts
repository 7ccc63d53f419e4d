import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { canonicalHeaderKey, canonicalHeaders, echoSetHeaders, parseGoDuration } from '../../src/echo/http.ts';
import { echoRequest, parseEcho, type StartedEcho, startEcho } from '../helpers/echo.ts';

interface RawResponse {
  status: number;
  /** Header lines as sent, in order. */
  headers: Array<[string, string]>;
  body: string;
}

/** Sends bytes as they are and reads until the server closes; resolves 'reset' on ECONNRESET. */
function raw(port: number, request: string): Promise<RawResponse | 'reset'> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve('reset') : reject(err)));
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      resolve({
        status: Number(statusLine?.split(' ')[1]),
        headers: lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
        body: text.slice(split + 4),
      });
    });
  });
}

async function rawOk(port: number, request: string): Promise<RawResponse> {
  const res = await raw(port, request);
  assert.notEqual(res, 'reset');
  return res as RawResponse;
}

describe('echo backend over HTTP/1.1', () => {
  let echo: StartedEcho;
  before(async () => {
    echo = await startEcho('infra-backend-v1-abc', {
      namespace: 'gateway-conformance-infra',
      service: 'infra-backend-v1',
    });
  });
  after(() => echo.close());

  test('answers with the conformance echo JSON', async () => {
    const res = await rawOk(
      echo.port,
      'GET /some/path?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\nx-custom-header: a\r\nX-CUSTOM-header: b\r\n' +
        'accept: */*\r\ncontent-length: 0\r\nConnection: close\r\n\r\n',
    );
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.headers
        .filter(([n]) => /^(content-type|x-content-type-options)$/i.test(n))
        .map(([n, v]) => [n.toLowerCase(), v]),
      [
        ['content-type', 'application/json'],
        ['x-content-type-options', 'nosniff'],
      ],
    );
    const body = parseEcho(res.body);
    assert.deepEqual(body, {
      path: '/some/path?x=1&y=2',
      host: 'example.com',
      method: 'GET',
      proto: 'HTTP/1.1',
      headers: { Accept: ['*/*'], Connection: ['close'], 'Content-Length': ['0'], 'X-Custom-Header': ['a', 'b'] },
      httpPort: String(echo.port),
      namespace: 'gateway-conformance-infra',
      ingress: '',
      service: 'infra-backend-v1',
      pod: 'infra-backend-v1-abc',
    });
    // Go's json.MarshalIndent with a one-space indent, which some tools diff byte for byte.
    assert.match(res.body, /^\{\n "path": /);
  });

  test('reports HTTP/1.0 and the method used; a request body is read and ignored', async () => {
    const res = await rawOk(echo.port, 'POST /form HTTP/1.0\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello');
    const body = parseEcho(res.body);
    assert.equal(body.proto, 'HTTP/1.0');
    assert.equal(body.method, 'POST');
  });

  test('keeps a keep-alive connection usable across requests with bodies', async () => {
    const a = await echoRequest(`${echo.url}/a`, { method: 'POST', body: 'x'.repeat(100_000) });
    const b = await echoRequest(`${echo.url}/b`);
    assert.equal(a.body.path, '/a');
    assert.equal(a.body.headers['Content-Length']?.[0], '100000');
    assert.equal(b.body.path, '/b');
  });

  test('/status/NNN answers with that status and no body', async () => {
    for (const code of [200, 404, 418, 503]) {
      const res = await fetch(`${echo.url}/status/${code}`);
      assert.equal(res.status, code);
      assert.equal(await res.text(), '');
    }
  });

  test('/status/ with anything but exactly three digits is a 400', async () => {
    for (const path of ['/status/abc', '/status/5000', '/status/200?x=1', '/status/']) {
      const res = await fetch(`${echo.url}${path}`);
      assert.equal(res.status, 400, path);
      await res.arrayBuffer();
    }
  });

  test('/status without the slash redirects to the subtree, as Go ServeMux does', async () => {
    const res = await fetch(`${echo.url}/status?a=b`, { redirect: 'manual' });
    assert.equal(res.status, 301);
    assert.equal(res.headers.get('location'), '/status/?a=b');
    await res.arrayBuffer();
  });

  test('/health answers OK; /ws without an upgrade is a 400', async () => {
    const health = await fetch(`${echo.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'OK');
    const ws = await fetch(`${echo.url}/ws`);
    assert.equal(ws.status, 400);
    await ws.arrayBuffer();
  });

  test('?delay= holds the answer for a Go duration', async () => {
    const start = performance.now();
    const got = await echoRequest(`${echo.url}/slow?delay=300ms`);
    const elapsed = performance.now() - start;
    assert.ok(elapsed >= 290, `answered after ${elapsed} ms`);
    assert.equal(got.body.path, '/slow?delay=300ms');
  });

  test('an invalid ?delay= is a 500 with a JSON message', async () => {
    const res = await fetch(`${echo.url}/?delay=soon`);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { message: 'time: invalid duration "soon"' });
  });

  test('X-Echo-Set-Header sets response headers, joining repeated names with commas', async () => {
    const res = await rawOk(
      echo.port,
      'GET / HTTP/1.1\r\nHost: h\r\nX-Echo-Set-Header: X-Foo: one, Set-Cookie: a=b\r\n' +
        'x-echo-set-header: X-Foo: two\r\nConnection: close\r\n\r\n',
    );
    assert.equal(res.status, 200);
    const get = (name: string) => res.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
    assert.deepEqual(get('x-foo'), ['one,two']);
    assert.deepEqual(get('set-cookie'), ['a=b']);
    assert.ok(
      res.headers.some(([n]) => n === 'X-Foo'),
      'header name case is kept',
    );
  });

  test('/retry/ fails with responseCode until succeedAfter attempts, per uuid', async () => {
    const url = `${echo.url}/retry/?uuid=u1&succeedAfter=2&responseCode=503`;
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url);
      codes.push(res.status);
      await res.arrayBuffer();
    }
    assert.deepEqual(codes, [503, 503, 200]);
    const other = await fetch(`${echo.url}/retry/?uuid=u2&succeedAfter=1&responseCode=500`);
    assert.equal(other.status, 500);
    await other.arrayBuffer();
  });

  test('/retry/ without responseCode resets the connection, then echoes', async () => {
    const req = 'GET /retry/?uuid=tcp&succeedAfter=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n';
    assert.equal(await raw(echo.port, req), 'reset');
    const second = await rawOk(echo.port, req);
    assert.equal(second.status, 200);
    assert.equal(parseEcho(second.body).path, '/retry/?uuid=tcp&succeedAfter=1');
  });

  test('/retry/ needs uuid and succeedAfter', async () => {
    for (const [query, message] of [
      ['succeedAfter=1', 'uuid is required'],
      ['uuid=x', 'succeedAfter is required'],
    ]) {
      const res = await fetch(`${echo.url}/retry/?${query}`);
      assert.equal(res.status, 400);
      assert.equal(await res.text(), message);
    }
  });

  test('a request-target with doubled slashes is echoed as sent', async () => {
    const res = await rawOk(echo.port, 'GET //double//slash HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    assert.equal(parseEcho(res.body).path, '//double//slash');
  });
});

describe('echo helpers', () => {
  test('canonicalHeaderKey follows Go textproto', () => {
    assert.equal(canonicalHeaderKey('x-forwarded-for'), 'X-Forwarded-For');
    assert.equal(canonicalHeaderKey('CONTENT-TYPE'), 'Content-Type');
    assert.equal(canonicalHeaderKey('x_under-score'), 'X_under-Score');
    assert.equal(canonicalHeaderKey('bad header'), 'bad header');
  });

  test('canonicalHeaders drops Host and HTTP/2 pseudo-headers and joins HTTP/2 cookies', () => {
    assert.deepEqual(canonicalHeaders(['Host', 'h', 'b', '1', 'a', '2'], false), { A: ['2'], B: ['1'] });
    assert.deepEqual(canonicalHeaders([':authority', 'h', 'cookie', 'a=1', 'cookie', 'b=2'], true), {
      Cookie: ['a=1; b=2'],
    });
  });

  test('echoSetHeaders parses "Name: value" lists', () => {
    assert.deepEqual(
      [...echoSetHeaders(['X-Echo-Set-Header', 'A: 1,B:2 , A: 3', 'other', 'C: 4'])],
      [
        ['A', '1,3'],
        ['B', '2'],
      ],
    );
  });

  test('parseGoDuration accepts Go durations and rejects the rest', () => {
    assert.equal(parseGoDuration('1s'), 1000);
    assert.equal(parseGoDuration('1.5s'), 1500);
    assert.equal(parseGoDuration('300ms'), 300);
    assert.equal(parseGoDuration('1h2m3s'), 3_723_000);
    assert.equal(parseGoDuration('-2s'), -2000);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('500us'), 0.5);
    for (const bad of ['', '10', 's', '1x', '.s', '1s2', 'soon']) assert.equal(parseGoDuration(bad), undefined, bad);
  });
});
