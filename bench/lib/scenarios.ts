// The scenario table. A scenario is a name, the tweaks applied to every proxy, and the load.
// `npm run bench:http` runs DEFAULT_SCENARIOS; `npm run bench` runs them all.

import { LARGE_FILE } from './peers.ts';
import type { Scenario, Tweaks } from './types.ts';

const base: Tweaks = { workers: 1, tls: false, h2: false, regexRoutes: 0 };
const CONNECTIONS = 50;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'get-keepalive',
    title: 'small GET, keep-alive (wrk -c50)',
    tweaks: base,
    load: { tool: 'wrk', path: '/small', connections: CONNECTIONS },
  },
  {
    name: 'get-close',
    title: 'small GET, new connection per request (Connection: close)',
    tweaks: base,
    load: { tool: 'wrk', path: '/small', connections: CONNECTIONS, headers: ['Connection: close'] },
  },
  {
    name: 'get-100k',
    title: '100 KiB responses, keep-alive',
    tweaks: base,
    load: { tool: 'wrk', path: LARGE_FILE, connections: CONNECTIONS },
  },
  {
    name: 'post-1m',
    title: '1 MiB POST bodies, keep-alive',
    tweaks: base,
    load: { tool: 'wrk', path: '/upload', connections: CONNECTIONS, postBytes: 1024 * 1024 },
  },
  {
    name: 'regex-1000',
    title: '1,000 regex path routes, request matches the last declared',
    tweaks: { ...base, regexRoutes: 1000 },
    load: { tool: 'wrk', path: '/r/999/abc123', connections: CONNECTIONS },
  },
  {
    name: 'https',
    title: 'small GET over TLS (ECDSA P-256), keep-alive',
    tweaks: { ...base, tls: true },
    load: { tool: 'wrk', path: '/small', connections: CONNECTIONS },
  },
  {
    name: 'h2c',
    title: 'HTTP/2 cleartext, h2load 10 connections x 5 streams',
    tweaks: { ...base, h2: true },
    load: { tool: 'h2load', path: '/small', connections: 10, streams: 5 },
  },
  {
    name: 'h2-tls',
    title: 'HTTP/2 over TLS (ALPN h2), h2load 10 connections x 5 streams',
    tweaks: { ...base, h2: true, tls: true },
    load: { tool: 'h2load', path: '/small', connections: 10, streams: 5 },
  },
  {
    name: 'workers-2',
    title: 'small GET keep-alive, 2 workers per proxy',
    tweaks: { ...base, workers: 2 },
    load: { tool: 'wrk', path: '/small', connections: CONNECTIONS },
  },
];

/** Not a load scenario: Portunus config reload latency with many routes (reload.ts). */
export const RELOAD = 'reload';

export const DEFAULT_SCENARIOS = ['get-keepalive', RELOAD];
export const ALL_SCENARIOS = [...SCENARIOS.map((s) => s.name), RELOAD];
