import { describe, expect, it } from "vitest";
import { encodeKvCommand, decodeKvCommand, type KvCommand } from "../src/kv-command.js";
import { KvStateMachine } from "../src/kv-state-machine.js";

function put(clientId: string, seq: number, key: string, value: string): Uint8Array {
  return encodeKvCommand({ kind: "client", clientId, seq, write: { kind: "put", key, value } });
}

describe("KvStateMachine", () => {
  it("applies a duplicated command once and answers the duplicate like the first (§6.3)", () => {
    const kv = new KvStateMachine();
    kv.apply(1, put("c1", 1, "k", "one"));
    kv.apply(2, put("c2", 1, "k", "two"));
    const duplicate = kv.apply(3, put("c1", 1, "k", "one"));
    expect(duplicate.duplicate).toBe(true);
    expect(duplicate.result).toEqual({ kind: "put" });
    expect(kv.get("k")).toBe("two");
  });

  it("ignores a stale command older than the client's last one", () => {
    const kv = new KvStateMachine();
    kv.apply(1, put("c1", 2, "k", "new"));
    const stale = kv.apply(2, put("c1", 1, "k", "old"));
    expect(stale).toMatchObject({ duplicate: true, result: undefined });
    expect(kv.get("k")).toBe("new");
  });

  it("compare-and-swap swaps only when the key holds the expected value", () => {
    const kv = new KvStateMachine();
    const cas = (seq: number, expected: string | undefined, value: string): Uint8Array =>
      encodeKvCommand({
        kind: "client",
        clientId: "c",
        seq,
        write: { kind: "cas", key: "k", expected, value },
      });
    expect(kv.apply(1, cas(1, undefined, "a")).result).toEqual({ kind: "cas", ok: true });
    expect(kv.apply(2, cas(2, "b", "c")).result).toEqual({ kind: "cas", ok: false });
    expect(kv.get("k")).toBe("a");
  });

  it("a snapshot carries the session table, so dedup survives a restore", () => {
    const kv = new KvStateMachine();
    kv.apply(1, put("c1", 1, "k", "one"));
    kv.apply(
      2,
      encodeKvCommand({
        kind: "client",
        clientId: "c1",
        seq: 2,
        write: { kind: "delete", key: "k" },
      }),
    );
    const restored = KvStateMachine.restore(kv.snapshot());
    expect(restored.appliedIndex()).toBe(2);
    expect(restored.get("k")).toBeUndefined();
    expect(restored.apply(3, put("c1", 2, "k", "again")).duplicate).toBe(true);
    expect(restored.get("k")).toBeUndefined();
    expect(restored.snapshot()).toEqual(KvStateMachine.restore(restored.snapshot()).snapshot());
  });

  it("refuses to skip an index", () => {
    const kv = new KvStateMachine();
    expect(() => kv.apply(2, put("c", 1, "k", "v"))).toThrow(/right after 0/);
  });

  it("round-trips every command through its bytes", () => {
    const commands: KvCommand[] = [
      { kind: "marker", id: "m1" },
      {
        kind: "client",
        clientId: "c",
        seq: 3,
        write: { kind: "cas", key: "k", expected: undefined, value: "v" },
      },
      {
        kind: "client",
        clientId: "c",
        seq: 4,
        write: { kind: "cas", key: "k", expected: "x", value: "v" },
      },
      { kind: "client", clientId: "c", seq: 5, write: { kind: "delete", key: "k" } },
    ];
    for (const command of commands)
      expect(decodeKvCommand(encodeKvCommand(command))).toEqual(command);
  });
});
