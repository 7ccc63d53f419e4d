// Gateway API conformance (v1.6.1) request mirroring with real traffic through `portunus serve`.
// Upstream reads the mirror backends' echo logs for the request's unique path
// (?gateway-api-conformance-request-id=UUID); here the recording relay in front of each backend
// (env.ts) lists the request-targets it received.

import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { INFRA, infra } from '../conformance/harness.ts';
import { startEnv, type TrafficEnv } from './env.ts';
import { type ExpectedResponse, caseName, expectResponse } from './http.ts';

const ns = INFRA;

const env = await startEnv({
  manifests: [
    'httproute-request-mirror.yaml',
    'httproute-request-multiple-mirrors.yaml',
    'httproute-request-percentage-mirror.yaml',
  ],
});
after(() => env.close());

interface MirrorCase extends ExpectedResponse {
  MirroredTo: { Name: string; Namespace: string; Percent?: number }[];
}

/** ExpectedResponse.AddRequestIDQueryParam: Go's url.Values.Encode (keys sorted). */
function addRequestId(tc: MirrorCase, id: string): MirrorCase {
  const add = (path: string): string => {
    const [p, q = ''] = path.split(/\?(.*)/s);
    const params = new URLSearchParams(q);
    params.set('gateway-api-conformance-request-id', id);
    params.sort();
    return `${p}?${params.toString()}`;
  };
  const out = structuredClone(tc);
  const path = add(tc.Request.Path ?? '/');
  if (out.ExpectedRequest) {
    out.ExpectedRequest.Request ??= {};
    out.ExpectedRequest.Request.Path = out.ExpectedRequest.Request.Path ? add(out.ExpectedRequest.Request.Path) : path;
  }
  out.Request.Path = path;
  return out;
}

function mirroredCount(e: TrafficEnv, m: { Name: string; Namespace: string }, path: string): number {
  return e.backend(m.Namespace, m.Name).reduce((n, b) => n + b.seen.filter((s) => s.target === path).length, 0);
}

/** http.ExpectMirroredRequest: every mirror backend receives the request within the time bound. */
async function expectMirrored(tc: MirrorCase, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const m of tc.MirroredTo) {
    while (mirroredCount(env, m, tc.Request.Path!) === 0) {
      if (Date.now() > deadline)
        throw new Error(`mirror backend ${m.Namespace}/${m.Name} never received ${tc.Request.Path}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const headerCase = (path: string, mirrors: string[]): MirrorCase => ({
  Request: { Path: path, Headers: { 'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1' } },
  ExpectedRequest: {
    Request: {
      Path: path,
      Headers: {
        'X-Header-Add': 'header-val-1',
        'X-Header-Add-Append': 'append-val-1,header-val-2',
        'X-Header-Set': 'set-overwrites-values',
      },
    },
    AbsentHeaders: ['X-Header-Remove'],
  },
  Namespace: ns,
  Backend: 'infra-backend-v1',
  MirroredTo: mirrors.map((Name) => ({ Name, Namespace: ns })),
});

const plainCase = (path: string, mirrors: string[]): MirrorCase => ({
  Request: { Path: path },
  ExpectedRequest: { Request: { Path: path } },
  Backend: 'infra-backend-v1',
  MirroredTo: mirrors.map((Name) => ({ Name, Namespace: ns })),
  Namespace: ns,
});

async function runMirrorCases(t: import('node:test').TestContext, cases: MirrorCase[]): Promise<void> {
  const addr = env.gatewayAddr(infra('same-namespace'));
  await Promise.all(
    cases.map((c, i) =>
      t.test(caseName(c, i), async () => {
        const tc = addRequestId(c, randomUUID());
        await expectResponse(addr, tc);
        await expectMirrored(tc);
      }),
    ),
  );
}

test('HTTPRouteRequestMirror', { concurrency: true }, async (t) => {
  await env.use(['httproute-request-mirror.yaml']);
  await runMirrorCases(t, [
    plainCase('/mirror', ['infra-backend-v2']),
    headerCase('/mirror-and-modify-headers', ['infra-backend-v2']),
  ]);
});

test('HTTPRouteRequestMultipleMirrors', { concurrency: true }, async (t) => {
  await env.use(['httproute-request-multiple-mirrors.yaml']);
  await runMirrorCases(t, [
    plainCase('/multi-mirror', ['infra-backend-v2', 'infra-backend-v3']),
    headerCase('/multi-mirror-and-modify-request-headers', ['infra-backend-v2', 'infra-backend-v3']),
  ]);
});

test('HTTPRouteRequestPercentageMirror', async (t) => {
  await env.use(['httproute-request-percentage-mirror.yaml']);
  const addr = env.gatewayAddr(infra('same-namespace'));
  const withPercent = (c: MirrorCase, percent: number): MirrorCase => ({
    ...c,
    MirroredTo: c.MirroredTo.map((m) => ({ ...m, Percent: percent })),
  });
  const cases = [
    withPercent(plainCase('/percent-mirror', ['infra-backend-v2']), 20),
    withPercent(plainCase('/percent-mirror-fraction', ['infra-backend-v2']), 50),
    withPercent(headerCase('/percent-mirror-and-modify-headers', ['infra-backend-v2']), 35),
  ];
  const total = 500;
  for (const [i, c] of cases.entries()) {
    await t.test(caseName(c, i), async () => {
      await expectResponse(addr, c);
      const failures: string[] = [];
      for (let k = 0; k < 5; k++) {
        const tc = addRequestId(c, randomUUID());
        // 500 requests, 10 at a time, each one expected to succeed (RequiredConsecutiveSuccesses 1).
        let next = 0;
        await Promise.all(
          Array.from({ length: 10 }, async () => {
            while (next < total) {
              next++;
              await expectResponse(addr, tc, { threshold: 1 });
            }
          }),
        );
        // Mirrors are sent asynchronously: wait until the counts stop moving.
        let last = -1;
        for (let waited = 0; waited < 5_000; waited += 250) {
          const now = tc.MirroredTo.reduce((n, m) => n + mirroredCount(env, m, tc.Request.Path!), 0);
          if (now === last) break;
          last = now;
          await new Promise((r) => setTimeout(r, 250));
        }
        const errs: string[] = [];
        for (const m of tc.MirroredTo) {
          // Binomial(total, p): accept within 3 standard deviations, as upstream.
          const p = (m.Percent ?? 100) / 100;
          const expected = total * p;
          const margin = 3 * Math.sqrt(total * p * (1 - p));
          const actual = mirroredCount(env, m, tc.Request.Path!);
          if (actual < expected - margin || actual > expected + margin)
            errs.push(`pod ${m.Name}: expected between ${expected - margin} and ${expected + margin}, got ${actual}`);
        }
        if (errs.length === 0) return;
        failures.push(errs.join('; '));
      }
      throw new Error(`Percentage based mirror distribution tests failed:\n${failures.join('\n')}`);
    });
  }
});
