// A small structural-schema checker, shaped after the OpenAPI v3 subset that CRDs use
// (type, required, enum, pattern, lengths, bounds, item counts, list-type set/map) plus
// hand-written rules standing in for the CRDs' x-kubernetes-validations (CEL).
//
// Messages follow the API server's wording ("Required value", "Unsupported value: ...",
// "Too many: 65: must have at most 64 items", "Invalid value: \"array\": <CEL message>") so a
// user sees what `kubectl apply` would have told them. The field path is reported separately.

export interface FieldIssue {
  /** Field path, e.g. spec.listeners[1].hostname. */
  field: string;
  message: string;
}

export interface SchemaResult {
  errors: FieldIssue[];
  /** Fields the schema does not know (the API server prunes them, kubectl --validate warns). */
  warnings: FieldIssue[];
}

export type Obj = Record<string, unknown>;

/**
 * A rule standing in for one or more CEL validations. It runs only when the value and everything
 * under it passed the structural checks, so it can rely on the declared types (but not on optional
 * fields being present).
 */
export type Rule = (value: never, path: string, out: FieldIssue[]) => void;

interface Base {
  rules?: readonly Rule[];
}

export interface StringSchema extends Base {
  type: 'string';
  pattern?: string;
  /** Tests instead of `pattern` where the CRD's pattern backtracks badly in JS (same language). */
  re?: RegExp;
  enum?: readonly string[];
  minLength?: number;
  maxLength?: number;
}

export interface IntegerSchema extends Base {
  type: 'integer';
  minimum?: number;
  maximum?: number;
  enum?: readonly number[];
}

export interface BooleanSchema extends Base {
  type: 'boolean';
}

export interface ObjectSchema extends Base {
  type: 'object';
  properties: Readonly<Record<string, Schema>>;
  required?: readonly string[];
  /** Unknown properties are accepted silently (x-kubernetes-preserve-unknown-fields, metadata). */
  open?: boolean;
}

/** An object used as a string-keyed map (additionalProperties). */
export interface MapSchema extends Base {
  type: 'map';
  values: Schema;
  maxProperties?: number;
}

export interface ArraySchema extends Base {
  type: 'array';
  items: Schema;
  minItems?: number;
  maxItems?: number;
  /** x-kubernetes-list-type: set (items unique) or map (unique by mapKeys). */
  listType?: 'set' | 'map';
  mapKeys?: readonly string[];
}

export interface AnySchema extends Base {
  type: 'any';
}

export type Schema = StringSchema | IntegerSchema | BooleanSchema | ObjectSchema | MapSchema | ArraySchema | AnySchema;

const compiled = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u');
    compiled.set(pattern, re);
  }
  return re;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The type word the API server prints for a value in "Invalid value" messages. */
export function typeWord(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function quote(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** A failed CEL rule: the API server reports `Invalid value: "<type>": <message>`. */
export function celError(out: FieldIssue[], field: string, value: unknown, message: string): void {
  out.push({ field, message: `Invalid value: "${typeWord(value)}": ${message}` });
}

export function child(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

export function validateSchema(value: unknown, schema: Schema, path: string): SchemaResult {
  const result: SchemaResult = { errors: [], warnings: [] };
  check(value, schema, path, result);
  return result;
}

/** Returns whether the value (and its subtree) passed the structural checks. */
function check(value: unknown, schema: Schema, path: string, r: SchemaResult): boolean {
  const before = r.errors.length;
  switch (schema.type) {
    case 'string':
      checkString(value, schema, path, r.errors);
      break;
    case 'integer':
      checkInteger(value, schema, path, r.errors);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') typeError(value, 'boolean', path, r.errors);
      break;
    case 'object':
      checkObject(value, schema, path, r);
      break;
    case 'map':
      checkMap(value, schema, path, r);
      break;
    case 'array':
      checkArray(value, schema, path, r);
      break;
    case 'any':
      break;
  }
  const ok = r.errors.length === before;
  if (ok && schema.rules) for (const rule of schema.rules) rule(value as never, path, r.errors);
  return ok;
}

function typeError(value: unknown, want: string, path: string, out: FieldIssue[]): void {
  out.push({ field: path, message: `Invalid value: "${typeWord(value)}": must be of type ${want}` });
}

function checkString(value: unknown, s: StringSchema, path: string, out: FieldIssue[]): void {
  if (typeof value !== 'string') {
    typeError(value, 'string', path, out);
    return;
  }
  if (s.enum) {
    if (!s.enum.includes(value)) {
      out.push({
        field: path,
        message: `Unsupported value: ${quote(value)}: supported values: ${s.enum.map((e) => `"${e}"`).join(', ')}`,
      });
    }
    return;
  }
  // Lengths count bytes in the API server (Go strings); the limits are all ASCII-sized.
  const len = Buffer.byteLength(value);
  if (s.maxLength !== undefined && len > s.maxLength) {
    out.push({ field: path, message: `Too long: may not be more than ${s.maxLength} bytes` });
    return;
  }
  if (s.minLength !== undefined && value.length < s.minLength) {
    out.push({ field: path, message: `Invalid value: ${quote(value)}: should be at least ${s.minLength} chars long` });
    return;
  }
  if (s.pattern !== undefined && !(s.re ?? regex(s.pattern)).test(value)) {
    out.push({ field: path, message: `Invalid value: ${quote(value)}: should match '${s.pattern}'` });
  }
}

function checkInteger(value: unknown, s: IntegerSchema, path: string, out: FieldIssue[]): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    typeError(value, 'integer', path, out);
    return;
  }
  if (s.enum) {
    if (!s.enum.includes(value)) {
      out.push({
        field: path,
        message: `Unsupported value: ${value}: supported values: ${s.enum.map((e) => `"${e}"`).join(', ')}`,
      });
    }
    return;
  }
  if (s.minimum !== undefined && value < s.minimum) {
    out.push({ field: path, message: `Invalid value: ${value}: should be greater than or equal to ${s.minimum}` });
  } else if (s.maximum !== undefined && value > s.maximum) {
    out.push({ field: path, message: `Invalid value: ${value}: should be less than or equal to ${s.maximum}` });
  }
}

function checkObject(value: unknown, s: ObjectSchema, path: string, r: SchemaResult): void {
  if (!isObj(value)) {
    typeError(value, 'object', path, r.errors);
    return;
  }
  for (const key of s.required ?? []) {
    // null is how YAML spells an empty field; the API server treats it as absent.
    if (value[key] === undefined || value[key] === null)
      r.errors.push({ field: child(path, key), message: 'Required value' });
  }
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    const sub = s.properties[key];
    if (sub) check(v, sub, child(path, key), r);
    else if (!s.open) r.warnings.push({ field: child(path, key), message: `unknown field "${child(path, key)}"` });
  }
}

function checkMap(value: unknown, s: MapSchema, path: string, r: SchemaResult): void {
  if (!isObj(value)) {
    typeError(value, 'object', path, r.errors);
    return;
  }
  const keys = Object.keys(value);
  if (s.maxProperties !== undefined && keys.length > s.maxProperties) {
    r.errors.push({ field: path, message: `Too many: ${keys.length}: must have at most ${s.maxProperties} items` });
  }
  for (const k of keys) check(value[k], s.values, `${path}[${k}]`, r);
}

function checkArray(value: unknown, s: ArraySchema, path: string, r: SchemaResult): void {
  if (!Array.isArray(value)) {
    typeError(value, 'array', path, r.errors);
    return;
  }
  if (s.maxItems !== undefined && value.length > s.maxItems) {
    // Like the API server: too many items is reported once, the items are not inspected further.
    r.errors.push({ field: path, message: `Too many: ${value.length}: must have at most ${s.maxItems} items` });
    return;
  }
  if (s.minItems !== undefined && value.length < s.minItems) {
    r.errors.push({ field: path, message: `Invalid value: ${value.length}: should have at least ${s.minItems} items` });
  }
  let itemsOk = true;
  value.forEach((item, i) => {
    if (!check(item, s.items, `${path}[${i}]`, r)) itemsOk = false;
  });
  if (!itemsOk) return;
  if (s.listType === 'set') {
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const k = JSON.stringify(item);
      if (seen.has(k)) r.errors.push({ field: `${path}[${i}]`, message: `Duplicate value: ${k}` });
      seen.add(k);
    });
  } else if (s.listType === 'map' && s.mapKeys) {
    const seen = new Set<string>();
    const keys = s.mapKeys;
    value.forEach((item, i) => {
      if (!isObj(item)) return;
      const ident: Obj = {};
      for (const k of keys) ident[k] = item[k];
      const k = JSON.stringify(ident);
      if (seen.has(k)) r.errors.push({ field: `${path}[${i}]`, message: `Duplicate value: ${k}` });
      seen.add(k);
    });
  }
}

// ---------- constructors, so schemas read close to the CRD YAML ----------

export const str = (o: Omit<StringSchema, 'type'> = {}): StringSchema => ({ type: 'string', ...o });
export const int = (o: Omit<IntegerSchema, 'type'> = {}): IntegerSchema => ({ type: 'integer', ...o });
export const bool = (): BooleanSchema => ({ type: 'boolean' });
export const any = (): AnySchema => ({ type: 'any' });
export const obj = (
  properties: Record<string, Schema>,
  o: Omit<ObjectSchema, 'type' | 'properties'> = {},
): ObjectSchema => ({ type: 'object', properties, ...o });
export const map = (values: Schema, o: Omit<MapSchema, 'type' | 'values'> = {}): MapSchema => ({
  type: 'map',
  values,
  ...o,
});
export const arr = (items: Schema, o: Omit<ArraySchema, 'type' | 'items'> = {}): ArraySchema => ({
  type: 'array',
  items,
  ...o,
});

/** Adds rules to a schema without mutating the shared original. */
export function withRules<S extends Schema>(s: S, ...rules: Rule[]): S {
  return { ...s, rules: [...(s.rules ?? []), ...rules] };
}
