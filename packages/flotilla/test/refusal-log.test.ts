/**
 * Counted, rate-limited refusal logging (refusal-log.ts): every refusal counts; each reason
 * logs at most one line per interval, saying how many it stands for; a typed (expected) error
 * is logged without a stack, an unexpected one with it.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { BadRequestError, NotLeaderError } from "@flotilla/runtime";
import { RefusalLog } from "../src/refusal-log.js";

function capture(): { lines: Record<string, unknown>[]; logger: pino.Logger } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  // Sync so every line is in `lines` when `refused` returns.
  return { lines, logger: pino({ level: "info" }, pino.multistream([{ stream: destination }])) };
}

describe("RefusalLog", () => {
  it("counts every refusal but logs one line per reason per interval", () => {
    const { lines, logger } = capture();
    let nowMs = 0;
    const refusals = new RefusalLog(logger, { intervalMs: 1000, now: () => nowMs });
    for (let i = 0; i < 500; i++) refusals.refused("BAD_REQUEST", new BadRequestError("garbage"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ code: "BAD_REQUEST", reason: "garbage", suppressed: 0 });
    nowMs = 999;
    refusals.refused("BAD_REQUEST", new BadRequestError("garbage"));
    expect(lines).toHaveLength(1);
    nowMs = 1000;
    refusals.refused("BAD_REQUEST", new BadRequestError("garbage"));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ suppressed: 500, refused: 502 });
    expect(refusals.stats()).toEqual({
      refused: 502,
      refusedByReason: { BAD_REQUEST: 502 },
      suppressed: 500,
    });
  });

  it("rate-limits each reason on its own", () => {
    const { lines, logger } = capture();
    const refusals = new RefusalLog(logger, { now: () => 0 });
    refusals.refused("BAD_REQUEST", new BadRequestError("a"));
    refusals.refused("NOT_LEADER", new NotLeaderError("g1", undefined));
    refusals.refused("BAD_REQUEST", new BadRequestError("b"));
    expect(lines.map((line) => line["code"])).toEqual(["BAD_REQUEST", "NOT_LEADER"]);
  });

  it("logs a typed error without a stack, an unexpected one with it", () => {
    const { lines, logger } = capture();
    const refusals = new RefusalLog(logger, { now: () => 0 });
    refusals.refused("BAD_REQUEST", new BadRequestError("bad"), { subject: "s" });
    refusals.refused("COMMAND_FAILED", new TypeError("a bug"));
    expect(lines[0]).toMatchObject({ subject: "s", reason: "bad" });
    expect(JSON.stringify(lines[0])).not.toContain("at ");
    expect(lines[0]).not.toHaveProperty("err");
    expect((lines[1]?.["err"] as { stack?: string }).stack).toContain("TypeError: a bug");
  });

  it("folds reasons past its bound into other", () => {
    const { logger } = capture();
    const refusals = new RefusalLog(logger, { now: () => 0 });
    for (let i = 0; i < 70; i++) refusals.refused(`R${i}`, new BadRequestError("x"));
    const byReason = refusals.stats().refusedByReason;
    expect(Object.keys(byReason)).toHaveLength(65);
    expect(byReason["other"]).toBe(6);
  });
});
