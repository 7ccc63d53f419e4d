import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { test } from 'node:test';
import type { AccessRecord } from '../../src/dataplane/observer.ts';
import { createAccessLog, formatJson, formatText, type LogSink } from '../../src/observe/accesslog.ts';

function record(over: Partial<AccessRecord> = {}): AccessRecord {
  return {
    startTime: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    method: 'GET',
    path: '/get?x=1',
    protocol: 'HTTP/1.1',
    authority: 'www.example.com',
    responseCode: 200,
    responseFlags: '-',
    bytesReceived: 0,
    bytesSent: 512,
    durationMs: 3.4,
    upstreamLatencyMs: 2.6,
    upstreamHost: '127.0.0.1:3000',
    upstreamCluster: 'service/default/backend/3000',
    requestId: 'c0ffee',
    route: 'HTTPRoute/default/backend',
    listener: 'default/eg/http',
    downstreamRemoteAddress: '127.0.0.1:50000',
    userAgent: 'curl/8.0',
    ...over,
  };
}

function collectingSink(): LogSink & { writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    write(chunk: string) {
      writes.push(chunk);
      return true;
    },
  };
}

test('json format has every documented field with the right types', () => {
  const line = formatJson(record());
  assert.ok(line.endsWith('\n'));
  const o = JSON.parse(line);
  assert.deepEqual(o, {
    start_time: '2026-01-02T03:04:05.678Z',
    method: 'GET',
    path: '/get?x=1',
    protocol: 'HTTP/1.1',
    authority: 'www.example.com',
    response_code: 200,
    response_flags: '-',
    bytes_received: 0,
    bytes_sent: 512,
    duration: 3,
    upstream_service_time: 3,
    upstream_host: '127.0.0.1:3000',
    upstream_cluster: 'service/default/backend/3000',
    x_request_id: 'c0ffee',
    route: 'HTTPRoute/default/backend',
    listener: 'default/eg/http',
    downstream_remote_address: '127.0.0.1:50000',
    user_agent: 'curl/8.0',
  });
});

test('json format escapes hostile strings and reports a missing upstream time as null', () => {
  const o = JSON.parse(formatJson(record({ path: '/a"b\\c\n{"x":1}', userAgent: '\u0000ua', upstreamLatencyMs: -1 })));
  assert.equal(o.path, '/a"b\\c\n{"x":1}');
  assert.equal(o.user_agent, '\u0000ua');
  assert.equal(o.upstream_service_time, null);
});

test('text format is one Envoy-like line', () => {
  assert.equal(
    formatText(record()),
    '[2026-01-02T03:04:05.678Z] "GET /get?x=1 HTTP/1.1" 200 - 0 512 3 3 "127.0.0.1:50000" "curl/8.0" "c0ffee" ' +
      '"www.example.com" "127.0.0.1:3000" service/default/backend/3000 HTTPRoute/default/backend default/eg/http\n',
  );
});

test('text format cannot be split into two lines or break its quoting', () => {
  const line = formatText(
    record({ path: '/x\r\n[2026] "GET / HTTP/1.1" 200', userAgent: 'a"b\\', requestId: '', upstreamLatencyMs: -1 }),
  );
  assert.equal(line.indexOf('\n'), line.length - 1);
  assert.ok(line.includes('"GET /x\\x0d\\x0a[2026] \\"GET / HTTP/1.1\\" 200 HTTP/1.1"'), line);
  assert.ok(line.includes('"a\\"b\\\\"'), line);
  assert.ok(line.includes(' 3 - "127.0.0.1:50000"'), line);
  assert.ok(line.includes('"-" "www.example.com"'), line);
});

test('records are batched into one write per event-loop turn', async () => {
  const sink = collectingSink();
  const log = createAccessLog({ format: 'json', sink });
  for (let i = 0; i < 100; i++) log.log(record({ requestId: `r${i}` }));
  assert.equal(sink.writes.length, 0, 'nothing is written synchronously');
  await tick();
  assert.equal(sink.writes.length, 1);
  const lines = sink.writes[0]!.trimEnd().split('\n');
  assert.equal(lines.length, 100);
  assert.equal(JSON.parse(lines[99]!).x_request_id, 'r99');
});

test('a large batch is flushed before the turn ends', () => {
  const sink = collectingSink();
  const log = createAccessLog({ format: 'text', sink });
  const long = 'x'.repeat(2000);
  for (let i = 0; i < 100; i++) log.log(record({ path: `/${long}` }));
  assert.ok(sink.writes.length >= 2, `expected size-triggered writes, got ${sink.writes.length}`);
  log.flush();
  const total = sink.writes.join('').split('\n').length - 1;
  assert.equal(total, 100);
});

test('off writes nothing; a stuck sink drops lines instead of buffering without bound', async () => {
  const sink = collectingSink();
  const off = createAccessLog({ format: 'off', sink });
  off.log(record());
  await tick();
  assert.equal(sink.writes.length, 0);

  const stuck = { writableLength: 1 << 30, writes: [] as string[], write: (c: string) => stuck.writes.push(c) > 0 };
  const log = createAccessLog({ format: 'json', sink: stuck });
  log.log(record());
  log.log(record());
  await tick();
  assert.equal(stuck.writes.length, 0);
  assert.equal(log.dropped, 2);
});

test('works with a real stream', async () => {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const log = createAccessLog({ format: 'json', sink: stream });
  log.log(record());
  await tick();
  await tick();
  assert.equal(JSON.parse(Buffer.concat(chunks).toString()).response_code, 200);
});

test('a sink that fails (EPIPE) stops the access log instead of throwing', async () => {
  const stream = new PassThrough();
  const log = createAccessLog({ format: 'json', sink: stream });
  stream.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  await tick();
  log.log(record());
  await tick();
  assert.equal(log.dropped, 1);
});
