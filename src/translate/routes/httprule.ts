// Parts of an HTTP-family rule shared by HTTPRoute and GRPCRoute: the action (forward to
// weighted backends, redirect, or a direct 500), timeouts, retry and session persistence.

import type {
  HTTPBackendRef,
  HTTPRouteMatch,
  HTTPRouteRetry,
  HTTPRouteTimeouts,
  SessionPersistence,
} from '../../api/types.ts';
import type {
  HTTPRouteIR,
  RedirectIR,
  RetryIR,
  RouteActionIR,
  SessionPersistenceIR,
  WeightedBackendIR,
} from '../../ir/types.ts';
import { parseDuration } from '../duration.ts';
import type { RouteEnv } from './env.ts';
import { compileFilters } from './filters.ts';
import type { Rejection } from './parentrefs.ts';

export const DIRECT_500: RouteActionIR = { type: 'DirectResponse', status: 500 };

/**
 * The rule's action. Spec: a rule without backendRefs (and no redirect), or whose backendRefs are
 * all invalid, answers 500; an invalid backendRef keeps its weight as cluster null so its share of
 * requests gets a 500. When valid backends carry no weight at all, nothing can be forwarded: 500.
 */
export function ruleAction(
  env: RouteEnv,
  backendRefs: readonly HTTPBackendRef[] | undefined,
  redirect: RedirectIR | undefined,
  fail500: boolean,
  routeKind: 'HTTPRoute' | 'GRPCRoute',
  matches: readonly HTTPRouteMatch[],
): RouteActionIR | Rejection {
  const backends: WeightedBackendIR[] = [];
  for (const ref of backendRefs ?? []) {
    const weight = ref.weight ?? 1;
    let cluster = env.backend(ref, routeKind === 'GRPCRoute' ? 'grpc' : 'http');
    const f = compileFilters(env, ref.filters, { routeKind, level: 'backendRef', matches });
    if (f.invalid) return f.invalid;
    if (f.fail500) cluster = null;
    backends.push({ cluster, weight, filters: f.filters });
  }
  if (fail500) return DIRECT_500;
  if (redirect) return { type: 'Redirect', redirect };
  if (backends.length === 0) return DIRECT_500;
  const served = backends.reduce((n, b) => n + (b.cluster === null ? 0 : b.weight), 0);
  if (served === 0) return DIRECT_500;
  return { type: 'Forward', backends };
}

/** Timeouts in ms ("0s" = disabled, passed through as 0). */
export function compileTimeouts(t: HTTPRouteTimeouts | undefined): HTTPRouteIR['timeouts'] | Rejection | undefined {
  if (!t) return undefined;
  const out: NonNullable<HTTPRouteIR['timeouts']> = {};
  if (t.request !== undefined) {
    const ms = parseDuration(t.request);
    if (ms === null)
      return { reason: 'UnsupportedValue', message: `timeouts.request "${t.request}" is not a valid duration` };
    out.requestMs = ms;
  }
  if (t.backendRequest !== undefined) {
    const ms = parseDuration(t.backendRequest);
    if (ms === null)
      return {
        reason: 'UnsupportedValue',
        message: `timeouts.backendRequest "${t.backendRequest}" is not a valid duration`,
      };
    out.backendRequestMs = ms;
  }
  if (
    out.requestMs !== undefined &&
    out.requestMs !== 0 &&
    out.backendRequestMs !== undefined &&
    out.backendRequestMs > out.requestMs
  ) {
    return { reason: 'UnsupportedValue', message: 'timeouts.backendRequest cannot be longer than timeouts.request' };
  }
  return out;
}

/** Defaults where the spec leaves them to the implementation: 1 attempt, 25ms backoff. */
export const DEFAULT_RETRY_ATTEMPTS = 1;
export const DEFAULT_RETRY_BACKOFF_MS = 25;

export function compileRetry(r: HTTPRouteRetry | undefined): RetryIR | Rejection | undefined {
  if (!r) return undefined;
  let backoffMs = DEFAULT_RETRY_BACKOFF_MS;
  if (r.backoff !== undefined) {
    const ms = parseDuration(r.backoff);
    if (ms === null)
      return { reason: 'UnsupportedValue', message: `retry.backoff "${r.backoff}" is not a valid duration` };
    backoffMs = ms;
  }
  const codes = [...new Set(r.codes ?? [])].sort((a, b) => a - b);
  if (codes.some((c) => !Number.isInteger(c) || c < 400 || c > 599)) {
    return { reason: 'UnsupportedValue', message: 'retry.codes must be HTTP status codes from 400 to 599' };
  }
  // The spec asks implementations to retry on connection errors as well.
  return { attempts: r.attempts ?? DEFAULT_RETRY_ATTEMPTS, codes, backoffMs, onConnectFailure: true };
}

export const DEFAULT_SESSION_NAME = 'portunus-session';

export function compileSessionPersistence(
  s: SessionPersistence | undefined,
): SessionPersistenceIR | Rejection | undefined {
  if (!s) return undefined;
  const type = s.type ?? 'Cookie';
  if (type !== 'Cookie' && type !== 'Header')
    return { reason: 'UnsupportedValue', message: `sessionPersistence type "${type}" is not supported` };
  const out: SessionPersistenceIR = { type, name: s.sessionName ?? DEFAULT_SESSION_NAME };
  // A cookie carries Max-Age only when it is meant to outlive the browser session.
  const permanent = type === 'Header' || s.cookieConfig?.lifetimeType === 'Permanent';
  if (s.absoluteTimeout !== undefined && permanent) {
    const ms = parseDuration(s.absoluteTimeout);
    if (ms === null)
      return {
        reason: 'UnsupportedValue',
        message: `sessionPersistence.absoluteTimeout "${s.absoluteTimeout}" is not a valid duration`,
      };
    out.absoluteTimeoutMs = ms;
  }
  if (s.idleTimeout !== undefined) {
    const ms = parseDuration(s.idleTimeout);
    if (ms === null)
      return {
        reason: 'UnsupportedValue',
        message: `sessionPersistence.idleTimeout "${s.idleTimeout}" is not a valid duration`,
      };
    out.idleTimeoutMs = ms;
  }
  return out;
}

export function isRejection(v: unknown): v is Rejection {
  return typeof v === 'object' && v !== null && 'reason' in v && 'message' in v;
}

/** Checks a regular expression compiles (the data plane uses JavaScript RegExp). */
export function regexProblem(pattern: string, what: string): Rejection | null {
  try {
    new RegExp(pattern);
    return null;
  } catch (err) {
    return {
      reason: 'UnsupportedValue',
      message: `${what} "${pattern}" is not a valid regular expression (${(err as Error).message})`,
    };
  }
}
