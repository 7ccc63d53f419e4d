// Upstream TLS (BackendTLSPolicy): connection options from the IR, including the certificate
// identity check against the configured subjectAltNames (or the SNI name when none are given).
import tls from 'node:tls';
import type { UpstreamTLSIR } from '../../ir/types.ts';
import type { EndpointAddress } from './pool.ts';

function checkIdentity(t: UpstreamTLSIR): (host: string, cert: tls.PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    if (t.subjectAltNames.length === 0) return tls.checkServerIdentity(t.serverName, cert);
    const sans = (cert.subjectaltname ?? '').split(',').map((s) => s.trim());
    for (const san of t.subjectAltNames) {
      if (san.type === 'URI' && sans.includes('URI:' + san.value)) return undefined;
      if (san.type === 'Hostname' && tls.checkServerIdentity(san.value, cert) === undefined) return undefined;
    }
    return new Error('upstream certificate does not match the configured subjectAltNames');
  };
}

export function tlsConnect(a: EndpointAddress, t: UpstreamTLSIR, alpn: string[]): tls.TLSSocket {
  const ca = t.useSystemCAs ? [...tls.rootCertificates, ...t.caPem] : t.caPem;
  const opts: tls.ConnectionOptions = {
    servername: t.serverName,
    ca: ca.length > 0 ? ca : undefined,
    rejectUnauthorized: t.insecureSkipVerify !== true,
    checkServerIdentity: checkIdentity(t),
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
  return tls.connect(opts);
}
