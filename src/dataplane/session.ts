// Session persistence: a token naming the cluster and endpoint that served the first request,
// returned as a cookie or header and honoured on later requests while that endpoint is ready.
// The token also carries its creation and last-use times (seconds) so absoluteTimeout and
// idleTimeout can be enforced without server-side state; with an idle timeout the token is
// re-issued on every response to slide its window.
import type { SessionPersistenceIR } from '../ir/types.ts';
import type { CompiledBackend } from './config.ts';
import { getHeader } from './headers.ts';
import type { Cluster, Pool } from './upstream/cluster.ts';

export function sessionToken(cluster: Cluster, pool: Pool, createdSec: number, nowSec: number): string {
  return Buffer.from(cluster.name + '\n' + pool.label + '\n' + createdSec + '\n' + nowSec).toString('base64url');
}

function cookieValue(cookieHeader: string, name: string): string | undefined {
  for (const part of cookieHeader.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface SessionHit {
  backend: CompiledBackend;
  pool: Pool;
  createdSec: number;
}

export function findSession(
  s: SessionPersistenceIR,
  headers: readonly string[],
  backends: readonly CompiledBackend[],
  nowSec: number,
): SessionHit | null {
  let token: string | undefined;
  if (s.type === 'Cookie') {
    const cookie = getHeader(headers, 'cookie');
    if (cookie !== undefined) token = cookieValue(cookie, s.name);
  } else {
    token = getHeader(headers, s.name.toLowerCase());
  }
  if (token === undefined || token === '') return null;
  const parts = Buffer.from(token, 'base64url').toString().split('\n');
  if (parts.length !== 4) return null;
  const [clusterName, label] = parts as [string, string];
  const created = Number(parts[2]);
  const last = Number(parts[3]);
  if (!Number.isFinite(created) || !Number.isFinite(last)) return null;
  if (s.absoluteTimeoutMs !== undefined && (nowSec - created) * 1000 > s.absoluteTimeoutMs) return null;
  if (s.idleTimeoutMs !== undefined && (nowSec - last) * 1000 > s.idleTimeoutMs) return null;
  for (const b of backends) {
    if (b.cluster === null || b.cluster.name !== clusterName) continue;
    const pool = b.cluster.byLabel(label);
    if (pool !== null) return { backend: b, pool, createdSec: created };
  }
  return null;
}
