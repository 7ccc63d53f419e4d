// The seam between the data plane and everything that watches it (access log, metrics).
// The data plane calls these hooks; it never imports admin/metrics/logging modules.
// Hooks run on the hot path: implementations must be cheap and must not throw.

/** Envoy-style response flags, so operators can read access logs the way they are used to. */
export const ResponseFlag = {
  /** No route matched (404). */
  NoRouteFound: 'NR',
  /** No healthy/ready upstream endpoint (503). */
  NoHealthyUpstream: 'UH',
  /** Upstream connection failure. */
  UpstreamConnectionFailure: 'UF',
  /** Upstream request timeout (504). */
  UpstreamRequestTimeout: 'UT',
  /** Upstream connection terminated / reset mid-response. */
  UpstreamConnectionTermination: 'UC',
  /** Downstream connection terminated before the response completed. */
  DownstreamConnectionTermination: 'DC',
  /** Invalid backendRef: the route answers 500 for this share. */
  InvalidBackend: 'IB',
  /** Direct response (redirect, configured status) without an upstream. */
  DirectResponse: 'DR',
  /** Request rejected by the codec (400/413/431...). */
  DownstreamProtocolError: 'DPE',
  /** Upstream retry limit exceeded. */
  UpstreamRetryLimitExceeded: 'URX',
} as const;

export interface AccessRecord {
  /** Epoch milliseconds when the request head was received. */
  startTime: number;
  method: string;
  /** Original request path including query, as received. */
  path: string;
  /** 'HTTP/1.1', 'HTTP/2', 'HTTP/1.0'. */
  protocol: string;
  /** Authority / Host as received. */
  authority: string;
  responseCode: number;
  /** Comma-joined ResponseFlag values, '-' when none. */
  responseFlags: string;
  bytesReceived: number;
  bytesSent: number;
  durationMs: number;
  /** Time from the upstream request being sent to the first response byte; -1 when none. */
  upstreamLatencyMs: number;
  /** "ip:port" of the endpoint that served, '-' when none. */
  upstreamHost: string;
  /** Cluster name, '-' when none. */
  upstreamCluster: string;
  requestId: string;
  /** Source route of the matched IR route, '-' when none. */
  route: string;
  /** ListenerIR.name, or "port/<n>" when no listener matched. */
  listener: string;
  downstreamRemoteAddress: string;
  userAgent: string;
}

export interface DataPlaneObserver {
  /** `record` is only valid during the call (the data plane reuses it): copy what you keep. */
  onRequestEnd(record: AccessRecord): void;
  onConnectionOpen(listener: string): void;
  onConnectionClose(listener: string): void;
}

export const noopObserver: DataPlaneObserver = {
  onRequestEnd() {},
  onConnectionOpen() {},
  onConnectionClose() {},
};
