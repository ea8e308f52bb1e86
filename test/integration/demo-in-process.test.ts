/**
 * The demo's fallback where no nats-server can be had: the three nodes in one process over the
 * in-process transport (here forced with `--in-process`), a short run, and its verification
 * line. The NATS version runs in scripts/test.sh as `npm run demo -- --ci`.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

describe("the demo without nats-server", () => {
  it("runs in one process, says so, and ends with lost=0 diverged=0", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@flotilla/source",
        "demo/main.ts",
        "--in-process",
        "--ci",
        "--duration",
        "8",
        "--groups",
        "8",
      ],
      { cwd: REPO, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toContain("in-process transport");
    expect(lines[lines.length - 1]).toMatch(
      /^demo: acknowledged=[1-9]\d* lost=0 diverged=0 failovers=\d+$/,
    );
  });
});
