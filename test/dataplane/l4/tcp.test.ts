// TCPRoute proxying over real sockets: echo, half-close both ways, weights, endpoint choice,
// invalid backends, connect and idle timeouts, connection limits, observer records, swaps, close.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listen } from '../../../src/dataplane/l4/tcp.ts';
import {
  cluster,
  clusters,
  echoUpstream,
  LineClient,
  l4route,
  RecordingObserver,
  tcpListener,
  type Upstream,
  waitUntil,
} from './helpers.ts';

let a: Upstream;
let b: Upstream;
let c: Upstream;
before(async () => {
  [a, b, c] = await Promise.all([echoUpstream('A'), echoUpstream('B'), echoUpstream('C')]);
});
after(async () => {
  await Promise.all([a.close(), b.close(), c.close()]);
});

function single(up: Upstream, extra = {}) {
  return {
    listeners: [tcpListener(0, l4route('TCPRoute/default/r', [['ca', 1]]))],
    clusters: clusters(cluster('ca', [up.port], extra)),
  };
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('TCP proxying', () => {
  it('pipes both ways and passes the client FIN on while the reply keeps flowing', async () => {
    const srv = await listen(single(a));
    try {
      const cl = LineClient.tcp(srv.port);
      assert.equal(await cl.backend(), 'A');
      cl.socket.write('ping\n');
      await cl.waitFor(/ping\n/);
      cl.socket.end('last\n');
      // The upstream saw our FIN (it answers "bye" only on 'end') and could still write to us.
      await cl.waitFor(/bye A 10\n/);
      assert.ok(await cl.closed);
      assert.ok(cl.ended);
    } finally {
      await srv.close();
    }
  });

  it('passes the upstream FIN on while the client keeps sending', async () => {
    const srv = await listen(single(b));
    try {
      const cl = LineClient.tcp(srv.port);
      await cl.backend();
      cl.socket.write('SHUT\n');
      await waitUntil(() => cl.ended);
      assert.ok(!cl.socket.destroyed, 'our side is still open');
      const before = b.afterEnd.length;
      cl.socket.write('after-fin\n');
      await waitUntil(() => b.afterEnd.length > before);
      assert.equal(b.afterEnd.at(-1), 'after-fin\n');
      cl.socket.end();
      await cl.closed;
    } finally {
      await srv.close();
    }
  });

  it('moves a large stream with backpressure intact', async () => {
    const srv = await listen(single(a));
    try {
      const cl = LineClient.tcp(srv.port);
      await cl.backend();
      const chunk = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 64; i++) cl.socket.write(chunk);
      cl.socket.end();
      await cl.waitFor(/bye A 4194304\n/, 10000);
      assert.equal(cl.text.length, 'hello A - -\n'.length + 4 * 1024 * 1024 + 'bye A 4194304\n'.length);
    } finally {
      await srv.close();
    }
  });

  it('splits connections by backend weight', async () => {
    const srv = await listen({
      listeners: [
        tcpListener(
          0,
          l4route('TCPRoute/default/w', [
            ['ca', 1],
            ['cb', 3],
            ['cc', 0],
          ]),
        ),
      ],
      clusters: clusters(cluster('ca', [a.port]), cluster('cb', [b.port]), cluster('cc', [c.port])),
    });
    try {
      const counts: Record<string, number> = { A: 0, B: 0, C: 0 };
      for (let round = 0; round < 8; round++) {
        const batch = Array.from({ length: 50 }, () => LineClient.tcp(srv.port));
        for (const cl of batch) {
          counts[await cl.backend()]!++;
          cl.socket.destroy();
        }
      }
      assert.equal(counts.C, 0, 'weight 0 never chosen');
      // 400 draws with p = 0.25: mean 100, sd ~8.7; ±40 is beyond 4.5 sd.
      assert.ok(counts.A! > 60 && counts.A! < 140, JSON.stringify(counts));
      assert.equal(counts.A! + counts.B!, 400);
    } finally {
      await srv.close();
    }
  });

  it('round robin and least connections among ready endpoints', async () => {
    const eps = [a.port, b.port, c.port];
    const rr = await listen({
      listeners: [tcpListener(0, l4route('r', [['x', 1]]))],
      clusters: clusters(
        cluster('x', eps, {
          loadBalancer: 'RoundRobin',
          endpoints: [
            ...eps.map((port) => ({ address: '127.0.0.1', port, ready: true })),
            { address: '127.0.0.1', port: 1, ready: false },
          ],
        }),
      ),
    });
    try {
      const seen: string[] = [];
      for (let i = 0; i < 6; i++) {
        const cl = LineClient.tcp(rr.port);
        seen.push(await cl.backend());
        cl.socket.destroy();
      }
      assert.deepEqual(seen, ['A', 'B', 'C', 'A', 'B', 'C']);
    } finally {
      await rr.close();
    }
    const lc = await listen({
      listeners: [tcpListener(0, l4route('r', [['x', 1]]))],
      clusters: clusters(cluster('x', [a.port, b.port])),
    });
    try {
      const first = LineClient.tcp(lc.port);
      const second = LineClient.tcp(lc.port);
      const names = [await first.backend(), await second.backend()].sort();
      assert.deepEqual(names, ['A', 'B']);
      // Hold A's connection; B's goes away: the next two both go to B (fewest open connections).
      const holdA = (await first.backend()) === 'A' ? first : second;
      const other = holdA === first ? second : first;
      other.socket.destroy();
      await waitUntil(() => lc.listener.connections === 1);
      const n1 = LineClient.tcp(lc.port);
      assert.equal(await n1.backend(), 'B');
      const n2 = LineClient.tcp(lc.port);
      // Now A and B have one each: either is fine, but it must not be a third on one side.
      const n2name = await n2.backend();
      const n3 = LineClient.tcp(lc.port);
      const n3name = await n3.backend();
      assert.notEqual(n2name, n3name);
      for (const cl of [holdA, n1, n2, n3]) cl.socket.destroy();
    } finally {
      await lc.close();
    }
  });

  it('reaches unix-socket and DNS-named endpoints', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portunus-l4-'));
    const sockPath = path.join(dir, 'echo.sock');
    const unixServer = net.createServer((s) => s.end('hello U\n'));
    await new Promise<void>((r) => unixServer.listen(sockPath, r));
    const srv = await listen({
      listeners: [tcpListener(0, l4route('r', [['unix', 1]]))],
      clusters: clusters(
        cluster('unix', [], { endpoints: [{ address: '', port: 0, unixPath: sockPath, ready: true }] }),
        cluster('dns', [], { discovery: 'dns', endpoints: [{ address: 'localhost', port: a.port, ready: true }] }),
      ),
    });
    try {
      const viaUnix = LineClient.tcp(srv.port);
      assert.equal(await viaUnix.backend(), 'U');
      viaUnix.socket.destroy();
      srv.listener.update({
        listeners: [tcpListener(0, l4route('r', [['dns', 1]]))],
        clusters: clusters(
          cluster('dns', [], { discovery: 'dns', endpoints: [{ address: 'localhost', port: a.port, ready: true }] }),
        ),
      });
      const viaDns = LineClient.tcp(srv.port);
      assert.equal(await viaDns.backend(), 'A');
      viaDns.socket.destroy();
    } finally {
      await srv.close();
      unixServer.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('closes connections for invalid backends, empty clusters and missing routes, with flags', async () => {
    const obs = new RecordingObserver();
    const srv = await listen(
      {
        listeners: [tcpListener(0, l4route('TCPRoute/default/bad', [[null, 1]]))],
        clusters: clusters(),
      },
      { observer: obs },
    );
    try {
      const cases: [ReturnType<typeof single>, string][] = [
        [{ listeners: [tcpListener(0, l4route('r', [[null, 1]]))], clusters: clusters() }, 'IB'],
        [{ listeners: [tcpListener(0, l4route('r', [['gone', 1]]))], clusters: clusters() }, 'IB'],
        [{ listeners: [tcpListener(0, l4route('r', [['empty', 1]]))], clusters: clusters(cluster('empty', [])) }, 'UH'],
        [{ listeners: [tcpListener(0, undefined)], clusters: clusters() }, 'NR'],
        [
          {
            listeners: [tcpListener(0, l4route('r', [['x', 1]]))],
            clusters: clusters(cluster('x', [await closedPort()])),
          },
          'UF',
        ],
      ];
      for (const [config, flag] of cases) {
        srv.listener.update(config);
        const cl = LineClient.tcp(srv.port);
        await cl.done;
        assert.equal(cl.text, '');
        cl.socket.destroy();
        await waitUntil(() => obs.records.length > 0);
        assert.equal(obs.records.pop()!.responseFlags, flag);
      }
    } finally {
      await srv.close();
    }
  });

  it('connect timeout: an upstream that never completes its handshake', async () => {
    // A TLS cluster pointed at a server that accepts and stays silent: TCP connects, TLS never does.
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const obs = new RecordingObserver();
    const tlsIR = { serverName: 'x', caPem: [], useSystemCAs: true, subjectAltNames: [] };
    const srv = await listen(single({ port: (silent.address() as net.AddressInfo).port } as Upstream, { tls: tlsIR }), {
      observer: obs,
      connectTimeoutMs: 150,
    });
    try {
      const t0 = Date.now();
      const cl = LineClient.tcp(srv.port);
      await cl.done;
      cl.socket.destroy();
      assert.ok(Date.now() - t0 >= 140, 'closed after the timeout, not before');
      await waitUntil(() => obs.records.length === 1);
      assert.equal(obs.records[0]!.responseFlags, 'UF');
    } finally {
      await srv.close();
      silent.close();
    }
  });

  it('idle timeout closes quiet connections, traffic keeps them open', async () => {
    const obs = new RecordingObserver();
    const srv = await listen(single(a), { idleTimeoutMs: 200, observer: obs });
    try {
      const busy = LineClient.tcp(srv.port);
      await busy.backend();
      const quiet = LineClient.tcp(srv.port);
      await quiet.backend();
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 80));
        busy.socket.write('tick\n');
      }
      assert.ok(!busy.socket.destroyed, 'busy connection survives');
      await quiet.done;
      quiet.socket.destroy();
      assert.ok(obs.records.some((r) => r.responseFlags === 'SI'));
      busy.socket.destroy();
    } finally {
      await srv.close();
    }
  });

  it('connection limit per listener', async () => {
    const obs = new RecordingObserver();
    const srv = await listen(single(a), { maxConnectionsPerListener: 2, observer: obs });
    try {
      const one = LineClient.tcp(srv.port);
      const two = LineClient.tcp(srv.port);
      await one.backend();
      await two.backend();
      const three = LineClient.tcp(srv.port);
      await three.done;
      three.socket.destroy();
      assert.equal(three.text, '');
      assert.equal(obs.records.at(-1)?.responseFlags, 'UO');
      one.socket.destroy();
      await waitUntil(() => srv.listener.connections === 1);
      const four = LineClient.tcp(srv.port);
      assert.equal(await four.backend(), 'A');
      two.socket.destroy();
      four.socket.destroy();
    } finally {
      await srv.close();
    }
  });

  it('reports each connection to the observer', async () => {
    const obs = new RecordingObserver();
    const srv = await listen(single(b), { observer: obs });
    try {
      const cl = LineClient.tcp(srv.port);
      await cl.backend();
      cl.socket.end('12345');
      await cl.closed;
      await waitUntil(() => obs.records.length === 1);
      const r = obs.records[0]!;
      assert.deepEqual(obs.opened, ['default/gw/tcp']);
      assert.deepEqual(obs.closed, ['default/gw/tcp']);
      assert.equal(r.protocol, 'TCP');
      assert.equal(r.route, 'TCPRoute/default/r');
      assert.equal(r.upstreamCluster, 'ca');
      assert.equal(r.upstreamHost, '127.0.0.1:' + b.port);
      assert.equal(r.listener, 'default/gw/tcp');
      assert.equal(r.responseFlags, '-');
      assert.equal(r.downstreamRemoteAddress, '127.0.0.1');
      assert.equal(r.bytesReceived, 5);
      assert.equal(r.bytesSent, cl.text.length);
      assert.ok(r.upstreamLatencyMs >= 0);
    } finally {
      await srv.close();
    }
  });

  it('update: new connections follow the new version, open ones stay', async () => {
    const srv = await listen(single(a));
    try {
      const old = LineClient.tcp(srv.port);
      assert.equal(await old.backend(), 'A');
      srv.listener.update(single(c));
      const fresh = LineClient.tcp(srv.port);
      assert.equal(await fresh.backend(), 'C');
      old.socket.write('still\n');
      await old.waitFor(/still\n/);
      old.socket.destroy();
      fresh.socket.destroy();
    } finally {
      await srv.close();
    }
  });

  it('close(grace): refuses new connections and ends open ones after the grace period', async () => {
    const srv = await listen(single(a));
    const cl = LineClient.tcp(srv.port);
    await cl.backend();
    const t0 = Date.now();
    const closing = srv.close(150);
    await cl.done;
    cl.socket.destroy();
    await closing;
    assert.ok(Date.now() - t0 >= 140);
    assert.equal(srv.listener.connections, 0);
  });
});
