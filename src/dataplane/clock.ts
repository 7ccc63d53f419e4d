// A coarse wall clock for timeouts measured in seconds: connections stamp their activity with a
// field read instead of refreshing a timer on every socket read and write. Updated by the data
// plane's sweeper (once a second), and on demand by whoever needs a fresh value.
export const coarse = { now: Date.now() };

export function tickClock(): number {
  coarse.now = Date.now();
  return coarse.now;
}
