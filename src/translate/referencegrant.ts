// ReferenceGrant: whether an object in one namespace may refer to an object in another.

import type { ReferenceGrant } from '../api/types.ts';
import type { Snapshot } from '../provider/snapshot.ts';

export interface CrossNamespaceFrom {
  group: string;
  kind: string;
  namespace: string;
}

export interface CrossNamespaceTo {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/** Indexes ReferenceGrants by the namespace they live in (the namespace of the referent). */
export class ReferenceGrantIndex {
  readonly #byNamespace = new Map<string, ReferenceGrant[]>();

  constructor(snapshot: Snapshot) {
    for (const g of snapshot.list<ReferenceGrant>('ReferenceGrant')) {
      const ns = g.metadata.namespace ?? 'default';
      let list = this.#byNamespace.get(ns);
      if (!list) {
        list = [];
        this.#byNamespace.set(ns, list);
      }
      list.push(g);
    }
  }

  /**
   * Same-namespace references are always allowed. A cross-namespace one needs a ReferenceGrant in the
   * target's namespace whose `from` names the referrer's group/kind/namespace and whose `to` names the
   * target's group/kind (and name, when set). The core group is "" in both places.
   */
  allows(from: CrossNamespaceFrom, to: CrossNamespaceTo): boolean {
    if (from.namespace === to.namespace) return true;
    for (const g of this.#byNamespace.get(to.namespace) ?? []) {
      const spec = g.spec;
      if (!spec) continue;
      const fromOk = spec.from.some(
        (f) => (f.group ?? '') === from.group && f.kind === from.kind && f.namespace === from.namespace,
      );
      if (!fromOk) continue;
      const toOk = spec.to.some(
        (t) =>
          (t.group ?? '') === to.group &&
          t.kind === to.kind &&
          (t.name === undefined || t.name === '' || t.name === to.name),
      );
      if (toOk) return true;
    }
    return false;
  }
}
