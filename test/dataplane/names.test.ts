// Well-known field names and methods are matched on the wire bytes (src/dataplane/http1/names.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { knownFieldName, knownMethod } from '../../src/dataplane/http1/names.ts';

const b = (s: string) => Buffer.from(s, 'latin1');
const name = (s: string) => knownFieldName(b(s), 0, s.length);

test('known names match in any letter case and return the lower-case constant', () => {
  for (const n of ['host', 'Host', 'HOST', 'hOsT', 'Content-Length', 'X-Forwarded-For', 'x-request-id', 'TE']) {
    assert.equal(name(n), n.toLowerCase(), n);
  }
  assert.equal(name('User-Agent'), 'user-agent');
});

test('names that differ in any byte, or in length, do not match', () => {
  for (const n of ['hosts', 'hos', 'h0st', 'hos_', 'x-request_id', 'content-lengtH2', 'x-forwarded-fox', 'foo']) {
    assert.equal(name(n), null, n);
  }
  // Every tchar that is not a letter, digit or "-": none may stand in for a letter.
  for (const c of "!#$%&'*+.^_`|~") {
    assert.equal(name(`hos${c}`), null, c);
    assert.equal(name(`${c}ost`), null, c);
  }
});

test('methods are case-sensitive tokens', () => {
  for (const m of ['GET', 'PUT', 'POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS']) {
    assert.equal(knownMethod(b(m), 0, m.length), m);
  }
  for (const m of ['get', 'Get', 'GETS', 'PURGE', 'CONNECT', 'OPTION', 'DELET']) {
    assert.equal(knownMethod(b(m), 0, m.length), null, m);
  }
});
