// The status view the admin server shows in standalone mode. The translator computes status from
// resources alone (it is pure); two runtime facts are folded in here, outside it:
//   - listeners the data plane could not bind (EADDRINUSE, EACCES) get Programmed=False;
//   - a condition whose status did not change keeps its lastTransitionTime across reloads (file
//     manifests carry no status, so the translator sees no previous conditions to merge with).

import type { Condition, Resource } from '../api/types.ts';
import type { IR } from '../ir/types.ts';
import { ConditionType, mergeConditions } from '../translate/conditions.ts';

/** A listener the data plane could not serve, as reported by DataPlane.apply. */
export interface ApplyError {
  /** ListenerIR.name ("namespace/gateway/sectionName"). */
  listener: string;
  port: number;
  /** errno-style code, e.g. EADDRINUSE, EACCES. */
  code: string;
  message: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resourceKey(r: Resource): string {
  return `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
}

/**
 * Sets Programmed=False on every listener an apply error names (falling back to every listener on
 * the error's port when the name is not one of the IR's listeners), and on a Gateway none of
 * whose listeners could be served. Mutates `docs`; callers pass copies.
 */
export function foldApplyErrors(docs: Resource[], ir: IR, errors: readonly ApplyError[], now: string): void {
  if (errors.length === 0) return;
  const failed = new Map<string, ApplyError>(); // listener name -> error
  const names = new Set(ir.gateways.flatMap((g) => g.listeners.map((l) => l.name)));
  for (const e of errors) {
    if (names.has(e.listener)) failed.set(e.listener, e);
    else {
      for (const g of ir.gateways) for (const l of g.listeners) if (l.port === e.port) failed.set(l.name, e);
    }
  }
  for (const [name, err] of failed) {
    const parts = name.split('/');
    if (parts.length < 3) continue;
    const [namespace, owner] = parts as [string, string];
    const section = parts.slice(2).join('/');
    const doc = docs.find(
      (d) =>
        d.metadata.namespace === namespace &&
        d.metadata.name === owner &&
        isObj(d.status) &&
        Array.isArray((d.status as Obj).listeners) &&
        ((d.status as Obj).listeners as Obj[]).some((l) => l.name === section),
    );
    if (!doc) continue;
    const listener = ((doc.status as Obj).listeners as Obj[]).find((l) => l.name === section)!;
    listener.conditions = setCondition((listener.conditions as Condition[] | undefined) ?? [], {
      type: ConditionType.Programmed,
      status: 'False',
      // The port may free up (we retry); a permission problem will not fix itself.
      reason: err.code === 'EADDRINUSE' ? 'Pending' : 'Invalid',
      message: `cannot listen on port ${err.port}: ${err.code}: ${err.message}`,
      observedGeneration: doc.metadata.generation ?? 0,
      lastTransitionTime: now,
    });
  }
  // A Gateway is programmed while at least one of its listeners serves.
  for (const g of ir.gateways) {
    if (g.listeners.length === 0 || !g.listeners.every((l) => failed.has(l.name))) continue;
    const doc = docs.find(
      (d) =>
        d.kind === 'Gateway' && d.metadata.namespace === g.namespace && `${g.namespace}/${d.metadata.name}` === g.name,
    );
    if (!doc || !isObj(doc.status)) continue;
    const status = doc.status as Obj;
    status.conditions = setCondition((status.conditions as Condition[] | undefined) ?? [], {
      type: ConditionType.Programmed,
      status: 'False',
      reason: 'Pending',
      message: 'none of the listeners could be bound; see the listener conditions',
      observedGeneration: doc.metadata.generation ?? 0,
      lastTransitionTime: now,
    });
  }
}

function setCondition(list: Condition[], c: Condition): Condition[] {
  const i = list.findIndex((x) => x.type === c.type);
  if (i === -1) return [...list, c];
  const out = [...list];
  out[i] = c;
  return out;
}

/**
 * Carries lastTransitionTime over from the previous view for every condition whose status did not
 * change. Walks the status objects in parallel: list elements are matched by `name` (listeners),
 * `parentRef` (route parents) or `ancestorRef` (policy ancestors), else by position.
 */
export function preserveTransitionTimes(previous: readonly Resource[], next: Resource[]): void {
  if (previous.length === 0) return;
  const prevByKey = new Map(previous.map((r) => [resourceKey(r), r]));
  for (const r of next) {
    const p = prevByKey.get(resourceKey(r));
    if (p) mergeTimes(p.status, r.status);
  }
}

function mergeTimes(prev: unknown, next: unknown): void {
  if (!isObj(prev) || !isObj(next)) return;
  for (const [k, v] of Object.entries(next)) {
    const p = prev[k];
    if (!Array.isArray(v) || !Array.isArray(p)) {
      if (isObj(v)) mergeTimes(p, v);
      continue;
    }
    if (k === 'conditions') {
      next[k] = mergeConditions(p as Condition[], v as Condition[]);
      continue;
    }
    v.forEach((el, i) => {
      mergeTimes(matchElement(p, el, i), el);
    });
  }
}

function matchElement(prev: unknown[], el: unknown, index: number): unknown {
  if (!isObj(el)) return undefined;
  if (typeof el.name === 'string') return prev.find((x) => isObj(x) && x.name === el.name);
  for (const ref of ['parentRef', 'ancestorRef']) {
    if (el[ref] !== undefined) {
      const want = JSON.stringify(el[ref]);
      return prev.find((x) => isObj(x) && JSON.stringify(x[ref]) === want && x.controllerName === el.controllerName);
    }
  }
  return prev[index];
}
