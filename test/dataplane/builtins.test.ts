// node:http2 and node:tls are loaded only when a connection or configuration needs them
// (src/dataplane/builtins.ts): a worker serving plain HTTP/1.1 does not carry their memory.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

test('plain HTTP/1.1 serving loads neither node:http2 nor node:tls; the first h2c connection loads http2', () => {
  const fixture = new URL('./fixtures/plain-http-modules.ts', import.meta.url);
  const out = JSON.parse(execFileSync(process.execPath, [fixture.pathname], { encoding: 'utf8', timeout: 30_000 }));
  assert.deepEqual(out.errors, []);
  assert.equal(out.plainStatus, 'HTTP/1.1 200 OK');
  assert.deepEqual(out.before, { http2: false, tls: false });
  assert.equal(out.h2SettingsFrameType, 4, 'the h2c connection was answered with a SETTINGS frame');
  assert.equal(out.after.http2, true);
});
