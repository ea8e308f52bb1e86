/**
 * `npm run sim -- --seeds N [--start S] [--nodes 5] [--groups 8] [--steps K] [--verbose]`:
 * runs the seeds, prints each violation with its replay command, one coverage line and one
 * summary line, and exits non-zero when any seed found a violation (2 on a usage error).
 */
import { parseCliArgs, UsageError } from "./cli-args.js";
import { runSeeds } from "./run-seeds.js";

function main(argv: readonly string[]): number {
  let options;
  try {
    options = parseCliArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const summary = runSeeds(options, (line) => process.stdout.write(`${line}\n`));
  return summary.violations === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
