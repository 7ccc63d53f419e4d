// Frontend TLS client-certificate validation (Gateway spec.tls.frontend): the CA bundles HTTPS
// listeners verify client certificates against. A per-port entry overrides the default; the older
// per-listener tls.frontendValidation is honoured when the Gateway sets neither.

import type { FrontendTLSValidation, Gateway } from '../../api/types.ts';
import type { CertificateResolver } from '../certificates.ts';
import { GATEWAY_GROUP } from '../context.ts';
import type { ListenerState, Verdict } from './state.ts';

export function frontendValidationFor(gateway: Gateway, l: ListenerState): FrontendTLSValidation | undefined {
  const frontend = gateway.spec?.tls?.frontend;
  const perPort = frontend?.perPort?.find((p) => p.port === l.listener.port);
  return perPort?.tls?.validation ?? frontend?.default?.validation ?? l.listener.tls?.frontendValidation;
}

/**
 * Applies client-certificate validation to an accepted HTTPS listener: every bad CA reference
 * makes ResolvedRefs False (InvalidCACertificateRef / InvalidCACertificateKind / RefNotPermitted);
 * when none is usable the listener is not accepted (NoValidCACertificate), since serving it
 * without the requested validation would be wrong. The Gateway holds the references.
 */
export function applyFrontendValidation(gateway: Gateway, l: ListenerState, certs: CertificateResolver): void {
  if (l.listener.protocol !== 'HTTPS' || !l.accepted.status || !l.ir.tls) return;
  const validation = frontendValidationFor(gateway, l);
  if (!validation) return;
  const from = { group: GATEWAY_GROUP, kind: 'Gateway', namespace: gateway.metadata.namespace ?? 'default' };
  const caPem: string[] = [];
  const problems: Verdict[] = [];
  for (const [i, ref] of (validation.caCertificateRefs ?? []).entries()) {
    const r = certs.resolveCA(ref, from);
    if (r.ok) caPem.push(r.pem);
    else problems.push({ status: false, reason: r.reason, message: `caCertificateRefs[${i}]: ${r.message}` });
  }
  if (problems.length > 0) {
    const message = problems.map((p) => p.message).join('; ');
    l.resolvedRefs = l.resolvedRefs.status
      ? { status: false, reason: problems[0]!.reason, message }
      : { ...l.resolvedRefs, message: `${l.resolvedRefs.message}; ${message}` };
  }
  if (caPem.length === 0) {
    l.accepted = {
      status: false,
      reason: 'NoValidCACertificate',
      message: 'client certificate validation is configured but no CA certificate reference is usable',
    };
    return;
  }
  l.ir.tls.clientValidation = { caPem, mode: validation.mode ?? 'AllowValidOnly' };
}

/** Gateway condition InsecureFrontendValidationMode: present (True) only while a fallback is configured. */
export function insecureFrontendValidation(gateway: Gateway): Verdict | null {
  const frontend = gateway.spec?.tls?.frontend;
  const modes = [frontend?.default?.validation?.mode, ...(frontend?.perPort ?? []).map((p) => p.tls?.validation?.mode)];
  if (!modes.includes('AllowInsecureFallback')) return null;
  return {
    status: true,
    reason: 'ConfigurationChanged',
    message: 'client certificate validation allows clients without a valid certificate (AllowInsecureFallback)',
  };
}
