/**
 * The peer benchmark as an SVG chart for the README (issue 7): per scenario, throughput and p99
 * latency against the number of writes in flight, one line per system and durability. Built as
 * a Vega-Lite spec and rendered by Vega's headless view, so it needs neither a browser nor a
 * native canvas. The output depends on the report alone (no clock, no random ids), so
 * regenerating a chart from the same JSON gives the same file and a diff shows real changes.
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { PeerReport, PeerRow } from "./peer-row.js";
import { medianOverRounds } from "./round-medians.js";

/** One plotted point: the median over the rounds of one configuration, with the rounds' spread. */
interface Point {
  readonly series: string;
  readonly inFlight: number;
  readonly rounds: number;
  readonly opsPerSecond: number | null;
  readonly opsMin: number | null;
  readonly opsMax: number | null;
  readonly p99Ms: number | null;
  readonly p99Min: number | null;
  readonly p99Max: number | null;
}

/**
 * The series in the order the Markdown tables use, each with a colour from the Okabe–Ito
 * palette (distinguishable with the common colour-vision deficiencies), a point shape and a dash
 * so that the lines stay apart in grey print too: Flotilla in blues, strict solid, relaxed dashed.
 */
const SERIES_STYLE: readonly { name: string; color: string; shape: string; dash: number[] }[] = [
  { name: "flotilla strict", color: "#0072B2", shape: "circle", dash: [1, 0] },
  { name: "flotilla relaxed", color: "#56B4E9", shape: "diamond", dash: [6, 3] },
  { name: "etcd strict", color: "#D55E00", shape: "square", dash: [1, 0] },
  { name: "jetstream relaxed", color: "#009E73", shape: "triangle-up", dash: [6, 3] },
];

/** For a series outside the four above (a new peer or durability), still in the palette. */
const SPARE_STYLE: readonly { color: string; shape: string }[] = [
  { color: "#CC79A7", shape: "cross" },
  { color: "#E69F00", shape: "triangle-down" },
  { color: "#000000", shape: "triangle-right" },
];

/** Two panels side by side fit the README's column (about 880 px) without scaling text down. */
const PANEL_WIDTH = 330;
const PANEL_HEIGHT = 210;

/**
 * The report's `ok` rows as an SVG document: one row of two panels per scenario present —
 * throughput (median ops/s over the rounds, linear from zero) and p99 latency (median ms, log
 * scale), both against the in-flight count on a log scale — with the rounds' min–max as faint
 * bars, a shared legend and a subtitle naming the run's date and machine.
 *
 * @example
 * const svg = await peerChartSvg(JSON.parse(await readFile("bench/results/2026-11-23-full.json", "utf8")));
 */
export async function peerChartSvg(report: PeerReport): Promise<string> {
  const metrics = (vega as unknown as { textMetrics: TextMetrics }).textMetrics;
  const previous = metrics.width;
  metrics.width = helveticaWidth;
  const view = new vega.View(
    vega.parse(compile(chartSpec(report), { logger: strictLogger }).spec),
    {
      renderer: "none",
    },
  );
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
    metrics.width = previous;
  }
}

/**
 * Vega-Lite warns, and carries on, when a spec contradicts itself (two layers asking for
 * different legends, say) and the chart silently loses a part; throwing instead lets the unit
 * test catch such a spec before a benchmark run draws with it.
 */
const strictLogger = vega.logger(vega.Warn, undefined, (_method, _level, args) => {
  throw new Error(`peer chart spec: ${args.map(String).join(" ")}`);
});

/** Vega's text measurement hook (exported by vega-scenegraph, absent from vega's typings). */
interface TextMetrics {
  width: (item: TextItem, text?: unknown) => number;
}

interface TextItem {
  readonly text?: unknown;
  readonly fontSize?: number;
  readonly fontWeight?: string | number;
}

/**
 * Helvetica's advance widths (per 1,000 em) for ASCII 32–126. Without a canvas Vega guesses
 * 0.8 em per character, nearly half again too wide for this font, which left the chart with a
 * wide empty margin to the right of the subtitle; measuring with the font's own table (the hook
 * vl-convert uses for the same purpose) lays the chart out as a browser would, and stays
 * deterministic because it does not depend on the fonts installed.
 */
const HELVETICA_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
  556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
  611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
  667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
  222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/** The width of `text` (or the item's own text) in pixels, Helvetica metrics; bold a little wider. */
function helveticaWidth(item: TextItem, text?: unknown): number {
  const line = textOf(text ?? item.text).trim();
  const size = typeof item.fontSize === "number" ? item.fontSize : 11;
  const bold = item.fontWeight === "bold" || Number(item.fontWeight) >= 600;
  let units = 0;
  for (const char of line) {
    const code = char.codePointAt(0) ?? 0;
    units += HELVETICA_WIDTHS[code - 32] ?? 556;
  }
  // 10 % spare so a wider fallback font (DejaVu Sans, where Helvetica and Arial are missing)
  // still fits the space laid out.
  return ((units * size) / 1000) * (bold ? 1.1 : 1) * 1.1;
}

/**
 * The Vega-Lite spec behind {@link peerChartSvg}, exported so a test or a notebook can inspect
 * or restyle it without rendering.
 */
export function chartSpec(report: PeerReport): TopLevelSpec {
  const ok = report.rows.filter((row) => row.status === "ok");
  const scenarios = [...new Set(ok.map((row) => row.scenario))].sort((a, b) => a - b);
  const seriesNames = orderedSeries(ok);
  const styles = seriesNames.map((name, i) => styleOf(name, i));
  const rounds = Math.max(0, ...medianOverRounds(ok).map((m) => m.rounds));
  // One colour, shape and dash per series, spelled out once and used by every panel, so a
  // series looks the same in all four and one legend serves them.
  const seriesScales = {
    color: {
      field: "series",
      type: "nominal",
      title: null,
      scale: { domain: seriesNames, range: styles.map((s) => s.color) },
      legend: { orient: "top", direction: "horizontal", columns: 4, columnPadding: 22 },
    },
    shape: {
      field: "series",
      type: "nominal",
      title: null,
      scale: { domain: seriesNames, range: styles.map((s) => s.shape) },
    },
    strokeDash: {
      field: "series",
      type: "nominal",
      title: null,
      scale: { domain: seriesNames, range: styles.map((s) => s.dash) },
    },
  } as const;
  const rows = scenarios.map((scenario) => {
    const points = scenarioPoints(ok, scenario, seriesNames);
    const inFlights = [...new Set(points.map((p) => p.inFlight))].sort((a, b) => a - b);
    const x = {
      field: "inFlight",
      type: "quantitative",
      title: "writes in flight (log scale)",
      // Ticks exactly at the measured counts: a log axis's default ticks (1, 10, 100) name
      // values that were never run.
      scale: { type: "log", domain: logPadded(inFlights) },
      axis: { values: inFlights, format: "d", grid: false },
    } as const;
    const heading = scenarioHeading(ok, scenario);
    const throughputTicks = linearTicks(
      points.flatMap((p) => [p.opsPerSecond, p.opsMax]).filter((v): v is number => v !== null),
    );
    const latencyTicks = oneTwoFiveTicks(
      points.flatMap((p) => [p.p99Ms, p.p99Min, p.p99Max]).filter((v): v is number => v !== null),
    );
    const panel = (
      title: string,
      value: "opsPerSecond" | "p99Ms",
      low: "opsMin" | "p99Min",
      high: "opsMax" | "p99Max",
      y: Record<string, unknown>,
    ): Record<string, unknown> => ({
      title: { text: `${heading}: ${title}`, anchor: "start", fontSize: 13 },
      width: PANEL_WIDTH,
      height: PANEL_HEIGHT,
      // A latency of 0 has no place on a log scale (it would stretch the domain to -Infinity).
      data: {
        values: points.filter((p) => {
          const v = p[value];
          return v !== null && (value === "opsPerSecond" || v > 0);
        }),
      },
      layer: [
        {
          mark: { type: "rule", opacity: 0.35, strokeWidth: 1.5 },
          encoding: {
            x,
            y: { field: low, ...y },
            y2: { field: high },
            color: seriesScales.color,
          },
        },
        {
          mark: { type: "line", strokeWidth: 2 },
          encoding: {
            x,
            y: { field: value, ...y },
            color: seriesScales.color,
            strokeDash: seriesScales.strokeDash,
            order: { field: "inFlight" },
          },
        },
        {
          mark: { type: "point", filled: true, size: 55, opacity: 1 },
          encoding: {
            x,
            y: { field: value, ...y },
            color: seriesScales.color,
            shape: seriesScales.shape,
          },
        },
      ],
    });
    return {
      hconcat: [
        panel("throughput", "opsPerSecond", "opsMin", "opsMax", {
          type: "quantitative",
          title: "acknowledged writes/s",
          // Own ticks, like the latency axis, so the domain ends on a labelled tick in every
          // panel and the panels' titles line up.
          scale: { domain: [0, throughputTicks[throughputTicks.length - 1]] },
          axis: { values: throughputTicks, format: ",d" },
        }),
        panel("p99 latency", "p99Ms", "p99Min", "p99Max", {
          type: "quantitative",
          title: "p99 latency, ms (log scale)",
          // 1–2–5 steps as ticks and domain: the default log axis draws a grid line at every
          // integer multiple, a dense comb that hides the lines.
          scale: { type: "log", domain: [latencyTicks[0], latencyTicks[latencyTicks.length - 1]] },
          axis: { values: latencyTicks, format: "~g" },
        }),
      ],
    };
  });
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    background: "white",
    padding: 12,
    title: {
      text: `Flotilla, etcd and JetStream: throughput and p99 latency by writes in flight${report.quick ? " (quick run)" : ""}`,
      subtitle: subtitleLines(report, rounds),
      anchor: "start",
      fontSize: 16,
      subtitleFontSize: 11.5,
      subtitleColor: "#333333",
      offset: 14,
    },
    // Assembled as plain objects and cast once below: Vega-Lite's types for layered,
    // concatenated specs do not narrow from object literals built in helpers, and `compile`
    // checks the spec anyway (see strictLogger).
    vconcat: rows,
    spacing: 28,
    resolve: {
      scale: { color: "shared", shape: "shared", strokeDash: "shared" },
      legend: { color: "shared", shape: "shared" },
    },
    config: {
      font: "Helvetica, Arial, sans-serif",
      view: { stroke: "#dddddd" },
      axis: { labelFontSize: 11, titleFontSize: 11.5, titleFontWeight: "normal" },
      // The faint min–max bars share the colour scale; the legend shows the lines' full colour.
      legend: { labelFontSize: 12, symbolSize: 90, symbolOpacity: 1, labelLimit: 200 },
      concat: { spacing: 36 },
    },
  };
  return spec as unknown as TopLevelSpec;
}

/** The run's date, what each point is, and the machine: enough to tell two charts apart. */
function subtitleLines(report: PeerReport, rounds: number): string[] {
  const { machine } = report;
  const commit = machine.gitCommit?.slice(0, 10) ?? "?";
  return [
    `${report.startedAt.slice(0, 10)}, ${report.benchmark} run: ` +
      (rounds === 0
        ? "no configuration was measured."
        : `each point is the median of ${rounds === 1 ? "1 round" : `${rounds} rounds`}` +
          `${rounds > 1 ? "; faint bars span min–max over the rounds" : ""}.`),
    "Strict (solid lines) acknowledges after fdatasync, relaxed (dashed) before; " +
      "separate processes on loopback.",
    `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGb} GiB, Linux ${machine.kernel}, ` +
      `Node ${machine.nodeVersion}, fsync ${machine.fsync.perSecond}/s, ` +
      `commit ${commit}${machine.gitDirty === true ? " (dirty)" : ""}.`,
  ];
}

/**
 * "Scenario 2, 64 groups (etcd 1)": the largest group count, and any system that ran the
 * scenario with fewer (etcd runs scenario 2 as one cluster), so the lines are not misread.
 */
function scenarioHeading(rows: readonly PeerRow[], scenario: number): string {
  const groupsBySystem = new Map<string, number>();
  for (const row of rows.filter((r) => r.scenario === scenario)) {
    groupsBySystem.set(row.system, Math.max(groupsBySystem.get(row.system) ?? 0, row.groups));
  }
  const most = Math.max(...groupsBySystem.values());
  const fewer = [...groupsBySystem]
    .filter(([, groups]) => groups < most)
    .map(([system, groups]) => `${system} ${groups}`);
  return (
    `Scenario ${scenario}, ${most === 1 ? "one group" : `${most} groups`}` +
    (fewer.length > 0 ? ` (${fewer.join(", ")})` : "")
  );
}

/** The series present, the four known ones in their table order first, others alphabetically. */
function orderedSeries(rows: readonly PeerRow[]): string[] {
  const present = new Set(rows.map(seriesOf));
  const known = SERIES_STYLE.map((s) => s.name).filter((name) => present.has(name));
  const others = [...present].filter((name) => !known.includes(name)).sort();
  return [...known, ...others];
}

function styleOf(name: string, index: number): { color: string; shape: string; dash: number[] } {
  const known = SERIES_STYLE.find((s) => s.name === name);
  if (known !== undefined) return known;
  const spare = SPARE_STYLE[index % SPARE_STYLE.length] ?? { color: "#000000", shape: "cross" };
  return { ...spare, dash: [2, 2] };
}

function seriesOf(row: PeerRow): string {
  return `${row.system} ${row.durability}`;
}

/** The scenario's medians, ordered by series then in-flight count so the data is stable. */
function scenarioPoints(
  rows: readonly PeerRow[],
  scenario: number,
  seriesOrder: readonly string[],
): Point[] {
  return medianOverRounds(rows.filter((row) => row.scenario === scenario))
    .map((m): Point => {
      const p99 = m.row.latencyMs?.p99;
      return {
        series: seriesOf(m.row),
        inFlight: m.row.inFlight,
        rounds: m.rounds,
        opsPerSecond: finite(m.row.opsPerSecond),
        opsMin: finite(m.opsPerSecond.min),
        opsMax: finite(m.opsPerSecond.max),
        p99Ms: finite(p99),
        p99Min: finite(m.p99Ms.min),
        p99Max: finite(m.p99Ms.max),
      };
    })
    .sort(
      (a, b) =>
        seriesOrder.indexOf(a.series) - seriesOrder.indexOf(b.series) || a.inFlight - b.inFlight,
    );
}

/** Zero to the largest value in at most six equal steps of 1, 2 or 5 × a power of ten. */
function linearTicks(values: readonly number[]): number[] {
  const high = Math.max(1, ...values.filter((v) => Number.isFinite(v)));
  const decade = 10 ** Math.floor(Math.log10(high / 6));
  const step = [1, 2, 5, 10].map((m) => m * decade).find((s) => high / s <= 6) ?? 10 * decade;
  const count = Math.ceil(high / step);
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(6)));
}

/** A text mark's content as a string: Vega passes a line, a number or an array of lines. */
function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return Array.isArray(value) ? value.map(textOf).join(" ") : "";
}

/**
 * Ticks 1, 2, 5, 10, 20, … from the largest step at or below the smallest value to the smallest
 * at or above the largest, so the domain ends on labelled ticks.
 */
function oneTwoFiveTicks(values: readonly number[]): number[] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [1, 10];
  const low = Math.min(...positive);
  const high = Math.max(...positive);
  const steps: number[] = [];
  for (let decade = Math.floor(Math.log10(low)); decade <= Math.ceil(Math.log10(high)); decade++) {
    // Rounded so 2 × 0.1 is 0.2, not 0.20000000000000001.
    for (const mantissa of [1, 2, 5]) steps.push(Number((mantissa * 10 ** decade).toPrecision(6)));
  }
  const first = steps.filter((step) => step <= low).length - 1;
  const last = steps.findIndex((step) => step >= high);
  return steps.slice(Math.max(first, 0), last < 0 ? steps.length : last + 1);
}

/**
 * A log domain a little wider than the measured counts, so the first and last points are not
 * drawn on the panel's edge (and a single count still gets a non-empty domain).
 */
function logPadded(values: readonly number[]): [number, number] {
  const low = Math.max(values[0] ?? 1, 1e-9);
  const high = Math.max(values[values.length - 1] ?? low, low);
  const pad = Math.max((Math.log10(high) - Math.log10(low)) * 0.06, 0.15);
  return [10 ** (Math.log10(low) - pad), 10 ** (Math.log10(high) + pad)];
}

/** JSON-safe number: NaN and Infinity become null so the mark is left out, not drawn at 0. */
function finite(value: number | null | undefined): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}
