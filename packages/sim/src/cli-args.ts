/**
 * The simulator's command line: `--seeds N [--start S] [--verbose]`, plus `--<parameter> <value>`
 * for any world parameter (`--nodes 5 --groups 8 --steps 3000 --drop-odds 0.1`), which pins it.
 */
import { chooseWorld, type World, type WorldPins } from "./world.js";
import type { RunOptions } from "./run-seeds.js";

/** A command line the simulator cannot run. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The usage text. */
export const USAGE =
  "usage: npm run sim -- --seeds N [--start S] [--verbose] [--nodes 3|5] [--groups G] [--steps K] [--<world-parameter> V]\n" +
  "       npm run sim -- --runtime --seeds N ... (real runtime hosts; see src/runtime/)";

/**
 * Parses `argv` (without the node and script paths).
 *
 * @throws {UsageError} on an unknown flag or a bad value.
 */
export function parseCliArgs(argv: readonly string[]): RunOptions {
  let seeds: number | undefined;
  let start = 0;
  let verbose = false;
  const pins: WorldPins = {};
  const reference = chooseWorld(0);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    if (flag === "--verbose") {
      verbose = true;
      continue;
    }
    const value = argv[++i];
    if (!flag.startsWith("--") || value === undefined)
      throw new UsageError(`${flag}: expected --flag value\n${USAGE}`);
    const name = camel(flag.slice(2));
    if (name === "seeds") seeds = integer(flag, value, 1);
    else if (name === "start") start = integer(flag, value, 0);
    else if (name in reference)
      pin(pins, name as keyof World, parseValue(flag, value, reference[name as keyof World]));
    else throw new UsageError(`unknown flag ${flag}\n${USAGE}`);
  }
  if (seeds === undefined) throw new UsageError(`--seeds is required\n${USAGE}`);
  if (pins.nodes !== undefined && pins.nodes !== 3 && pins.nodes !== 5)
    throw new UsageError("--nodes must be 3 or 5");
  return { seeds, start, pins, verbose };
}

function pin(pins: WorldPins, name: keyof World, value: World[keyof World]): void {
  (pins as Record<string, unknown>)[name] = value;
}

function parseValue(flag: string, value: string, example: World[keyof World]): World[keyof World] {
  if (typeof example === "boolean") {
    if (value !== "true" && value !== "false") throw new UsageError(`${flag} takes true or false`);
    return value === "true";
  }
  if (typeof example === "string") {
    if (value !== "forward" && value !== "reject")
      throw new UsageError(`${flag} takes forward or reject`);
    return value;
  }
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0)
    throw new UsageError(`${flag} takes a number >= 0, got ${value}`);
  return number;
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
