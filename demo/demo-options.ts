/**
 * The demo's command line: `npm run demo -- [--ci] [--follow] [--duration S] [--groups N]
 * [--in-flight N] [--in-process]`. Bounded by default (under two minutes); `--ci` is the short
 * version the test suite runs; `--follow` keeps the workload going until Ctrl-C.
 */

/** What the demo runs. */
export interface DemoOptions {
  /** Seconds of workload (ignored with `follow`). */
  readonly durationS: number;
  readonly groups: number;
  /** Proposals kept in flight by the workload. */
  readonly inFlight: number;
  /** Run until SIGINT instead of `durationS`. */
  readonly follow: boolean;
  /** The short version for the test suite (also: plain line output). */
  readonly ci: boolean;
  /** Force the in-process transport even when nats-server is available. */
  readonly inProcess: boolean;
}

/** A command-line mistake: the demo prints it with the usage and exits 2. */
export class DemoUsageError extends Error {
  override readonly name = "DemoUsageError";
}

export const DEMO_USAGE =
  "usage: npm run demo -- [--ci] [--follow] [--duration SECONDS] [--groups N] [--in-flight N] [--in-process]";

/** Parses `argv` (without node and the script). @throws {DemoUsageError} */
export function parseDemoOptions(argv: readonly string[]): DemoOptions {
  let durationS: number | undefined;
  let groups = 32;
  let inFlight = 64;
  let follow = false;
  let ci = false;
  let inProcess = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): number => {
      const raw = argv[++i];
      const parsed = Number(raw);
      if (raw === undefined || !Number.isInteger(parsed) || parsed <= 0) {
        throw new DemoUsageError(`${arg} needs a positive integer, got ${raw ?? "nothing"}`);
      }
      return parsed;
    };
    switch (arg) {
      case "--ci":
        ci = true;
        break;
      case "--follow":
        follow = true;
        break;
      case "--in-process":
        inProcess = true;
        break;
      case "--duration":
        durationS = value();
        break;
      case "--groups":
        groups = value();
        break;
      case "--in-flight":
        inFlight = value();
        break;
      case undefined:
      default:
        throw new DemoUsageError(`unknown argument ${arg ?? ""}`);
    }
  }
  return { durationS: durationS ?? (ci ? 20 : 60), groups, inFlight, follow, ci, inProcess };
}
