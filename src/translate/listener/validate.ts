// Per-listener validation: everything that can be decided by looking at one listener alone
// (protocol, port, hostname, TLS settings and certificates, allowedRoutes). Conflicts between
// listeners are decided afterwards, in conflicts.ts, among the listeners accepted here.

import type { Resource, RouteGroupKind } from '../../api/types.ts';
import type { Diagnostic } from '../../provider/snapshot.ts';
import type { CertificateResolver } from '../certificates.ts';
import { GATEWAY_GROUP } from '../context.ts';
import type { CrossNamespaceFrom } from '../referencegrant.ts';
import {
  isSupportedProtocol,
  type ListenerState,
  routeKindsForProtocol,
  SUPPORTED_PROTOCOLS,
  type Verdict,
} from './state.ts';
import { applyTLSOptions } from './tlsoptions.ts';

const HOSTNAME_RE = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IPV4_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Returns why a listener hostname is unusable, or null. */
export function hostnameProblem(hostname: string): string | null {
  if (hostname.length > 253) return `hostname "${hostname}" is longer than 253 characters`;
  if (IPV4_RE.test(hostname) || hostname.includes(':'))
    return `hostname "${hostname}" must be a DNS name, not an IP address`;
  if (!HOSTNAME_RE.test(hostname)) {
    return `hostname "${hostname}" is not a valid DNS name (lower-case RFC 1123 labels, optionally prefixed by "*.")`;
  }
  for (const label of hostname.split('.')) {
    if (label.length > 63) return `hostname "${hostname}" has a label longer than 63 characters`;
  }
  return null;
}

function unsupported(message: string): Verdict {
  return { status: false, reason: 'UnsupportedValue', message };
}

function tlsModeOf(l: ListenerState): 'Terminate' | 'Passthrough' | string {
  return l.listener.tls?.mode ?? 'Terminate';
}

/**
 * Validates one listener in place. `from` is the object holding the listener (Gateway or
 * ListenerSet): certificate references are checked against ReferenceGrants for it.
 */
export function validateListener(
  l: ListenerState,
  certs: CertificateResolver,
  from: CrossNamespaceFrom,
  report?: CertificateProblemReporter,
): void {
  const { listener } = l;
  const protocol = listener.protocol;
  if (!isSupportedProtocol(protocol)) {
    l.accepted = {
      status: false,
      reason: 'UnsupportedProtocol',
      message: `protocol "${protocol}" is not supported; supported protocols are ${SUPPORTED_PROTOCOLS.join(', ')}`,
    };
    l.supportedKinds = [];
    return;
  }

  const problems: Verdict[] = [];
  if (!Number.isInteger(listener.port) || listener.port < 1 || listener.port > 65535) {
    problems.push({ status: false, reason: 'PortUnavailable', message: `port ${listener.port} is not in 1-65535` });
  }
  if ((protocol === 'HTTP' || protocol === 'HTTPS' || protocol === 'TLS') && listener.hostname !== undefined) {
    const p = hostnameProblem(listener.hostname);
    if (p) problems.push(unsupported(p));
  }
  problems.push(...validateTLSSettings(l));
  const ns = listener.allowedRoutes?.namespaces;
  if (ns?.from === 'Selector' && !ns.selector) {
    problems.push(
      unsupported('allowedRoutes.namespaces.selector must be set when allowedRoutes.namespaces.from is Selector'),
    );
  } else if (ns?.from !== undefined && !['All', 'Same', 'Selector', 'None'].includes(ns.from)) {
    problems.push(unsupported(`allowedRoutes.namespaces.from "${ns.from}" is not one of All, Same, Selector`));
  }
  if (problems.length > 0) l.accepted = problems[0]!;

  // ResolvedRefs: invalid route kinds first, then certificate references; one condition, every cause in the message.
  const refProblems: Verdict[] = [];
  const kinds = resolveRouteKinds(protocol, listener.allowedRoutes?.kinds);
  l.supportedKinds = kinds.supported;
  if (kinds.supported.length === 0 && l.accepted.status) {
    l.notProgrammed = {
      status: false,
      reason: 'Invalid',
      message: 'Listener supports no route kind (see ResolvedRefs)',
    };
  }
  if (kinds.invalid.length > 0) {
    refProblems.push({
      status: false,
      reason: 'InvalidRouteKinds',
      message: `route kinds ${kinds.invalid.join(', ')} are not supported on a ${protocol} listener (supported: ${routeKindsForProtocol(protocol).join(', ')})`,
    });
  }
  if (problems.length === 0 && (protocol === 'HTTPS' || protocol === 'TLS')) {
    refProblems.push(...resolveCertificates(l, certs, from, report));
  }
  if (refProblems.length > 0) {
    l.resolvedRefs = {
      status: false,
      reason: refProblems[0]!.reason,
      message: refProblems.map((p) => p.message).join('; '),
    };
  }
}

function validateTLSSettings(l: ListenerState): Verdict[] {
  const { protocol, tls } = l.listener;
  if (protocol === 'HTTP' || protocol === 'TCP' || protocol === 'UDP') {
    return tls ? [unsupported(`tls must not be set on a ${protocol} listener`)] : [];
  }
  if (!tls) return [unsupported(`tls is required on a ${protocol} listener`)];
  const mode = tlsModeOf(l);
  if (mode !== 'Terminate' && mode !== 'Passthrough')
    return [unsupported(`tls.mode "${mode}" is not Terminate or Passthrough`)];
  if (protocol === 'HTTPS' && mode === 'Passthrough') {
    return [unsupported('tls.mode Passthrough is only valid on TLS listeners; HTTPS listeners terminate TLS')];
  }
  if (mode === 'Terminate' && (tls.certificateRefs ?? []).length === 0) {
    return [unsupported('tls.certificateRefs must name at least one certificate when tls.mode is Terminate')];
  }
  return [];
}

/**
 * Told about each certificateRef a listener cannot use (field path under the listener, message), so
 * the caller can log it against its resource: status alone is easy to miss while the other listeners
 * keep serving.
 */
export type CertificateProblemReporter = (l: ListenerState, field: string, message: string, reason: string) => void;

/** A reporter that records each problem as an error diagnostic on `owner` (Gateway or ListenerSet). */
export function certificateDiagnostics(diagnostics: Diagnostic[], owner: Resource): CertificateProblemReporter {
  return (l, field, message, reason) =>
    diagnostics.push({
      severity: 'error',
      code: reason === 'RefNotPermitted' ? 'CERTIFICATE_REF_NOT_PERMITTED' : 'INVALID_CERTIFICATE_REF',
      message,
      resource: { kind: owner.kind, namespace: owner.metadata.namespace, name: owner.metadata.name },
      field: `spec.listeners[${l.index}].${field}`,
    });
}

/** Resolves certificateRefs into l.certificates and l.ir.tls; returns one problem per bad reference. */
function resolveCertificates(
  l: ListenerState,
  certs: CertificateResolver,
  from: CrossNamespaceFrom,
  report: CertificateProblemReporter | undefined,
): Verdict[] {
  const mode = tlsModeOf(l) as 'Terminate' | 'Passthrough';
  if (mode === 'Passthrough') {
    // certificateRefs are ignored in Passthrough mode (spec): nothing to resolve.
    l.ir.tls = { mode, certificates: [] };
    // Passthrough does not do TLS itself, so TLS settings do not apply; they are not an error.
    return [];
  }
  const problems: Verdict[] = [];
  const seen = new Set<string>();
  for (const [i, ref] of (l.listener.tls?.certificateRefs ?? []).entries()) {
    const r = certs.resolve(ref, from);
    if (!r.ok) {
      problems.push({ status: false, reason: r.reason, message: `certificateRefs[${i}]: ${r.message}` });
      report?.(
        l,
        `tls.certificateRefs[${i}]`,
        `listener "${l.listener.name}" has an unusable certificate: ${r.message}`,
        r.reason,
      );
      continue;
    }
    if (seen.has(r.certificate.source)) continue;
    seen.add(r.certificate.source);
    // A copy per listener: the IR is plain data without shared references (YAML would alias them).
    l.certificates.push({ ...r.certificate, dnsNames: [...r.certificate.dnsNames] });
  }
  l.ir.tls = { mode, certificates: l.certificates };
  const optionProblem = applyTLSOptions(l.ir.tls, l.listener.tls?.options);
  if (optionProblem) l.accepted = optionProblem;
  if (l.certificates.length === 0) {
    l.notProgrammed = {
      status: false,
      reason: 'Invalid',
      message: 'Listener has no valid certificate to serve (see the ResolvedRefs condition)',
    };
  }
  return problems;
}

/** Splits allowedRoutes.kinds into the kinds this listener supports and the ones it cannot. */
export function resolveRouteKinds(
  protocol: string,
  requested: RouteGroupKind[] | undefined,
): { supported: RouteGroupKind[]; invalid: string[] } {
  const valid = routeKindsForProtocol(protocol);
  if (!requested || requested.length === 0) {
    return { supported: valid.map((kind) => ({ group: GATEWAY_GROUP, kind })), invalid: [] };
  }
  const supported: RouteGroupKind[] = [];
  const invalid: string[] = [];
  for (const rk of requested) {
    const group = rk.group ?? GATEWAY_GROUP;
    if (group === GATEWAY_GROUP && valid.includes(rk.kind)) {
      if (!supported.some((s) => s.kind === rk.kind)) supported.push({ group, kind: rk.kind });
    } else {
      invalid.push(group === GATEWAY_GROUP ? rk.kind : `${rk.kind}.${group || 'core'}`);
    }
  }
  return { supported, invalid };
}
