import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareHostnameSpecificity, hostnamesOverlap, intersectHostnames } from '../../../src/translate/hostname.ts';

test('listener and route hostnames intersect as the spec describes', () => {
  const cases: [string | null, string[], string[] | null][] = [
    // Neither side constrains: any host.
    [null, [], ['*']],
    // Only the listener: the route takes the listener hostname.
    ['test.example.com', [], ['test.example.com']],
    ['*.example.com', [], ['*.example.com']],
    // Only the route: its hostnames as given.
    [null, ['a.example.com', '*.example.net'], ['a.example.com', '*.example.net']],
    // Exact listener: an equal or covering route hostname matches, narrowed to the listener's.
    ['test.example.com', ['test.example.com'], ['test.example.com']],
    ['test.example.com', ['*.example.com'], ['test.example.com']],
    ['test.example.com', ['other.example.com'], null],
    // Wildcard listener: more specific route hostnames are kept, unrelated ones ignored.
    ['*.example.com', ['test.example.com', 'test.example.net'], ['test.example.com']],
    ['*.example.com', ['foo.test.example.com'], ['foo.test.example.com']],
    ['*.example.com', ['*.example.com'], ['*.example.com']],
    ['*.example.com', ['*.test.example.com'], ['*.test.example.com']],
    // A wider route wildcard narrows to the listener's.
    ['*.test.example.com', ['*.example.com'], ['*.test.example.com']],
    // The wildcard needs at least one label: example.com is not in *.example.com.
    ['*.example.com', ['example.com'], null],
    ['*.example.com', ['example.net', 'badexample.com'], null],
    // Case-insensitive, deduplicated.
    ['*.Example.com', ['A.example.com', 'a.EXAMPLE.com'], ['a.example.com']],
  ];
  for (const [listener, route, want] of cases) {
    assert.deepEqual(intersectHostnames(listener, route), want, `${listener} ∩ ${JSON.stringify(route)}`);
  }
});

test('virtual hosts sort most specific first', () => {
  const hosts = ['*', '*.example.com', 'b.example.com', '*.a.example.com', 'a.example.com', '*.com'];
  assert.deepEqual(hosts.sort(compareHostnameSpecificity), [
    'a.example.com',
    'b.example.com',
    '*.a.example.com',
    '*.example.com',
    '*.com',
    '*',
  ]);
});

test('hostname overlap (HTTPRoute/GRPCRoute conflict check)', () => {
  assert.equal(hostnamesOverlap(['a.example.com'], ['*.example.com']), true);
  assert.equal(hostnamesOverlap(['*.example.com'], ['*.a.example.com']), true);
  assert.equal(hostnamesOverlap(['*'], ['x.test']), true);
  assert.equal(hostnamesOverlap(['a.example.com'], ['b.example.com']), false);
  assert.equal(hostnamesOverlap(['*.example.com'], ['example.com']), false);
});
