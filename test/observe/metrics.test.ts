import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AccessRecord } from '../../src/dataplane/observer.ts';
import { createMetrics } from '../../src/observe/metrics.ts';

function record(over: Partial<AccessRecord> = {}): AccessRecord {
  return {
    startTime: 0,
    method: 'GET',
    path: '/',
    protocol: 'HTTP/1.1',
    authority: 'a',
    responseCode: 200,
    responseFlags: '-',
    bytesReceived: 0,
    bytesSent: 0,
    durationMs: 2,
    upstreamLatencyMs: 1,
    upstreamHost: '127.0.0.1:1',
    upstreamCluster: 'c1',
    requestId: 'x',
    route: 'HTTPRoute/ns/r',
    listener: 'ns/gw/http',
    downstreamRemoteAddress: '127.0.0.1:2',
    userAgent: 'ua',
    ...over,
  };
}

/** The value of one sample line, e.g. `name{a="b"} 3`. */
function sample(text: string, prefix: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${prefix} `));
  return line === undefined ? undefined : Number(line.slice(prefix.length + 1));
}

test('requests are counted by listener, route, cluster and code class', async () => {
  const m = createMetrics({ processMetrics: false });
  for (let i = 0; i < 3; i++) m.observer.onRequestEnd(record());
  m.observer.onRequestEnd(record({ responseCode: 503, responseFlags: 'UH' }));
  m.observer.onRequestEnd(
    record({ responseCode: 404, route: '-', upstreamCluster: '-', listener: 'port/8080', upstreamLatencyMs: -1 }),
  );
  const text = await m.render();
  const base = 'portunus_http_requests_total{listener="ns/gw/http",route="HTTPRoute/ns/r",cluster="c1",code_class=';
  assert.equal(sample(text, `${base}"2xx"}`), 3);
  assert.equal(sample(text, `${base}"5xx"}`), 1);
  assert.equal(
    sample(text, 'portunus_http_requests_total{listener="port/8080",route="-",cluster="-",code_class="4xx"}'),
    1,
  );
  assert.match(text, /# TYPE portunus_http_requests_total counter/);
});

test('request duration and upstream latency are histograms in seconds', async () => {
  const m = createMetrics({ processMetrics: false });
  m.observer.onRequestEnd(record({ durationMs: 7, upstreamLatencyMs: 4 }));
  m.observer.onRequestEnd(record({ durationMs: 30, upstreamLatencyMs: -1 }));
  const text = await m.render();
  assert.match(text, /# TYPE portunus_http_request_duration_seconds histogram/);
  const d = 'portunus_http_request_duration_seconds';
  assert.equal(sample(text, `${d}_bucket{le="0.01",listener="ns/gw/http",route="HTTPRoute/ns/r"}`), 1);
  assert.equal(sample(text, `${d}_bucket{le="0.05",listener="ns/gw/http",route="HTTPRoute/ns/r"}`), 2);
  assert.equal(sample(text, `${d}_count{listener="ns/gw/http",route="HTTPRoute/ns/r"}`), 2);
  assert.equal(sample(text, `${d}_sum{listener="ns/gw/http",route="HTTPRoute/ns/r"}`), 0.037);
  // Only the request that reached an upstream is in the upstream histogram.
  assert.equal(sample(text, 'portunus_upstream_latency_seconds_count{cluster="c1"}'), 1);
  assert.equal(sample(text, 'portunus_upstream_latency_seconds_bucket{le="0.005",cluster="c1"}'), 1);
});

test('series counted in any order land in their own series (the last-series shortcut)', async () => {
  const m = createMetrics({ processMetrics: false });
  const a = record();
  const b = record({ route: 'HTTPRoute/ns/other', upstreamCluster: 'c2', durationMs: 20 });
  for (const r of [a, a, b, a, b, b, b]) m.observer.onRequestEnd(r);
  const text = await m.render();
  const counter = (route: string, cluster: string) =>
    sample(
      text,
      `portunus_http_requests_total{listener="ns/gw/http",route="${route}",cluster="${cluster}",code_class="2xx"}`,
    );
  assert.equal(counter('HTTPRoute/ns/r', 'c1'), 3);
  assert.equal(counter('HTTPRoute/ns/other', 'c2'), 4);
  const d = 'portunus_http_request_duration_seconds';
  assert.equal(sample(text, `${d}_count{listener="ns/gw/http",route="HTTPRoute/ns/r"}`), 3);
  assert.equal(sample(text, `${d}_count{listener="ns/gw/http",route="HTTPRoute/ns/other"}`), 4);
  assert.equal(sample(text, `${d}_sum{listener="ns/gw/http",route="HTTPRoute/ns/other"}`), 0.08);
  assert.equal(sample(text, 'portunus_upstream_latency_seconds_count{cluster="c2"}'), 4);
});

test('series maps dropped at their size cap keep counting the series in use', async () => {
  const m = createMetrics({ processMetrics: false });
  const hot = record({ listener: 'hot' });
  m.observer.onRequestEnd(hot);
  // 10,000 listeners fill the top-level maps; the next new one clears them.
  for (let i = 0; i < 10_000; i++) m.observer.onRequestEnd(record({ listener: `l${i}` }));
  m.observer.onRequestEnd(hot);
  m.observer.onRequestEnd(hot);
  const text = await m.render();
  assert.equal(
    sample(text, 'portunus_http_requests_total{listener="hot",route="HTTPRoute/ns/r",cluster="c1",code_class="2xx"}'),
    2,
  );
  assert.equal(sample(text, 'portunus_http_request_duration_seconds_count{listener="hot",route="HTTPRoute/ns/r"}'), 2);
});

test('active connections go up and down per listener', async () => {
  const m = createMetrics({ processMetrics: false });
  m.observer.onConnectionOpen('ns/gw/http');
  m.observer.onConnectionOpen('ns/gw/http');
  m.observer.onConnectionOpen('ns/gw/https');
  m.observer.onConnectionClose('ns/gw/http');
  const text = await m.render();
  assert.equal(sample(text, 'portunus_active_connections{listener="ns/gw/http"}'), 1);
  assert.equal(sample(text, 'portunus_active_connections{listener="ns/gw/https"}'), 1);
});

test('reloads: totals, errors, timestamp and one config_info series for the current version', async () => {
  const m = createMetrics({ processMetrics: false });
  m.recordReload({ ok: true, version: 'aaaa', time: 1_700_000_000_000 });
  m.recordReload({ ok: false, version: 'bbbb', time: 1_700_000_001_500 });
  const text = await m.render();
  assert.equal(sample(text, 'portunus_config_reloads_total'), 2);
  assert.equal(sample(text, 'portunus_config_reload_errors_total'), 1);
  assert.equal(sample(text, 'portunus_config_last_reload_timestamp_seconds'), 1_700_000_001.5);
  assert.equal(sample(text, 'portunus_config_last_reload_success'), 0);
  assert.equal(sample(text, 'portunus_config_info{version="bbbb"}'), 1);
  assert.equal(sample(text, 'portunus_config_info{version="aaaa"}'), undefined);
});

test('process metrics are included by default', async () => {
  const m = createMetrics();
  const text = await m.render();
  assert.match(text, /^process_resident_memory_bytes \d+/m);
  assert.equal(m.contentType.split(';')[0], 'text/plain');
});
