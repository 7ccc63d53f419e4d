// Manifest text → plain objects, each remembering where it came from. Multi-document YAML and
// JSON (one object, a JSON array, or a `kind: List`) all go through the `yaml` parser (JSON is
// YAML), so every object and every field can be mapped back to file:line.

import {
  Composer,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
  parseDocument,
} from 'yaml';
import type { Diagnostic, SourcePosition } from '../snapshot.ts';
import { type JsonObjects, looksLikeJson, parseJsonObjects } from './json.ts';

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
  const objects: RawObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const { parseFailed } = visitManifestText(
    file,
    text,
    (o) => objects.push(o),
    (d) => diagnostics.push(d),
  );
  return { objects, diagnostics, parseFailed };
}

/**
 * Parses documents one at a time and hands each object to `visit` while its document's syntax
 * tree is held (so locate() is cheap there). The tree is dropped right after, which keeps the
 * peak memory of a large file to about one document's tree; a later locate() parses that one
 * document's text again.
 */
export function visitManifestText(
  file: string,
  text: string,
  visit: (o: RawObject) => void,
  report: (d: Diagnostic) => void,
): { parseFailed: boolean } {
  if (looksLikeJson(text)) {
    const json = parseJsonObjects(text);
    if ('values' in json) {
      visitJson(file, text, json, visit);
      return { parseFailed: false };
    }
    if (file.endsWith('.json')) {
      // V8 does not always say where; the YAML parser often can (JSON is YAML).
      let line = json.line;
      if (line === undefined) {
        const counter = new LineCounter();
        const docs = new Composer().compose(new Parser(counter.addNewLine).parse(text));
        for (const doc of docs) {
          const err = doc.errors[0];
          if (err && line === undefined) line = counter.linePos(err.pos[0]).line;
        }
      }
      report({
        severity: 'error',
        code: 'PARSE_ERROR',
        message: `invalid JSON: ${json.message}; the file is skipped`,
        source: { file, line: line ?? 1 },
      });
      return { parseFailed: true };
    }
    // Not JSON: YAML flow style, or a YAML error the YAML parser locates.
  }
  const lineCounter = new LineCounter();
  const result = { parseFailed: false };
  const docs = new Composer({ uniqueKeys: true }).compose(new Parser(lineCounter.addNewLine).parse(text));
  const position = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };

  for (const doc of docs) {
    if (doc.errors.length > 0) {
      result.parseFailed = true;
      for (const err of doc.errors) {
        const pos = position(err.pos[0]);
        report({
          severity: 'error',
          code: 'PARSE_ERROR',
          message: `invalid YAML: ${err.message.split('\n')[0]}; this document is skipped`,
          source: { file, line: pos.line, ...(pos.column ? { column: pos.column } : {}) },
        });
      }
      continue;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) continue; // empty document (comments, trailing ---)
    const root = doc.contents as Node | null;
    const ref: DocRef = {
      doc,
      counter: lineCounter,
      file,
      text: text.slice(doc.range[0], doc.range[2]),
      firstLine: position(doc.range[0]).line,
    };
    const make = (v: unknown, node: Node | null | undefined, prefix: Segment[]): RawObject => {
      const line = node?.range ? position(node.range[0]).line : ref.firstLine;
      return { value: v, source: { file, line }, locate: (p) => locateInRef(ref, prefix, p) };
    };
    if (Array.isArray(value)) {
      // A JSON (or YAML) array of objects.
      const items = isSeq(root) ? root.items : [];
      value.forEach((v, i) => {
        visit(make(v, items[i] as Node | undefined, [i]));
      });
    } else if (isListKind(value)) {
      const itemsNode = isMap(root) ? root.get('items', true) : undefined;
      const items = isSeq(itemsNode) ? itemsNode.items : [];
      value.items.forEach((v, i) => {
        visit(make(v, items[i] as Node | undefined, ['items', i]));
      });
    } else {
      visit(make(value, root, []));
    }
    ref.doc = undefined;
    ref.counter = undefined;
  }
  return result;
}

function visitJson(file: string, text: string, json: JsonObjects, visit: (o: RawObject) => void): void {
  const ref: DocRef = { doc: undefined, counter: undefined, keep: true, file, text, firstLine: 1 };
  // Offsets ascend: count lines incrementally.
  let line = 1;
  let at = 0;
  json.values.forEach((value, i) => {
    const offset = json.offsets[i] ?? 0;
    for (; at < offset; at++) if (text.charCodeAt(at) === 0x0a) line++;
    if (value === null) return;
    const prefix = json.prefixes[i]!;
    visit({ value, source: { file, line }, locate: (p) => locateInRef(ref, prefix, p) });
  });
  ref.keep = false;
  ref.doc = undefined;
  ref.counter = undefined;
}

/**
 * A parsed document, held while its file is being loaded. release() drops the AST (it is many
 * times the size of the objects); locating a field afterwards parses the document's text again,
 * which only happens when a message about it is written.
 */
interface DocRef {
  doc: Document | undefined;
  /** Keep a tree parsed by locate() (while a JSON file's objects are being admitted). */
  keep?: boolean;
  /** The file's line counter, while the AST is held. */
  counter: LineCounter | undefined;
  file: string;
  text: string;
  /** Line of the document's first character in its file. */
  firstLine: number;
}

function locateInRef(ref: DocRef, prefix: Segment[], path: string): SourcePosition | undefined {
  let doc = ref.doc;
  let counter = ref.counter;
  let lineOffset = 0;
  if (!doc || !counter) {
    counter = new LineCounter();
    doc = parseDocument(ref.text, { lineCounter: counter });
    lineOffset = ref.firstLine - 1;
    if (ref.keep && lineOffset === 0) {
      ref.doc = doc;
      ref.counter = counter;
    }
  }
  const offset = walk(doc, prefix.length, [...prefix, ...parseFieldPath(path)]);
  if (offset === undefined) return undefined;
  return { file: ref.file, line: counter.linePos(offset).line + lineOffset };
}

/**
 * Walks the document AST along a path; returns the offset of the deepest node reached, but never
 * less deep than `minDepth` segments (the object's own node, for items of a List or array).
 */
function walk(doc: Document, minDepth: number, segments: Segment[]): number | undefined {
  let node: unknown = doc.contents;
  let best: number | undefined = (doc.contents as Node | null)?.range?.[0];
  let depth = 0;
  for (const seg of segments) {
    if (isAlias(node)) node = node.resolve(doc);
    if (typeof seg === 'string' && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === seg);
      if (!pair || !isPair(pair)) break;
      // A List's `items` key is not the object; its line is not an answer.
      if (depth >= minDepth && (pair.key as Node).range) best = (pair.key as Node).range![0];
      node = pair.value;
    } else if (typeof seg === 'number' && isSeq(node)) {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      if (item.range) best = item.range[0];
      node = item;
    } else {
      break;
    }
    depth++;
  }
  return best;
}
