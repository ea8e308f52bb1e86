import { describe, expect, it } from "vitest";
import { SessionTable } from "../../src/sessions/session-table.js";

const ok = (result: unknown) => ({ ok: true as const, result });

describe("SessionTable", () => {
  it("applies a (client, sequence) once and answers its retry with the first outcome", () => {
    const table = new SessionTable();
    expect(table.check("c1", 1, 0, 10)).toEqual({ type: "apply" });
    table.record("c1", 1, 0, 10, ok("first"));

    expect(table.check("c1", 1, 0, 11)).toEqual({ type: "duplicate", outcome: ok("first") });
    expect(table.check("c1", 2, 0, 12)).toEqual({ type: "apply" });
    expect(table.check("c2", 1, 0, 13)).toEqual({ type: "apply" });
  });

  it("forgets outcomes the client says were answered; a retry of one is stale, never re-applied", () => {
    const table = new SessionTable();
    table.record("c1", 1, 0, 10, ok(1));
    table.record("c1", 2, 0, 11, ok(2));

    expect(table.check("c1", 3, 1, 12)).toEqual({ type: "apply" });
    expect(table.check("c1", 1, 1, 13)).toEqual({ type: "stale" });
    expect(table.check("c1", 2, 1, 14)).toEqual({ type: "duplicate", outcome: ok(2) });
  });

  it("keeps at most outcomesPerClientMax outcomes; the forgotten oldest becomes stale", () => {
    const table = new SessionTable({ clientsMax: 10, outcomesPerClientMax: 2 });
    for (let seq = 1; seq <= 3; seq++) table.record("c1", seq, 0, seq, ok(seq));

    expect(table.check("c1", 1, 0, 4)).toEqual({ type: "stale" });
    expect(table.check("c1", 3, 0, 5)).toEqual({ type: "duplicate", outcome: ok(3) });
  });

  it("forgets the least recently active client past clientsMax, the same way on every replica", () => {
    const table = new SessionTable({ clientsMax: 2, outcomesPerClientMax: 10 });
    table.record("a", 1, 0, 1, ok(1));
    table.record("b", 1, 0, 2, ok(1));
    table.check("a", 2, 0, 3); // a is active again
    table.record("c", 1, 0, 4, ok(1));

    expect(table.size).toBe(2);
    expect(table.check("b", 1, 0, 5)).toEqual({ type: "apply" });
    expect(table.check("a", 1, 0, 6).type).toBe("duplicate");
  });

  it("round-trips through a snapshot, errors as name and message", () => {
    const table = new SessionTable();
    table.record("c1", 1, 0, 10, ok({ total: 3 }));
    const failure = new TypeError("bad command");
    table.record("c1", 2, 0, 11, { ok: false, error: failure });

    const restored = new SessionTable();
    restored.restore(table.encode());

    expect(restored.encode()).toEqual(table.encode());
    expect(restored.check("c1", 1, 0, 12)).toEqual({
      type: "duplicate",
      outcome: ok({ total: 3 }),
    });
    const second = restored.check("c1", 2, 0, 13);
    expect(second.type === "duplicate" && !second.outcome.ok && second.outcome.error).toMatchObject(
      {
        name: "TypeError",
        message: "bad command",
      },
    );
  });

  it("refuses damaged snapshot bytes with an error", () => {
    expect(() => new SessionTable().restore(new Uint8Array([0x93, 1, 2, 3]))).toThrow();
  });
});
