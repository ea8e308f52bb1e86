/**
 * Regenerates the chart of a saved peer benchmark result, so the README's chart can follow a
 * newer run (or a restyled chart be applied to an old one) without measuring again:
 *
 *   npx tsx --conditions=@flotilla/source bench/chart.ts bench/results/X.json [--out docs/benchmarks.svg]
 *
 * Without `--out` the SVG goes next to the JSON with the same name, as `npm run bench` writes it.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { peerChartSvg } from "./lib/peer-chart.js";
import type { PeerReport } from "./lib/peer-row.js";

const { values, positionals } = parseArgs({
  options: { out: { type: "string" } },
  allowPositionals: true,
});
const input = positionals[0];
if (input === undefined || positionals.length > 1 || !input.endsWith(".json")) {
  console.error("usage: bench/chart.ts <result.json> [--out <chart.svg>]");
  process.exit(2);
}
const report = JSON.parse(await readFile(input, "utf8")) as PeerReport;
if (!Array.isArray(report.rows)) {
  // A result of the in-process benchmark has another shape; fail plainly rather than draw nothing.
  console.error(`${input}: not a peer benchmark result (no rows)`);
  process.exit(1);
}
const out = values.out ?? input.replace(/\.json$/, ".svg");
await mkdir(dirname(out), { recursive: true });
await writeFile(out, await peerChartSvg(report));
console.log(`wrote ${out}`);
