/**
 * `npm run check-history -- FILE [--budget-ms N]`: reads a history file, checks it, prints the
 * counts and then one verdict line, and exits with the verdict's code. The verdict line is the
 * last line except after `not-linearizable`, which the explanation follows.
 */
import { BUDGET_MS_PER_KEY_DEFAULT, checkHistory } from "./check-history.js";
import type { CheckedRecord } from "./checked-record.js";
import { OBJECT_KIND_OF_OP } from "./history-record.js";
import { HistoryVerdict } from "./key-verdict.js";
import { isMalformedHistoryError } from "./malformed-history-error.js";
import { parseHistory } from "./parse-history.js";

/** The exit code of each outcome. */
export const CheckHistoryExit = {
  linearizable: 0,
  notLinearizable: 1,
  incomplete: 2,
  /** A malformed or unreadable file, or a bad command line: nothing was checked. */
  unusable: 3,
} as const;

/** The usage text. */
export const CHECK_HISTORY_USAGE =
  "usage: npm run check-history -- FILE [--budget-ms N]\n" +
  `  FILE: a history, one JSON record per line (docs/reliability.md)\n` +
  `  --budget-ms N: wall-clock budget per key, default ${BUDGET_MS_PER_KEY_DEFAULT}; ` +
  "a key that runs out is incomplete\n" +
  "  exit: 0 linearizable, 1 not-linearizable, 2 incomplete, 3 malformed file or bad usage";

/** What the command reads and writes, injected so tests run it in process. */
export interface CheckHistoryIo {
  readonly readFile: (path: string) => Promise<string>;
  /** Writes one line to standard output. */
  readonly out: (line: string) => void;
  /** Writes one line to standard error. */
  readonly err: (line: string) => void;
  /** A monotonic clock in ms for the time budget and the duration line; default `hrtime`. */
  readonly nowMs?: () => number;
}

/**
 * Runs the command on `argv` (the arguments after the script) and returns its exit code.
 *
 * @example
 * ```ts
 * const code = await runCheckHistoryCommand(["history.jsonl", "--budget-ms", "5000"], {
 *   readFile: (path) => readFile(path, "utf8"),
 *   out: (line) => console.log(line),
 *   err: (line) => console.error(line),
 * });
 * ```
 */
export async function runCheckHistoryCommand(
  argv: readonly string[],
  io: CheckHistoryIo,
): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    io.err(args);
    io.err(CHECK_HISTORY_USAGE);
    return CheckHistoryExit.unusable;
  }
  let records: CheckedRecord[];
  try {
    records = parseHistory(await io.readFile(args.file));
  } catch (error) {
    if (!isMalformedHistoryError(error) && !isFileError(error)) throw error;
    io.err(`${args.file}: ${error.message}`);
    io.err("not-checked: the file is not a valid history");
    return CheckHistoryExit.unusable;
  }
  const kinds = keyKinds(records);
  io.out(`history: ${args.file}`);
  io.out(`operations: ${records.length}`);
  io.out(`keys: ${kinds.register + kinds.list} (${kinds.register} register, ${kinds.list} list)`);
  const result = checkHistory(records, {
    budgetMsPerKey: args.budgetMs,
    ...(io.nowMs === undefined ? {} : { nowMs: io.nowMs }),
  });
  switch (result.verdict) {
    case HistoryVerdict.linearizable:
      io.out("linearizable");
      return CheckHistoryExit.linearizable;
    case HistoryVerdict.incomplete:
      io.out(`incomplete ${result.incompleteKeys.join(" ")}`);
      return CheckHistoryExit.incomplete;
    case HistoryVerdict.notLinearizable:
      io.out(`not-linearizable ${result.failure?.key ?? ""}`);
      for (const line of (result.failure?.explanation ?? "").split("\n")) io.out(line);
      return CheckHistoryExit.notLinearizable;
  }
}

/** The file and budget, or what is wrong with the command line. */
function parseArgs(argv: readonly string[]): { file: string; budgetMs: number } | string {
  let file: string | undefined;
  let budgetMs = BUDGET_MS_PER_KEY_DEFAULT;
  for (let at = 0; at < argv.length; at++) {
    const arg = argv[at] ?? "";
    if (arg === "--budget-ms") {
      const value = argv[++at] ?? "";
      budgetMs = Number(value);
      if (!/^[0-9]+$/.test(value) || !(budgetMs > 0)) {
        return `--budget-ms needs a positive integer, got ${JSON.stringify(value)}`;
      }
    } else if (arg.startsWith("--")) {
      return `unknown flag ${arg}`;
    } else if (file === undefined) {
      file = arg;
    } else {
      return `one history file only, got ${JSON.stringify(file)} and ${JSON.stringify(arg)}`;
    }
  }
  return file === undefined ? "no history file given" : { file, budgetMs };
}

function keyKinds(records: readonly CheckedRecord[]): { register: number; list: number } {
  const register = new Set<string>();
  const list = new Set<string>();
  for (const record of records) {
    (OBJECT_KIND_OF_OP[record.op] === "list" ? list : register).add(record.key);
  }
  return { register: register.size, list: list.size };
}

/** An error from the file system (a missing or unreadable file). */
function isFileError(error: unknown): error is Error {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}
