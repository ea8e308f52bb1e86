/**
 * State machine kinds (state-machine-kinds.ts): `kv` and `log` are built in; a module given with
 * `--kinds` adds kinds through its `kinds` export or its default export, and a module that does
 * not export factories is refused with an error naming it.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KvStateMachine } from "../../src/kinds/kv-state-machine.js";
import { LogStateMachine } from "../../src/kinds/log-state-machine.js";
import { BUILT_IN_KINDS, loadKinds } from "../../src/kinds/state-machine-kinds.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "flotilla-kinds-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function kindsModule(name: string, source: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, source);
  return path;
}

const counter = `
  class Counter {
    n = 0;
    apply() { return ++this.n; }
    query() { return this.n; }
    snapshot() { return new Uint8Array([this.n]); }
    restore(bytes) { this.n = bytes[0] ?? 0; }
  }
`;

describe("loadKinds", () => {
  it("knows kv and log without a module", async () => {
    const kinds = await loadKinds(undefined);
    expect([...kinds.keys()].sort()).toEqual(["kv", "log"]);
    expect(kinds.get("kv")?.()).toBeInstanceOf(KvStateMachine);
    expect(kinds.get("log")?.()).toBeInstanceOf(LogStateMachine);
  });

  it("builds a fresh state machine per call", () => {
    expect(BUILT_IN_KINDS["kv"]?.()).not.toBe(BUILT_IN_KINDS["kv"]?.());
  });

  it("adds the kinds of a module's `kinds` export", async () => {
    const path = await kindsModule(
      "named.mjs",
      `${counter}\nexport const kinds = { counter: () => new Counter() };`,
    );
    const kinds = await loadKinds(path);
    expect([...kinds.keys()].sort()).toEqual(["counter", "kv", "log"]);
    const machine = kinds.get("counter")!();
    expect(machine.query(null)).toBe(0);
    expect(machine.snapshot()).toEqual(new Uint8Array([0]));
  });

  it("adds the kinds of a module's default export", async () => {
    const path = await kindsModule(
      "default.mjs",
      `${counter}\nexport default { counter: () => new Counter() };`,
    );
    expect((await loadKinds(path)).has("counter")).toBe(true);
  });

  it("lets a module replace a built-in kind", async () => {
    const path = await kindsModule(
      "override.mjs",
      `${counter}\nexport const kinds = { kv: () => new Counter() };`,
    );
    const machine = (await loadKinds(path)).get("kv")!();
    expect(machine).not.toBeInstanceOf(KvStateMachine);
  });

  it("refuses a module without kinds, naming it", async () => {
    const path = await kindsModule("empty.mjs", "export const other = 1;");
    await expect(loadKinds(path)).rejects.toThrow(path);
  });

  it("refuses a kind that is not a function, naming the kind", async () => {
    const path = await kindsModule("bad.mjs", "export const kinds = { broken: 42 };");
    await expect(loadKinds(path)).rejects.toThrow(/kind broken is not a function/);
  });

  it("fails on a module that does not exist", async () => {
    await expect(loadKinds(join(dir, "missing.mjs"))).rejects.toThrow();
  });
});
