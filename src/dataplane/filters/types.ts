// The one interface every HTTP filter implements. Filters are compiled once per config version
// (per route, or per backendRef) and hold no per-request state: what a request needs lives on the
// Exchange. Hooks are null when a filter has nothing to do in that phase, so the request path only
// checks `!== null`.
import type { HTTPRouteIR } from '../../ir/types.ts';
import type { Cluster } from '../upstream/cluster.ts';

/** The request as filters see and change it. */
export interface FilterRequest {
  method: string;
  /** Path including the query string, as it will be sent upstream. */
  path: string;
  /** Host / :authority as it will be sent upstream. */
  authority: string;
  headers: string[];
  header(name: string): string | undefined;
  /** Answers the request locally; the exchange stops after the filter returns true. */
  respondLocal(status: number, headers: string[], body: string, flag: string): void;
  /** Starts a fire-and-forget copy of this request to `cluster`. */
  mirror(cluster: Cluster): void;
}

export interface Filter {
  /** Returns true when the filter answered the request itself (e.g. a CORS preflight). */
  readonly onRequest: ((req: FilterRequest) => boolean) | null;
  /** Changes upstream (or local) response headers in place. */
  readonly onResponse: ((req: FilterRequest, headers: string[]) => void) | null;
}

export interface FilterCompileContext {
  readonly route: HTTPRouteIR;
  /** Runtime cluster by name (null when the name is unknown). */
  cluster(name: string): Cluster | null;
}
