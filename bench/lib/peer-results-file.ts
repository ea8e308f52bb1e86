/**
 * Where the peer benchmark's results go: `<out>/<UTC date>-<quick|full>[-s<scenarios>].json`
 * with every field (the scenario set is named when `--scenarios` chose one),
 * the same name with `.md` holding the tables and ratios, both formatted as Prettier would, so
 * committed results pass the format check, and with `.svg` the chart the Markdown shows. A later
 * run the same day overwrites the files.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { format, resolveConfig } from "prettier";
import { peerChartSvg } from "./peer-chart.js";
import { renderPeerMarkdown } from "./peer-markdown.js";
import type { PeerReport } from "./peer-row.js";
import type { WrittenResults } from "./results-file.js";

/** Writes the JSON, Markdown and SVG chart of `report` into `outDir` (created if missing). */
export async function writePeerResults(
  outDir: string,
  report: PeerReport,
  scenarioSet = "",
): Promise<WrittenResults & { readonly chartPath: string }> {
  await mkdir(outDir, { recursive: true });
  const stem = `${report.startedAt.slice(0, 10)}-${report.benchmark}${scenarioSet}`;
  const jsonPath = join(outDir, `${stem}.json`);
  const markdownPath = join(outDir, `${stem}.md`);
  const chartPath = join(outDir, `${stem}.svg`);
  // Scenarios 3–7 alone have no throughput rows to draw.
  const drawn = report.rows.some((row) => row.status === "ok");
  const markdown = await formatted(
    markdownPath,
    renderPeerMarkdown(report, drawn ? basename(chartPath) : undefined),
  );
  await writeFile(jsonPath, await formatted(jsonPath, JSON.stringify(report, null, 2)));
  await writeFile(markdownPath, markdown);
  // Drawn last: should the chart fail, the run's measurements are already saved and
  // `bench/chart.ts` can draw it from the JSON.
  if (drawn) await writeFile(chartPath, await peerChartSvg(report));
  return { jsonPath, markdownPath, markdown, chartPath };
}

async function formatted(path: string, text: string): Promise<string> {
  const options = (await resolveConfig(path)) ?? {};
  return format(text, { ...options, filepath: path });
}
