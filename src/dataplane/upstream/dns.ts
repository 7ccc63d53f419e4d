// Periodic DNS resolution for clusters with discovery 'dns'. Results replace the cluster's
// endpoint list; a failed lookup keeps the previous addresses.
import dns from 'node:dns';

export const DNS_REFRESH_MS = 30_000;

export async function resolveAll(hostname: string): Promise<string[]> {
  const results = await dns.promises.lookup(hostname, { all: true, order: 'ipv4first' });
  return results.map((r) => r.address);
}
