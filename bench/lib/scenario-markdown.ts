/**
 * Renders Flotilla's own scenarios (issue 7, 3–7) as Markdown: per scenario its parameters in
 * one line, a table of its measures with the goal and whether it is met, then its notes; a
 * failed scenario shows why. Series (sizes over time, …) stay in the JSON.
 */
import type { ScenarioMeasure, ScenarioReport } from "../scenarios/scenario.js";

/** The scenarios' sections, or nothing when there are none. */
export function renderScenarioMarkdown(reports: readonly ScenarioReport[]): string[] {
  const lines: string[] = [];
  for (const report of [...reports].sort((a, b) => a.scenario - b.scenario)) {
    lines.push(`## Scenario ${report.scenario}: ${report.title}`, "");
    const parameters = Object.entries(report.parameters)
      .map(([name, value]) => `${name} ${typeof value === "number" ? fmt(value) : value}`)
      .join(", ");
    lines.push(
      `Flotilla only, ${report.durability} durability; ${parameters || "default parameters"}; ` +
        `took ${fmt(report.durationMs / 1000, 0)} s.`,
      "",
    );
    if (report.status !== "ok") {
      lines.push(`**${report.status.toUpperCase()}**: ${firstLine(report.error)}`, "");
    }
    if (report.measures.length > 0) {
      lines.push(
        "| measure | value | goal | met |",
        "| --- | --- | --- | --- |",
        ...report.measures.map(measureRow),
        "",
      );
    }
    if (report.notes.length > 0) lines.push(...report.notes.map((note) => `- ${note}`), "");
  }
  return lines;
}

function measureRow(measure: ScenarioMeasure): string {
  const value = measure.value === null ? "—" : `${fmt(measure.value)} ${measure.unit}`.trim();
  const met =
    measure.met === undefined ? "" : measure.met === null ? "?" : measure.met ? "yes" : "**no**";
  return `| ${escape(measure.label)} | ${value} | ${escape(measure.goal ?? "")} | ${met} |`;
}

function escape(text: string): string {
  return text.replaceAll("|", "\\|");
}

function firstLine(text: string | null): string {
  return (text ?? "").split("\n")[0] ?? "";
}

function fmt(value: number, digits?: number): string {
  // Enough places that a value beside its goal never rounds onto it (399.6 is not "400").
  const places = digits ?? (Math.abs(value) >= 1000 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString("en-US", { maximumFractionDigits: places });
}
