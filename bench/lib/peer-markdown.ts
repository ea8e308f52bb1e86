/**
 * Renders a peer report as Markdown: the machine in one line, one table per scenario with CPU
 * per operation first (the figure that survives a noisy machine) — medians with [min–max] when
 * there are several rounds, then every round — the ratios Flotilla/etcd and Flotilla/JetStream
 * for every in-flight count (of the medians), then failures and notes.
 */
import type { PeerReport, PeerRow } from "./peer-row.js";
import { renderScenarioMarkdown } from "./scenario-markdown.js";
import { medianOverRounds, type MedianRow, type Range } from "./round-medians.js";
import { fmt } from "./format-number.js";

interface Column {
  readonly header: string;
  readonly cell: (row: PeerRow) => string;
}

const COLUMNS: readonly Column[] = [
  { header: "system", cell: (row) => row.system },
  { header: "durability", cell: (row) => row.durability },
  { header: "groups", cell: (row) => fmt(row.groups) },
  { header: "in flight", cell: (row) => fmt(row.inFlight) },
  { header: "CPU ms/1k ops", cell: (row) => fmt(row.cpuMsPer1kOps, 0) },
  { header: "ops/s", cell: (row) => fmt(row.opsPerSecond, 0) },
  { header: "p50 ms", cell: (row) => fmt(row.latencyMs?.p50, 2) },
  { header: "p90 ms", cell: (row) => fmt(row.latencyMs?.p90, 2) },
  { header: "p99 ms", cell: (row) => fmt(row.latencyMs?.p99, 2) },
  { header: "max ms", cell: (row) => fmt(row.latencyMs?.max, 1) },
  { header: "server CPU % core", cell: (row) => fmt(row.cpuPercentOfOneCore, 0) },
  { header: "RSS MB max (sum)", cell: (row) => fmt(row.rssMbMax, 0) },
  { header: "client CPU ms/1k", cell: (row) => fmt(row.clientCpuMsPer1kOps, 0) },
  { header: "errors", cell: errorsCell },
];

const SCENARIO_TITLES: Readonly<Record<number, string>> = {
  1: "Scenario 1: one group (one stream, one key space)",
  2: "Scenario 2: many groups (Flotilla groups, JetStream streams; etcd one cluster)",
};

/**
 * The report as Markdown; `chartFile`, when given, is the chart's path relative to the Markdown
 * file, shown under the machine line.
 */
export function renderPeerMarkdown(report: PeerReport, chartFile?: string): string {
  const { machine } = report;
  const lines = [
    `# Flotilla, etcd and JetStream${report.quick ? " (quick)" : ""} — ${report.startedAt}`,
    "",
    `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGb} GiB, Linux ${machine.kernel}, ` +
      `Node ${machine.nodeVersion}, commit ${machine.gitCommit?.slice(0, 10) ?? "?"}` +
      `${machine.gitDirty === true ? " (dirty)" : ""}; fsync probe ${fmt(machine.fsync.perSecond, 0)}/s ` +
      `(p50 ${fmt(machine.fsync.p50Ms, 2)} ms); load average at start ${machine.loadAverageAtStart.join(" / ")}; ` +
      `${Object.entries(report.versions)
        .map(([name, version]) => `${name} ${version}`)
        .join(", ")}.`,
    "",
  ];
  if (chartFile !== undefined) {
    lines.push(`![Throughput and p99 latency by writes in flight](${chartFile})`, "");
  }
  const scenarios = [...new Set(report.rows.map((row) => row.scenario))].sort((a, b) => a - b);
  for (const scenario of scenarios) {
    const rows = report.rows.filter((row) => row.scenario === scenario && row.status === "ok");
    lines.push(`## ${SCENARIO_TITLES[scenario] ?? `Scenario ${scenario}`}`, "");
    const medians = medianOverRounds(rows);
    const severalRounds = medians.some((m) => m.rounds > 1);
    if (severalRounds) {
      lines.push(
        "Medians over the rounds, [min–max] in brackets:",
        "",
        ...medianTable(medians),
        "",
      );
    } else if (rows.length > 0) {
      lines.push(...table(COLUMNS, sortRows(rows)), "");
    }
    const ratios = ratioLines(medians.map((m) => m.row));
    if (ratios.length > 0) lines.push(...ratios, "");
    if (severalRounds) {
      const withRound = [
        ...COLUMNS.slice(0, 4),
        { header: "round", cell: (row: PeerRow) => fmt(row.round) },
        ...COLUMNS.slice(4),
      ];
      lines.push("Every round:", "", ...table(withRound, sortRows(rows)), "");
    }
  }
  for (const row of report.rows.filter((r) => r.status !== "ok")) {
    lines.push(
      `- ${row.status.toUpperCase()} ${row.system} ${row.durability} scenario ${row.scenario}, ` +
        `${row.groups} groups, ${row.inFlight} in flight: ${row.error ?? ""}`,
    );
  }
  // The run's notes (about scenarios 1 and 2) before the sections of scenarios 3–7, whose own
  // notes end them: one heading each, so no list runs into another.
  if (report.notes.length > 0) {
    lines.push(
      "",
      "Notes on scenarios 1 and 2:",
      "",
      ...report.notes.map((note) => `- ${note}`),
      "",
    );
  }
  lines.push(...renderScenarioMarkdown(report.scenarios ?? []));
  return `${lines.join("\n")}\n`;
}

/** Flotilla strict, Flotilla relaxed, etcd, JetStream; by in-flight count, then round. */
function sortRows(rows: readonly PeerRow[]): PeerRow[] {
  const rank = (row: PeerRow): number =>
    ["flotilla-strict", "flotilla-relaxed", "etcd-strict", "jetstream-relaxed"].indexOf(
      `${row.system}-${row.durability}`,
    );
  return [...rows].sort(
    (a, b) => rank(a) - rank(b) || a.inFlight - b.inFlight || a.round - b.round,
  );
}

/**
 * For each in-flight count: Flotilla strict / etcd and Flotilla relaxed / JetStream, in
 * throughput (above 1: Flotilla faster), p99 and CPU per operation (below 1: Flotilla better).
 */
function ratioLines(rows: readonly PeerRow[]): string[] {
  const find = (system: string, durability: string, inFlight: number): PeerRow | undefined =>
    rows.find((r) => r.system === system && r.durability === durability && r.inFlight === inFlight);
  const lines: string[] = [];
  const inFlights = [...new Set(rows.map((row) => row.inFlight))].sort((a, b) => a - b);
  for (const inFlight of inFlights) {
    for (const [durability, peer] of [
      ["strict", "etcd"],
      ["relaxed", "jetstream"],
    ] as const) {
      const ours = find("flotilla", durability, inFlight);
      const theirs = find(peer, durability, inFlight);
      if (ours === undefined || theirs === undefined) continue;
      lines.push(
        `- ${inFlight} in flight, Flotilla ${durability} / ${peer}: throughput ` +
          `${ratio(ours.opsPerSecond, theirs.opsPerSecond)}, p50 ${ratio(ours.latencyMs?.p50, theirs.latencyMs?.p50)}, ` +
          `p99 ${ratio(ours.latencyMs?.p99, theirs.latencyMs?.p99)}, CPU/op ${ratio(ours.cpuMsPer1kOps, theirs.cpuMsPer1kOps)}`,
      );
    }
  }
  return lines.length === 0
    ? []
    : ["Ratios (throughput above 1 and latency or CPU below 1 favour Flotilla):", "", ...lines];
}

function ratio(ours: number | null | undefined, theirs: number | null | undefined): string {
  if (ours === null || ours === undefined || theirs === null || theirs === undefined) return "—";
  if (!(theirs > 0)) return "—";
  return `${fmt(ours / theirs, 2)}×`;
}

/** The median table: the main figures with their spread over the rounds. */
function medianTable(medians: readonly MedianRow[]): string[] {
  const spread = new Map(medians.map((m) => [m.row, m]));
  const span = (row: PeerRow, pick: (m: MedianRow) => Range, digits: number): string => {
    const m = spread.get(row);
    return m === undefined || m.rounds < 2
      ? ""
      : ` [${fmt(pick(m).min, digits)}–${fmt(pick(m).max, digits)}]`;
  };
  const columns: readonly Column[] = [
    ...COLUMNS.slice(0, 4),
    { header: "rounds", cell: (row) => fmt(spread.get(row)?.rounds) },
    {
      header: "CPU ms/1k ops",
      cell: (row) => fmt(row.cpuMsPer1kOps, 0) + span(row, (m) => m.cpuMsPer1kOps, 0),
    },
    {
      header: "ops/s",
      cell: (row) => fmt(row.opsPerSecond, 0) + span(row, (m) => m.opsPerSecond, 0),
    },
    { header: "p50 ms", cell: (row) => fmt(row.latencyMs?.p50, 2) },
    { header: "p90 ms", cell: (row) => fmt(row.latencyMs?.p90, 2) },
    {
      header: "p99 ms",
      cell: (row) => fmt(row.latencyMs?.p99, 2) + span(row, (m) => m.p99Ms, 1),
    },
    { header: "max ms (all)", cell: (row) => fmt(row.latencyMs?.max, 1) },
    ...COLUMNS.slice(10),
  ];
  return table(columns, sortRows(medians.map((m) => m.row)));
}

function table(columns: readonly Column[], rows: readonly PeerRow[]): string[] {
  return [
    `| ${columns.map((c) => c.header).join(" | ")} |`,
    `| ${columns.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${columns.map((c) => c.cell(row)).join(" | ")} |`),
  ];
}

function errorsCell(row: PeerRow): string {
  const entries = Object.entries(row.errors);
  return entries.length === 0 ? "0" : entries.map(([code, n]) => `${code}×${n}`).join(", ");
}
