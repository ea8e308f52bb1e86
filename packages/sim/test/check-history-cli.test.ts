/**
 * `npm run check-history` end to end on small files in a temporary folder: the counts, each
 * verdict line with its exit code, and a malformed file's line number. Most cases call the
 * command's function in process; one spawns the real script with tsx, as `npm run` does.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CheckHistoryExit,
  runCheckHistoryCommand,
} from "../src/linearizability/check-history-command.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = fileURLToPath(new URL("../src/check-history-cli.ts", import.meta.url));
/** Bound on the spawned command (node and tsx start-up on a loaded machine included). */
const SPAWN_TIMEOUT_MS = 60_000;

const LINES = {
  put: '{"client":1,"key":"g1/x","op":"put","value":"a","call":100,"return":200}',
  get: '{"client":2,"key":"g1/x","op":"get","output":"a","call":201,"return":300}',
  staleGet: '{"client":2,"key":"g1/x","op":"get","output":null,"call":201,"return":300}',
  append: '{"client":3,"key":"g2/l","op":"append","value":"v","call":100,"return":200}',
  read: '{"client":4,"key":"g2/l","op":"read-list","output":["v"],"call":201,"return":300}',
};

let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "flotilla-check-history-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `lines` to a file in the temporary folder and runs the command on it. */
async function run(
  name: string,
  lines: readonly string[],
  extraArgs: readonly string[] = [],
  nowMs?: () => number,
): Promise<{ code: number; out: string[]; err: string[] }> {
  const file = join(dir, name);
  await writeFile(file, lines.map((line) => `${line}\n`).join(""));
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCheckHistoryCommand([file, ...extraArgs], {
    readFile: (path) => readFile(path, "utf8"),
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    ...(nowMs === undefined ? {} : { nowMs }),
  });
  return { code, out, err };
}

describe("check-history", () => {
  it("prints the counts, then linearizable, and exits 0", async () => {
    const { code, out } = await run("good.jsonl", [LINES.put, LINES.get, LINES.append, LINES.read]);
    expect(code).toBe(CheckHistoryExit.linearizable);
    expect(out.slice(1)).toEqual(["operations: 4", "keys: 2 (1 register, 1 list)", "linearizable"]);
  });

  it("prints not-linearizable with the key and an explanation, and exits 1", async () => {
    const { code, out } = await run("stale.jsonl", [LINES.put, LINES.staleGet]);
    expect(code).toBe(CheckHistoryExit.notLinearizable);
    const verdict = out.indexOf("not-linearizable g1/x");
    expect(verdict).toBe(3);
    expect(out.slice(verdict + 1).join("\n")).toContain('key "g1/x" is not linearizable');
  });

  it("prints incomplete with the keys that ran out of time, and exits 2", async () => {
    // Fourteen concurrent appends and a read no order can explain; a clock that jumps a second
    // per reading makes the 1 ms budget run out at the search's first look.
    const appends = Array.from(
      { length: 14 },
      (_, index) =>
        `{"client":${index},"key":"g3/l","op":"append","value":"v${index}","call":0,"return":100}`,
    );
    const read =
      '{"client":99,"key":"g3/l","op":"read-list","output":["x"],"call":101,"return":102}';
    let nowMs = 0;
    const { code, out } = await run(
      "hard.jsonl",
      [LINES.put, ...appends, read],
      ["--budget-ms", "1"],
      () => (nowMs += 1_000),
    );
    expect(code).toBe(CheckHistoryExit.incomplete);
    expect(out.at(-1)).toBe("incomplete g3/l");
  });

  it("names the line of a malformed record and exits 3", async () => {
    const { code, out, err } = await run("bad.jsonl", [LINES.put, '{"client":1', LINES.get]);
    expect(code).toBe(CheckHistoryExit.unusable);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(/bad\.jsonl: line 2: not JSON/);
  });

  it("exits 3 on a missing file and on a bad command line", async () => {
    const missing = await runCheckHistoryCommand([join(dir, "missing.jsonl")], {
      readFile: (path) => readFile(path, "utf8"),
      out: () => undefined,
      err: () => undefined,
    });
    expect(missing).toBe(CheckHistoryExit.unusable);
    for (const argv of [[], ["a", "b"], ["a", "--budget-ms", "0"], ["a", "--bogus"]]) {
      const lines: string[] = [];
      const code = await runCheckHistoryCommand(argv, {
        readFile: () => Promise.reject(new Error("never read")),
        out: (line) => lines.push(line),
        err: (line) => lines.push(line),
      });
      expect(code, argv.join(" ")).toBe(CheckHistoryExit.unusable);
      expect(lines.join("\n")).toContain("usage: npm run check-history");
    }
  });

  it("runs as a script: exit code and verdict line through tsx", async () => {
    const file = join(dir, "script.jsonl");
    await writeFile(file, `${LINES.put}\n${LINES.staleGet}\n`);
    const child = spawn(
      process.execPath,
      ["--conditions=@flotilla/source", "--import", "tsx", CLI, file],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    const status = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), SPAWN_TIMEOUT_MS);
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    expect(status).toBe(CheckHistoryExit.notLinearizable);
    expect(stdout.split("\n")).toContain("not-linearizable g1/x");
  });
});
