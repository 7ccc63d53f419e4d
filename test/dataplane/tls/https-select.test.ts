// HTTPS certificate choice on a port shared by Gateways with their own addresses: with the
// connection's local address, selectContext only offers the certificates of the Gateways reachable
// there, even when two Gateways' certificates cover the same name. Real handshakes through a
// tls.Server whose SNICallback reads the accepted socket's local address.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { compilePortTLS, type PortTLS, selectContext } from '../../../src/dataplane/https.ts';
import type { ListenerIR } from '../../../src/ir/types.ts';
import { type CA, certIR, type Leaf, makeCA } from './certs.ts';

let ca: CA;
let certA: Leaf;
let certB: Leaf;
let certAny: Leaf;

before(() => {
  ca = makeCA('https-select-ca');
  certA = ca.issue('gateway-a', ['DNS:*.example.com']);
  certB = ca.issue('gateway-b', ['DNS:*.example.com']);
  certAny = ca.issue('gateway-any', ['DNS:any.example.net']);
});

function https(name: string, leaf: Leaf, dnsNames: string[]): ListenerIR {
  return {
    name,
    sectionName: 'https',
    port: 443,
    protocol: 'HTTPS',
    hostname: null,
    tls: { mode: 'Terminate', certificates: [certIR(leaf, dnsNames, name)] },
    virtualHosts: [],
  };
}

/** A TLS server on every address choosing contexts with selectContext(…, local address). */
async function serve(t: PortTLS, withAddress: boolean): Promise<tls.Server> {
  const server = tls.createServer(
    {
      ...(t.fallbackPem ?? {}),
      SNICallback(this: tls.TLSSocket, name, cb) {
        const local = withAddress ? this.localAddress : undefined;
        cb(null, selectContext(t, name, local) ?? undefined);
      },
    },
    (s) => s.end(),
  );
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  return server;
}

function servedCN(server: tls.Server, host: string, servername: string): Promise<string> {
  const port = (server.address() as AddressInfo).port;
  return new Promise((resolve, reject) => {
    // The chain is verified; the name is not (a fallback certificate may not cover it): the CN tells.
    const s = tls.connect({ host, port, servername, ca: ca.caPem, checkServerIdentity: () => undefined });
    s.once('secureConnect', () => {
      resolve(String(s.getPeerCertificate().subject?.CN));
      s.destroy();
    });
    s.once('error', reject);
  });
}

describe('HTTPS certificates by Gateway address', () => {
  let t: PortTLS;
  const servers: tls.Server[] = [];
  before(() => {
    t = compilePortTLS(
      [
        https('default/a/https', certA, ['*.example.com']),
        https('default/b/https', certB, ['*.example.com']),
        https('default/any/https', certAny, ['any.example.net']),
      ],
      [['127.0.0.2'], ['127.0.0.3'], []],
    );
  });
  after(() => {
    for (const s of servers) s.close();
  });

  it("each address serves its own Gateway's certificate for a name both cover", async () => {
    const server = await serve(t, true);
    servers.push(server);
    assert.equal(await servedCN(server, '127.0.0.2', 'www.example.com'), 'gateway-a');
    assert.equal(await servedCN(server, '127.0.0.3', 'www.example.com'), 'gateway-b');
    // The address-less Gateway is reachable everywhere; an address no Gateway names gets only it.
    assert.equal(await servedCN(server, '127.0.0.3', 'any.example.net'), 'gateway-any');
    assert.equal(await servedCN(server, '127.0.0.1', 'www.example.com'), 'gateway-any');
  });

  it('without the local address, the first certificate for the name wins on every address', async () => {
    const server = await serve(t, false);
    servers.push(server);
    assert.equal(await servedCN(server, '127.0.0.3', 'www.example.com'), 'gateway-a');
  });

  it('an address whose Gateways terminate no TLS on the port has no certificate (the handshake is refused)', () => {
    const only = compilePortTLS([https('default/a/https', certA, ['*.example.com'])], [['127.0.0.2']]);
    assert.notEqual(selectContext(only, 'www.example.com', '127.0.0.2'), null);
    assert.equal(selectContext(only, 'www.example.com', '127.0.0.3'), null);
    // Without the address nothing changes: the port's certificates.
    assert.notEqual(selectContext(only, 'www.example.com'), null);
  });

  it('without addresses, every listener is reachable on every address (as before)', () => {
    const plain = compilePortTLS([https('default/a/https', certA, ['*.example.com'])]);
    assert.equal(plain.byAddress, null);
    assert.equal(selectContext(plain, 'x.example.com', '127.0.0.9'), selectContext(plain, 'x.example.com'));
  });
});
