// The observers `portunus serve` hands to the data plane: access log and metrics behind the
// DataPlaneObserver seam. The data plane never imports this module.

import type { DataPlaneObserver } from '../dataplane/observer.ts';
import type { AccessLog } from './accesslog.ts';
import { observeWith } from './combine.ts';
import type { Metrics } from './metrics.ts';

export { ACCESS_LOG_FORMATS, type AccessLog, type AccessLogFormat, createAccessLog } from './accesslog.ts';
export { combineObservers, createMetrics, type Metrics, type ReloadOutcome } from './metrics.ts';

export function createObserver(accessLog: AccessLog, metrics: Metrics): DataPlaneObserver {
  return observeWith(accessLog, metrics.observer);
}
