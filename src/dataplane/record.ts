// Access records: one per request, built from the exchange (or from the codec when a request
// never became one). Field meanings are documented on AccessRecord in observer.ts.
import { getHeader } from './headers.ts';
import { type AccessRecord, ResponseFlag } from './observer.ts';
import type { Exchange } from './proxy.ts';
import { eventNow, wallTime } from './clock.ts';

/**
 * One record object for every exchange: observers read it during onRequestEnd and copy what they
 * keep (observer.ts), so a finished request allocates nothing here.
 */
const reused: AccessRecord = {
  startTime: 0,
  method: '',
  path: '',
  protocol: '',
  authority: '',
  responseCode: 0,
  responseFlags: '',
  bytesReceived: 0,
  bytesSent: 0,
  durationMs: 0,
  upstreamLatencyMs: 0,
  upstreamHost: '',
  upstreamCluster: '',
  requestId: '',
  route: '',
  listener: '',
  downstreamRemoteAddress: '',
  userAgent: '',
};

export function exchangeRecord(ex: Exchange): AccessRecord {
  const elapsed = eventNow() - ex.startMono;
  const r = reused;
  // The exchange keeps monotonic time only.
  r.startTime = Math.round(wallTime(ex.startMono));
  r.method = ex.method;
  r.path = ex.originalPath;
  r.protocol = ex.downstream.protocol;
  r.authority = ex.originalAuthority;
  r.responseCode = ex.status;
  r.responseFlags = ex.flags === '' ? '-' : ex.flags;
  r.bytesReceived = ex.bytesReceived;
  r.bytesSent = ex.bytesSent;
  r.durationMs = Math.round(elapsed);
  r.upstreamLatencyMs = ex.upstreamLatency;
  r.upstreamHost = ex.cluster !== null ? ex.upstreamHost : '-';
  r.upstreamCluster = ex.cluster !== null ? ex.cluster.name : '-';
  r.requestId = ex.requestId;
  r.route = ex.route !== null ? ex.route.routeName : '-';
  r.listener = ex.listenerLabel;
  r.downstreamRemoteAddress = ex.downstream.remoteAddress;
  r.userAgent = getHeader(ex.headers, 'user-agent') ?? '-';
  return r;
}

/** A request the codec rejected (400/431/...) before it became an exchange. */
export function protocolErrorRecord(status: number, protocol: string, listener: string, remote: string): AccessRecord {
  return {
    startTime: Date.now(),
    method: '-',
    path: '-',
    protocol,
    authority: '-',
    responseCode: status,
    responseFlags: ResponseFlag.DownstreamProtocolError,
    bytesReceived: 0,
    bytesSent: 0,
    durationMs: 0,
    upstreamLatencyMs: -1,
    upstreamHost: '-',
    upstreamCluster: '-',
    requestId: '-',
    route: '-',
    listener,
    downstreamRemoteAddress: remote,
    userAgent: '-',
  };
}
