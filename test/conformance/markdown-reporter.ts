// A node:test reporter that summarises the conformance scenarios as Markdown: counts, then every
// failing upstream scenario with the mismatches its subtests found (expected vs actual conditions).
// Usage:
//   node --test --test-concurrency=1 --test-reporter=./test/conformance/markdown-reporter.ts \
//     --test-reporter-destination=conformance.md test/conformance/*.test.ts
// (concurrency 1: subtest events are grouped under the top-level test that ends after them.)

import { basename } from 'node:path';

interface TestEvent {
  type: string;
  data: {
    name: string;
    nesting: number;
    file?: string;
    skip?: boolean | string;
    details?: { error?: Error & { cause?: unknown } };
  };
}

interface Node {
  name: string;
  ok: boolean;
  skip: string | undefined;
  message: string;
  children: Node[];
}

function errorText(err: (Error & { cause?: unknown }) | undefined): string {
  if (!err) return '';
  const cause = err.cause as Error | undefined;
  const msg = cause instanceof Error ? cause.message : err.message;
  return msg.trim();
}

export default async function* markdownReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  // Subtests finish before their parents; collect children per nesting level until the parent ends.
  const stack: Node[][] = [];
  const top: { file: string; node: Node }[] = [];
  for await (const ev of source) {
    if (ev.type !== 'test:pass' && ev.type !== 'test:fail') continue;
    const file = ev.data.file ? basename(ev.data.file) : '?';
    const level = ev.data.nesting;
    const children = stack[level + 1] ?? [];
    stack[level + 1] = [];
    const skip = ev.data.skip === undefined || ev.data.skip === false ? undefined : String(ev.data.skip);
    const node: Node = {
      name: ev.data.name,
      ok: ev.type === 'test:pass',
      skip,
      message: ev.type === 'test:fail' ? errorText(ev.data.details?.error) : '',
      children,
    };
    if (level === 0) top.push({ file, node });
    else {
      stack[level] ??= [];
      stack[level].push(node);
    }
  }

  // Counted: upstream scenarios (plus SuiteSetup and the CLI reruns), not the harness self-checks.
  const scenarios = top.filter(
    (t) => t.file !== 'harness.test.ts' && t.file !== 'derived.test.ts' && !t.node.name.startsWith('CLI '),
  );
  const leaves = (n: Node): Node[] => (n.children.length === 0 ? [n] : n.children.flatMap(leaves));
  const all = scenarios.flatMap((t) => leaves(t.node));
  const passed = scenarios.filter((t) => t.node.ok && !t.node.skip).length;
  const skipped = scenarios.filter((t) => t.node.skip).length;
  const failed = scenarios.filter((t) => !t.node.ok).length;
  yield `Scenarios (upstream ShortNames): ${scenarios.length} — ${passed} pass, ${failed} fail, ${skipped} skipped.\n`;
  yield `Assertion groups (subtests): ${all.length} — ${all.filter((n) => n.ok && !n.skip).length} pass, ${all.filter((n) => !n.ok).length} fail.\n\n`;

  const byFile = new Map<string, { file: string; node: Node }[]>();
  for (const t of top) byFile.set(t.file, [...(byFile.get(t.file) ?? []), t]);
  yield '| file | scenario | result |\n|---|---|---|\n';
  for (const [file, tests] of byFile) {
    for (const t of tests) {
      const ls = leaves(t.node);
      const res = t.node.skip
        ? `skipped: ${t.node.skip}`
        : t.node.ok
          ? 'pass'
          : `FAIL (${ls.filter((n) => !n.ok).length}/${ls.length})`;
      yield `| ${file} | ${t.node.name} | ${res} |\n`;
    }
  }
  yield '\n';
  for (const t of top) {
    if (t.node.ok) continue;
    yield `### ${t.node.name} (${t.file})\n\n`;
    const failing = leaves(t.node).filter((n) => !n.ok);
    if (failing.length === 0 || (failing.length === 1 && failing[0] === t.node)) {
      yield `${indent(t.node.message)}\n\n`;
      continue;
    }
    for (const n of failing) yield `- **${n.name}**\n${indent(n.message)}\n`;
    yield '\n';
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
