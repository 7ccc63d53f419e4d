// The upstream (nginx serving fixed bodies) and the peer proxies Portunus is measured against:
// nginx and haproxy, each generated from the scenario's tweaks, run in the foreground on loopback
// as the current user with every path in the run's scratch directory.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  canConnect,
  commandOutput,
  exitReason,
  freePort,
  hasExited,
  processTree,
  type Started,
  startProcess,
  waitFor,
} from './proc.ts';
import type { ProxyDriver, RunContext, RunningProxy, Tweaks } from './types.ts';

/** The upstream's small response body: exactly 20 bytes. */
export const SMALL_BODY = 'portunus-bench-20b!\n';
export const LARGE_FILE = '/100k.bin';
export const LARGE_BYTES = 100 * 1024;

const NGINX = '/usr/sbin/nginx';
const HAPROXY = '/usr/sbin/haproxy';

/** Directives every nginx here shares: its own pid/log/temp paths, no access log. */
function nginxMain(dir: string, name: string): string {
  const tmp = join(dir, `${name}-tmp`);
  mkdirSync(tmp, { recursive: true });
  // As root, nginx would drop its workers to 'nobody', who cannot read the 0700 scratch dir.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${user}pid ${join(dir, `${name}.pid`)};
error_log ${join(dir, `${name}-error.log`)} warn;
events { worker_connections 8192; }
`;
}

function nginxHttpCommon(dir: string, name: string): string {
  const tmp = join(dir, `${name}-tmp`);
  return `  access_log off;
  client_body_temp_path ${tmp}/body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  # The default (1000) would make wrk reconnect every 1000 requests; no other proxy here does that.
  keepalive_requests 1000000;
  keepalive_timeout 120s;
`;
}

function startNginx(name: string, dir: string, conf: string, workers: number): Promise<Started> {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, conf);
  return startProcess(
    name,
    NGINX,
    [
      '-p',
      dir,
      '-c',
      file,
      '-e',
      join(dir, `${name}-error.log`),
      '-g',
      `daemon off; master_process on; worker_processes ${workers};`,
    ],
    join(dir, `${name}.out`),
  );
}

/** Waits until s accepts connections; stops it when it never does. */
async function ready(s: Started, port: number): Promise<void> {
  try {
    await waitFor(`${s.name} on port ${port} (log: ${s.logFile})`, () => canConnect(port), 10_000, 20, exitReason(s));
  } catch (err) {
    await s.stop();
    throw err;
  }
}

/** The upstream: a 20-byte body on any path, a 100 KiB static file, POST bodies up to 2 MiB at /upload. */
export async function startUpstream(dir: string): Promise<{ port: number; started: Started }> {
  const www = join(dir, 'www');
  mkdirSync(www, { recursive: true });
  writeFileSync(join(www, LARGE_FILE.slice(1)), Buffer.alloc(LARGE_BYTES, 'x'));
  const port = await freePort();
  const conf = `${nginxMain(dir, 'upstream')}
http {
${nginxHttpCommon(dir, 'upstream')}
  default_type text/plain;
  upstream self {
    server 127.0.0.1:${port};
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    client_max_body_size 2m;
    location = ${LARGE_FILE} { root ${www}; }
    # POST bodies are read to the end (into memory) before the answer, as a real service would;
    # nginx's 'return' alone would answer first, and a proxy still sending the body then sees its
    # connection reset. The body is not forwarded to /sink.
    location = /upload {
      client_body_buffer_size 2m;
      proxy_pass http://self/sink;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    location / { return 200 "${SMALL_BODY.replace('\n', '\\n')}"; }
  }
}
`;
  const started = await startNginx('upstream', dir, conf, 1);
  await ready(started, port);
  return { port, started };
}

/** Worker pids of an nginx master (its children); the master itself if it has none. */
function nginxWorkers(master: number): number[] {
  const tree = processTree(master).filter((p) => p !== master);
  return tree.length > 0 ? tree : [master];
}

function running(s: Started, port: number, rssPids: () => number[]): RunningProxy {
  return {
    port,
    cpuRoot: s.pid,
    rssPids,
    stop: () => s.stop(),
    exited: () => hasExited(s),
    logFile: s.logFile,
  };
}

function firstLine(text: string | null): string {
  return (text ?? 'not installed').split('\n').find((l) => l.trim() !== '') ?? 'unknown';
}

export const nginxDriver: ProxyDriver = {
  name: 'nginx',
  version: () => firstLine(commandOutput(NGINX, ['-v'])).replace(/^nginx version: /, ''),
  unsupported: (t, ctx) => (t.tls && !ctx.tls ? 'no certificate (openssl missing?)' : null),
  probeFailure: 'failed',
  async start(t: Tweaks, ctx: RunContext) {
    const port = await freePort();
    const listen = `127.0.0.1:${port}${t.tls ? ' ssl' : ''}${t.h2 ? ' http2' : ''} reuseport backlog=4096`;
    // nginx 1.22 leaves TLS 1.3 off unless asked; the other proxies negotiate it by default.
    const tls = t.tls
      ? `    ssl_certificate ${ctx.tls!.cert};\n    ssl_certificate_key ${ctx.tls!.key};\n` +
        `    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_cache shared:SSL:10m;\n`
      : '';
    const proxy = 'proxy_pass http://up;';
    let locations: string;
    if (t.regexRoutes > 0) {
      const lines: string[] = [];
      for (let i = 0; i < t.regexRoutes; i++) lines.push(`    location ~ ^/r/${i}/[a-z0-9]+$ { ${proxy} }`);
      lines.push('    location / { return 404; }');
      locations = lines.join('\n');
    } else locations = `    location / { ${proxy} }`;
    const conf = `${nginxMain(ctx.dir, 'nginx')}
http {
${nginxHttpCommon(ctx.dir, 'nginx')}
  upstream up {
    server 127.0.0.1:${ctx.upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen ${listen};
${tls}    client_max_body_size 2m;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    # Stream request bodies like the other proxies instead of spooling them to disk first.
    proxy_request_buffering off;
${locations}
  }
}
`;
    const s = await startNginx('nginx', ctx.dir, conf, t.workers);
    await ready(s, port);
    return running(s, port, () => nginxWorkers(s.pid));
  },
};

export const haproxyDriver: ProxyDriver = {
  name: 'haproxy',
  version: () => firstLine(commandOutput(HAPROXY, ['-v'])).replace(/^HAProxy version (\S+).*/, 'haproxy/$1'),
  unsupported: (t, ctx) => (t.tls && !ctx.tls ? 'no certificate (openssl missing?)' : null),
  probeFailure: 'failed',
  async start(t: Tweaks, ctx: RunContext) {
    const port = await freePort();
    let bind = `127.0.0.1:${port}`;
    if (t.tls) bind += ` ssl crt ${ctx.tls!.combined} alpn ${t.h2 ? 'h2,http/1.1' : 'http/1.1'}`;
    else if (t.h2) bind += ' proto h2';
    const rules: string[] = [];
    for (let i = 0; i < t.regexRoutes; i++) rules.push(`  use_backend be if { path_reg ^/r/${i}/[a-z0-9]+$ }`);
    const conf = `global
  nbthread ${t.workers}
  maxconn 4096
  tune.ssl.default-dh-param 2048

defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s

frontend fe
  bind ${bind}
${rules.join('\n')}
  default_backend ${t.regexRoutes > 0 ? 'notfound' : 'be'}

backend be
  http-reuse always
  server up 127.0.0.1:${ctx.upstreamPort}

backend notfound
  http-request return status 404
`;
    const file = join(ctx.dir, 'haproxy.cfg');
    writeFileSync(file, conf);
    const s = await startProcess('haproxy', HAPROXY, ['-db', '-f', file], join(ctx.dir, 'haproxy.out'));
    await ready(s, port);
    return running(s, port, () => processTree(s.pid));
  },
};

/** No proxy: the load goes straight to the upstream, which is the ceiling for every proxy. */
export const directDriver: ProxyDriver = {
  name: 'direct',
  version: () => 'upstream nginx, no proxy',
  unsupported(t) {
    if (t.tls || t.h2) return 'the upstream speaks plain HTTP/1.1 only';
    if (t.workers !== 1) return 'the upstream keeps 1 worker';
    return null;
  },
  probeFailure: 'failed',
  async start(_t: Tweaks, ctx: RunContext) {
    const up = ctx.upstream;
    return {
      port: ctx.upstreamPort,
      cpuRoot: up.pid,
      rssPids: () => nginxWorkers(up.pid),
      // The upstream outlives every scenario; main() stops it.
      stop: async () => {},
      exited: () => hasExited(up),
      logFile: up.logFile,
    };
  },
};
