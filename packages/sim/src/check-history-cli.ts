/**
 * `npm run check-history -- FILE [--budget-ms N]`: checks a history file (the chaos run's
 * `history.jsonl`, or any history in that format) for linearizability. Prints the counts and a
 * verdict; exits 0 linearizable, 1 not-linearizable, 2 incomplete, 3 malformed file or usage.
 */
import { readFile } from "node:fs/promises";
import { runCheckHistoryCommand } from "./linearizability/check-history-command.js";

// A reader that goes away early (`| head`) is not an error of the check: stop writing quietly
// instead of dying on an unhandled EPIPE.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});

process.exitCode = await runCheckHistoryCommand(process.argv.slice(2), {
  readFile: (path) => readFile(path, "utf8"),
  out: (line) => {
    process.stdout.write(`${line}\n`);
  },
  err: (line) => {
    process.stderr.write(`${line}\n`);
  },
});
