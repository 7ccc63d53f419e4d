import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HTTPMatchIR } from '../../../src/ir/types.ts';
import {
  compareAge,
  compareNamespacedName,
  compareRoutePrecedence,
  type PrecedenceEntry,
} from '../../../src/translate/precedence.ts';

function m(path: HTTPMatchIR['path'], extra: Partial<HTTPMatchIR> = {}): HTTPMatchIR {
  return { path, headers: [], queryParams: [], ...extra };
}
const h = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'Exact' as const, name: `h${i}`, value: 'v' }));

function entry(id: string, match: HTTPMatchIR, over: Partial<PrecedenceEntry> = {}): PrecedenceEntry & { id: string } {
  return {
    id,
    match,
    namespace: 'ns',
    name: 'r',
    ruleIndex: 0,
    matchIndex: 0,
    creationTimestamp: '2025-01-01T00:00:00Z',
    ...over,
  };
}

function order(entries: (PrecedenceEntry & { id: string })[]): string[] {
  // Sort a reversed copy too: the result must not depend on input order.
  const a = [...entries].sort(compareRoutePrecedence).map((e) => e.id);
  const b = [...entries]
    .reverse()
    .sort(compareRoutePrecedence)
    .map((e) => e.id);
  assert.deepEqual(b, a, 'order depends on input order');
  return a;
}

test('HTTPRoute match precedence follows the spec criteria in order', () => {
  const cases: { name: string; entries: (PrecedenceEntry & { id: string })[]; want: string[] }[] = [
    {
      name: 'Exact before RegularExpression before PathPrefix, regardless of length',
      entries: [
        entry('prefix-long', m({ type: 'PathPrefix', value: '/a/very/long/prefix' })),
        entry('regex', m({ type: 'RegularExpression', value: '/a/.*' })),
        entry('exact', m({ type: 'Exact', value: '/a' })),
      ],
      want: ['exact', 'regex', 'prefix-long'],
    },
    {
      name: 'longer prefix first; "/" counts as no path match',
      entries: [
        entry('root', m({ type: 'PathPrefix', value: '/' }), { name: 'a' }),
        entry('foo', m({ type: 'PathPrefix', value: '/foo' })),
        entry('foo-bar', m({ type: 'PathPrefix', value: '/foo/bar' })),
      ],
      want: ['foo-bar', 'foo', 'root'],
    },
    {
      name: 'longer exact path first, longer regex first',
      entries: [
        entry('exact-short', m({ type: 'Exact', value: '/a' })),
        entry('exact-long', m({ type: 'Exact', value: '/a/b' })),
        entry('regex-short', m({ type: 'RegularExpression', value: '/.*' })),
        entry('regex-long', m({ type: 'RegularExpression', value: '/api/.*' })),
      ],
      want: ['exact-long', 'exact-short', 'regex-long', 'regex-short'],
    },
    {
      name: 'same path: method, then most headers, then most query params',
      entries: [
        entry('plain', m({ type: 'PathPrefix', value: '/x' })),
        entry('query', m({ type: 'PathPrefix', value: '/x' }, { queryParams: h(2) })),
        entry('headers2', m({ type: 'PathPrefix', value: '/x' }, { headers: h(2) })),
        entry('headers1-query3', m({ type: 'PathPrefix', value: '/x' }, { headers: h(1), queryParams: h(3) })),
        entry('method', m({ type: 'PathPrefix', value: '/x' }, { method: 'GET' })),
      ],
      want: ['method', 'headers2', 'headers1-query3', 'query', 'plain'],
    },
    {
      name: 'path beats method and headers',
      entries: [
        entry('method-headers', m({ type: 'PathPrefix', value: '/a' }, { method: 'GET', headers: h(5) })),
        entry('longer-prefix', m({ type: 'PathPrefix', value: '/ab' })),
      ],
      want: ['longer-prefix', 'method-headers'],
    },
    {
      name: 'ties: oldest route, then namespace/name, then rule order, then match order',
      entries: [
        entry('new', m({ type: 'PathPrefix', value: '/' }), { creationTimestamp: '2025-06-01T00:00:00Z', name: 'a' }),
        entry('old-b', m({ type: 'PathPrefix', value: '/' }), { name: 'b' }),
        entry('old-a-rule1', m({ type: 'PathPrefix', value: '/' }), { name: 'a', ruleIndex: 1 }),
        entry('old-a-rule0-match1', m({ type: 'PathPrefix', value: '/' }), { name: 'a', matchIndex: 1 }),
        entry('old-a-rule0-match0', m({ type: 'PathPrefix', value: '/' }), { name: 'a' }),
        entry('old-other-ns', m({ type: 'PathPrefix', value: '/' }), { namespace: 'aa', name: 'z' }),
        entry('undated', m({ type: 'PathPrefix', value: '/' }), { creationTimestamp: undefined, name: 'a' }),
      ],
      want: ['old-other-ns', 'old-a-rule0-match0', 'old-a-rule0-match1', 'old-a-rule1', 'old-b', 'new', 'undated'],
    },
  ];
  for (const c of cases) assert.deepEqual(order(c.entries), c.want, c.name);
});

test('GRPCRoute precedence: service characters, method characters, headers; regex after exact', () => {
  const g = (grpc: HTTPMatchIR['grpc'], headers = 0): HTTPMatchIR => ({
    path: { type: 'PathPrefix', value: '/' },
    headers: h(headers),
    queryParams: [],
    grpc,
  });
  const got = order([
    entry('all', g({ type: 'Exact' })),
    entry('regex', g({ type: 'RegularExpression', service: 'a\\.very\\.long\\.service' })),
    entry('method-only', g({ type: 'Exact', method: 'Get' })),
    entry('service', g({ type: 'Exact', service: 'pkg.Svc' })),
    entry('service-headers', g({ type: 'Exact', service: 'pkg.Svc' }, 2)),
    entry('service-method', g({ type: 'Exact', service: 'pkg.Svc', method: 'Get' })),
    entry('long-service', g({ type: 'Exact', service: 'pkg.v1.Service' })),
  ]);
  assert.deepEqual(got, [
    'long-service',
    'service-method',
    'service-headers',
    'service',
    'method-only',
    'regex',
    'all',
  ]);
});

test('creation timestamps compare as instants', () => {
  assert.ok(compareAge('2025-01-01T00:00:00Z', '2025-01-01T00:00:01Z') < 0);
  assert.ok(compareAge('2025-01-01T01:00:00+01:00', '2025-01-01T00:30:00Z') < 0);
  assert.equal(compareAge(undefined, undefined), 0);
  assert.ok(compareAge('2025-01-01T00:00:00Z', undefined) < 0);
});

test('namespace/name order is that of the joined "{namespace}/{name}" strings', () => {
  const pairs: [string, string][] = [
    ['a', 'b'],
    ['a-x', 'c'],
    ['a', 'a'],
    ['ab', 'z'],
    ['a', 'zz'],
    ['b', 'a'],
    ['a.b', 'c'],
    ['a0', 'c'],
  ];
  for (const [an, a] of pairs) {
    for (const [bn, b] of pairs) {
      const joined = `${an}/${a}` < `${bn}/${b}` ? -1 : `${an}/${a}` > `${bn}/${b}` ? 1 : 0;
      assert.equal(Math.sign(compareNamespacedName(an, a, bn, b)), joined, `${an}/${a} vs ${bn}/${b}`);
    }
  }
});
