/**
 * A client process of the fan-out scenario (its writer or its subscriber): spawned the way the
 * harness spawns the load generator (`node --import tsx --conditions=@flotilla/source file.ts
 * '<plan JSON>'`), read as JSON lines on stdout, told to stop by closing its stdin, and killed
 * past every bound and whenever the scenario's process exits, so none outlives a run.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const STDERR_TAIL_CHARS = 2_000;

/** A spawned client process speaking JSON lines of type `Event` (each with an `event` field). */
export class JsonLinesChild<Event extends { readonly event: string }> {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private stderr = "";
  private readonly events: Event[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  private readonly reap = (): void => {
    this.child.kill("SIGKILL");
  };

  /** Spawns `script` (a path next to this file) with `plan` as its one argument. */
  constructor(
    readonly name: string,
    script: string,
    plan: unknown,
  ) {
    this.child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@flotilla/source",
        fileURLToPath(new URL(script, import.meta.url)),
        JSON.stringify(plan),
      ],
      { cwd: REPO, stdio: ["pipe", "pipe", "pipe"] },
    );
    process.once("exit", this.reap);
    this.child.stdin.on("error", () => undefined); // EPIPE once the child is gone: harmless
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      let event: Event;
      try {
        event = JSON.parse(line) as Event;
      } catch {
        return; // Not ours (a library's console output).
      }
      if (typeof event !== "object" || event === null || typeof event.event !== "string") return;
      this.events.push(event);
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code) => resolve(code));
      this.child.once("error", (error) => {
        this.stderr += `\nspawn failed: ${error.message}`;
        resolve(-1);
      });
    });
    void this.exited.then((code) => {
      this.exitCode = code;
      process.removeListener("exit", this.reap);
      this.wake();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last event named `name` so far. */
  last<Name extends Event["event"]>(name: Name): Extract<Event, { event: Name }> | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const event = this.events[i];
      if (event?.event === name) return event as Extract<Event, { event: Name }>;
    }
    return undefined;
  }

  /**
   * The first event named `name`, once it comes; rejects past `timeoutMs` or if the process
   * exits without printing it, with the tail of its stderr.
   */
  async waitFor<Name extends Event["event"]>(
    name: Name,
    timeoutMs: number,
  ): Promise<Extract<Event, { event: Name }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const event = this.events.find((candidate) => candidate.event === name);
      if (event !== undefined) return event as Extract<Event, { event: Name }>;
      if (this.exitCode !== undefined) {
        throw new Error(
          `${this.name} exited (${this.exitCode ?? "signal"}) before "${name}": ${this.stderrTail()}`,
        );
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new Error(`${this.name}: no "${name}" within ${timeoutMs} ms: ${this.stderrTail()}`);
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, remaining);
        this.waiters.add(done);
      });
    }
  }

  /** Closes its stdin: the child's signal to stop (and to print its result). */
  requestStop(): void {
    this.child.stdin.end();
  }

  /** Waits up to `timeoutMs` for the process to exit, then kills it; resolves once it is gone. */
  async exit(timeoutMs: number): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Stops it for good (stdin closed, SIGKILL past `timeoutMs`): for the scenario's finally. */
  async dispose(timeoutMs = 5_000): Promise<void> {
    this.requestStop();
    await this.exit(timeoutMs);
  }

  /** The last of its stderr, for failure messages. */
  stderrTail(): string {
    return this.stderr.trim().slice(-600);
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }
}
