/**
 * etcd-io/raft's datadriven interaction tests, ported: each `testdata/<name>.txt` script is
 * replayed by {@link InteractionEnv} and its printout compared with the reviewed golden file
 * `testdata/<name>.golden.txt`. A missing golden fails: vitest would otherwise write it (it
 * writes new snapshots outside CI even with `update: false`). To create one on purpose, run
 * `FLOTILLA_WRITE_GOLDEN=1 npx vitest run packages/raft/test/interaction`, then read it line by
 * line before committing; to refresh existing ones after a reviewed change, add `-u`.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { InteractionEnv, parseLine } from "./interaction-env.js";

const testdata = fileURLToPath(new URL("./testdata/", import.meta.url));
const scripts = readdirSync(testdata)
  .filter((name) => name.endsWith(".txt") && !name.endsWith(".golden.txt"))
  .sort();

describe("interaction scripts (testdata/*.txt against their golden files)", () => {
  it("finds the scripts", () => {
    expect(scripts.length).toBeGreaterThanOrEqual(8);
  });

  for (const script of scripts) {
    const name = script.slice(0, -".txt".length);
    it(`replays ${script} as in ${name}.golden.txt`, async () => {
      const golden = `${testdata}${name}.golden.txt`;
      if (process.env["FLOTILLA_WRITE_GOLDEN"] !== "1") {
        expect(existsSync(golden), `missing reviewed golden file ${golden}`).toBe(true);
      }
      const output = new InteractionEnv().run(readFileSync(testdata + script, "utf8"));
      await expect(output).toMatchFileSnapshot(`./testdata/${name}.golden.txt`);
    });

    it(`replays ${script} identically twice (determinism)`, () => {
      const text = readFileSync(testdata + script, "utf8");
      expect(new InteractionEnv().run(text)).toBe(new InteractionEnv().run(text));
    });
  }
});

describe("the script parser", () => {
  it("reads positional, key=value and key=(list) arguments", () => {
    expect(parseLine('add-nodes 3 voters=(1,2,3) learners=(4 5) prevote=true "a b"')).toEqual({
      cmd: "add-nodes",
      args: [
        { key: "3", values: [] },
        { key: "voters", values: ["1", "2", "3"] },
        { key: "learners", values: ["4", "5"] },
        { key: "prevote", values: ["true"] },
        { key: "a b", values: [] },
      ],
    });
  });
});
