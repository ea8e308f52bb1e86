/**
 * Renders a result report as Markdown: the machine in one line, then one table for load rows and
 * one for idle rows, with the columns a reader compares. Missing figures print as "—"; failed
 * rows print their error. The JSON file next to it holds every field.
 */
import type { BenchReport, BenchRow } from "./result-row.js";
import { fmt } from "./format-number.js";

/** A column: its header and how a row fills it. */
interface Column {
  readonly header: string;
  readonly cell: (row: BenchRow) => string;
}

const LOAD_COLUMNS: readonly Column[] = [
  { header: "system", cell: (row) => row.system },
  { header: "groups", cell: (row) => fmt(row.groups) },
  { header: "in flight", cell: (row) => fmt(row.inFlight) },
  { header: "durability", cell: (row) => row.durability },
  { header: "ops/s", cell: (row) => fmt(row.opsPerSecond, 0) },
  { header: "p50 ms", cell: (row) => fmt(row.latencyMs?.p50, 2) },
  { header: "p90 ms", cell: (row) => fmt(row.latencyMs?.p90, 2) },
  { header: "p99 ms", cell: (row) => fmt(row.latencyMs?.p99, 2) },
  { header: "max ms", cell: (row) => fmt(row.latencyMs?.max, 1) },
  { header: "CPU ms/1k ops", cell: (row) => fmt(row.cpuMsPer1kOps, 0) },
  { header: "CPU % core", cell: (row) => fmt(row.cpuPercentOfOneCore, 0) },
  { header: "loop busy", cell: (row) => fmt(row.eventLoopUtilization, 2) },
  { header: "RSS MB max", cell: (row) => fmt(row.rssMbMax, 0) },
  { header: "rounds/s", cell: (row) => fmt(row.runtime?.roundsPerSecond, 0) },
  { header: "writes/s", cell: (row) => fmt(row.runtime?.storageWritesPerSecond, 0) },
  { header: "ops/write/node", cell: (row) => fmt(row.runtime?.proposalsPerStorageWrite, 1) },
  { header: "batches/s", cell: (row) => fmt(row.runtime?.batchesSentPerSecond, 0) },
  { header: "msgs/batch", cell: (row) => fmt(row.transport?.messagesPerBatch, 1) },
  { header: "entries/append", cell: (row) => fmt(row.transport?.entriesPerAppend, 1) },
  { header: "errors", cell: errorsCell },
];

const IDLE_COLUMNS: readonly Column[] = [
  { header: "system", cell: (row) => row.system },
  { header: "groups", cell: (row) => fmt(row.groups) },
  { header: "durability", cell: (row) => row.durability },
  { header: "window s", cell: (row) => fmt(row.windowMs === null ? null : row.windowMs / 1000, 1) },
  { header: "CPU % core", cell: (row) => fmt(row.cpuPercentOfOneCore, 1) },
  { header: "RSS MB max", cell: (row) => fmt(row.rssMbMax, 0) },
  { header: "msgs/s", cell: (row) => fmt(row.transport?.messagesPerSecond, 0) },
  { header: "batches/s", cell: (row) => fmt(row.transport?.batchesPerSecond, 0) },
  { header: "empty batches/s", cell: (row) => fmt(row.transport?.emptyBatchesPerSecond, 0) },
  { header: "rounds/s", cell: (row) => fmt(row.runtime?.roundsPerSecond, 0) },
  { header: "writes/s", cell: (row) => fmt(row.runtime?.storageWritesPerSecond, 1) },
  {
    header: "quiesced",
    cell: (row) =>
      row.runtime === null ? "—" : `${row.runtime.quiescedReplicasAtEnd}/${row.runtime.replicas}`,
  },
  { header: "leader changes", cell: (row) => fmt(row.leadershipChanges) },
  { header: "leaders after s", cell: (row) => fmt(ms(row.electionMs), 1) },
  { header: "errors", cell: errorsCell },
];

/**
 * The report as Markdown.
 *
 * @example
 * process.stdout.write(renderMarkdown(report));
 */
export function renderMarkdown(report: BenchReport): string {
  const { machine } = report;
  const lines = [
    `# ${report.benchmark}${report.quick ? " (quick)" : ""} — ${report.startedAt}`,
    "",
    `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGb} GiB, Linux ${machine.kernel}, ` +
      `Node ${machine.nodeVersion}, lmdb ${machine.lmdbVersion ?? "?"}, ` +
      `commit ${machine.gitCommit?.slice(0, 10) ?? "?"}${machine.gitDirty === true ? " (dirty)" : ""}; ` +
      `fsync probe ${fmt(machine.fsync.perSecond, 0)}/s (p50 ${fmt(machine.fsync.p50Ms, 2)} ms); ` +
      `load average at start ${machine.loadAverageAtStart.join(" / ")}.`,
    "",
  ];
  const load = report.rows.filter((row) => row.scenario === "load");
  const idle = report.rows.filter((row) => row.scenario === "idle");
  if (load.length > 0) lines.push("## Load (closed loop)", "", ...table(LOAD_COLUMNS, load), "");
  if (idle.length > 0) lines.push("## Idle", "", ...table(IDLE_COLUMNS, idle), "");
  for (const row of report.rows.filter((r) => r.status === "failed")) {
    lines.push(`- FAILED ${row.scenario} ${row.groups} groups ${row.durability}: ${row.error}`);
  }
  if (report.notes.length > 0) lines.push("", ...report.notes.map((note) => `- ${note}`));
  return `${lines.join("\n")}\n`;
}

function table(columns: readonly Column[], rows: readonly BenchRow[]): string[] {
  return [
    `| ${columns.map((c) => c.header).join(" | ")} |`,
    `| ${columns.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${columns.map((c) => c.cell(row)).join(" | ")} |`),
  ];
}

function errorsCell(row: BenchRow): string {
  if (row.status === "failed") return "FAILED";
  const entries = Object.entries(row.errors);
  return entries.length === 0 ? "0" : entries.map(([code, n]) => `${code}×${n}`).join(", ");
}

function ms(value: number | null): number | null {
  return value === null ? null : value / 1000;
}
