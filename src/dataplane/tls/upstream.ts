// Upstream TLS (BackendTLSPolicy) compiled once per cluster version: one secure context holding the
// trusted CAs and the client certificate, plus the identity check. Connections only add the target.
//
// Trust: caPem, plus the system roots when useSystemCAs; neither means nothing is trusted (every
// handshake fails verification) rather than silently falling back to the system roots.
// Identity: when subjectAltNames are given the certificate must carry one of them (Hostname: DNS
// match with wildcard rules; URI: exact); otherwise it must be valid for serverName.
import type tls from 'node:tls';
import { lazyTls } from '../builtins.ts';
import type { UpstreamTLSIR } from '../../ir/types.ts';

export interface UpstreamTLS {
  readonly ir: UpstreamTLSIR;
  readonly fingerprint: string;
  readonly secureContext: tls.SecureContext;
  readonly checkServerIdentity: (host: string, cert: tls.PeerCertificate) => Error | undefined;
}

export interface UpstreamTarget {
  host: string;
  port: number;
  unixPath?: string;
}

export function compileUpstreamTLS(t: UpstreamTLSIR): UpstreamTLS {
  const ca = t.useSystemCAs ? [...lazyTls().rootCertificates, ...t.caPem] : t.caPem;
  const secureContext = lazyTls().createSecureContext({
    ca,
    cert: t.clientCertificate?.certPem,
    key: t.clientCertificate?.keyPem,
  });
  return { ir: t, fingerprint: JSON.stringify(t), secureContext, checkServerIdentity: identityCheck(t) };
}

export function identityCheck(t: UpstreamTLSIR): (host: string, cert: tls.PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    if (t.subjectAltNames.length === 0) return lazyTls().checkServerIdentity(t.serverName, cert);
    const sans = (cert.subjectaltname ?? '').split(',').map((s) => s.trim());
    for (const san of t.subjectAltNames) {
      if (san.type === 'URI' && sans.includes('URI:' + san.value)) return undefined;
      if (san.type === 'Hostname' && lazyTls().checkServerIdentity(san.value, cert) === undefined) return undefined;
    }
    const err = new Error('upstream certificate matches none of the subjectAltNames') as NodeJS.ErrnoException;
    err.code = 'ERR_TLS_CERT_ALTNAME_INVALID';
    return err;
  };
}

/** Starts a TLS connection to `target`; listen for 'secureConnect' (verified) or 'error'. */
export function connectUpstreamTLS(u: UpstreamTLS, target: UpstreamTarget, alpn?: string[]): tls.TLSSocket {
  const opts: tls.ConnectionOptions = {
    secureContext: u.secureContext,
    servername: u.ir.serverName !== '' ? u.ir.serverName : undefined,
    rejectUnauthorized: u.ir.insecureSkipVerify !== true,
    checkServerIdentity: u.checkServerIdentity,
    ALPNProtocols: alpn,
  };
  if (target.unixPath !== undefined) opts.path = target.unixPath;
  else {
    opts.host = target.host;
    opts.port = target.port;
  }
  const socket = lazyTls().connect(opts);
  // Layer-4 proxying passes half-closes on; node:tls has no connect option for it.
  socket.allowHalfOpen = true;
  return socket;
}
