// A worker process's log: the same JSON lines as the primary's (pino's layout: numeric level, ISO
// time, pid, bindings, fields, msg) written synchronously to stderr. Workers log a few lines per
// configuration change; loading pino for that would cost every worker several MiB.

import { writeSync } from 'node:fs';

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;

export interface LineLogger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
  child(bindings: object): LineLogger;
}

/** Errors become {type, message, stack} as pino's serializer writes them; other values as they are. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
  return value;
}

export function createLineLogger(level: string, bindings: object, fd = 2): LineLogger {
  const min: number = LEVELS[level as keyof typeof LEVELS] ?? LEVELS.info;
  const make = (base: object): LineLogger => {
    const write = (n: number) => (fields: object, msg: string) => {
      if (n < min) return;
      const line = JSON.stringify(
        { level: n, time: new Date().toISOString(), pid: process.pid, ...base, ...fields, msg },
        replacer,
      );
      try {
        writeSync(fd, `${line}\n`);
      } catch {
        // stderr closed: nothing else to tell it to.
      }
    };
    return {
      debug: write(LEVELS.debug),
      info: write(LEVELS.info),
      warn: write(LEVELS.warn),
      error: write(LEVELS.error),
      child: (more) => make({ ...base, ...more }),
    };
  };
  return make(bindings);
}
