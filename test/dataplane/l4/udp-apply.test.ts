// A UDP port that stays across versions: sockets for Gateway addresses that appear are bound
// before apply() resolves, and an address that cannot be bound (here: another process holds it)
// is reported for the listeners it would serve while the port's other addresses keep answering.
// (An address this host does not have at all is not an error: no datagram can arrive for it.)
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { createDataPlane } from '../../../src/dataplane/index.ts';
import type { GatewayIR, IR } from '../../../src/ir/types.ts';
import { freePort } from '../helpers.ts';
import { cluster, l4route, udpConnectedRoundTrip, udpEcho } from './helpers.ts';

function udpGateway(name: string, port: number, echoPort: number, addresses: string[]): GatewayIR {
  return {
    name: `default/${name}`,
    namespace: 'default',
    gatewayClassName: 'portunus',
    addresses,
    listeners: [
      {
        name: `default/${name}/udp`,
        sectionName: 'udp',
        port,
        protocol: 'UDP',
        hostname: null,
        udpRoute: l4route(`UDPRoute/default/${name}`, [[name, 1]]),
      },
    ],
    clusters: [cluster(name, [echoPort], { protocol: 'udp' })],
  };
}

const ir = (...gateways: GatewayIR[]): IR => ({ apiVersion: 'portunus.dev/ir/v1', gateways });

test('UDP: an address added to a served port answers as soon as apply resolves; one that cannot be bound is reported', async () => {
  const [a, b, c] = await Promise.all([udpEcho('A:'), udpEcho('B:'), udpEcho('C:')]);
  const dp = createDataPlane({ bindAddress: '0.0.0.0' });
  const port = await freePort();
  // Another process's socket holds 127.0.0.3 on that port exclusively.
  const blocker = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  await new Promise<void>((resolve) => blocker.bind(port, '127.0.0.3', resolve));
  try {
    assert.deepEqual((await dp.apply(ir(udpGateway('a', port, a.port, ['127.0.0.2'])), 'v1')).errors, []);
    assert.equal(await udpConnectedRoundTrip('127.0.0.2', port, 'x'), 'A:x');

    const res = await dp.apply(
      ir(
        udpGateway('a', port, a.port, ['127.0.0.2']),
        udpGateway('b', port, b.port, ['127.0.0.4']),
        udpGateway('c', port, c.port, ['127.0.0.3']),
      ),
      'v2',
    );
    assert.deepEqual(
      res.errors.map((e) => [e.listener, e.port, e.code]),
      [['default/c/udp', port, 'EADDRINUSE']],
    );
    assert.match(res.errors[0]!.message, /127\.0\.0\.3/);
    // No retry: the new address's socket was bound before apply resolved.
    assert.equal(await udpConnectedRoundTrip('127.0.0.4', port, 'y', 1000), 'B:y');
    assert.equal(await udpConnectedRoundTrip('127.0.0.2', port, 'z', 1000), 'A:z');

    // The unusable address goes away with the Gateway naming it, and so does the error.
    const res3 = await dp.apply(
      ir(udpGateway('a', port, a.port, ['127.0.0.2']), udpGateway('b', port, b.port, ['127.0.0.4'])),
      'v3',
    );
    assert.deepEqual(res3.errors, []);
  } finally {
    await dp.close({ graceMs: 0 });
    blocker.close();
    for (const e of [a, b, c]) e.socket.close();
  }
});
