// The request-smuggling corpus (test/testdata/http1/smuggling.ts) against the parser modules:
// each vector in one piece and, when small, fed in pieces of 1 and 3 bytes, which must not change
// the outcome. smuggling-e2e.test.ts runs the same corpus through a data plane on sockets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_HTTP1_LIMITS } from '../../src/dataplane/http1/limits.ts';
import { type DriveResult, drive } from '../testdata/http1/driver.ts';
import { type AcceptedRequest, bytes, CORPUS, SMALL_LIMITS, type Vector } from '../testdata/http1/smuggling.ts';

function check(v: Vector, r: DriveResult, how: string): void {
  const label = v.name + ' (' + how + ')';
  const e = v.expect;
  if ('reject' in e && e.connectionOnly !== true) {
    assert.ok(r.error, label + ': accepted, expected ' + e.reject);
    assert.equal(r.error.status, e.reject, label + ': ' + r.error.message);
    assert.equal(r.requests.length, 0, label + ': a request completed before the error');
    return;
  }
  assert.equal(r.error, null, label + ': ' + r.error?.message);
  assert.equal(r.incomplete, false, label + ': incomplete');
  if ('reject' in e) {
    // Refused by the connection, not the parser (CONNECT): the head itself is well-formed.
    assert.equal(r.requests.length, 1, label);
    return;
  }
  assert.equal(r.requests.length, e.accept.length, label + ': request count');
  for (let i = 0; i < e.accept.length; i++) {
    const want: AcceptedRequest = e.accept[i]!;
    const got = r.requests[i]!;
    assert.equal(got.method, want.method, label);
    assert.equal(got.target, want.target, label);
    assert.equal(got.framing, want.framing, label);
    assert.equal(got.body.toString('latin1'), want.body, label);
    for (const [name, value] of Object.entries(want.headers ?? {})) {
      if (name === 'host' && want.upstreamTarget !== undefined) continue; // rewritten by the connection
      const at = got.headers.indexOf(name);
      assert.ok(at % 2 === 0, label + ': no ' + name);
      assert.equal(got.headers[at + 1], value, label);
    }
  }
  if (e.close === true) assert.equal(r.requests.at(-1)!.close, true, label + ': close');
}

test('smuggling corpus against the parser', () => {
  assert.ok(CORPUS.length >= 150, 'corpus size ' + CORPUS.length);
  const names = new Set<string>();
  for (const v of CORPUS) {
    assert.ok(!names.has(v.name), 'duplicate vector name ' + v.name);
    names.add(v.name);
    const limits = v.limits === 'small' ? SMALL_LIMITS : DEFAULT_HTTP1_LIMITS;
    const input = bytes(v);
    check(v, drive(input, limits), 'whole');
    if (input.length <= 2048) {
      check(v, drive(input, limits, 1), 'byte by byte');
      check(v, drive(input, limits, 3), '3-byte pieces');
    }
  }
});

test('a request smuggled behind a rejected one is never read', () => {
  // The driver stops at the first error; with a pipelined request appended, nothing changes.
  const tail = Buffer.from('GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n');
  for (const v of CORPUS) {
    if (!('reject' in v.expect) || v.expect.connectionOnly === true) continue;
    const limits = v.limits === 'small' ? SMALL_LIMITS : DEFAULT_HTTP1_LIMITS;
    const r = drive(Buffer.concat([bytes(v), tail]), limits);
    assert.ok(r.error, v.name + ': accepted once a request followed');
    assert.equal(r.error.status, v.expect.reject, v.name);
    assert.equal(r.requests.length, 0, v.name);
  }
});
