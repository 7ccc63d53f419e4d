// Control-plane and worker logging: pino JSON lines on stderr.

import { pino } from 'pino';

export function createLogger(level: string, destination: number | string = 2, base: object = {}): pino.Logger {
  // Synchronous writes: control-plane events are rare, and a crash must not lose the line explaining it.
  return pino(
    { level, base: { pid: process.pid, ...base }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: destination, sync: true }),
  );
}

/** The data plane logs as (message, fields); pino takes (fields, message). */
export function dataPlaneLogger(l: pino.Logger) {
  return {
    info: (msg: string, fields?: object) => l.info(fields ?? {}, msg),
    warn: (msg: string, fields?: object) => l.warn(fields ?? {}, msg),
    error: (msg: string, fields?: object) => l.error(fields ?? {}, msg),
  };
}
