import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UpstreamHandler, UpstreamStream } from '../../src/dataplane/upstream/handler.ts';
import { H1Pool } from '../../src/dataplane/upstream/pool.ts';
import { echoServer } from './helpers.ts';

/** One GET through the pool; resolves with the status. */
function get(pool: H1Pool): Promise<number> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const h: UpstreamHandler = {
      method: 'GET',
      onUpstreamConnected(s: UpstreamStream) {
        s.sendHead('GET', '/', 'x', [], -1, 0);
      },
      onUpstreamHead(st: number) {
        status = st;
      },
      onUpstreamData() {},
      onUpstreamFlush() {},
      onUpstreamEnd() {
        resolve(status);
      },
      onUpstreamError(code: string) {
        reject(new Error(code));
      },
      onUpstreamDrain() {},
      onUpstreamUpgrade() {},
    };
    pool.acquire(h, false);
  });
}

test('keep-alive pool: reuse, idle expiry, retire', async () => {
  const echo = await echoServer('p');
  const pool = new H1Pool({ host: '127.0.0.1', port: echo.port, unixPath: undefined });
  assert.deepEqual(await Promise.all([get(pool), get(pool), get(pool)]), [200, 200, 200]);
  assert.equal(pool.idleCount, 3);
  assert.equal(await get(pool), 200);
  assert.equal(pool.idleCount, 3, 'an idle connection was reused');
  pool.closeIdleBefore(performance.now() + 1);
  assert.equal(pool.idleCount, 0);
  assert.equal(await get(pool), 200);
  assert.equal(pool.idleCount, 1);
  pool.retire();
  assert.equal(pool.idleCount, 0);
  await echo.close();
});
