// Per-route compilation state: resolves backendRefs, collects the clusters the route needs and the
// reasons for ResolvedRefs=False. Rules of a route compile once; the result is then attached to
// every listener the route's parentRefs select.

import type { BackendObjectReference } from '../../api/types.ts';
import type { ClusterIR } from '../../ir/types.ts';
import { type BackendResolver, type BackendUse, type ClusterOrigin, useCluster } from '../backends.ts';
import type { GatewayContext } from '../context.ts';
import { type RouteContext, routeReferrer } from './context.ts';
import type { Rejection } from './parentrefs.ts';
import { RESOLVED_REFS_OK, type RouteOutcome, type Verdict } from './status.ts';

export class RouteEnv {
  readonly route: RouteContext;
  #resolver: BackendResolver | null;
  readonly #clusters = new Map<string, { cluster: ClusterIR; origin: ClusterOrigin }>();
  readonly #refErrors: Verdict[] = [];
  readonly #dropped = new Map<number, Rejection>();

  constructor(route: RouteContext, resolver: BackendResolver) {
    this.route = route;
    this.#resolver = resolver;
  }

  /** Resolves a backendRef; returns the cluster name, or null (the failure goes to ResolvedRefs). */
  backend(ref: BackendObjectReference, use: BackendUse): string | null {
    if (this.#resolver === null) throw new Error('RouteEnv: backend() after seal()');
    const r = this.#resolver.resolve(ref, routeReferrer(this.route), use);
    if (!r.ok) {
      this.refError(r.reason, r.message);
      return null;
    }
    if (!this.#clusters.has(r.cluster.name))
      this.#clusters.set(r.cluster.name, { cluster: r.cluster, origin: r.origin });
    return r.cluster.name;
  }

  /**
   * Ends compilation: the rules are resolved, and what remains (outcome, clusters) needs no
   * resolver. Dropping it lets a cached RouteEnv outlive the snapshot it was compiled from.
   */
  seal(): void {
    this.#resolver = null;
  }

  /** Records a ResolvedRefs=False reason; the first one recorded is reported. */
  refError(reason: string, message: string): void {
    if (!this.#refErrors.some((e) => e.message === message)) this.#refErrors.push({ status: false, reason, message });
  }

  /** Marks a rule invalid (dropped from the IR); the first reason is reported. */
  dropRule(index: number, rejection: Rejection): void {
    if (!this.#dropped.has(index)) this.#dropped.set(index, rejection);
  }

  /** Adds the route's clusters to a gateway the route attaches to. */
  addClustersTo(gateway: GatewayContext): void {
    for (const { cluster, origin } of this.#clusters.values()) useCluster(gateway, cluster, origin);
  }

  outcome(ruleCount: number): RouteOutcome {
    let resolvedRefs = RESOLVED_REFS_OK;
    const first = this.#refErrors[0];
    if (first) {
      const more =
        this.#refErrors.length > 1
          ? ` (and ${this.#refErrors.length - 1} more: ${this.#refErrors
              .slice(1)
              .map((e) => e.message)
              .join('; ')})`
          : '';
      resolvedRefs = { status: false, reason: first.reason, message: `${first.message}${more}` };
    }
    const droppedRules = [...this.#dropped.keys()].sort((a, b) => a - b);
    let dropReason: Rejection | null = null;
    if (droppedRules.length > 0) {
      // The first dropped rule's reason is the condition reason; the message explains every rule.
      const first = this.#dropped.get(droppedRules[0]!)!;
      const message = droppedRules.map((i) => `rule ${i}: ${this.#dropped.get(i)!.message}`).join('; ');
      dropReason = { reason: first.reason, message };
    }
    return { resolvedRefs, droppedRules, dropReason, ruleCount };
  }
}
