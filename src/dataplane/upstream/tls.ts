// Upstream TLS (BackendTLSPolicy): connection options from the IR, including the certificate
// identity check against the configured subjectAltNames (or the SNI name when none are given).
import type tls from 'node:tls';
import { lazyTls } from '../builtins.ts';
import type { UpstreamTLSIR } from '../../ir/types.ts';
import { identityCheck } from '../tls/upstream.ts';
import type { EndpointAddress } from './pool.ts';

export function tlsConnect(a: EndpointAddress, t: UpstreamTLSIR, alpn: string[]): tls.TLSSocket {
  const ca = t.useSystemCAs ? [...lazyTls().rootCertificates, ...t.caPem] : t.caPem;
  const opts: tls.ConnectionOptions = {
    servername: t.serverName,
    // Always an explicit list: an empty one trusts nothing (a BackendTLSPolicy without a usable CA
    // must fail the handshake), where an absent one would fall back to Node's bundled CAs.
    ca,
    rejectUnauthorized: t.insecureSkipVerify !== true,
    checkServerIdentity: identityCheck(t),
    ALPNProtocols: alpn,
  };
  if (t.clientCertificate !== undefined) {
    opts.cert = t.clientCertificate.certPem;
    opts.key = t.clientCertificate.keyPem;
  }
  if (a.unixPath !== undefined) opts.path = a.unixPath;
  else {
    opts.host = a.host;
    opts.port = a.port;
  }
  return lazyTls().connect(opts);
}
