// HTTP/1.1 head serialization (src/dataplane/http1/serializer.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serializeResponseHead, serializeResponseHeadCached } from '../../src/dataplane/http1/serializer.ts';

test('response heads: status line, forwarded fields, framing and connection recomputed', () => {
  const h = ['content-type', 'text/plain', 'connection', 'x', 'content-length', '99', 'x-a', '1'];
  assert.equal(
    serializeResponseHead(200, '', h, 5, false, 'close'),
    'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-a: 1\r\ncontent-length: 5\r\nconnection: close\r\n\r\n',
  );
  assert.equal(
    serializeResponseHead(404, 'Nope', [], -1, true, null),
    'HTTP/1.1 404 Nope\r\ntransfer-encoding: chunked\r\n\r\n',
  );
  assert.equal(serializeResponseHead(204, '', [], -2, false, null), 'HTTP/1.1 204 No Content\r\n\r\n');
});

test('the cached serializer answers exactly like the plain one whatever input changes', () => {
  const base = {
    status: 200,
    reason: '',
    headers: ['date', 'Sun, 06 Dec 2026 05:00:00 GMT', 'etag', '"a"'],
    contentLength: 20,
    chunked: false,
    connection: null as string | null,
  };
  const variants = [
    base,
    base,
    { ...base, headers: [...base.headers] },
    { ...base, headers: ['date', 'Sun, 06 Dec 2026 05:00:01 GMT', 'etag', '"a"'] },
    { ...base, headers: ['date', 'Sun, 06 Dec 2026 05:00:01 GMT', 'etag', '"a"', 'set-cookie', 's=1'] },
    { ...base, headers: ['date', 'Sun, 06 Dec 2026 05:00:01 GMT'] },
    { ...base, status: 201 },
    { ...base, reason: 'Fine' },
    { ...base, contentLength: 21 },
    { ...base, contentLength: -1, chunked: true },
    { ...base, connection: 'close' },
    { ...base, connection: 'keep-alive' },
    base,
  ];
  for (const v of variants) {
    const args = [v.status, v.reason, v.headers, v.contentLength, v.chunked, v.connection] as const;
    assert.equal(serializeResponseHeadCached(...args), serializeResponseHead(...args), JSON.stringify(v));
  }
  // The remembered field list is a copy: a caller editing its list afterwards changes nothing.
  const headers = ['x-a', '1'];
  assert.equal(
    serializeResponseHeadCached(200, '', headers, 0, false, null),
    serializeResponseHead(200, '', headers, 0, false, null),
  );
  headers[1] = '2';
  assert.equal(
    serializeResponseHeadCached(200, '', headers, 0, false, null),
    'HTTP/1.1 200 OK\r\nx-a: 2\r\ncontent-length: 0\r\n\r\n',
  );
});
