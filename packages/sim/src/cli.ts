/**
 * `npm run sim -- --seeds N [--start S] [--nodes 5] [--groups 8] [--steps K] [--verbose]`:
 * runs the seeds, prints each violation with its replay command, one coverage line and one
 * summary line, and exits non-zero when any seed found a violation (2 on a usage error).
 * `--runtime` runs the same kind of seeds against real runtime hosts (`src/runtime/`).
 */
import { parseCliArgs, UsageError } from "./cli-args.js";
import { runSeeds } from "./run-seeds.js";
import { runRuntimeSeeds } from "./runtime/run-runtime-seeds.js";
import { parseRuntimeCliArgs } from "./runtime/runtime-cli-args.js";

async function main(argv: readonly string[]): Promise<number> {
  const runtime = argv.includes("--runtime");
  const write = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  try {
    if (runtime) {
      const summary = await runRuntimeSeeds(parseRuntimeCliArgs(argv), write);
      return summary.violations === 0 && summary.incomplete === 0 ? 0 : 1;
    }
    const summary = runSeeds(parseCliArgs(argv), write);
    return summary.violations === 0 && summary.incomplete === 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
