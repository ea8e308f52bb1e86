// Turns one vitest run into counts for scripts/test.sh: each test is one check.
// Usage: node scripts/count-vitest.mjs <report.json> <vitest exit status>
// Prints the reasons for extra failures on stderr and "<passed> <failed>" as the last stdout line.
// A file that fails to load, a crash with no report, or a non-zero exit with no failing test
// (an unhandled error, no test files) each count as one failure, so nothing fails silently.
import { readFileSync } from "node:fs";

const [reportPath, exitArg] = process.argv.slice(2);
if (reportPath === undefined || exitArg === undefined) {
  console.error("usage: node scripts/count-vitest.mjs <report.json> <vitest exit status>");
  process.exit(2);
}
const exitStatus = Number(exitArg);

let report;
try {
  report = JSON.parse(readFileSync(reportPath, "utf8"));
} catch (error) {
  console.error(`vitest wrote no readable JSON report (exit ${exitStatus}): ${String(error)}`);
  console.log("0 1");
  process.exit(0);
}

const passed = Number(report.numPassedTests ?? 0);
let failed = Number(report.numFailedTests ?? 0);

// A file that failed outside any test (import error, failing beforeAll) has no failed test.
for (const file of report.testResults ?? []) {
  const failedTests = (file.assertionResults ?? []).filter((test) => test.status === "failed");
  if (file.status === "failed" && failedTests.length === 0) {
    failed += 1;
    const firstLine = String(file.message ?? "").split("\n")[0] ?? "";
    console.error(`counted 1 failure: ${file.name} failed outside its tests: ${firstLine}`);
  }
}

if (exitStatus !== 0 && failed === 0) {
  failed += 1;
  console.error(`counted 1 failure: vitest exited ${exitStatus} with no failing test`);
}

console.log(`${passed} ${failed}`);
