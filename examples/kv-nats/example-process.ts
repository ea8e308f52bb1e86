/**
 * The test fixture that runs an example's program as a separate process: `node --import tsx
 * --conditions=@flotilla/source <file>` spawned directly (never through the tsx wrapper, whose
 * SIGKILL would orphan the real process), its output kept for assertions and failure messages.
 * Whatever is started, `kill()` ends; a last-resort handler SIGKILLs leftovers when the test
 * process exits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const OUTPUT_CHARS_MAX = 256 * 1024;
const TERM_TIMEOUT_MS = 5_000;
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** One run of an example program. */
export class ExampleProcess {
  private output = "";
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  private readonly child: ChildProcess;

  /** Spawns `file` (a path from the repository root) with `env` added to this environment. */
  constructor(file: string, env: Readonly<Record<string, string>> = {}) {
    this.child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=@flotilla/source", file],
      { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    live.add(this.child);
    const append = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString("utf8")).slice(-OUTPUT_CHARS_MAX);
    };
    this.child.stdout?.on("data", append);
    this.child.stderr?.on("data", append);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        live.delete(this.child);
        resolve(signal ?? code ?? -1);
      });
      this.child.once("error", (error) => {
        live.delete(this.child);
        append(Buffer.from(`spawn failed: ${error.message}\n`));
        resolve(-1);
      });
    });
  }

  /** What it printed so far (stdout and stderr, the last 256 KiB). */
  get text(): string {
    return this.output;
  }

  /** The lines it printed so far. */
  lines(): string[] {
    return this.output.split("\n").filter((line) => line !== "");
  }

  /** True until it exits. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Sends `signal` (if still running) and resolves once it has exited; a SIGTERM that has not
   * ended it within 5 s is followed by a SIGKILL.
   */
  async kill(signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<number | string> {
    if (this.running) this.child.kill(signal);
    if (signal === "SIGTERM") {
      const timer = setTimeout(() => this.child.kill("SIGKILL"), TERM_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }
}
