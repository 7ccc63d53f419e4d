// The request-smuggling corpus through a real data plane on real sockets, with a real upstream
// that records every request it reads. This is what proves no smuggling, independent of how the
// parser is written:
// - a rejected vector is followed, in the same write, by a canary request; the client must get
//   exactly one response with the expected status and "connection: close", the data plane must
//   close the connection, and the upstream must never see the canary (nor any request, unless
//   the head was valid and only the body broke: then at most that one request, never complete);
// - an accepted vector is followed by a closing request; the upstream must see exactly the
//   requests the corpus lists (method, target, body, framing headers) and then that one.
// A parser that framed any vector differently would make the upstream see a different request
// sequence: a canary, a second request cut out of a body, or a body of another length.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createDataPlane } from '../../src/dataplane/index.ts';
import { type AcceptedRequest, bytes, CORPUS, SMALL_LIMITS, type Vector } from '../testdata/http1/smuggling.ts';
import { cluster, forward, freePort, route, simpleIR } from './helpers.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer[];
  complete: boolean;
}

const CANARY = 'GET /canary-smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
const LAST = 'GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

let seen: Seen[] = [];
const everSeen: string[] = [];
const upstream = http.createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
  const s: Seen = { method: req.method!, url: req.url!, headers: req.headers, body: [], complete: false };
  seen.push(s);
  everSeen.push(req.url!);
  req.on('data', (c: Buffer) => s.body.push(c));
  req.on('error', () => {});
  req.on('end', () => {
    s.complete = true;
    res.writeHead(200, { 'content-length': '2' });
    res.end('ok');
  });
});
const planes = {
  default: createDataPlane({ bindAddress: '127.0.0.1' }),
  small: createDataPlane({ bindAddress: '127.0.0.1', http1: SMALL_LIMITS }),
};
const ports = { default: 0, small: 0 };

before(async () => {
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const up = (upstream.address() as AddressInfo).port;
  for (const key of ['default', 'small'] as const) {
    ports[key] = await freePort();
    const res = await planes[key].apply(
      simpleIR(ports[key], [route({ action: forward('up') })], [cluster('up', [up])]),
      'v1',
    );
    assert.deepEqual(res.errors, []);
  }
});

after(async () => {
  await Promise.all([planes.default.close({ graceMs: 100 }), planes.small.close({ graceMs: 100 })]);
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

interface Conversation {
  data: Buffer;
  /** The data plane closed the connection (FIN), as opposed to the client giving up. */
  closedByServer: boolean;
}

/**
 * Writes `data` (at once, or in `piece`-byte writes a turn of the event loop apart) and reads
 * until the data plane closes (bounded: 5 s).
 */
function converse(port: number, data: Buffer, piece = 0): Promise<Conversation> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setNoDelay(true);
    const chunks: Buffer[] = [];
    let closedByServer = false;
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => {
      closedByServer = true;
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), closedByServer });
    });
    if (piece === 0) {
      s.write(data);
      return;
    }
    const writeFrom = (at: number): void => {
      if (at >= data.length || s.destroyed) return;
      s.write(data.subarray(at, at + piece));
      setImmediate(() => writeFrom(at + piece));
    };
    writeFrom(0);
  });
}

interface Response {
  status: number;
  headers: Map<string, string>;
}

/** Splits what the data plane sent into responses (all framed by Content-Length here). */
function responses(data: Buffer): Response[] {
  const out: Response[] = [];
  let pos = 0;
  while (pos < data.length) {
    const end = data.indexOf('\r\n\r\n', pos);
    assert.notEqual(end, -1, 'truncated response: ' + JSON.stringify(data.subarray(pos).toString('latin1')));
    const lines = data.subarray(pos, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(lines[0]!);
    assert.ok(m, 'bad status line ' + JSON.stringify(lines[0]));
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 1).trim());
    }
    const length = Number(headers.get('content-length') ?? '0');
    out.push({ status: Number(m[1]), headers });
    pos = end + 4 + length;
  }
  return out;
}

async function runVector(v: Vector, piece = 0): Promise<void> {
  const port = v.limits === 'small' ? ports.small : ports.default;
  const e = v.expect;
  seen = [];
  if ('reject' in e) {
    const c = await converse(port, Buffer.concat([bytes(v), Buffer.from(CANARY)]), piece);
    const rs = responses(c.data);
    assert.equal(rs.length, 1, v.name + ': responses ' + rs.map((r) => r.status).join(','));
    assert.equal(rs[0]!.status, e.reject, v.name);
    assert.equal(rs[0]!.headers.get('connection'), 'close', v.name);
    assert.ok(c.closedByServer, v.name + ': connection left open');
    if (e.partial === true) {
      // The head was forwarded before the body broke: the upstream may have started reading it,
      // but never saw it complete, and never anything after it.
      assert.ok(seen.length <= 1, v.name + ': upstream saw ' + seen.map((s) => s.url).join(','));
      if (seen.length === 1) {
        assert.equal(seen[0]!.url, '/', v.name);
        assert.equal(seen[0]!.complete, false, v.name + ': upstream read a complete request');
      }
    } else {
      assert.deepEqual(
        seen.map((s) => s.method + ' ' + s.url),
        [],
        v.name + ': forwarded although rejected',
      );
    }
    return;
  }
  const tail = e.close === true ? '' : LAST;
  const c = await converse(port, Buffer.concat([bytes(v), Buffer.from(tail)]), piece);
  const want = e.accept.length + (tail === '' ? 0 : 1);
  assert.deepEqual(
    responses(c.data).map((r) => r.status),
    new Array(want).fill(200),
    v.name,
  );
  assert.ok(c.closedByServer, v.name + ': connection left open');
  assert.deepEqual(
    seen.map((s) => s.method + ' ' + s.url),
    [...e.accept.map((a) => a.method + ' ' + (a.upstreamTarget ?? a.target)), ...(tail === '' ? [] : ['GET /last'])],
    v.name,
  );
  for (let i = 0; i < e.accept.length; i++) {
    const a: AcceptedRequest = e.accept[i]!;
    const s = seen[i]!;
    const body = Buffer.concat(s.body).toString('latin1');
    assert.ok(s.complete, v.name + ': incomplete upstream request');
    assert.equal(body, a.body, v.name + ': body');
    const te = s.headers['transfer-encoding'];
    const cl = s.headers['content-length'];
    if (a.framing === 'length') {
      assert.equal(te, undefined, v.name);
      assert.equal(cl, String(a.body.length), v.name);
    } else if (a.framing === 'chunked') {
      assert.equal(te, 'chunked', v.name);
      assert.equal(cl, undefined, v.name);
    } else {
      assert.equal(te, undefined, v.name);
      assert.ok(cl === undefined || cl === '0', v.name + ': content-length ' + cl);
    }
    for (const [name, value] of Object.entries(a.headers ?? {})) {
      assert.equal(String(s.headers[name]), value, v.name + ': ' + name);
    }
  }
}

test('smuggling corpus end to end: status, close, and exactly the framing the parser decided upstream', async () => {
  // Every vector runs; the failures are reported together.
  const failures: string[] = [];
  for (const v of CORPUS) {
    try {
      await runVector(v);
    } catch (err) {
      failures.push(err instanceof Error ? err.message.split('\n')[0]! : String(err));
    }
  }
  assert.deepEqual(failures, [], failures.length + ' of ' + CORPUS.length + ' vectors failed');
  // Nothing forwarded by any vector carried the canary, even late.
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    everSeen.filter((u) => u.includes('canary')),
    [],
  );
});

test('smuggling corpus end to end in small writes: the connection reads heads and bodies across reads the same', async () => {
  const failures: string[] = [];
  let run = 0;
  for (const v of CORPUS) {
    if (bytes(v).length > 1024) continue;
    run++;
    try {
      await runVector(v, 1 + (run % 7));
    } catch (err) {
      failures.push(err instanceof Error ? err.message.split('\n')[0]! : String(err));
    }
  }
  assert.deepEqual(failures, [], failures.length + ' of ' + run + ' vectors failed');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    everSeen.filter((u) => u.includes('canary')),
    [],
  );
});

test('the canary is visible when it is not smuggled: a valid request followed by it reaches the upstream', async () => {
  // Guards the test itself: were the upstream unable to see the canary, the checks above would prove nothing.
  seen = [];
  const c = await converse(
    ports.default,
    Buffer.from('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi' + CANARY + LAST),
  );
  assert.deepEqual(
    responses(c.data).map((r) => r.status),
    [200, 200, 200],
  );
  assert.deepEqual(
    seen.map((s) => s.url),
    ['/', '/canary-smuggled', '/last'],
  );
});
