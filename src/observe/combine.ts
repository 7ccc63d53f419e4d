// Fans one observer call out to several (access log and metrics). Kept apart from metrics.ts so
// that a worker process can combine observers without loading prom-client.

import type { DataPlaneObserver } from '../dataplane/observer.ts';
import type { AccessLog } from './accesslog.ts';

export function combineObservers(...observers: DataPlaneObserver[]): DataPlaneObserver {
  const list = observers.filter((o) => o !== undefined);
  if (list.length === 1) return list[0]!;
  return {
    onRequestEnd(record) {
      for (const o of list) o.onRequestEnd(record);
    },
    onConnectionOpen(listener) {
      for (const o of list) o.onConnectionOpen(listener);
    },
    onConnectionClose(listener) {
      for (const o of list) o.onConnectionClose(listener);
    },
  };
}

/** The observer serve hands to the data plane: the access log (unless off) and the metrics series. */
export function observeWith(accessLog: AccessLog, metrics: DataPlaneObserver): DataPlaneObserver {
  if (accessLog.format === 'off') return metrics;
  const log: DataPlaneObserver = {
    onRequestEnd: (record) => accessLog.log(record),
    onConnectionOpen() {},
    onConnectionClose() {},
  };
  return combineObservers(log, metrics);
}
