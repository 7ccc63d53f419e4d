// The data plane's request-path series (requests, latencies, connections) behind the
// DataPlaneObserver seam. They need no prom-client at runtime: a worker process registers them in a
// plain list and sends them to the primary, which renders them with prom-client.

import type { AccessRecord, DataPlaneObserver } from '../dataplane/observer.ts';
import { FastHistogram, RequestCounter, type SeriesRegistry, UpDownGauge } from './series.ts';

/** Seconds; spans a fast loopback hop (0.5 ms) to a slow upstream (30 s). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createDataPlaneSeries(registry: SeriesRegistry): DataPlaneObserver {
  const requests = new RequestCounter(
    registry,
    'portunus_http_requests_total',
    'HTTP requests served, by listener, route, upstream cluster and response code class.',
  );
  const duration = new FastHistogram(
    registry,
    'portunus_http_request_duration_seconds',
    'Time from the request head being received to the response being sent.',
    ['listener', 'route'],
    LATENCY_BUCKETS,
  );
  const upstreamLatency = new FastHistogram(
    registry,
    'portunus_upstream_latency_seconds',
    'Time from the upstream request being sent to its first response byte.',
    ['cluster'],
    LATENCY_BUCKETS,
  );
  // A connection is accepted before Host/SNI picks among listeners sharing a port, so those are counted per port.
  const connections = new UpDownGauge(
    registry,
    'portunus_active_connections',
    'Open downstream connections per listener ("port/<n>" when several listeners share the port).',
    'listener',
  );
  const observer: DataPlaneObserver = {
    onRequestEnd(r: AccessRecord) {
      requests.inc(r.listener, r.route, r.upstreamCluster, r.responseCode);
      duration.observe(r.listener, r.route, r.durationMs / 1000);
      if (r.upstreamLatencyMs >= 0) upstreamLatency.observe(r.upstreamCluster, '', r.upstreamLatencyMs / 1000);
    },
    onConnectionOpen(listener: string) {
      connections.add(listener, 1);
    },
    onConnectionClose(listener: string) {
      connections.add(listener, -1);
    },
  };
  return observer;
}
