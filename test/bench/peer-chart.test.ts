/**
 * The peer benchmark's chart: every series of a report is drawn and named, rows that did not
 * measure (failed, skipped) are left out, and the same report gives the same SVG byte for byte,
 * so a regenerated chart only changes when the figures do.
 */
import { describe, expect, it } from "vitest";
import { peerChartSvg } from "../../bench/lib/peer-chart.js";
import type { PeerReport, PeerRow } from "../../bench/lib/peer-row.js";

function row(
  system: PeerRow["system"],
  durability: PeerRow["durability"],
  scenario: number,
  inFlight: number,
  round: number,
  opsPerSecond: number,
  p99: number,
  status: PeerRow["status"] = "ok",
): PeerRow {
  const measured = status === "ok";
  return {
    system,
    durability,
    scenario,
    groups: scenario === 2 && system !== "etcd" ? 64 : 1,
    inFlight,
    round,
    deployment: "multi-process",
    valueBytes: 100,
    warmupMs: 2000,
    windowMs: measured ? 10_000 : null,
    opsPerSecond: measured ? opsPerSecond : null,
    latencyMs: measured ? { p50: p99 / 3, p90: p99 / 2, p99, max: p99 * 2 } : null,
    cpuMsPer1kOps: measured ? 500 : null,
    cpuPercentOfOneCore: measured ? 100 : null,
    rssMbMax: measured ? 300 : null,
    rssMbMaxPerProcess: measured ? 100 : null,
    clientCpuMsPer1kOps: measured ? 50 : null,
    serverProcesses: measured ? 3 : null,
    errors: {},
    detail: null,
    status,
    error: measured ? null : "refused to start",
  };
}

const SERIES = [
  ["flotilla", "strict"],
  ["flotilla", "relaxed"],
  ["etcd", "strict"],
  ["jetstream", "relaxed"],
] as const;

function report(rows: readonly PeerRow[]): PeerReport {
  return {
    schemaVersion: 1,
    benchmark: "quick",
    quick: true,
    startedAt: "2026-01-02T03:04:05.000Z",
    finishedAt: "2026-01-02T03:08:05.000Z",
    command: "npm run bench -- --quick",
    machine: {
      cores: 2,
      cpuModel: "Test CPU",
      memoryGb: 8,
      kernel: "6.0.0-test",
      platform: "linux x64",
      nodeVersion: "v20.0.0",
      lmdbVersion: "3.0.0",
      loadAverageAtStart: [0.5, 0.4, 0.3],
      gitCommit: "0123456789abcdef",
      gitDirty: false,
      fsync: { rounds: 10, perSecond: 400, p50Ms: 2.5, p99Ms: 5 },
    },
    versions: { etcd: "3.4.23", "nats-server": "2.9.10" },
    notes: [],
    rows,
  };
}

/** Two scenarios, two in-flight counts, two rounds each, for all four series. */
const measuredRows: PeerRow[] = SERIES.flatMap(([system, durability], s) =>
  [1, 2].flatMap((scenario) =>
    [1, 16].flatMap((inFlight) =>
      [1, 2].map((round) =>
        row(
          system,
          durability,
          scenario,
          inFlight,
          round,
          1000 * (s + 1) * inFlight + round,
          2 + s,
        ),
      ),
    ),
  ),
);

describe("peerChartSvg", () => {
  it("draws an SVG naming every series, the scenarios and the run", async () => {
    const svg = await peerChartSvg(report(measuredRows));
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    for (const [system, durability] of SERIES) expect(svg).toContain(`${system} ${durability}`);
    expect(svg).toContain("Scenario 1, one group");
    expect(svg).toContain("Scenario 2, 64 groups (etcd 1)");
    expect(svg).toContain("2026-01-02");
    expect(svg).toContain("Test CPU");
  });

  it("gives the same SVG for the same report", async () => {
    const input = report(measuredRows);
    const first = await peerChartSvg(input);
    const second = await peerChartSvg(input);
    expect(second).toBe(first);
  });

  it("leaves out rows that did not measure", async () => {
    const failed = [
      row("etcd", "relaxed", 1, 1, 1, 0, 0, "failed"),
      row("jetstream", "strict", 1, 16, 1, 0, 0, "skipped"),
    ];
    const svg = await peerChartSvg(report([...measuredRows, ...failed]));
    expect(svg).not.toContain("etcd relaxed");
    expect(svg).not.toContain("jetstream strict");
    // The unmeasured rows change nothing: same chart as without them.
    expect(svg).toBe(await peerChartSvg(report(measuredRows)));
  });

  it("draws a scenario only when it has a measured row", async () => {
    const onlyScenario1 = [
      ...measuredRows.filter((r) => r.scenario === 1),
      row("flotilla", "strict", 2, 16, 1, 0, 0, "failed"),
    ];
    const svg = await peerChartSvg(report(onlyScenario1));
    expect(svg).toContain("Scenario 1, one group");
    expect(svg).not.toContain("Scenario 2");
  });
});
