/**
 * Runs Flotilla's own scenarios (issue 7, scenarios 3–7) alone, without the peers:
 *
 *   npx tsx --conditions=@flotilla/source bench/run-scenario.ts idle-failover [--quick]
 *   #   names: the modules in bench/scenarios/ (idle-failover, recovery, learner-catch-up,
 *   #   fan-out, disk-growth); several may be given; --out FILE writes the reports as JSON
 *
 * `npm run bench` runs the same modules after scenarios 1 and 2.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { findNatsServerBinary } from "@flotilla/testkit";
import type { FlotillaScenario, ScenarioReport } from "./scenarios/scenario.js";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { quick: { type: "boolean", default: false }, out: { type: "string" } },
    allowPositionals: true,
  });
  const tempRoot = mkdtempSync(join(tmpdir(), "flotilla-scenario-"));
  process.once("exit", () => rmSync(tempRoot, { recursive: true, force: true }));
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => process.exit(130));
  const reports: ScenarioReport[] = [];
  for (const name of positionals) {
    const module = (await import(`./scenarios/${name}.js`)) as { default: FlotillaScenario };
    log(`scenario ${module.default.scenario}: ${module.default.title}`);
    const report = await module.default.run({
      quick: values.quick,
      natsServerBinary: findNatsServerBinary(),
      tempRoot,
      log,
    });
    reports.push(report);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify(reports, null, 2)}\n`);
  return reports.every((report) => report.status !== "failed") ? 0 : 1;
}

function log(line: string): void {
  process.stderr.write(`[scenario ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
