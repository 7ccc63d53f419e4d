// Access records: one per request, built from the exchange (or from the codec when a request
// never became one). Field meanings are documented on AccessRecord in observer.ts.
import { getHeader } from './headers.ts';
import { type AccessRecord, ResponseFlag } from './observer.ts';
import type { Exchange } from './proxy.ts';

export function exchangeRecord(ex: Exchange): AccessRecord {
  return {
    startTime: ex.startTime,
    method: ex.method,
    path: ex.originalPath,
    protocol: ex.downstream.protocol,
    authority: ex.originalAuthority,
    responseCode: ex.status,
    responseFlags: ex.flags === '' ? '-' : ex.flags,
    bytesReceived: ex.bytesReceived,
    bytesSent: ex.bytesSent,
    durationMs: Math.round(performance.now() - ex.startMono),
    upstreamLatencyMs: ex.upstreamLatency,
    upstreamHost: ex.cluster !== null ? ex.upstreamHost : '-',
    upstreamCluster: ex.cluster !== null ? ex.cluster.name : '-',
    requestId: ex.requestId,
    route: ex.route !== null ? ex.route.routeName : '-',
    listener: ex.listenerLabel,
    downstreamRemoteAddress: ex.downstream.remoteAddress,
    userAgent: getHeader(ex.headers, 'user-agent') ?? '-',
  };
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
