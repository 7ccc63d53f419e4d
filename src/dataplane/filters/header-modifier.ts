// RequestHeaderModifier and ResponseHeaderModifier: set / add / remove, names case-insensitive.
import type { HeaderModifierIR } from '../../ir/types.ts';
import { appendHeader, removeHeader, setHeader } from '../headers.ts';
import type { Filter, FilterRequest } from './types.ts';

interface CompiledModifier {
  set: [string, string][];
  add: [string, string][];
  remove: string[];
}

function compileModifier(m: HeaderModifierIR): CompiledModifier {
  return {
    set: m.set.map((h) => [h.name.toLowerCase(), h.value]),
    add: m.add.map((h) => [h.name.toLowerCase(), h.value]),
    remove: m.remove.map((n) => n.toLowerCase()),
  };
}

function applyModifier(m: CompiledModifier, headers: string[]): void {
  for (const [name, value] of m.set) setHeader(headers, name, value);
  for (const [name, value] of m.add) appendHeader(headers, name, value);
  for (const name of m.remove) removeHeader(headers, name);
}

export function requestHeaderModifier(ir: { modifier: HeaderModifierIR }): Filter {
  const m = compileModifier(ir.modifier);
  const setsHost = m.set.some(([name]) => name === 'host');
  return {
    onRequest(req: FilterRequest): boolean {
      applyModifier(m, req.headers);
      // Host is carried as the authority (HTTP/2 :authority), not as an ordinary field.
      if (setsHost) {
        for (const [name, value] of m.set) if (name === 'host') req.authority = value;
      }
      return false;
    },
    onResponse: null,
  };
}

export function responseHeaderModifier(ir: { modifier: HeaderModifierIR }): Filter {
  const m = compileModifier(ir.modifier);
  return {
    onRequest: null,
    onResponse(_req: FilterRequest, headers: string[]): void {
      applyModifier(m, headers);
    },
  };
}
