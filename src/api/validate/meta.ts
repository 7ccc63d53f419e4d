// ObjectMeta validation as the API server applies it to every object (apimachinery's
// ValidateObjectMeta): name presence and format, namespace format, label and annotation keys.

import type { FieldIssue, Obj } from './schema.ts';
import { isObj, quote } from './schema.ts';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const DNS1035_LABEL = '[a-z]([-a-z0-9]*[a-z0-9])?';
const LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);
const SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN}$`);
const DNS1035_RE = new RegExp(`^${DNS1035_LABEL}$`);
const QUALIFIED_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Which rule names of a kind follow (Kubernetes differs per kind). */
export type NameRule = 'subdomain' | 'label' | 'dns1035';

export function dns1123Subdomain(v: string): string | undefined {
  if (v.length > 253) return 'must be no more than 253 characters';
  if (!SUBDOMAIN_RE.test(v)) {
    return `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${DNS1123_SUBDOMAIN}')`;
  }
  return undefined;
}

export function dns1123Label(v: string): string | undefined {
  if (v.length > 63) return 'must be no more than 63 characters';
  if (!LABEL_RE.test(v)) {
    return `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '${DNS1123_LABEL}')`;
  }
  return undefined;
}

function dns1035Label(v: string): string | undefined {
  if (v.length > 63) return 'must be no more than 63 characters';
  if (!DNS1035_RE.test(v)) {
    return `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '${DNS1035_LABEL}')`;
  }
  return undefined;
}

/** A label or annotation key: optional DNS subdomain prefix, then a name of up to 63 characters. */
function qualifiedName(key: string): string | undefined {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) return 'prefix part must be non-empty';
    const bad = dns1123Subdomain(prefix);
    if (bad) return `prefix part ${bad}`;
  } else if (parts.length > 2) {
    return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!QUALIFIED_NAME_RE.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  }
  return undefined;
}

export function validateMetadata(meta: unknown, nameRule: NameRule, namespaced: boolean, out: FieldIssue[]): void {
  if (!isObj(meta)) {
    out.push({
      field: 'metadata',
      message: meta === undefined ? 'Required value' : 'Invalid value: must be of type object',
    });
    return;
  }
  const m = meta as Obj;
  if (m.name === undefined || m.name === null || m.name === '') {
    out.push({ field: 'metadata.name', message: 'Required value: name or generateName is required' });
  } else if (typeof m.name !== 'string') {
    out.push({ field: 'metadata.name', message: `Invalid value: ${quote(m.name)}: must be of type string` });
  } else {
    const check = nameRule === 'label' ? dns1123Label : nameRule === 'dns1035' ? dns1035Label : dns1123Subdomain;
    const bad = check(m.name);
    if (bad) out.push({ field: 'metadata.name', message: `Invalid value: ${quote(m.name)}: ${bad}` });
  }
  if (namespaced && m.namespace !== undefined && m.namespace !== null) {
    const bad = typeof m.namespace === 'string' ? dns1123Label(m.namespace) : 'must be of type string';
    if (bad) out.push({ field: 'metadata.namespace', message: `Invalid value: ${quote(m.namespace)}: ${bad}` });
  }
  if (m.labels !== undefined && m.labels !== null) {
    if (!isObj(m.labels)) out.push({ field: 'metadata.labels', message: 'Invalid value: must be of type object' });
    else {
      for (const [k, v] of Object.entries(m.labels)) {
        const badKey = qualifiedName(k);
        if (badKey) out.push({ field: 'metadata.labels', message: `Invalid value: ${quote(k)}: ${badKey}` });
        if (typeof v !== 'string') {
          out.push({ field: `metadata.labels[${k}]`, message: `Invalid value: ${quote(v)}: must be of type string` });
        } else if (v.length > 63 || !LABEL_VALUE_RE.test(v)) {
          out.push({
            field: `metadata.labels[${k}]`,
            message:
              v.length > 63
                ? `Invalid value: ${quote(v)}: must be no more than 63 characters`
                : `Invalid value: ${quote(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
          });
        }
      }
    }
  }
  if (m.annotations !== undefined && m.annotations !== null) {
    if (!isObj(m.annotations))
      out.push({ field: 'metadata.annotations', message: 'Invalid value: must be of type object' });
    else {
      for (const [k, v] of Object.entries(m.annotations)) {
        const badKey = qualifiedName(k.toLowerCase());
        if (badKey) out.push({ field: 'metadata.annotations', message: `Invalid value: ${quote(k)}: ${badKey}` });
        if (typeof v !== 'string') {
          out.push({
            field: `metadata.annotations[${k}]`,
            message: `Invalid value: ${quote(v)}: must be of type string`,
          });
        }
      }
    }
  }
  if (
    m.generation !== undefined &&
    (typeof m.generation !== 'number' || !Number.isInteger(m.generation) || m.generation < 0)
  ) {
    out.push({
      field: 'metadata.generation',
      message: `Invalid value: ${quote(m.generation)}: must be a non-negative integer`,
    });
  }
}
