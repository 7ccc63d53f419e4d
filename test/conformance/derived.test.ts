// Checks derived from the spec and from upstream's traffic expectations, not upstream status
// assertions themselves (so they are not counted with the ported scenarios).
//
// Gateways that report a common status address must have distinct listeners across them:
// GatewaySpec.Listeners (apis/v1/gateway_types.go, "Compatible Listeners") allows merging separate
// Gateways onto a single set of addresses only "if all Listeners across all Gateways are
// compatible", and distinctness (port, protocol, hostname) applies to the merged set. Upstream's
// HTTPRouteMultipleGateways needs it: GET / on same-namespace's address must reach
// infra-backend-v2 and on all-namespaces's address infra-backend-v3, which no data plane can do
// if both Gateways report the same address for their HTTP/80 listener without hostname.

import test from 'node:test';
import { CLASS, check, type Doc, type Result, scenario } from './harness.ts';

function addressesOf(r: Result, gw: Doc): string[] {
  const st = r.status('Gateway', { namespace: gw.metadata.namespace, name: gw.metadata.name });
  return ((st?.addresses ?? []) as Doc[]).map((a) => `${a.type ?? 'IPAddress'}/${a.value}`);
}

function programmed(r: Result, gw: Doc): boolean {
  const st = r.status('Gateway', { namespace: gw.metadata.namespace, name: gw.metadata.name });
  return ((st?.conditions ?? []) as Doc[]).some((c) => c.type === 'Programmed' && c.status === 'True');
}

/** Pairs of Programmed Gateways sharing an address whose listeners are not distinct. */
function indistinctAcrossGateways(r: Result): string[] {
  const gws = r.inputsOf('Gateway').filter((g) => g.spec?.gatewayClassName === CLASS && programmed(r, g));
  const out: string[] = [];
  for (let i = 0; i < gws.length; i++) {
    for (let j = i + 1; j < gws.length; j++) {
      const a = gws[i]!;
      const b = gws[j]!;
      const shared = addressesOf(r, a).filter((x) => addressesOf(r, b).includes(x));
      if (shared.length === 0) continue;
      for (const la of (a.spec.listeners ?? []) as Doc[]) {
        for (const lb of (b.spec.listeners ?? []) as Doc[]) {
          if (la.port === lb.port && la.protocol === lb.protocol && (la.hostname ?? '') === (lb.hostname ?? '')) {
            out.push(
              `Gateways ${a.metadata.name} and ${b.metadata.name} both report ${shared.join(', ')} and both have ${la.protocol}/${la.port} hostname "${la.hostname ?? ''}" (listeners ${la.name}, ${lb.name})`,
            );
          }
        }
      }
    }
  }
  return out;
}

test('derived: Gateways sharing a status address have distinct listeners (base manifests, HTTPRouteMultipleGateways)', async (t) => {
  const r = await scenario(['httproute-multiple-gateways.yaml']).run();
  await check(t, 'no indistinct listeners across Gateways that report a common address', indistinctAcrossGateways(r));
});

test('derived: GatewayClass status.supportedFeatures sorted ascending by name, no duplicates', async (t) => {
  // GatewayClassStatus.SupportedFeatures: "It MUST be sorted in ascending alphabetical order by the
  // Name key" (apis/v1/gatewayclass_types.go); the official suite infers what to test from it.
  const r = await scenario([]).run();
  const names = ((r.status('GatewayClass', { name: CLASS })?.supportedFeatures ?? []) as Doc[]).map((f) =>
    String(f.name),
  );
  const sorted = [...new Set(names)].sort();
  await check(
    t,
    'sorted and unique',
    JSON.stringify(names) === JSON.stringify(sorted)
      ? []
      : [`got ${JSON.stringify(names)}, want ${JSON.stringify(sorted)}`],
  );
});
