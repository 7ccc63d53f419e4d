// `portunus serve`: standalone mode. Reads Gateway API manifests from files, serves them with the
// data plane (worker processes, or in process), reloads on change, and exposes the admin server.

import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_ADMIN_ADDRESS, DEFAULT_ADMIN_PORT } from '../admin/server.ts';
import { ACCESS_LOG_FORMATS, type AccessLogFormat } from '../observe/accesslog.ts';
import { parseAddressPool } from '../serve/addresspool.ts';
import { DEFAULT_CONTROLLER_NAME } from '../translate/context.ts';
import type { Command } from './main.ts';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

const HELP = `Usage: portunus serve -f PATH... [options]

Serves Gateway API resources read from files with the built-in data plane, and reloads them
when the files change. An unparseable file keeps serving its previous version; a rejected
resource is left out; both are reported in the log and on the admin server's /status.

Options:
  -f, --file PATH            manifest file or directory (read recursively); repeatable
      --controller-name N    GatewayClass controllerName to manage (default ${DEFAULT_CONTROLLER_NAME})
      --admin-address ADDR   admin server address (default ${DEFAULT_ADMIN_ADDRESS})
      --admin-port PORT      admin server port, 0 for any free port (default ${DEFAULT_ADMIN_PORT})
      --access-log FORMAT    json (default, JSON lines on stdout) | text (Envoy-like lines) | off
      --bind-address ADDR    address the Gateway listeners bind (default: all interfaces)
      --address-pool LIST    give each Gateway that names no address its own, from LIST: IPs and
                             IPv4 ranges, e.g. 127.0.1.1-127.0.1.254 (default: all share the bind address)
      --log-level LEVEL      ${LOG_LEVELS.join(' | ')} (default info); logs are JSON on stderr
      --reload-debounce MS   quiet period after a file change before reloading (default 5)
      --drain-timeout MS     at shutdown, how long in-flight requests may take (default 5000)
      --workers N            data plane worker processes sharing the listeners (SO_REUSEPORT);
                             default: the number of CPU cores (${availableParallelism()} here);
                             0 serves from the control-plane process itself
  -h, --help                 this help

Admin endpoints: /healthz /readyz /config_dump /status /metrics (see 'portunus status').
SIGHUP re-reads the files. SIGTERM or SIGINT stops accepting connections, drains, and exits 0.`;

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      file: { type: 'string', short: 'f', multiple: true },
      'controller-name': { type: 'string' },
      'admin-address': { type: 'string' },
      'admin-port': { type: 'string' },
      'access-log': { type: 'string' },
      'bind-address': { type: 'string' },
      'address-pool': { type: 'string' },
      'log-level': { type: 'string' },
      'reload-debounce': { type: 'string' },
      'drain-timeout': { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function intOption(value: string | undefined, fallback: number, name: string, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > max) throw new Error(`--${name} must be an integer from 0 to ${max}`);
  return Number(value);
}

export const serveCommand: Command = {
  summary: 'serve Gateway API resources from files with the built-in data plane',
  async run(args: string[]): Promise<number> {
    let values: ReturnType<typeof parse>['values'];
    let adminPort: number;
    let debounceMs: number;
    let drainMs: number;
    let workers: number;
    let addressPool: string[] | undefined;
    try {
      values = parse(args).values;
      if (values.help) {
        process.stdout.write(`${HELP}\n`);
        return 0;
      }
      if (!values.file || values.file.length === 0) throw new Error('at least one -f PATH is required');
      if (values['access-log'] !== undefined && !ACCESS_LOG_FORMATS.includes(values['access-log'] as AccessLogFormat)) {
        throw new Error(`--access-log must be one of ${ACCESS_LOG_FORMATS.join(', ')}`);
      }
      if (values['log-level'] !== undefined && !LOG_LEVELS.includes(values['log-level'])) {
        throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
      }
      adminPort = intOption(values['admin-port'], DEFAULT_ADMIN_PORT, 'admin-port', 65535);
      debounceMs = intOption(values['reload-debounce'], 5, 'reload-debounce', 60_000);
      drainMs = intOption(values['drain-timeout'], 5_000, 'drain-timeout', 600_000);
      workers = intOption(values.workers, availableParallelism(), 'workers', 256);
      if (values['address-pool'] !== undefined) addressPool = parseAddressPool(values['address-pool']);
    } catch (err) {
      process.stderr.write(`portunus serve: ${(err as Error).message}\n\n${HELP}\n`);
      return 2;
    }

    // Listen for signals before starting, so a stop request during startup is honoured too.
    const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    // Loaded only now: `portunus serve --help` should not pay for the data plane.
    const { createLogger, startServe, StartupError } = await import('../serve/index.ts');
    const logger = createLogger(values['log-level'] ?? 'info');
    let handle: Awaited<ReturnType<typeof startServe>>;
    try {
      handle = await startServe({
        paths: values.file,
        controllerName: values['controller-name'] ?? DEFAULT_CONTROLLER_NAME,
        adminAddress: values['admin-address'] ?? DEFAULT_ADMIN_ADDRESS,
        adminPort,
        accessLog: (values['access-log'] as AccessLogFormat | undefined) ?? 'json',
        ...(values['bind-address'] ? { bindAddress: values['bind-address'] } : {}),
        ...(addressPool ? { addressPool } : {}),
        debounceMs,
        drainMs,
        workers,
        logLevel: values['log-level'] ?? 'info',
        logger,
      });
    } catch (err) {
      if (err instanceof StartupError) {
        process.stderr.write(`portunus serve: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    logger.info({ admin: handle.admin.url, version: handle.loop.version() }, 'portunus serving');
    // SIGHUP: re-read the files now (for file systems where change notifications do not arrive).
    process.on('SIGHUP', () => {
      logger.info({ signal: 'SIGHUP' }, 'reloading');
      void handle.loop.reload();
    });

    const signal = await stopSignal;
    logger.info({ signal }, 'shutting down');
    // A second signal, or a drain that overruns its bound, ends the process at once.
    const force = (why: string) => {
      logger.error({}, why);
      process.exit(1);
    };
    process.once('SIGTERM', () => force('second signal; exiting without draining'));
    process.once('SIGINT', () => force('second signal; exiting without draining'));
    setTimeout(() => force('shutdown did not finish in time'), drainMs + 5_000).unref();

    await handle.close();
    // Everything is closed; if some handle still holds the event loop, do not hang on it.
    setTimeout(() => process.exit(0), 1_000).unref();
    return 0;
  },
};
