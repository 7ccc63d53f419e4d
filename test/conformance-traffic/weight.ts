// Upstream conformance/utils/weight (v1.6.1): 500 requests, 10 at a time; each backend's share must
// be within ±5 percentage points of its weight, and only backends with weight > 0 may answer.

/** weight.go extractBackendName: the pod name without its ReplicaSet hash and pod suffix. */
function backendOf(pod: string): string {
  const parts = pod.split('-');
  return parts.length < 3 ? pod : parts.slice(0, -2).join('-');
}

/** weight.TestWeightedDistribution: null when within tolerance, else why not. */
export async function weightedDistribution(
  send: () => Promise<string>,
  expected: Record<string, number>,
): Promise<string | null> {
  const total = 500;
  const concurrent = 10;
  const tolerance = 0.05;
  const seen = new Map<string, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      next++;
      const name = backendOf(await send());
      if (!(name in expected)) throw new Error(`request was handled by an unexpected pod (backend ${name})`);
      seen.set(name, (seen.get(name) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrent }, worker));
  const errs: string[] = [];
  const active = Object.values(expected).filter((w) => w > 0).length;
  if (seen.size !== active)
    errs.push(`expected ${active} backends to receive traffic, got ${[...seen.keys()].join(', ')}`);
  for (const [name, want] of Object.entries(expected)) {
    const got = (seen.get(name) ?? 0) / total;
    if (Math.abs(got - want) > tolerance)
      errs.push(`backend ${name} weighted traffic of ${got} not within tolerance ${want} (+/-${tolerance})`);
  }
  return errs.length === 0 ? null : errs.join('; ');
}
