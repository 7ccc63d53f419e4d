// UDPRoute proxying with real datagram sockets: sessions per client, replies from the listener
// address, weighted backends per session, idle expiry, session limits and config swaps.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { listenUDP, type UDPPortConfig } from '../../../src/dataplane/l4/udp.ts';
import type { ListenerIR } from '../../../src/ir/types.ts';
import { cluster, clusters, l4route, RecordingObserver, waitUntil } from './helpers.ts';

interface UdpUpstream {
  name: string;
  port: number;
  /** Source ports datagrams arrived from (one per proxy session). */
  sources: number[];
  close(): Promise<void>;
}

/** Answers every datagram with "<name>:<payload>". */
async function udpEcho(name: string): Promise<UdpUpstream> {
  const s = dgram.createSocket('udp4');
  const sources: number[] = [];
  s.on('message', (msg, rinfo) => {
    sources.push(rinfo.port);
    s.send(name + ':' + msg.toString(), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { name, port: s.address().port, sources, close: () => new Promise((r) => s.close(() => r())) };
}

class UdpClient {
  readonly socket = dgram.createSocket('udp4');
  replies: { text: string; port: number }[] = [];
  constructor() {
    this.socket.on('message', (m, r) => this.replies.push({ text: m.toString(), port: r.port }));
  }
  async ready(): Promise<this> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    return this;
  }
  /** Sends and waits for the next reply. */
  async ask(port: number, text: string, ms = 2000): Promise<{ text: string; port: number }> {
    const n = this.replies.length;
    this.socket.send(text, port, '127.0.0.1');
    await waitUntil(() => this.replies.length > n, ms);
    return this.replies[n]!;
  }
  close(): void {
    this.socket.close();
  }
}

function udpListener(route: ReturnType<typeof l4route> | undefined): ListenerIR {
  return { name: 'default/gw/udp', sectionName: 'udp', port: 0, protocol: 'UDP', hostname: null, udpRoute: route };
}

let a: UdpUpstream;
let b: UdpUpstream;
before(async () => {
  [a, b] = await Promise.all([udpEcho('A'), udpEcho('B')]);
});
after(async () => {
  await Promise.all([a.close(), b.close()]);
});

const toA = (): UDPPortConfig => ({
  listeners: [udpListener(l4route('UDPRoute/default/u', [['ua', 1]]))],
  clusters: clusters(cluster('ua', [a.port], { protocol: 'udp' }), cluster('ub', [b.port], { protocol: 'udp' })),
});

describe('UDP proxying', () => {
  it('one session per client; replies come from the listener port', async () => {
    const srv = await listenUDP(toA());
    const c1 = await new UdpClient().ready();
    const c2 = await new UdpClient().ready();
    try {
      const before = a.sources.length;
      for (const text of ['one', 'two', 'three']) {
        const r = await c1.ask(srv.port, text);
        assert.equal(r.text, 'A:' + text);
        assert.equal(r.port, srv.port);
      }
      await c2.ask(srv.port, 'other');
      const seen = a.sources.slice(before);
      assert.equal(seen.length, 4);
      assert.equal(new Set(seen.slice(0, 3)).size, 1, 'one upstream socket for the first client');
      assert.notEqual(seen[3], seen[0], 'a second client has its own session');
      assert.equal(srv.listener.stats.sessions, 2);
    } finally {
      c1.close();
      c2.close();
      await srv.close();
    }
  });

  it('chooses a weighted backend per session', async () => {
    const srv = await listenUDP({
      listeners: [
        udpListener(
          l4route('UDPRoute/default/w', [
            ['ua', 1],
            ['ub', 1],
            ['none', 0],
          ]),
        ),
      ],
      clusters: toA().clusters,
    });
    const clients = await Promise.all(Array.from({ length: 40 }, () => new UdpClient().ready()));
    try {
      const counts: Record<string, number> = {};
      for (const c of clients) {
        const first = (await c.ask(srv.port, 'x')).text[0]!;
        // Later datagrams of a session stay with its backend.
        assert.equal((await c.ask(srv.port, 'y')).text[0], first);
        counts[first] = (counts[first] ?? 0) + 1;
      }
      assert.ok(counts.A! >= 5 && counts.B! >= 5, JSON.stringify(counts));
    } finally {
      for (const c of clients) c.close();
      await srv.close();
    }
  });

  it('sessions expire when idle; the next datagram opens a new one', async () => {
    const obs = new RecordingObserver();
    const srv = await listenUDP(toA(), { sessionIdleMs: 100, observer: obs });
    const c = await new UdpClient().ready();
    try {
      const before = a.sources.length;
      await c.ask(srv.port, 'first');
      assert.equal(srv.listener.stats.sessions, 1);
      await waitUntil(() => srv.listener.stats.sessions === 0, 2000);
      assert.equal(obs.records.length, 1);
      const r = obs.records[0]!;
      assert.deepEqual(
        [r.protocol, r.route, r.upstreamCluster, r.bytesReceived, r.bytesSent],
        ['UDP', 'UDPRoute/default/u', 'ua', 5, 7],
      );
      assert.deepEqual(obs.opened, obs.closed);
      await c.ask(srv.port, 'again');
      const ports = a.sources.slice(before);
      assert.notEqual(ports[1], ports[0], 'a new upstream socket after expiry');
    } finally {
      c.close();
      await srv.close();
    }
  });

  it('traffic keeps a session alive past the idle time', async () => {
    const srv = await listenUDP(toA(), { sessionIdleMs: 150 });
    const c = await new UdpClient().ready();
    try {
      const before = a.sources.length;
      for (let i = 0; i < 6; i++) {
        await c.ask(srv.port, 'tick' + i);
        await new Promise((r) => setTimeout(r, 60));
      }
      assert.equal(new Set(a.sources.slice(before)).size, 1);
    } finally {
      c.close();
      await srv.close();
    }
  });

  it('drops datagrams beyond the session limit and for invalid backends', async () => {
    const srv = await listenUDP(toA(), { maxSessions: 1 });
    const c1 = await new UdpClient().ready();
    const c2 = await new UdpClient().ready();
    try {
      await c1.ask(srv.port, 'in');
      await assert.rejects(c2.ask(srv.port, 'out', 200));
      assert.equal(srv.listener.stats.dropped, 1);
      srv.listener.update({ listeners: [udpListener(l4route('r', [[null, 1]]))], clusters: clusters() });
      // c1's endpoint is gone from the new version: its session is closed, and nothing replaces it.
      assert.equal(srv.listener.stats.sessions, 0);
      await assert.rejects(c1.ask(srv.port, 'nowhere', 200));
      assert.equal(srv.listener.stats.dropped, 2);
    } finally {
      c1.close();
      c2.close();
      await srv.close();
    }
  });

  it('close() ends every session and ignores later datagrams', async () => {
    const obs = new RecordingObserver();
    const srv = await listenUDP(toA(), { observer: obs });
    const c = await new UdpClient().ready();
    try {
      await c.ask(srv.port, 'hi');
      srv.listener.close();
      assert.equal(srv.listener.stats.sessions, 0);
      assert.equal(obs.records.length, 1);
      srv.listener.handleMessage(Buffer.from('late'), { address: '127.0.0.1', port: 9, family: 'IPv4', size: 4 });
      assert.equal(srv.listener.stats.sessions, 0);
    } finally {
      c.close();
      await srv.close();
    }
  });

  it('update keeps sessions whose endpoint still exists', async () => {
    const srv = await listenUDP(toA());
    const old = await new UdpClient().ready();
    try {
      const before = a.sources.length;
      await old.ask(srv.port, 'before');
      // Same clusters, the route now points new sessions at B.
      srv.listener.update({
        listeners: [udpListener(l4route('UDPRoute/default/u', [['ub', 1]]))],
        clusters: toA().clusters,
      });
      assert.equal((await old.ask(srv.port, 'after')).text, 'A:after');
      assert.equal(new Set(a.sources.slice(before)).size, 1, 'same session');
      const fresh = await new UdpClient().ready();
      assert.equal((await fresh.ask(srv.port, 'new')).text, 'B:new');
      fresh.close();
      // Now A's cluster disappears: the old session is closed, its next datagram goes to B.
      srv.listener.update({
        listeners: [udpListener(l4route('UDPRoute/default/u', [['ub', 1]]))],
        clusters: clusters(cluster('ub', [b.port], { protocol: 'udp' })),
      });
      assert.equal((await old.ask(srv.port, 'moved')).text, 'B:moved');
    } finally {
      old.close();
      await srv.close();
    }
  });
});
