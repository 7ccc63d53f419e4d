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

import { readdirSync, readFileSync } from 'node:fs';
import test from 'node:test';
import { parseAllDocuments } from 'yaml';
import { CLASS, check, type Doc, GROUP, type Result, scenario } from './harness.ts';

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

// `portunus translate` by default treats each Gateway as its own data plane (as in Kubernetes, where
// each gets its own Service address), so "0.0.0.0" in two Gateways' status is not one socket. The
// check applies where Gateways do share a process and its addresses: `portunus serve`, which
// translates with sharedAddressSpace and, given --address-pool, gives each Gateway its own address.
// Run with serve's options, the base Gateways must all be programmed, each on its own address.
test('derived: Gateways sharing a status address have distinct listeners (base manifests, HTTPRouteMultipleGateways, serve --address-pool)', async (t) => {
  const saved = process.env.PORTUNUS_CONFORMANCE_OPTIONS;
  process.env.PORTUNUS_CONFORMANCE_OPTIONS = JSON.stringify({
    sharedAddressSpace: true,
    addressPool: Array.from({ length: 20 }, (_, i) => `127.0.1.${i + 1}`),
  });
  let r: Result;
  try {
    r = await scenario(['httproute-multiple-gateways.yaml']).run();
  } finally {
    if (saved === undefined) delete process.env.PORTUNUS_CONFORMANCE_OPTIONS;
    else process.env.PORTUNUS_CONFORMANCE_OPTIONS = saved;
  }
  await check(t, 'no indistinct listeners across Gateways that report a common address', indistinctAcrossGateways(r));
  const ours = r.inputsOf('Gateway').filter((g) => g.spec?.gatewayClassName === CLASS && !g.spec?.addresses);
  await check(
    t,
    'every base Gateway without addresses is programmed',
    ours.filter((g) => !programmed(r, g)).map((g) => `${g.metadata.namespace}/${g.metadata.name} is not Programmed`),
  );
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

// ---------------------------------------------------------------------------------------------
// Status documents the API server would accept: metav1.Condition validation (apimachinery) and the
// Gateway API CRD list bounds (+kubebuilder:validation markers in apis/v1, tag v1.6.1). A status
// that breaks them is rejected by `kubectl`/the status subresource in Kubernetes mode.

const CONDITION_TYPE =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;
const CONDITION_REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function conditionProblems(where: string, conds: unknown, min: number, max: number): string[] {
  if (conds === undefined && min === 0) return [];
  if (!Array.isArray(conds)) return [`${where}: conditions must be a list`];
  const p: string[] = [];
  if (conds.length < min || conds.length > max) p.push(`${where}: ${conds.length} conditions, allowed ${min}..${max}`);
  const seen = new Set<string>();
  for (const c of conds as Doc[]) {
    const w = `${where} condition ${c.type}`;
    if (typeof c.type !== 'string' || c.type.length > 316 || !CONDITION_TYPE.test(c.type)) p.push(`${w}: invalid type`);
    if (seen.has(c.type)) p.push(`${w}: duplicate type (listMapKey=type)`);
    seen.add(c.type);
    if (!['True', 'False', 'Unknown'].includes(c.status)) p.push(`${w}: status ${JSON.stringify(c.status)}`);
    if (typeof c.reason !== 'string' || c.reason.length > 1024 || !CONDITION_REASON.test(c.reason))
      p.push(`${w}: invalid reason ${JSON.stringify(c.reason)}`);
    if (typeof c.message !== 'string' || c.message.length > 32768)
      p.push(`${w}: message must be a string of at most 32768 characters`);
    if (typeof c.lastTransitionTime !== 'string' || !RFC3339.test(c.lastTransitionTime))
      p.push(`${w}: lastTransitionTime ${JSON.stringify(c.lastTransitionTime)}`);
    if (!Number.isInteger(c.observedGeneration) || c.observedGeneration < 0)
      p.push(`${w}: observedGeneration ${c.observedGeneration}`);
  }
  return p;
}

function listenerEntries(where: string, ls: unknown, spec: Doc[], accepted: boolean): string[] {
  // "Listeners provide status for each unique listener port defined in the Spec": once the
  // Gateway/ListenerSet is Accepted, every spec listener has an entry (upstream's listener checks
  // compare against exactly that list).
  if (accepted) {
    const have = new Set(Array.isArray(ls) ? (ls as Doc[]).map((l) => l.name) : []);
    const lacking = spec.filter((l) => !have.has(l.name)).map((l) => l.name);
    if (lacking.length > 0) return [`${where}: Accepted but no listener status for ${lacking.join(', ')}`];
  }
  if (ls === undefined) return [];
  if (!Array.isArray(ls)) return [`${where}: listeners must be a list`];
  const p: string[] = [];
  if (ls.length > 64) p.push(`${where}: ${ls.length} listener entries, at most 64`);
  const names = new Set(spec.map((l) => l.name));
  for (const l of ls as Doc[]) {
    const w = `${where} listener ${l.name}`;
    if (!names.has(l.name)) p.push(`${w}: no such listener in spec`);
    if (!Number.isInteger(l.attachedRoutes) || l.attachedRoutes < 0) p.push(`${w}: attachedRoutes ${l.attachedRoutes}`);
    if (!Array.isArray(l.supportedKinds) || l.supportedKinds.length > 8)
      p.push(`${w}: supportedKinds must be a list of at most 8`);
    p.push(...conditionProblems(w, l.conditions, 0, 8));
    if (!Array.isArray(l.conditions)) p.push(`${w}: conditions are required`);
  }
  return p;
}

/** The parentRef of a status entry must be one of the route's spec parentRefs (after defaults). */
function sameParent(a: Doc, b: Doc, routeNamespace: string): boolean {
  return (
    (a.group ?? GROUP) === (b.group ?? GROUP) &&
    (a.kind ?? 'Gateway') === (b.kind ?? 'Gateway') &&
    a.name === b.name &&
    (a.namespace ?? routeNamespace) === (b.namespace ?? routeNamespace) &&
    (a.sectionName ?? '') === (b.sectionName ?? '') &&
    (a.port ?? 0) === (b.port ?? 0)
  );
}

function isAccepted(st: Doc): boolean {
  return ((st.conditions ?? []) as Doc[]).some((c) => c.type === 'Accepted' && c.status === 'True');
}

function statusProblems(r: Result, d: Doc): string[] {
  const nn = { namespace: d.metadata?.namespace, name: d.metadata?.name };
  const st = r.status(d.kind, nn);
  if (st === undefined) return [];
  const w = `${d.kind} ${nn.namespace ? `${nn.namespace}/` : ''}${nn.name}`;
  const p: string[] = [];
  switch (d.kind) {
    case 'GatewayClass':
      p.push(...conditionProblems(w, st.conditions, 0, 8));
      if ((st.supportedFeatures ?? []).length > 64) p.push(`${w}: more than 64 supportedFeatures`);
      break;
    case 'Gateway':
      p.push(...conditionProblems(w, st.conditions, 0, 8));
      if ((st.addresses ?? []).length > 16) p.push(`${w}: more than 16 addresses`);
      p.push(...listenerEntries(w, st.listeners, d.spec?.listeners ?? [], isAccepted(st)));
      break;
    case 'ListenerSet':
      p.push(...conditionProblems(w, st.conditions, 0, 8));
      p.push(...listenerEntries(w, st.listeners, d.spec?.listeners ?? [], isAccepted(st)));
      break;
    case 'HTTPRoute':
    case 'GRPCRoute':
    case 'TLSRoute':
    case 'TCPRoute':
    case 'UDPRoute': {
      const parents = st.parents;
      if (!Array.isArray(parents)) {
        p.push(`${w}: parents is required`);
        break;
      }
      if (parents.length > 32) p.push(`${w}: ${parents.length} parents, at most 32`);
      for (const [i, e] of (parents as Doc[]).entries()) {
        const pw = `${w} parents[${i}] (${e.parentRef?.name})`;
        if (!(d.spec?.parentRefs ?? []).some((ref: Doc) => sameParent(ref, e.parentRef ?? {}, nn.namespace ?? ''))) {
          p.push(`${pw}: parentRef ${JSON.stringify(e.parentRef)} matches no spec.parentRefs entry`);
        }
        if (
          (parents as Doc[]).some(
            (o, j) =>
              j < i &&
              o.controllerName === e.controllerName &&
              sameParent(o.parentRef ?? {}, e.parentRef ?? {}, nn.namespace ?? ''),
          )
        ) {
          p.push(`${pw}: duplicate entry for the same parentRef`);
        }
        if (typeof e.controllerName !== 'string' || !e.controllerName.includes('/'))
          p.push(`${pw}: controllerName ${e.controllerName}`);
        p.push(...conditionProblems(pw, e.conditions, 1, 8));
      }
      break;
    }
    case 'BackendTLSPolicy': {
      const ancestors = st.ancestors;
      if (!Array.isArray(ancestors)) {
        p.push(`${w}: ancestors is required`);
        break;
      }
      if (ancestors.length > 16) p.push(`${w}: ${ancestors.length} ancestors, at most 16`);
      for (const [i, a] of (ancestors as Doc[]).entries())
        p.push(...conditionProblems(`${w} ancestors[${i}]`, a.conditions, 1, 8));
      break;
    }
  }
  return p;
}

test('derived: every rendered status is one the API server accepts (all upstream manifests)', async (t) => {
  // Manifests are translated in groups whose objects do not collide (kind/namespace/name), to keep
  // this fast; validity of each status does not depend on which other tests share the snapshot.
  const dir = new URL('../testdata/conformance/tests/', import.meta.url);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const groups: { files: string[]; keys: Set<string> }[] = [];
  for (const file of files) {
    const keys = new Set(
      parseAllDocuments(readFileSync(new URL(file, dir), 'utf8'))
        .map((d) => d.toJSON() as Doc | null)
        .filter((d): d is Doc => !!d?.kind)
        .map((d) => `${d.kind}/${d.metadata?.namespace ?? ''}/${d.metadata?.name}`),
    );
    const g = groups.find((x) => x.files.length < 16 && [...keys].every((k) => !x.keys.has(k)));
    if (g) {
      g.files.push(file);
      for (const k of keys) g.keys.add(k);
    } else groups.push({ files: [file], keys });
  }
  for (const g of groups) {
    const r = await scenario(g.files).run();
    const problems = r.inputs.flatMap((d) => statusProblems(r, d));
    await check(t, g.files.join(', '), [...new Set(problems)]);
  }
});

test('derived: lastTransitionTime moves only for conditions whose status changed (patch with previous status)', async (t) => {
  // metav1.Condition: "lastTransitionTime is the last time the condition transitioned from one
  // status to another". The controller sees its previous status on the object (Scenario.patch).
  const s = scenario(['gateway-observed-generation-bump.yaml']);
  const gw = { namespace: 'gateway-conformance-infra', name: 'gateway-observed-generation-bump' };
  const before = await s.run('api', '2026-01-01T00:00:00Z');
  s.patch('Gateway', gw, (d) => {
    d.spec.listeners.push({ name: 'alternate', hostname: 'foo.com', port: 80, protocol: 'HTTP' });
  });
  const after = await s.run('api', '2026-01-02T00:00:00Z');
  const problems: string[] = [];
  const prev = new Map(((before.status('Gateway', gw)?.conditions ?? []) as Doc[]).map((c) => [c.type, c]));
  for (const c of (after.status('Gateway', gw)?.conditions ?? []) as Doc[]) {
    const p = prev.get(c.type);
    if (p && p.status === c.status && c.lastTransitionTime !== p.lastTransitionTime) {
      problems.push(
        `Gateway condition ${c.type} stayed ${c.status} but lastTransitionTime moved ${p.lastTransitionTime} -> ${c.lastTransitionTime}`,
      );
    }
    if (c.observedGeneration !== 2)
      problems.push(`Gateway condition ${c.type}: observedGeneration ${c.observedGeneration}, want 2`);
  }
  const prevListeners = new Map(((before.status('Gateway', gw)?.listeners ?? []) as Doc[]).map((l) => [l.name, l]));
  for (const l of (after.status('Gateway', gw)?.listeners ?? []) as Doc[]) {
    const old = new Map(((prevListeners.get(l.name)?.conditions ?? []) as Doc[]).map((c) => [c.type, c]));
    for (const c of (l.conditions ?? []) as Doc[]) {
      const p = old.get(c.type);
      if (p && p.status === c.status && c.lastTransitionTime !== p.lastTransitionTime) {
        problems.push(`listener ${l.name} condition ${c.type} stayed ${c.status} but lastTransitionTime moved`);
      }
      if (!p && c.lastTransitionTime !== '2026-01-02T00:00:00Z')
        problems.push(`new listener ${l.name} condition ${c.type}: lastTransitionTime ${c.lastTransitionTime}`);
    }
  }
  await check(t, 'unchanged conditions keep their lastTransitionTime; new ones get now', problems);
});
