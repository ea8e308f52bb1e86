/**
 * `flotilla node` started for real with bad configurations: each exits by itself with code 2,
 * prints one line naming the problem (then the usage) and no stack trace. No NATS server is
 * needed: every mistake here must be caught before the node connects.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_USAGE } from "../../packages/flotilla/src/node-config.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(REPO, "packages", "flotilla", "src", "cli.ts");
/**
 * A bound on one start-up, generous for tsx compiling on a loaded 2-core machine; past it the
 * process is killed and the test fails as a hang (never a timing assertion on a normal run).
 */
const EXIT_BOUND_MS = 45_000;

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `flotilla node …args` with no `FLOTILLA_*` variables from this environment. */
function runNode(args: readonly string[]): Promise<Ended> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("FLOTILLA_")),
  );
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@flotilla/source", CLI, "node", ...args],
    { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const hang = setTimeout(() => child.kill("SIGKILL"), EXIT_BOUND_MS);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(hang);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

let dir: string;
let dataDir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "flotilla-startup-errors-"));
  dataDir = join(dir, "data");
  mkdirSync(dataDir);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The flags every case needs, then the bad one; port 1 so a node that got as far as NATS fails. */
function flags(...bad: string[]): string[] {
  return ["--node-id", "n1", "--data-dir", dataDir, "--nats", "127.0.0.1:1", ...bad];
}

/** The process ended by itself with 2, its message on one line then the usage, no stack. */
function expectConfigError(ended: Ended, named: string | RegExp): void {
  const context = `stderr:\n${ended.stderr}\nstdout:\n${ended.stdout}`;
  expect(ended.signal, `killed after ${EXIT_BOUND_MS} ms: ${context}`).toBeNull();
  expect(ended.code, context).toBe(2);
  expect(ended.stderr, context).not.toMatch(/^\s+at /m);
  expect(ended.stdout, context).not.toMatch(/^\s+at /m);
  const [message = "", ...rest] = ended.stderr.trimEnd().split("\n");
  expect(message, context).toMatch(named);
  expect(rest.join("\n"), context).toBe(NODE_USAGE);
}

describe("flotilla node refuses a bad configuration with exit 2 and one line", () => {
  it("an unknown --log-level (pino threw it with a stack)", async () => {
    expectConfigError(await runNode(flags("--log-level", "verbose")), /--log-level.*"verbose"/);
  });

  it("a --tick-ms past Node's timer range (it would have ticked every 1 ms)", async () => {
    expectConfigError(await runNode(flags("--tick-ms", "2147483648")), /--tick-ms/);
  });

  it("one election tick with a group (Raft threw a RangeError with a stack)", async () => {
    expectConfigError(
      await runNode(flags("--election-ticks", "1", "--group", "g1:kv:n1")),
      /--election-ticks/,
    );
  });

  it("a --group with an unknown kind", async () => {
    expectConfigError(await runNode(flags("--group", "g1:nope:n1")), /unknown kind nope/);
  });

  it("a --shards count that cannot be expanded (a RangeError with a stack)", async () => {
    expectConfigError(await runNode(flags("--shards", "s:1e308:kv:n1")), /shard count/);
  });

  it("an invalid --node-id (not one NATS subject token)", async () => {
    expectConfigError(
      await runNode(["--node-id", "a.b", "--data-dir", dataDir, "--nats", "127.0.0.1:1"]),
      /--node-id.*"a\.b"/,
    );
  });

  it("a --config file that is not JSON", async () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, "{ not json");
    expectConfigError(await runNode(flags("--config", path)), `cannot read config file ${path}`);
  });

  it("a --data-dir that is a regular file", async () => {
    const path = join(dir, "a-file");
    writeFileSync(path, "not a directory");
    expectConfigError(
      await runNode(["--node-id", "n1", "--data-dir", path, "--nats", "127.0.0.1:1"]),
      `--data-dir ${path} is not a directory`,
    );
  });
});
