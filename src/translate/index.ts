// The translator: a pure function from a Snapshot to IR + status. No I/O, no clock (options.now),
// no randomness; the same snapshot gives byte-identical output.
//
// Passes, in order (each reads what the earlier ones produced, errors become status, never throws):
//   1. GatewayClasses         our classes (spec.controllerName) and their status
//   2. Gateways               gateway-level checks, own listeners, listener conflicts
//   3. ListenerSets           attach allowed sets, their listeners and conflicts (after the Gateway's)
//   4. prepare listeners      ready (routes may attach) / programmed (goes into the IR)
//   5. routes                 every route kind attaches to listeners, fills listener IR and clusters
//   6. BackendTLSPolicies     TLS towards backends, on the clusters routes created
//   7. finalize               Gateway/ListenerSet status (attachedRoutes known), GatewayIR

import { IR_API_VERSION } from '../ir/types.ts';
import type { Snapshot } from '../provider/snapshot.ts';
import { translateBackendTLSPolicies } from './backendtlspolicy.ts';
import { CertificateResolver } from './certificates.ts';
import type { TranslateContext, TranslateOptions, TranslateResult } from './context.ts';
import { finalizeGateways, prepareListeners } from './finalize.ts';
import { translateGateways } from './gateway.ts';
import { translateGatewayClasses } from './gatewayclass.ts';
import { attachListenerSets } from './listenerset.ts';
import { ReferenceGrantIndex } from './referencegrant.ts';
import { translateRoutes } from './routes/index.ts';
import { sortStatuses } from './status.ts';

export type { TranslateOptions, TranslateResult } from './context.ts';

export function translate(snapshot: Snapshot, options: TranslateOptions): TranslateResult {
  const ctx: TranslateContext = { snapshot, options, diagnostics: [], statuses: new Map() };
  const certs = new CertificateResolver(snapshot, new ReferenceGrantIndex(snapshot), options.now);

  const classes = translateGatewayClasses(ctx);
  const gateways = translateGateways(ctx, classes, certs);
  attachListenerSets(ctx, gateways, certs);
  prepareListeners(gateways);
  translateRoutes(ctx, gateways);
  translateBackendTLSPolicies(ctx, gateways);
  const irGateways = finalizeGateways(ctx, gateways);

  return {
    ir: { apiVersion: IR_API_VERSION, gateways: irGateways },
    statuses: sortStatuses(ctx.statuses.values()),
    diagnostics: ctx.diagnostics,
  };
}
