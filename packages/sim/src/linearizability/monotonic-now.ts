/**
 * The one wall clock of the history checker: milliseconds on Node's monotonic clock. Only the
 * time budgets of `checkHistory` (the chaos run, `npm run check-history`) read it; the
 * simulators pass no time budget, so their checks stay deterministic. `Date` and `performance`
 * are banned in this package for that reason, and the monotonic clock also ignores NTP steps.
 */

/** Milliseconds since an arbitrary fixed origin, never decreasing. */
export function monotonicNowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
