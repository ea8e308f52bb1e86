/**
 * Where the peer benchmark's results go: `<out>/<UTC date>-<quick|full>.json` with every field,
 * and the same name with `.md` holding the tables and ratios, both formatted as Prettier would,
 * so committed results pass the format check. A later run the same day overwrites the files.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { format, resolveConfig } from "prettier";
import { renderPeerMarkdown } from "./peer-markdown.js";
import type { PeerReport } from "./peer-row.js";
import type { WrittenResults } from "./results-file.js";

/** Writes the JSON and Markdown of `report` into `outDir` (created if missing). */
export async function writePeerResults(
  outDir: string,
  report: PeerReport,
): Promise<WrittenResults> {
  await mkdir(outDir, { recursive: true });
  const stem = `${report.startedAt.slice(0, 10)}-${report.benchmark}`;
  const jsonPath = join(outDir, `${stem}.json`);
  const markdownPath = join(outDir, `${stem}.md`);
  const markdown = await formatted(markdownPath, renderPeerMarkdown(report));
  await writeFile(jsonPath, await formatted(jsonPath, JSON.stringify(report, null, 2)));
  await writeFile(markdownPath, markdown);
  return { jsonPath, markdownPath, markdown };
}

async function formatted(path: string, text: string): Promise<string> {
  const options = (await resolveConfig(path)) ?? {};
  return format(text, { ...options, filepath: path });
}
