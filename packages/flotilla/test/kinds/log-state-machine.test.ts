/**
 * The built-in `log` kind (log-state-machine.ts): every command is appended and answered with
 * its position; queries page through the records; a snapshot restores the same log.
 */
import { describe, expect, it } from "vitest";
import { LogStateMachine } from "../../src/kinds/log-state-machine.js";

function logWith(...records: unknown[]): LogStateMachine {
  const log = new LogStateMachine();
  for (const record of records) log.apply(record);
  return log;
}

describe("log", () => {
  it("answers each command with its position, from 0", () => {
    const log = new LogStateMachine();
    expect([log.apply("a"), log.apply({ b: 1 }), log.apply(null)]).toEqual([0, 1, 2]);
  });

  it("returns every record by default", () => {
    expect(logWith("a", "b").query({})).toEqual(["a", "b"]);
  });

  it("pages with from and limit", () => {
    expect(logWith(0, 1, 2, 3, 4).query({ from: 1, limit: 2 })).toEqual([1, 2]);
  });

  it("treats a query that is not a map as the first page", () => {
    expect(logWith("a").query(null)).toEqual(["a"]);
  });

  it("restore of a snapshot gives the same records", () => {
    const log = logWith("a", { n: 1 }, [1, 2], null);
    const copy = new LogStateMachine();
    copy.restore(log.snapshot());
    expect(copy.records).toEqual(log.records);
  });

  it("restore replaces the records, and an empty snapshot clears them", () => {
    const log = logWith("old");
    log.restore(logWith("new").snapshot());
    expect(log.records).toEqual(["new"]);
    log.restore(new Uint8Array());
    expect(log.records).toEqual([]);
  });

  it("positions continue after a restore", () => {
    const log = new LogStateMachine();
    log.restore(logWith("a", "b").snapshot());
    expect(log.apply("c")).toBe(2);
  });
});
