// Manifest text → plain objects, each remembering where it came from. Multi-document YAML and
// JSON (one object, a JSON array, or a `kind: List`) all go through the `yaml` parser (JSON is
// YAML), so every object and every field can be mapped back to file:line.

import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from 'yaml';
import type { Diagnostic, SourcePosition } from '../snapshot.ts';

/** One object read from a manifest, before kind resolution, defaults and validation. */
export interface RawObject {
  value: unknown;
  source: SourcePosition;
  /** file:line of a field path (e.g. spec.listeners[1].hostname), or its nearest written ancestor. */
  locate: (fieldPath: string) => SourcePosition | undefined;
}

export interface ParsedText {
  objects: RawObject[];
  diagnostics: Diagnostic[];
  /** At least one document could not be parsed. */
  parseFailed: boolean;
}

type Segment = string | number;

/** spec.listeners[1].hostname → ['spec', 'listeners', 1, 'hostname']; labels[a/b] → ['labels', 'a/b']. */
export function parseFieldPath(path: string): Segment[] {
  const out: Segment[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (/^[0-9]+$/.test(m[2]!)) out.push(Number(m[2]));
    else out.push(m[2]!);
  }
  return out;
}

function isListKind(v: unknown): v is { items: unknown[] } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.kind === 'string' && (o.kind === 'List' || o.kind.endsWith('List')) && Array.isArray(o.items);
}

export function parseManifestText(file: string, text: string): ParsedText {
  const lineCounter = new LineCounter();
  const result: ParsedText = { objects: [], diagnostics: [], parseFailed: false };
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const position = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };

  for (const doc of docs) {
    if (doc.errors.length > 0) {
      result.parseFailed = true;
      for (const err of doc.errors) {
        const pos = err.linePos?.[0];
        result.diagnostics.push({
          severity: 'error',
          code: 'PARSE_ERROR',
          message: `invalid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}; this document is skipped`,
          source: { file, line: pos?.line ?? position(err.pos[0]).line, ...(pos ? { column: pos.col } : {}) },
        });
      }
      continue;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) continue; // empty document (comments, trailing ---)
    const root = doc.contents as Node | null;
    const make = (v: unknown, node: Node | null | undefined): RawObject => {
      const source = node?.range ? position(node.range[0]) : position(0);
      return { value: v, source: { file, line: source.line }, locate: (p) => locateIn(doc, node, p, position) };
    };
    if (Array.isArray(value)) {
      // A JSON (or YAML) array of objects.
      const items = isSeq(root) ? root.items : [];
      value.forEach((v, i) => {
        result.objects.push(make(v, items[i] as Node | undefined));
      });
    } else if (isListKind(value)) {
      const itemsNode = isMap(root) ? root.get('items', true) : undefined;
      const items = isSeq(itemsNode) ? itemsNode.items : [];
      value.items.forEach((v, i) => {
        result.objects.push(make(v, items[i] as Node | undefined));
      });
    } else {
      result.objects.push(make(value, root));
    }
  }
  return result;
}

/** Walks the document AST along a field path; returns the line of the deepest node reached. */
function locateIn(
  doc: Document,
  root: Node | null | undefined,
  path: string,
  position: (offset: number) => SourcePosition,
): SourcePosition | undefined {
  let node: unknown = root;
  let best: number | undefined = root?.range?.[0];
  for (const seg of parseFieldPath(path)) {
    if (isAlias(node)) node = node.resolve(doc);
    if (typeof seg === 'string' && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === seg);
      if (!pair || !isPair(pair)) break;
      const key = pair.key as Node;
      if (key.range) best = key.range[0];
      node = pair.value;
    } else if (typeof seg === 'number' && isSeq(node)) {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      if (item.range) best = item.range[0];
      node = item;
    } else {
      break;
    }
  }
  if (best === undefined) return undefined;
  const p = position(best);
  return { file: p.file, line: p.line };
}
