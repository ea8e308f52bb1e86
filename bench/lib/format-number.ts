/** Number formatting shared by the benchmark's Markdown tables. */

/** A number with thousands separators and `digits` decimals; "—" when absent. */
export function fmt(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}
