// Session persistence: a token naming the cluster and endpoint that served the first request,
// returned as a cookie or header and honoured on later requests while that endpoint is ready.
import type { SessionPersistenceIR } from '../ir/types.ts';
import type { CompiledBackend } from './config.ts';
import { getHeader } from './headers.ts';
import type { Cluster, Pool } from './upstream/cluster.ts';

export function sessionToken(cluster: Cluster, pool: Pool): string {
  return Buffer.from(cluster.name + '\n' + pool.label).toString('base64url');
}

function cookieValue(cookieHeader: string, name: string): string | undefined {
  for (const part of cookieHeader.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function findSession(
  s: SessionPersistenceIR,
  headers: readonly string[],
  backends: readonly CompiledBackend[],
): { backend: CompiledBackend; pool: Pool } | null {
  let token: string | undefined;
  if (s.type === 'Cookie') {
    const cookie = getHeader(headers, 'cookie');
    if (cookie !== undefined) token = cookieValue(cookie, s.name);
  } else {
    token = getHeader(headers, s.name.toLowerCase());
  }
  if (token === undefined || token === '') return null;
  const decoded = Buffer.from(token, 'base64url').toString();
  const nl = decoded.indexOf('\n');
  if (nl === -1) return null;
  const clusterName = decoded.slice(0, nl);
  const label = decoded.slice(nl + 1);
  for (const b of backends) {
    if (b.cluster === null || b.cluster.name !== clusterName) continue;
    const pool = b.cluster.byLabel(label);
    if (pool !== null) return { backend: b, pool };
  }
  return null;
}
