// The scenario table. A scenario is a name, the tweaks applied to every proxy, and the load.
// `npm run bench:http` runs DEFAULT_SCENARIOS; `npm run bench` runs them all; `npm run bench:tls`
// runs TLS_BENCH_SCENARIOS.

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

/**
 * `npm run bench:tls`: what a TLS connection costs to set up, with tlsload (tlsload.ts) doing one
 * kind of handshake only and counting what the server granted. The certificate is ECDSA P-256.
 */
export const TLS_SCENARIOS: readonly Scenario[] = [
  {
    name: 'tls-full',
    title: 'new TLS connection per GET, full handshake (ECDSA P-256, no session resumption), 16 clients',
    rate: 'handshakes/s',
    tweaks: { ...base, tls: true },
    load: { tool: 'tlsload', path: '/small', connections: 16, requestsPerConnection: 1, resume: false },
  },
  {
    name: 'tls-resumed',
    title: 'new TLS connection per GET, resumed session (ticket of the previous connection), 16 clients',
    rate: 'handshakes/s',
    tweaks: { ...base, tls: true },
    load: { tool: 'tlsload', path: '/small', connections: 16, requestsPerConnection: 1, resume: true },
  },
  {
    // With several workers a client's next connection may land on another one (SO_REUSEPORT), so
    // this shows whether the workers share session-ticket keys.
    name: 'tls-resumed-workers-2',
    title: 'as tls-resumed, 2 workers per proxy',
    rate: 'handshakes/s',
    tweaks: { ...base, tls: true, workers: 2 },
    load: { tool: 'tlsload', path: '/small', connections: 16, requestsPerConnection: 1, resume: true },
  },
  {
    name: 'tls-resumed-keepalive',
    title: 'resumed TLS connections carrying 10 keep-alive GETs each, 50 clients',
    tweaks: { ...base, tls: true },
    load: { tool: 'tlsload', path: '/small', connections: CONNECTIONS, requestsPerConnection: 10, resume: true },
  },
];

/** Not a load scenario: Portunus config reload latency with many routes (reload.ts). */
export const RELOAD = 'reload';

export const DEFAULT_SCENARIOS = ['get-keepalive', RELOAD];
export const ALL_SCENARIOS = [...SCENARIOS.map((s) => s.name), RELOAD];

/** bench:tls also runs the HTTPS keep-alive scenario: the same TLS listener with no handshakes. */
export const TLS_BENCH_SCENARIOS: readonly Scenario[] = [...TLS_SCENARIOS, SCENARIOS.find((s) => s.name === 'https')!];
