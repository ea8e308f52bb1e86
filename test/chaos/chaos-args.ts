/**
 * The chaos run's command line: `--duration S --seed N [--nodes 3] [--groups 8] [--out DIR]
 * [--clients 8] [--client-processes 4]`. Without `--seed` the seed comes from the clock and is
 * printed, so that any run replays.
 */

/** What a chaos run is asked to do. */
export interface ChaosArgs {
  /** Seconds of workload under faults (the quiet period and the checks come after). */
  readonly durationS: number;
  readonly seed: number;
  /** True when the seed was derived from the clock, not given. */
  readonly seedDerived: boolean;
  readonly nodes: number;
  readonly groups: number;
  /** The results folder, or undefined for a new one under chaos-results/. */
  readonly out: string | undefined;
  /** Sequential clients in all (at least 8 by default, two per key). */
  readonly clients: number;
  /** Processes the clients are spread over. */
  readonly clientProcesses: number;
}

/** A mistake on the command line. */
export class ChaosUsageError extends Error {
  override readonly name = "ChaosUsageError";
}

export const CHAOS_USAGE = `usage: npm run chaos -- [--duration S (60)] [--seed N] [--nodes N (3)] [--groups N (8)]
                      [--out DIR] [--clients N (8)] [--client-processes N (4)]`;

const FLAGS = new Set([
  "duration",
  "seed",
  "nodes",
  "groups",
  "out",
  "clients",
  "client-processes",
]);

/**
 * Parses `argv` (after the script). `clockSeed` is used when no `--seed` is given.
 *
 * @throws {ChaosUsageError} for an unknown flag, a missing value or a number out of range.
 */
export function parseChaosArgs(argv: readonly string[], clockSeed: number): ChaosArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) throw new ChaosUsageError(`unexpected argument ${arg}`);
    const [name = "", inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (!FLAGS.has(name)) throw new ChaosUsageError(`unknown option --${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ChaosUsageError(`--${name} needs a value`);
    values.set(name, value);
  }
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ChaosUsageError(`--${name} must be an integer in [${min}, ${max}], not ${text}`);
    }
    return n;
  };
  const clients = int("clients", 8, 2, 64);
  const given = values.get("seed");
  return {
    durationS: int("duration", 60, 5, 3_600),
    seed: given === undefined ? clockSeed >>> 0 : int("seed", 0, 0, 0xffff_ffff),
    seedDerived: given === undefined,
    nodes: int("nodes", 3, 3, 7),
    groups: int("groups", 8, 1, 64),
    out: values.get("out"),
    clients,
    clientProcesses: int("client-processes", Math.min(4, clients), 1, clients),
  };
}

/** The command that replays a run (the same seed and shape). */
export function replayCommand(args: ChaosArgs): string {
  return [
    "npm run chaos --",
    `--duration ${args.durationS} --seed ${args.seed}`,
    `--nodes ${args.nodes} --groups ${args.groups}`,
    `--clients ${args.clients} --client-processes ${args.clientProcesses}`,
  ].join(" ");
}
