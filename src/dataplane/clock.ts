// A coarse wall clock for timeouts measured in seconds: connections stamp their activity with a
// field read instead of refreshing a timer on every socket read and write. Updated by the data
// plane's sweeper, and on demand by whoever needs a fresh value. The downstream connection
// timeouts that sweep enforces are defined here too, with their defaults in one place.
export const coarse = { now: Date.now() };

/**
 * Wall time minus monotonic time: wall times of monotonic stamps (access records) without a clock
 * read per request. It starts from the process's high-resolution time origin and is checked on
 * every tick; a wall clock that moved by more than a millisecond (Date.now() has whole
 * milliseconds) since is followed from then on.
 */
let wallOffset = performance.timeOrigin;

export function tickClock(): number {
  const now = Date.now();
  coarse.now = now;
  const offset = now - performance.now();
  if (offset - wallOffset > 1 || wallOffset - offset > 1) wallOffset = offset;
  return now;
}

/** The wall time (ms since the epoch) of a performance.now() stamp. */
export function wallTime(monotonic: number): number {
  return wallOffset + monotonic;
}

let eventStamp = -1;

/**
 * Monotonic milliseconds (performance.now()) for request timing. Inside a socket read callback
 * that called beginEvent() it is the time that read was handled, so everything one read sets off
 * (request start, upstream attempt, latency, pool idle stamps) costs one clock read instead of one
 * each (~40 ns apiece); anywhere else it reads the clock.
 */
export function eventNow(): number {
  return eventStamp >= 0 ? eventStamp : performance.now();
}

/** Starts a read callback's clock (see eventNow); pair with endEvent() in a finally. */
export function beginEvent(): void {
  eventStamp = performance.now();
}

export function endEvent(): void {
  eventStamp = -1;
}

/** Downstream connection timeouts (DataPlaneOptions.timeouts), in milliseconds; 0 turns one off. */
export interface ConnectionTimeouts {
  /**
   * A request head must be complete this long after its first byte arrived, however slowly the
   * bytes trickle in (slowloris): the client gets 408 and the connection closes. Envoy Gateway has
   * no default for this; 30 s is generous for any real client.
   */
  readonly headerTimeoutMs: number;
  /**
   * A connection without a request in flight is closed after this. Envoy Gateway's
   * ClientTrafficPolicy timeout.http.idleTimeout, default 1 hour.
   */
  readonly idleTimeoutMs: number;
  /**
   * A request body that stops arriving for this long ends the request: 408 when no response has
   * started, else the connection is closed. Envoy Gateway's ClientTrafficPolicy
   * timeout.http.streamIdleTimeout, default 5 minutes.
   */
  readonly streamIdleTimeoutMs: number;
  /**
   * The whole request (head and body) must arrive within this, counted from its first byte: 408,
   * then close. Envoy Gateway's timeout.http.requestReceivedTimeout, no default (0: none).
   */
  readonly requestReceivedTimeoutMs: number;
}

export const DEFAULT_TIMEOUTS: ConnectionTimeouts = Object.freeze({
  headerTimeoutMs: 30_000,
  idleTimeoutMs: 60 * 60_000,
  streamIdleTimeoutMs: 5 * 60_000,
  requestReceivedTimeoutMs: 0,
});

/** Fills in defaults; throws on a value that is not a non-negative integer. */
export function resolveTimeouts(given: Partial<ConnectionTimeouts> | undefined): ConnectionTimeouts {
  if (given === undefined) return DEFAULT_TIMEOUTS;
  const t: ConnectionTimeouts = { ...DEFAULT_TIMEOUTS, ...given };
  for (const [key, v] of Object.entries(t)) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`timeouts.${key} must be a non-negative integer, got ${v}`);
  }
  return Object.freeze(t);
}

/**
 * How often the sweep runs (and the clock ticks): a quarter of the shortest timeout, between 25 ms
 * and 1 s. Activity stamps may be one interval stale, so connections add one interval before
 * acting: a timeout never fires early, and at most two intervals (half the shortest timeout,
 * 2 s for long ones) late.
 */
export function sweepInterval(t: ConnectionTimeouts): number {
  let min = 4000; // 1 s at most
  for (const v of [t.headerTimeoutMs, t.idleTimeoutMs, t.streamIdleTimeoutMs, t.requestReceivedTimeoutMs]) {
    if (v > 0 && v < min) min = v;
  }
  return Math.max(25, Math.floor(min / 4));
}
