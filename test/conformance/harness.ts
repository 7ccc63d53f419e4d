// Runs upstream Gateway API conformance manifests through the real loader and translator, and
// offers the status checks of upstream's conformance/utils/kubernetes/helpers.go (tag v1.6.1)
// with the same matching rules, so a ported scenario states exactly what the Go test states.
//
// A scenario is: base manifests + the test's manifests + a GatewayClass `portunus` + the
// certificates suite setup creates. Every Gateway API object gets metadata.generation 1 (what the
// API server would assign on create); patches bump it and carry the previous status, as a
// controller would see them. Checks return a list of problems (empty = pass) so one subtest can
// report every mismatch at once, with the actual condition next to the expected one.
//
// Coverage: every ShortName in upstream conformance/tests/*.go (131) has a node:test of that name in
// test/conformance/*.test.ts. Not ported at all: conformance/tests/mesh/* (22 GAMMA service-mesh
// tests: Portunus is a gateway, not a mesh). Traffic-only parts are listed at the top of each file.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { suiteSetupResources } from './certs.ts';

export const CONTROLLER = 'portunus.dev/gateway-controller';
export const CLASS = 'portunus';
export const GROUP = 'gateway.networking.k8s.io';
export const INFRA = 'gateway-conformance-infra';
export const WEB = 'gateway-conformance-web-backend';
export const APP = 'gateway-conformance-app-backend';
/** A fixed clock: the translator never reads time, tests pass it. */
export const NOW = '2026-01-01T00:00:00Z';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const DATA = join(HERE, '..', 'testdata', 'conformance');

// biome-ignore lint/suspicious/noExplicitAny: manifests and rendered status are untyped YAML
export type Doc = Record<string, any>;

export interface NN {
  namespace?: string;
  name: string;
}

export interface Cond {
  type: string;
  /** '' matches any status (upstream findConditionInList). */
  status: 'True' | 'False' | 'Unknown' | '';
  /** '' or omitted matches any reason. */
  reason?: string;
}

export interface Kind {
  group?: string;
  kind: string;
}

export interface ExpectedListener {
  name: string;
  supportedKinds: Kind[];
  conditions: Cond[];
  attachedRoutes: number;
}

export interface ExpectedParent {
  parentRef: { group?: string; kind?: string; name: string; namespace?: string };
  controllerName: string;
  conditions: Cond[];
}

// ---------------------------------------------------------------------------------------------
// Scenario: input documents -> loader -> translator -> rendered status documents

const parsed = new Map<string, Doc[]>();

/** Parsed once per process; callers get their own copy to mutate. */
function readDocs(rel: string): Doc[] {
  let docs = parsed.get(rel);
  if (!docs) {
    docs = parseDocs(rel);
    parsed.set(rel, docs);
  }
  return structuredClone(docs);
}

function parseDocs(rel: string): Doc[] {
  const text = readFileSync(join(DATA, rel), 'utf8');
  const out: Doc[] = [];
  for (const d of parseAllDocuments(text)) {
    if (d.errors.length > 0) throw new Error(`${rel}: ${d.errors[0]!.message}`);
    const v = d.toJSON();
    if (v && typeof v === 'object') out.push(v as Doc);
  }
  return out;
}

export function gatewayClassDoc(): Doc {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'GatewayClass',
    metadata: { name: CLASS },
    spec: { controllerName: CONTROLLER },
  };
}

function isGatewayAPI(d: Doc): boolean {
  return typeof d.apiVersion === 'string' && d.apiVersion.startsWith('gateway.networking.');
}

function key(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

interface Translator {
  // biome-ignore lint/suspicious/noExplicitAny: the modules under test are loaded by URL
  loadSnapshot: (files: string[], opts?: any) => Promise<any>;
  // biome-ignore lint/suspicious/noExplicitAny: idem
  translate: (snapshot: any, opts: { controllerName: string; now: string }) => any;
  // biome-ignore lint/suspicious/noExplicitAny: idem
  renderStatusDocuments: (snapshot: any, result: any) => Doc[];
}

let translatorModules: Promise<Translator> | undefined;

/** Loaded by URL so this file typechecks and the suite reports per-scenario failures even while they are missing. */
function loadTranslator(): Promise<Translator> {
  translatorModules ??= (async () => {
    const load =
      process.env.PORTUNUS_CONFORMANCE_RAW === '1'
        ? await rawLoader()
        : await import(new URL('../../src/provider/file/load.ts', import.meta.url).href);
    const index = await import(new URL('../../src/translate/index.ts', import.meta.url).href);
    const status = await import(new URL('../../src/translate/status.ts', import.meta.url).href);
    return {
      loadSnapshot: load.loadSnapshot,
      translate: index.translate,
      renderStatusDocuments: status.renderStatusDocuments,
    };
  })();
  return translatorModules;
}

/**
 * Development aid only, behind PORTUNUS_CONFORMANCE_RAW=1: a snapshot straight from the YAML, with
 * no defaulting or validation, to exercise the translator before the file loader exists. Results
 * obtained this way are not conformance results.
 */
async function rawLoader() {
  const { Snapshot } = await import(new URL('../../src/provider/snapshot.ts', import.meta.url).href);
  return {
    loadSnapshot: async (files: string[]) => {
      const docs = files.flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJSON() as Doc));
      return {
        snapshot: new Snapshot(docs.filter((d) => d?.kind).map((resource) => ({ resource }))),
        diagnostics: [],
        fatal: false,
      };
    },
  };
}

/**
 * Diagnostics only: PORTUNUS_CONFORMANCE_OPTIONS='{"sharedAddressSpace":false}' passes extra
 * translate options in-process, to see what else fails once a default is changed. The defaults
 * (what `portunus translate` uses) are what the scenarios are judged on.
 */
function extraOptions(): Record<string, unknown> {
  const raw = process.env.PORTUNUS_CONFORMANCE_OPTIONS;
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

export type Via = 'api' | 'cli';

/** The result of one translation: rendered documents indexed by kind/namespace/name, plus the inputs. */
export class Result {
  readonly #out = new Map<string, Doc>();
  readonly #in = new Map<string, Doc>();
  readonly inputs: readonly Doc[];
  readonly diagnostics: readonly string[];

  constructor(inputs: Doc[], rendered: Doc[], diagnostics: string[]) {
    this.inputs = inputs;
    this.diagnostics = diagnostics;
    for (const d of inputs) this.#in.set(key(d.kind, d.metadata?.namespace, d.metadata?.name), d);
    for (const d of rendered) this.#out.set(key(d.kind, d.metadata?.namespace, d.metadata?.name), d);
  }

  /** The rendered object (with .status), if the translator emitted one. */
  out(kind: string, nn: NN): Doc | undefined {
    return this.#out.get(key(kind, nn.namespace, nn.name));
  }

  input(kind: string, nn: NN): Doc | undefined {
    return this.#in.get(key(kind, nn.namespace, nn.name));
  }

  /**
   * metadata.generation as the API server holds it (the input), which is what upstream compares
   * observedGeneration against; the controller does not get to choose it.
   */
  generation(kind: string, nn: NN): number {
    return this.input(kind, nn)?.metadata?.generation ?? 0;
  }

  status(kind: string, nn: NN): Doc | undefined {
    return this.out(kind, nn)?.status;
  }

  inputsOf(kind: string, namespace?: string): Doc[] {
    return this.inputs.filter(
      (d) => d.kind === kind && (namespace === undefined || d.metadata?.namespace === namespace),
    );
  }
}

export class Scenario {
  readonly docs: Doc[];
  last: Result | undefined;

  constructor(docs: Doc[]) {
    this.docs = docs;
  }

  find(kind: string, nn: NN): Doc {
    const d = this.docs.find(
      (x) => x.kind === kind && x.metadata?.name === nn.name && x.metadata?.namespace === nn.namespace,
    );
    if (!d) throw new Error(`scenario has no ${key(kind, nn.namespace, nn.name)}`);
    return d;
  }

  /**
   * Applies a spec change the way a client patch does: the API server bumps metadata.generation and
   * the object keeps the status the controller last wrote.
   */
  patch(kind: string, nn: NN, mutate: (d: Doc) => void): void {
    const d = this.find(kind, nn);
    mutate(d);
    if (isGatewayAPI(d)) d.metadata.generation = (d.metadata.generation ?? 1) + 1;
    const prev = this.last?.out(kind, nn)?.status;
    if (prev !== undefined) d.status = structuredClone(prev);
  }

  /** A non-spec change (ConfigMap data, deletion, creation): no generation bump. */
  add(doc: Doc): void {
    if (isGatewayAPI(doc)) {
      doc.metadata ??= {};
      doc.metadata.generation ??= 1;
    }
    this.docs.push(doc);
  }

  remove(kind: string, nn: NN): void {
    const i = this.docs.indexOf(this.find(kind, nn));
    this.docs.splice(i, 1);
  }

  /** The scenario as one multi-document YAML text, as `run` hands it to the loader. */
  yaml(): string {
    return this.docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
  }

  async run(via: Via = 'api', now: string = NOW): Promise<Result> {
    const dir = mkdtempSync(join(tmpdir(), 'portunus-conformance-'));
    const file = join(dir, 'manifests.yaml');
    try {
      writeFileSync(file, this.yaml());
      const inputs = structuredClone(this.docs);
      if (via === 'cli') {
        const { stdout, stderr } = await runCli([
          'translate',
          '--to',
          'status',
          '-o',
          'json',
          '--now',
          now,
          '-f',
          file,
        ]);
        const rendered = JSON.parse(stdout) as Doc[];
        assert.ok(Array.isArray(rendered), 'portunus translate --to status -o json prints an array of resources');
        this.last = new Result(inputs, rendered, stderr.split('\n').filter(Boolean));
      } else {
        const t = await loadTranslator();
        const loaded = await t.loadSnapshot([file]);
        const diags: string[] = (loaded.diagnostics ?? []).map((d: Doc) => `${d.severity}: ${d.code}: ${d.message}`);
        if (loaded.fatal) throw new Error(`loader reported the input as fatal:\n${diags.join('\n')}`);
        const result = t.translate(loaded.snapshot, { ...extraOptions(), controllerName: CONTROLLER, now });
        const rendered = t.renderStatusDocuments(loaded.snapshot, result);
        this.last = new Result(inputs, rendered, diags);
      }
      return this.last;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

export function runCli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'portunus.js'), ...args],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 20_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`portunus ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/**
 * Base manifests + the given test manifests (paths under test/testdata/conformance/tests) + the
 * GatewayClass + suite-setup certificates, as the upstream suite applies them.
 */
export function scenario(manifests: string[], extra: Doc[] = []): Scenario {
  const docs: Doc[] = [gatewayClassDoc(), ...readDocs('base/manifests.yaml')];
  for (const m of manifests) docs.push(...readDocs(`tests/${m}`));
  docs.push(...structuredClone(suiteSetupResources().docs), ...extra);
  for (const d of docs) {
    if (isGatewayAPI(d)) {
      d.metadata ??= {};
      d.metadata.generation ??= 1;
    }
  }
  return new Scenario(docs);
}

let declared: Promise<Set<string>> | undefined;

/**
 * GatewayClass `portunus` status.supportedFeatures names, as the official suite infers the
 * features to test from them (suite.go fetchGatewayClassSupportedFeatures). Empty if the
 * translator cannot run.
 */
export function declaredFeatures(): Promise<Set<string>> {
  declared ??= scenario([])
    .run()
    .then(
      (r) =>
        new Set(
          ((r.status('GatewayClass', { name: CLASS })?.supportedFeatures ?? []) as Doc[]).map((f) => String(f.name)),
        ),
    )
    .catch(() => new Set<string>());
  return declared;
}

// ---------------------------------------------------------------------------------------------
// Reporting

/** One node:test subtest per upstream assertion group; fails with every problem found. */
export async function check(t: TestContext, name: string, ...problems: string[][]): Promise<void> {
  await t.test(name, () => {
    const all = problems.flat();
    if (all.length > 0) assert.fail(`${all.length} mismatch(es):\n  - ${all.join('\n  - ')}`);
  });
}

function fmtNN(nn: NN): string {
  return nn.namespace ? `${nn.namespace}/${nn.name}` : nn.name;
}

function fmtCond(c: Doc | Cond): string {
  return `${c.type}=${c.status || '*'}${c.reason ? `/${c.reason}` : ''}`;
}

function fmtConds(cs: Doc[] | undefined): string {
  if (!cs || cs.length === 0) return '[]';
  return `[${cs.map((c) => `${c.type}=${c.status}/${c.reason}`).join(', ')}]`;
}

function fmtKinds(ks: Doc[] | undefined): string {
  return `[${(ks ?? []).map((k) => `${k.group ?? GROUP}/${k.kind}`).join(', ')}]`;
}

// ---------------------------------------------------------------------------------------------
// Matching rules, as in helpers.go

/** findConditionInList: same type, status ('' = any), reason ('' = any). */
export function findCondition(conds: Doc[] | undefined, want: Cond): boolean {
  return (conds ?? []).some(
    (c) =>
      c.type === want.type &&
      (want.status === '' || c.status === want.status) &&
      (!want.reason || c.reason === want.reason),
  );
}

/** conditionsMatch: at least as many conditions as expected, and each expected one is found. */
function conditionsMatch(expected: Cond[], actual: Doc[] | undefined): boolean {
  if ((actual ?? []).length < expected.length) return false;
  return expected.every((c) => findCondition(actual, c));
}

function missingConditions(expected: Cond[], actual: Doc[] | undefined): string[] {
  const out = expected.filter((c) => !findCondition(actual, c)).map(fmtCond);
  if (out.length === 0 && (actual ?? []).length < expected.length) out.push(`at least ${expected.length} conditions`);
  return out;
}

/** ConditionsHaveLatestObservedGeneration */
function staleConditions(what: string, generation: number, conds: Doc[] | undefined): string[] {
  const stale = (conds ?? []).filter((c) => c.observedGeneration !== generation);
  if (stale.length === 0) return [];
  return [
    `${what}: observedGeneration must be ${generation} on every condition; stale: ${stale.map((c) => `${c.type} (generation ${c.observedGeneration})`).join(', ')}`,
  ];
}

function missing(r: Result, kind: string, nn: NN): string[] {
  // An object absent from the input means the port itself is wrong, not the translator.
  if (!r.input(kind, nn)) return [`TEST BUG: ${kind} ${fmtNN(nn)} is not in the scenario's manifests`];
  return [`${kind} ${fmtNN(nn)}: no status rendered for it`];
}

// ---------------------------------------------------------------------------------------------
// GatewayClass

/** gwcMustBeAccepted: latest observedGeneration + Accepted with the given status ('' = any). */
export function gatewayClassMustBeAccepted(r: Result, name: string, status: 'True' | '' = 'True'): string[] {
  const st = r.status('GatewayClass', { name });
  if (!st) return missing(r, 'GatewayClass', { name });
  const conds = st.conditions as Doc[] | undefined;
  const p = staleConditions(`GatewayClass ${name}`, r.generation('GatewayClass', { name }), conds);
  if (!findCondition(conds, { type: 'Accepted', status })) {
    p.push(`GatewayClass ${name}: want ${fmtCond({ type: 'Accepted', status })}, got ${fmtConds(conds)}`);
  }
  return p;
}

export function gatewayClassMustHaveLatestConditions(r: Result, name: string): string[] {
  const st = r.status('GatewayClass', { name });
  if (!st) return missing(r, 'GatewayClass', { name });
  return staleConditions(`GatewayClass ${name}`, r.generation('GatewayClass', { name }), st.conditions);
}

// ---------------------------------------------------------------------------------------------
// Gateway

export function gatewayMustHaveLatestConditions(r: Result, gw: NN): string[] {
  const st = r.status('Gateway', gw);
  if (!st) return missing(r, 'Gateway', gw);
  const p = staleConditions(`Gateway ${fmtNN(gw)}`, r.generation('Gateway', gw), st.conditions);
  if (!st.conditions || st.conditions.length === 0) p.push(`Gateway ${fmtNN(gw)}: no conditions at all`);
  return p;
}

export function gatewayMustHaveCondition(r: Result, gw: NN, want: Cond): string[] {
  const st = r.status('Gateway', gw);
  if (!st) return missing(r, 'Gateway', gw);
  const p = staleConditions(`Gateway ${fmtNN(gw)}`, r.generation('Gateway', gw), st.conditions);
  if (!findCondition(st.conditions, want))
    p.push(`Gateway ${fmtNN(gw)}: want ${fmtCond(want)}, got ${fmtConds(st.conditions)}`);
  return p;
}

/** WaitForGatewayAddress: latest observedGeneration and at least one status address with a type. */
export function gatewayMustHaveAddress(r: Result, gw: NN): string[] {
  const st = r.status('Gateway', gw);
  if (!st) return missing(r, 'Gateway', gw);
  const p = staleConditions(`Gateway ${fmtNN(gw)}`, r.generation('Gateway', gw), st.conditions);
  const addrs = (st.addresses ?? []) as Doc[];
  if (!addrs.some((a) => a.type)) {
    p.push(
      `Gateway ${fmtNN(gw)}: status.addresses must hold at least one address with a type, got ${JSON.stringify(addrs)}`,
    );
  }
  return p;
}

function listenersMatch(what: string, expected: ExpectedListener[], actual: Doc[] | undefined): string[] {
  const act = actual ?? [];
  const p: string[] = [];
  if (act.length !== expected.length) {
    p.push(
      `${what}: want ${expected.length} listener status entries, got ${act.length} [${act.map((l) => l.name).join(', ')}]`,
    );
  }
  for (const e of expected) {
    const a = act.find((l) => l.name === e.name);
    if (!a) {
      p.push(`${what}: no status for listener ${e.name}`);
      continue;
    }
    const lw = `${what} listener ${e.name}`;
    const ak = (a.supportedKinds ?? []) as Doc[];
    if (e.supportedKinds.length === 0 && ak.length !== 0)
      p.push(`${lw}: supportedKinds must be empty, got ${fmtKinds(ak)}`);
    for (const k of e.supportedKinds) {
      if (!ak.some((x) => (x.group ?? GROUP) === (k.group ?? GROUP) && x.kind === k.kind)) {
        p.push(`${lw}: supportedKinds must contain ${k.group ?? GROUP}/${k.kind}, got ${fmtKinds(ak)}`);
      }
    }
    if ((a.attachedRoutes ?? 0) !== e.attachedRoutes)
      p.push(`${lw}: attachedRoutes want ${e.attachedRoutes}, got ${a.attachedRoutes}`);
    if (!conditionsMatch(e.conditions, a.conditions)) {
      p.push(`${lw}: want ${missingConditions(e.conditions, a.conditions).join(', ')}; got ${fmtConds(a.conditions)}`);
    }
  }
  return p;
}

/** GatewayStatusMustHaveListeners: latest gateway conditions + gatewayListenersMatch. */
export function gatewayStatusMustHaveListeners(r: Result, gw: NN, listeners: ExpectedListener[]): string[] {
  const st = r.status('Gateway', gw);
  if (!st) return missing(r, 'Gateway', gw);
  return [
    ...staleConditions(`Gateway ${fmtNN(gw)}`, r.generation('Gateway', gw), st.conditions),
    ...listenersMatch(`Gateway ${fmtNN(gw)}`, listeners, st.listeners),
  ];
}

function listenerConditions(what: string, listeners: Doc[] | undefined, want: Cond[], names: string[]): string[] {
  const p: string[] = [];
  const seen = new Set<string>();
  for (const l of listeners ?? []) {
    if (names.length > 0 && !names.includes(l.name)) continue;
    seen.add(l.name);
    for (const c of want) {
      if (!findCondition(l.conditions, c))
        p.push(`${what} listener ${l.name}: want ${fmtCond(c)}, got ${fmtConds(l.conditions)}`);
    }
  }
  for (const n of names) if (!seen.has(n)) p.push(`${what}: no status for listener ${n}`);
  return p;
}

/** GatewayListenersMustHaveConditions: every (or every named) listener has all the conditions. */
export function gatewayListenersMustHaveConditions(r: Result, gw: NN, want: Cond[], ...names: string[]): string[] {
  const st = r.status('Gateway', gw);
  if (!st) return missing(r, 'Gateway', gw);
  return listenerConditions(`Gateway ${fmtNN(gw)}`, st.listeners, want, names);
}

export function gatewayListenerMustHaveConditions(r: Result, gw: NN, listener: string, want: Cond[]): string[] {
  return gatewayListenersMustHaveConditions(r, gw, want, listener);
}

/** GatewayMustHaveZeroRoutes: no listener status, or exactly one listener with attachedRoutes 0. */
export function gatewayMustHaveZeroRoutes(r: Result, gw: NN): string[] {
  const st = r.status('Gateway', gw);
  if (!st) return missing(r, 'Gateway', gw);
  const p = staleConditions(`Gateway ${fmtNN(gw)}`, r.generation('Gateway', gw), st.conditions);
  const ls = (st.listeners ?? []) as Doc[];
  if (!(ls.length === 0 || (ls.length === 1 && (ls[0]!.attachedRoutes ?? 0) === 0))) {
    p.push(
      `Gateway ${fmtNN(gw)}: want no listener status or one listener with 0 attachedRoutes, got ${JSON.stringify(ls.map((l) => ({ name: l.name, attachedRoutes: l.attachedRoutes })))}`,
    );
  }
  return p;
}

/** GatewayMustHaveAttachedListeners: status.attachedListenerSets (absent = 0). */
export function gatewayMustHaveAttachedListeners(r: Result, gw: NN, n: number): string[] {
  const st = r.status('Gateway', gw);
  if (!st) return missing(r, 'Gateway', gw);
  const p = staleConditions(`Gateway ${fmtNN(gw)}`, r.generation('Gateway', gw), st.conditions);
  if ((st.attachedListenerSets ?? 0) !== n)
    p.push(`Gateway ${fmtNN(gw)}: attachedListenerSets want ${n}, got ${st.attachedListenerSets}`);
  return p;
}

/**
 * NamespacesMustBeReady, the Gateway half (pods are a data plane matter): every Gateway in the
 * namespaces, unless annotated gateway-api/skip-this-for-readiness, is Accepted and Programmed.
 */
export function namespacesMustBeReady(r: Result, namespaces: string[]): string[] {
  const p: string[] = [];
  for (const ns of namespaces) {
    for (const d of r.inputsOf('Gateway', ns)) {
      if (d.metadata?.annotations?.['gateway-api/skip-this-for-readiness'] === 'true') continue;
      if (d.spec?.gatewayClassName !== CLASS) continue;
      const nn = { namespace: ns, name: d.metadata.name };
      p.push(...gatewayMustHaveCondition(r, nn, { type: 'Accepted', status: 'True' }));
      p.push(...gatewayMustHaveCondition(r, nn, { type: 'Programmed', status: 'True' }));
    }
  }
  return [...new Set(p)];
}

// ---------------------------------------------------------------------------------------------
// Routes

/**
 * parentsForRouteMatch. Group and kind are compared after API server defaulting
 * (ParentReference defaults group gateway.networking.k8s.io and kind Gateway, also in status);
 * namespace must match when `namespaceRequired` or when the actual one is set.
 */
export function routeMustHaveParents(
  r: Result,
  kind: string,
  route: NN,
  parents: ExpectedParent[],
  namespaceRequired: boolean,
  checkGeneration = true,
): string[] {
  const st = r.status(kind, route);
  if (!st) return parents.length === 0 ? [] : missing(r, kind, route);
  const actual = (st.parents ?? []) as Doc[];
  const p: string[] = [];
  if (checkGeneration) {
    for (const a of actual)
      p.push(
        ...staleConditions(
          `${kind} ${fmtNN(route)} parent ${a.parentRef?.name}`,
          r.generation(kind, route),
          a.conditions,
        ),
      );
  }
  for (const e of parents) {
    const ok = actual.some((a) => {
      if (a.controllerName !== e.controllerName) return false;
      if ((a.parentRef?.group ?? GROUP) !== (e.parentRef.group ?? GROUP)) return false;
      if ((a.parentRef?.kind ?? 'Gateway') !== (e.parentRef.kind ?? 'Gateway')) return false;
      if (a.parentRef?.name !== e.parentRef.name) return false;
      if (
        a.parentRef?.namespace !== e.parentRef.namespace &&
        (namespaceRequired || a.parentRef?.namespace !== undefined)
      )
        return false;
      return conditionsMatch(e.conditions, a.conditions);
    });
    if (!ok) {
      p.push(
        `${kind} ${fmtNN(route)}: want a parent ${e.parentRef.kind ?? 'Gateway'} ${e.parentRef.namespace ?? ''}/${e.parentRef.name} (controller ${e.controllerName}${namespaceRequired ? ', namespace set' : ''}) with ${e.conditions.map(fmtCond).join(', ')}; got ${fmtParents(actual)}`,
      );
    }
  }
  return p;
}

function fmtParents(ps: Doc[]): string {
  if (ps.length === 0) return 'no parents';
  return ps
    .map((a) => {
      const ref = a.parentRef ?? {};
      const sec = ref.sectionName ? `#${ref.sectionName}` : '';
      const port = ref.port ? `:${ref.port}` : '';
      return `{${ref.kind ?? '(kind unset)'} ${ref.namespace ?? '(ns unset)'}/${ref.name}${sec}${port} by ${a.controllerName}: ${fmtConds(a.conditions)}}`;
    })
    .join(' ');
}

/** HTTPRouteMustHaveCondition & co: some parent named like `parent` (namespace unset or equal) has the condition. */
export function routeMustHaveCondition(r: Result, kind: string, route: NN, parent: NN, want: Cond): string[] {
  const st = r.status(kind, route);
  if (!st) return missing(r, kind, route);
  const parents = (st.parents ?? []) as Doc[];
  const p: string[] = [];
  if (!r.input('Gateway', parent) && !r.input('ListenerSet', parent)) {
    p.push(`TEST BUG: no Gateway or ListenerSet ${fmtNN(parent)} in the manifests`);
  }
  for (const a of parents)
    p.push(
      ...staleConditions(
        `${kind} ${fmtNN(route)} parent ${a.parentRef?.name}`,
        r.generation(kind, route),
        a.conditions,
      ),
    );
  const found = parents.some(
    (a) =>
      a.parentRef?.name === parent.name &&
      (a.parentRef?.namespace === undefined || a.parentRef.namespace === parent.namespace) &&
      findCondition(a.conditions, want),
  );
  if (!found)
    p.push(`${kind} ${fmtNN(route)}: want ${fmtCond(want)} for parent ${fmtNN(parent)}; got ${fmtParents(parents)}`);
  return p;
}

export function routeMustHaveResolvedRefsTrue(r: Result, kind: string, route: NN, parent: NN): string[] {
  return routeMustHaveCondition(r, kind, route, parent, {
    type: 'ResolvedRefs',
    status: 'True',
    reason: 'ResolvedRefs',
  });
}

/** HTTPRouteMustHaveNoAcceptedParents & co: no parents, or exactly one with Accepted=False. */
export function routeMustHaveNoAcceptedParents(r: Result, kind: string, route: NN): string[] {
  if (!r.input(kind, route)) return missing(r, kind, route);
  const st = r.status(kind, route);
  const parents = (st?.parents ?? []) as Doc[];
  if (parents.length === 0) return [];
  if (parents.length > 1)
    return [`${kind} ${fmtNN(route)}: want no parents or a single not-accepted one, got ${fmtParents(parents)}`];
  const p = staleConditions(`${kind} ${fmtNN(route)}`, r.generation(kind, route), parents[0]!.conditions);
  if (!conditionsMatch([{ type: 'Accepted', status: 'False' }], parents[0]!.conditions)) {
    p.push(`${kind} ${fmtNN(route)}: the single parent must have Accepted=False, got ${fmtParents(parents)}`);
  }
  return p;
}

export function httpRouteMustHaveLatestConditions(r: Result, route: NN): string[] {
  const st = r.status('HTTPRoute', route);
  if (!st) return missing(r, 'HTTPRoute', route);
  return ((st.parents ?? []) as Doc[]).flatMap((a) =>
    staleConditions(
      `HTTPRoute ${fmtNN(route)} parent ${a.parentRef?.name}`,
      r.generation('HTTPRoute', route),
      a.conditions,
    ),
  );
}

export interface ParentResource {
  group?: string;
  kind: 'Gateway' | 'ListenerSet';
  nn: NN;
  /** NewGatewayRef/NewResourceRef listener names; none means one parent with no sectionName. */
  listenerNames?: string[];
}

const LISTENER_READY: Cond[] = [
  { type: 'ResolvedRefs', status: 'True' },
  { type: 'Accepted', status: 'True' },
  { type: 'Programmed', status: 'True' },
];

/**
 * RoutesAndParentMustBeAccepted: each route has an Accepted=True parent for the resource (one per
 * listener name; sectionName itself is not compared upstream) and every listener of the resource
 * is ResolvedRefs/Accepted/Programmed True.
 */
export function routesAndParentMustBeAccepted(
  r: Result,
  parent: ParentResource,
  routeKind: string,
  routes: NN[],
): string[] {
  const p: string[] = [];
  for (const route of routes) {
    const names = parent.listenerNames && parent.listenerNames.length > 0 ? parent.listenerNames : [''];
    const expected: ExpectedParent[] = names.map(() => ({
      parentRef: {
        group: parent.group ?? GROUP,
        kind: parent.kind,
        name: parent.nn.name,
        namespace: parent.nn.namespace,
      },
      controllerName: CONTROLLER,
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted' }],
    }));
    p.push(...routeMustHaveParents(r, routeKind, route, expected, route.namespace !== parent.nn.namespace));
  }
  if (parent.kind === 'Gateway') p.push(...gatewayListenersMustHaveConditions(r, parent.nn, LISTENER_READY));
  else p.push(...listenerSetListenersMustHaveConditions(r, parent.nn, LISTENER_READY));
  return p;
}

export interface GatewayRef {
  nn: NN;
  listenerNames?: string[];
}

/** GatewayAndRoutesMustBeAccepted minus the address (checked on its own by gatewayMustHaveAddress). */
export function gatewayAndRoutesMustBeAccepted(r: Result, gw: GatewayRef, routeKind: string, routes: NN[]): string[] {
  return routesAndParentMustBeAccepted(
    r,
    { kind: 'Gateway', nn: gw.nn, listenerNames: gw.listenerNames },
    routeKind,
    routes,
  );
}

/** GatewayAndTLSRoutesMustBeAccepted minus the address: TLSRouteMustHaveParents only (no generation, no listener check). */
export function gatewayAndTLSRoutesMustBeAccepted(r: Result, gw: GatewayRef, routes: NN[]): string[] {
  const p: string[] = [];
  for (const route of routes) {
    const names = gw.listenerNames && gw.listenerNames.length > 0 ? gw.listenerNames : [''];
    const expected: ExpectedParent[] = names.map(() => ({
      parentRef: { group: GROUP, kind: 'Gateway', name: gw.nn.name, namespace: gw.nn.namespace },
      controllerName: CONTROLLER,
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted' }],
    }));
    p.push(...routeMustHaveParents(r, 'TLSRoute', route, expected, route.namespace !== gw.nn.namespace, false));
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// ListenerSet

export function listenerSetMustHaveCondition(r: Result, ls: NN, want: Cond): string[] {
  const st = r.status('ListenerSet', ls);
  if (!st) return missing(r, 'ListenerSet', ls);
  const p = staleConditions(`ListenerSet ${fmtNN(ls)}`, r.generation('ListenerSet', ls), st.conditions);
  if (!findCondition(st.conditions, want))
    p.push(`ListenerSet ${fmtNN(ls)}: want ${fmtCond(want)}, got ${fmtConds(st.conditions)}`);
  return p;
}

export function listenerSetStatusMustHaveListeners(r: Result, ls: NN, listeners: ExpectedListener[]): string[] {
  const st = r.status('ListenerSet', ls);
  if (!st) return missing(r, 'ListenerSet', ls);
  return [
    ...staleConditions(`ListenerSet ${fmtNN(ls)}`, r.generation('ListenerSet', ls), st.conditions),
    ...listenersMatch(`ListenerSet ${fmtNN(ls)}`, listeners, st.listeners),
  ];
}

export function listenerSetListenersMustHaveConditions(r: Result, ls: NN, want: Cond[], ...names: string[]): string[] {
  const st = r.status('ListenerSet', ls);
  if (!st) return missing(r, 'ListenerSet', ls);
  return [
    ...staleConditions(`ListenerSet ${fmtNN(ls)}`, r.generation('ListenerSet', ls), st.conditions),
    ...listenerConditions(`ListenerSet ${fmtNN(ls)}`, st.listeners, want, names),
  ];
}

// ---------------------------------------------------------------------------------------------
// BackendTLSPolicy

export function backendTLSPolicyMustHaveCondition(r: Result, policy: NN, gw: NN, want: Cond): string[] {
  const st = r.status('BackendTLSPolicy', policy);
  if (!st) return missing(r, 'BackendTLSPolicy', policy);
  const ancestors = (st.ancestors ?? []) as Doc[];
  const p: string[] = [];
  if (!r.input('Gateway', gw)) p.push(`TEST BUG: no Gateway ${fmtNN(gw)} in the manifests`);
  for (const a of ancestors) {
    p.push(
      ...staleConditions(
        `BackendTLSPolicy ${fmtNN(policy)} ancestor ${a.ancestorRef?.name}`,
        r.generation('BackendTLSPolicy', policy),
        a.conditions,
      ),
    );
  }
  const found = ancestors.some(
    (a) =>
      a.ancestorRef?.name === gw.name &&
      (a.ancestorRef?.namespace === undefined || a.ancestorRef.namespace === gw.namespace) &&
      findCondition(a.conditions, want),
  );
  if (!found) {
    const got = ancestors.map(
      (a) =>
        `{${a.ancestorRef?.kind ?? ''} ${a.ancestorRef?.namespace ?? ''}/${a.ancestorRef?.name}: ${fmtConds(a.conditions)}}`,
    );
    p.push(
      `BackendTLSPolicy ${fmtNN(policy)}: want ${fmtCond(want)} for ancestor ${fmtNN(gw)}; got ${got.join(' ') || 'no ancestors'}`,
    );
  }
  return p;
}

export function backendTLSPolicyMustHaveLatestConditions(r: Result, policy: NN): string[] {
  const st = r.status('BackendTLSPolicy', policy);
  if (!st) return missing(r, 'BackendTLSPolicy', policy);
  return ((st.ancestors ?? []) as Doc[]).flatMap((a) =>
    staleConditions(
      `BackendTLSPolicy ${fmtNN(policy)} ancestor ${a.ancestorRef?.name}`,
      r.generation('BackendTLSPolicy', policy),
      a.conditions,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Small constructors to keep the scenario tables close to the Go source

export function infra(name: string): NN {
  return { namespace: INFRA, name };
}

export function cond(type: string, status: Cond['status'], reason = ''): Cond {
  return { type, status, reason };
}

export function kinds(...ks: string[]): Kind[] {
  return ks.map((kind) => ({ group: GROUP, kind }));
}

export function listener(
  name: string,
  supportedKinds: Kind[],
  conditions: Cond[],
  attachedRoutes: number,
): ExpectedListener {
  return { name, supportedKinds, conditions, attachedRoutes };
}

export function gatewayParent(gw: NN, conditions: Cond[]): ExpectedParent {
  return {
    parentRef: { group: GROUP, kind: 'Gateway', name: gw.name, namespace: gw.namespace },
    controllerName: CONTROLLER,
    conditions,
  };
}
