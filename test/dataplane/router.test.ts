import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRouteTable, regexPathPrefix } from '../../src/dataplane/router/compile.ts';
import { compileHostTable, lookupHost, normalizeHost } from '../../src/dataplane/router/hosts.ts';
import { matchRoute, type RequestView } from '../../src/dataplane/router/match.ts';
import type { HTTPMatchIR } from '../../src/ir/types.ts';

function req(method: string, target: string, headers: Record<string, string> = {}): RequestView {
  const q = target.indexOf('?');
  return {
    method,
    routePath: q === -1 ? target : target.slice(0, q),
    routeQuery: q === -1 ? '' : target.slice(q + 1),
    header: (n) => headers[n],
  };
}

function m(p: Partial<HTTPMatchIR>): HTTPMatchIR {
  return { headers: [], queryParams: [], ...p };
}

test('path prefix is element-wise and ignores a trailing slash on the prefix', () => {
  const t = compileRouteTable([{ match: m({ path: { type: 'PathPrefix', value: '/foo/' } }), value: 'foo' }]);
  assert.equal(matchRoute(t, req('GET', '/foo')), 'foo');
  assert.equal(matchRoute(t, req('GET', '/foo/')), 'foo');
  assert.equal(matchRoute(t, req('GET', '/foo/bar?x=1')), 'foo');
  assert.equal(matchRoute(t, req('GET', '/foobar')), null);
  assert.equal(matchRoute(t, req('GET', '/')), null);
});

test('exact, regex (anchored) and prefix "/" paths', () => {
  const t = compileRouteTable([
    { match: m({ path: { type: 'Exact', value: '/exact' } }), value: 'exact' },
    { match: m({ path: { type: 'RegularExpression', value: '/re/[0-9]+' } }), value: 're' },
    { match: m({ path: { type: 'PathPrefix', value: '/' } }), value: 'any' },
  ]);
  assert.equal(matchRoute(t, req('GET', '/exact')), 'exact');
  assert.equal(matchRoute(t, req('GET', '/exact/')), 'any');
  assert.equal(matchRoute(t, req('GET', '/re/12')), 're');
  assert.equal(matchRoute(t, req('GET', '/re/12x')), 'any');
  assert.equal(matchRoute(t, req('GET', '/x/re/12')), 'any');
});

test('IR order is precedence; method, header and query checks', () => {
  const t = compileRouteTable([
    {
      match: m({
        path: { type: 'PathPrefix', value: '/' },
        method: 'POST',
        headers: [{ type: 'Exact', name: 'X-Version', value: 'two' }],
      }),
      value: 'post-v2',
    },
    {
      match: m({ queryParams: [{ type: 'RegularExpression', name: 'animal', value: 'wh.*' }] }),
      value: 'q',
    },
    { match: m({ headers: [{ type: 'RegularExpression', name: 'x-v', value: '[ab]' }] }), value: 'h' },
    { match: m({}), value: 'fallback' },
  ]);
  assert.equal(matchRoute(t, req('POST', '/', { 'x-version': 'two' })), 'post-v2');
  assert.equal(matchRoute(t, req('GET', '/', { 'x-version': 'two' })), 'fallback');
  assert.equal(matchRoute(t, req('GET', '/?animal=whale&animal=dolphin')), 'q');
  assert.equal(matchRoute(t, req('GET', '/?animal=dolphin&animal=whale')), 'fallback');
  assert.equal(matchRoute(t, req('GET', '/?Animal=whale')), 'fallback');
  assert.equal(matchRoute(t, req('GET', '/', { 'x-v': 'a' })), 'h');
  assert.equal(matchRoute(t, req('GET', '/', { 'x-v': 'ab' })), 'fallback');
});

test('host tables: exact, then longest wildcard, then any', () => {
  const t = compileHostTable<string>([
    ['*.example.com', 'wild'],
    ['*.foo.example.com', 'wild-foo'],
    ['bar.example.com', 'exact'],
    [null, 'any'],
  ]);
  assert.equal(lookupHost(t, 'bar.example.com'), 'exact');
  assert.equal(lookupHost(t, 'x.foo.example.com'), 'wild-foo');
  assert.equal(lookupHost(t, 'a.b.example.com'), 'wild');
  assert.equal(lookupHost(t, 'example.com'), 'any');
  assert.equal(lookupHost(t, 'other.org'), 'any');
  const noAny = compileHostTable<string>([['a.com', 'a']]);
  assert.equal(lookupHost(noAny, 'b.com'), null);
});

test('normalizeHost strips ports, lower-cases, keeps IPv6 brackets', () => {
  assert.equal(normalizeHost('Example.COM:8080'), 'example.com');
  assert.equal(normalizeHost('example.com.'), 'example.com');
  assert.equal(normalizeHost('[::1]:80'), '[::1]');
  assert.equal(normalizeHost('[::1]'), '[::1]');
});

test('large tables use the path index and keep IR precedence', () => {
  const items: { match: HTTPMatchIR; value: string }[] = [];
  items.push({ match: m({ path: { type: 'RegularExpression', value: '/re/.*' } }), value: 'regex-first' });
  for (let i = 0; i < 40; i++) {
    items.push({ match: m({ path: { type: 'PathPrefix', value: '/svc' + i } }), value: 'prefix' + i });
    items.push({ match: m({ path: { type: 'Exact', value: '/svc' + i + '/exact' } }), value: 'exact' + i });
  }
  items.push({ match: m({ path: { type: 'PathPrefix', value: '/svc1/deeper' } }), value: 'deeper-but-later' });
  items.push({ match: m({ path: { type: 'PathPrefix', value: '/re' } }), value: 're-prefix' });
  items.push({ match: m({ headers: [{ type: 'Exact', name: 'x', value: '1' }] }), value: 'header-any-path' });
  items.push({ match: m({ path: { type: 'PathPrefix', value: '/' } }), value: 'fallback' });
  const t = compileRouteTable(items);
  assert.ok(t.index !== null);
  // The same answers as a linear scan.
  const linear = { ...t, index: null };
  const paths = [
    '/svc1',
    '/svc1/',
    '/svc1/exact',
    '/svc12/exact',
    '/svc1/deeper/x',
    '/re/a',
    '/re',
    '/nothing',
    '/svc39/x',
    '/svc',
  ];
  for (const p of paths) {
    for (const h of [{}, { x: '1' }] as Record<string, string>[]) {
      assert.equal(matchRoute(t, req('GET', p, h)), matchRoute(linear, req('GET', p, h)), p + ' ' + JSON.stringify(h));
    }
  }
  assert.equal(matchRoute(t, req('GET', '/svc1/deeper/x')), 'prefix1');
  assert.equal(matchRoute(t, req('GET', '/re/a')), 'regex-first');
  assert.equal(matchRoute(t, req('GET', '/nothing', { x: '1' })), 'header-any-path');
});

test('the path index cuts a path only where some prefix route has that length', () => {
  const items: { match: HTTPMatchIR; value: string }[] = [];
  for (let i = 0; i < 20; i++) {
    items.push({ match: m({ path: { type: 'PathPrefix', value: '/a/b' + i } }), value: 'ab' + i });
  }
  items.push({ match: m({ path: { type: 'PathPrefix', value: '/a' } }), value: 'a' });
  items.push({ match: m({ path: { type: 'PathPrefix', value: '/long/er/path/than/the/rest' } }), value: 'long' });
  const t = compileRouteTable(items);
  assert.ok(t.index !== null);
  // Key lengths: 2 ("/a"), 5-6 ("/a/b0".."/a/b19"), 27: nothing else is looked up.
  assert.deepEqual(
    [...t.index.prefixLengths.entries()].filter(([, v]) => v === 1).map(([n]) => n),
    [2, 5, 6, 27],
  );
  const linear = { ...t, index: null };
  for (const p of [
    '/a',
    '/a/',
    '/a/b1',
    '/a/b1/x',
    '/a/b19/x/y',
    '/a/b190',
    '/ab',
    '/long/er/path/than/the/rest/x',
    '/long',
  ]) {
    assert.equal(matchRoute(t, req('GET', p)), matchRoute(linear, req('GET', p)), p);
  }
  assert.equal(matchRoute(t, req('GET', '/a/b19/x')), 'ab19');
  assert.equal(matchRoute(t, req('GET', '/a/b190')), 'a');
  assert.equal(matchRoute(t, req('GET', '/long/er/path/than/the/rest/x')), 'long');
  assert.equal(matchRoute(t, req('GET', '/b')), null);
});

test('regexPathPrefix: the literal start a regex guarantees, cut at its last "/"', () => {
  const cases: [string, string][] = [
    ['/r/12/[a-z0-9]+', '/r/12'],
    ['/api/v1/.*', '/api/v1'],
    ['^/api/v2/users/\\d+', '/api/v2/users'],
    ['\\/esc\\/aped\\/x+', '/esc/aped'],
    ['/a/bc?/d', '/a'],
    ['/a/b*/d', '/a'],
    ['/a/b{2}/d', '/a'],
    ['/a/b+/d', '/a'],
    ['/one|/two/x', ''],
    ['/(a|b)/x', ''],
    ['/flat.*', ''],
    ['.*', ''],
    ['[/]x/y', ''],
    ['/x/y', '/x'],
    ['/x/?y/z', ''],
  ];
  for (const [source, want] of cases) assert.equal(regexPathPrefix(source), want, source);
});

test('large tables index regex routes by their literal start and answer like a linear scan', () => {
  const items: { match: HTTPMatchIR; value: string }[] = [];
  const sources = [
    '/r/1/[a-z0-9]+',
    '/r/10/[a-z0-9]+',
    '/r/1/x?',
    '/a/b+/c',
    '/a/bc?/d',
    '/one|/two/.*',
    '/(x|y)/z',
    '^/api/v1/users/\\d+',
    '\\/esc\\/aped\\/.*',
    '/deep/er/est/.*',
    '/deep/.*',
    '/[a-z]+/tail',
    '/x/?y/z',
  ];
  for (const [i, source] of sources.entries()) {
    items.push({ match: m({ path: { type: 'RegularExpression', value: source } }), value: `re${i}` });
  }
  for (let i = 0; i < 20; i++)
    items.push({ match: m({ path: { type: 'PathPrefix', value: '/p' + i } }), value: 'p' + i });
  items.push({ match: m({ path: { type: 'PathPrefix', value: '/r' } }), value: 'r-prefix' });
  const t = compileRouteTable(items);
  assert.ok(t.index !== null);
  const linear = { ...t, index: null };
  const paths = [
    '/r/1/abc',
    '/r/10/abc',
    '/r/1/',
    '/r/1/x',
    '/r/1/xy',
    '/r/100/a',
    '/r',
    '/a/bbb/c',
    '/a/b/d',
    '/a/bc/d',
    '/a/c/d',
    '/one',
    '/two/anything',
    '/x/z',
    '/api/v1/users/42',
    '/api/v1/users/x',
    '/esc/aped/1',
    '/deep/er/est/1',
    '/deep/er/x',
    '/q/tail',
    '/p3/x',
    '/nothing',
    '/xy/z',
    '/x/y/z',
  ];
  for (const p of paths) assert.equal(matchRoute(t, req('GET', p)), matchRoute(linear, req('GET', p)), p);
  assert.equal(matchRoute(t, req('GET', '/r/10/abc')), 're1');
  assert.equal(matchRoute(t, req('GET', '/deep/er/x')), 're10');
  assert.equal(matchRoute(t, req('GET', '/two/anything')), 're5');
});
