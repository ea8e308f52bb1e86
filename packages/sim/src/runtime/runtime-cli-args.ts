/**
 * The runtime mode's command line: `--runtime --seeds N [--start S] [--verbose]`, plus
 * `--<parameter> <value>` for any runtime-world parameter (`--nodes 5 --crash-odds 0.01`),
 * which pins it.
 */
import { UsageError } from "../cli-args.js";
import type { RuntimeRunOptions } from "./run-runtime-seeds.js";
import { chooseRuntimeWorld, type RuntimeWorld, type RuntimeWorldPins } from "./runtime-world.js";

/** The usage text of runtime mode. */
export const RUNTIME_USAGE =
  "usage: npm run sim -- --runtime --seeds N [--start S] [--verbose] [--nodes 3|5] [--groups G] [--steps K] [--<runtime-world-parameter> V]";

/**
 * Parses `argv` (without the node and script paths); `--runtime` may appear anywhere.
 *
 * @throws {UsageError} on an unknown flag or a bad value.
 */
export function parseRuntimeCliArgs(argv: readonly string[]): RuntimeRunOptions {
  let seeds: number | undefined;
  let start = 0;
  let verbose = false;
  const pins: RuntimeWorldPins = {};
  const reference = chooseRuntimeWorld(0);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    if (flag === "--runtime") continue;
    if (flag === "--verbose") {
      verbose = true;
      continue;
    }
    const value = argv[++i];
    if (!flag.startsWith("--") || value === undefined)
      throw new UsageError(`${flag}: expected --flag value\n${RUNTIME_USAGE}`);
    const name = camel(flag.slice(2));
    if (name === "seeds") seeds = integer(flag, value, 1);
    else if (name === "start") start = integer(flag, value, 0);
    else if (name in reference) {
      const number = Number(value);
      if (!Number.isFinite(number) || number < 0)
        throw new UsageError(`${flag} takes a number >= 0, got ${value}`);
      (pins as Record<string, unknown>)[name as keyof RuntimeWorld] = number;
    } else throw new UsageError(`unknown flag ${flag}\n${RUNTIME_USAGE}`);
  }
  if (seeds === undefined) throw new UsageError(`--seeds is required\n${RUNTIME_USAGE}`);
  if (pins.nodes !== undefined && pins.nodes !== 3 && pins.nodes !== 5)
    throw new UsageError("--nodes must be 3 or 5");
  return { seeds, start, pins, verbose };
}

function integer(flag: string, value: string, min: number): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < min)
    throw new UsageError(`${flag} takes an integer >= ${min}`);
  return number;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}
