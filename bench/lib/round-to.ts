/** Rounding for result files: figures carry the precision they are worth, not float noise. */

/**
 * `value` rounded to `digits` decimals.
 *
 * @example
 * roundTo(2.3456, 2); // 2.35
 */
export function roundTo(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
