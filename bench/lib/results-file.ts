/**
 * Where results go: `<out>/<UTC date>-<benchmark>[-quick].json` with every field, and the same
 * name with `.md` holding the tables. A second run on the same day overwrites the first, so the
 * directory keeps one result per benchmark, mode and day. Both are written as Prettier formats
 * them, so committed results pass the repository's format check unchanged.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { format, resolveConfig } from "prettier";
import { renderMarkdown } from "./markdown-table.js";
import type { BenchReport } from "./result-row.js";

/** The paths written. */
export interface WrittenResults {
  readonly jsonPath: string;
  readonly markdownPath: string;
  readonly markdown: string;
}

/** The file name stem of `report`: `2026-11-23-runtime-inprocess-quick`. */
export function resultStem(report: BenchReport): string {
  const date = report.startedAt.slice(0, 10);
  return `${date}-${report.benchmark}${report.quick ? "-quick" : ""}`;
}

/**
 * Writes the JSON and Markdown files of `report` into `outDir` (created if missing).
 *
 * @example
 * const { markdown, jsonPath } = await writeResults("bench/results", report);
 */
export async function writeResults(outDir: string, report: BenchReport): Promise<WrittenResults> {
  await mkdir(outDir, { recursive: true });
  const stem = resultStem(report);
  const jsonPath = join(outDir, `${stem}.json`);
  const markdownPath = join(outDir, `${stem}.md`);
  const markdown = await formatted(markdownPath, renderMarkdown(report));
  await writeFile(jsonPath, await formatted(jsonPath, JSON.stringify(report, null, 2)));
  await writeFile(markdownPath, markdown);
  return { jsonPath, markdownPath, markdown };
}

/** `text` as Prettier formats a file at `path` under the repository's configuration. */
async function formatted(path: string, text: string): Promise<string> {
  const options = (await resolveConfig(path)) ?? {};
  return format(text, { ...options, filepath: path });
}
