/**
 * Typed errors on the wire (wire-errors.ts): a node encodes a rejection with `errorToWire`, the
 * message crosses NATS as msgpack, and the client rebuilds it with `errorFromWire` — the same
 * class, code, fields and message, so `isNotLeaderError(e)` and friends work remotely. Anything
 * that is not a Flotilla error becomes COMMAND_FAILED.
 */
import { describe, expect, it } from "vitest";
import {
  BadRequestError,
  CommandFailedError,
  GroupNotFoundError,
  InvalidIdError,
  MembershipChangeRefusedError,
  NotLeaderError,
  OverloadedError,
  ProposalDroppedError,
  ProposalOutcomeUnknownError,
  ProposalTimeoutError,
  StoppedError,
  SubscriberLagError,
  TooLargeError,
  isCommandFailedError,
  type FlotillaError,
} from "@flotilla/runtime";
import { decodeWire, encodeWire, wireError } from "../src/client-wire.js";
import { errorFromWire, errorToWire } from "../src/wire-errors.js";

/** Node → msgpack → client, as the propose and read replies carry it. */
function overTheWire(error: unknown): Error {
  return errorFromWire(wireError(decodeWire(encodeWire(errorToWire(error)))));
}

interface Case {
  readonly error: FlotillaError;
  /** The fields that must survive, besides code, name and message. */
  readonly fields: readonly string[];
}

const cases: readonly Case[] = [
  { error: new NotLeaderError("g1", "n2"), fields: ["groupId", "leaderHint"] },
  { error: new NotLeaderError("g1", undefined), fields: ["groupId", "leaderHint"] },
  {
    error: new ProposalTimeoutError("g1", 2500),
    fields: ["groupId", "timeoutMs"],
  },
  { error: new ProposalDroppedError("g1", 17, 3), fields: ["groupId", "index", "term"] },
  { error: new ProposalOutcomeUnknownError("g1", 17, 3), fields: ["groupId", "index", "term"] },
  {
    error: new OverloadedError("g1", "pendingProposalsPerGroupMax"),
    fields: ["groupId", "bound"],
  },
  {
    error: new TooLargeError(2_000_000, 1_048_576),
    fields: ["sizeBytes", "sizeBytesMax"],
  },
  { error: new GroupNotFoundError("g1"), fields: ["groupId"] },
  {
    error: new SubscriberLagError("g1", 41),
    fields: ["groupId", "lastIndex"],
  },
  {
    error: new StoppedError("n1"),
    fields: ["nodeId"],
  },
  {
    error: new InvalidIdError("group", "a.b"),
    fields: ["kind", "value"],
  },
  { error: new CommandFailedError("RangeError", "too big"), fields: ["errorName"] },
  {
    error: new BadRequestError("op must be a string"),
    fields: [],
  },
  {
    error: new MembershipChangeRefusedError("g1", "change-pending", "joint config in progress"),
    fields: ["groupId", "reason"],
  },
];

describe("wire errors: every runtime error survives errorToWire → errorFromWire", () => {
  for (const { error, fields } of cases) {
    const title = `${error.name} (${fields.join(", ") || "message"}) keeps its class, code, fields and message`;
    it(title, () => {
      const received = overTheWire(error);
      expect(received).toBeInstanceOf(error.constructor);
      expect(received.name).toBe(error.name);
      expect((received as FlotillaError).code).toBe(error.code);
      expect(received.message).toBe(error.message);
      for (const field of fields) {
        expect((received as unknown as Record<string, unknown>)[field]).toEqual(
          (error as unknown as Record<string, unknown>)[field],
        );
      }
    });
  }

  it("every error code the runtime defines has a case above", async () => {
    const { ErrorCode } = await import("@flotilla/runtime");
    const covered = new Set(cases.map(({ error }) => error.code));
    // Storage errors (@flotilla/storage-lmdb) stop their node rather than answer a client: a
    // client never rebuilds them, and they arrive as a BadRequestError naming the code.
    const storage = Object.values(ErrorCode).filter((code) => code.startsWith("STORAGE_"));
    expect([...covered, ...storage].sort()).toEqual(Object.values(ErrorCode).sort());
  });
});

describe("wire errors: anything else fails the command", () => {
  it("a plain Error becomes COMMAND_FAILED with its name and message", () => {
    expect(errorToWire(new RangeError("negative amount"))).toEqual({
      code: "COMMAND_FAILED",
      message: "negative amount",
      errorName: "RangeError",
    });
  });

  it("a plain Error arrives as a CommandFailedError", () => {
    const received = overTheWire(new TypeError("kv: key must be a string"));
    expect(received).toBeInstanceOf(CommandFailedError);
    expect(isCommandFailedError(received)).toBe(true);
    expect(received.message).toBe("kv: key must be a string");
    expect((received as CommandFailedError).errorName).toBe("TypeError");
  });

  it("a thrown non-Error becomes COMMAND_FAILED with its string form", () => {
    expect(errorToWire("nope")).toEqual({
      code: "COMMAND_FAILED",
      message: "nope",
      errorName: "Error",
    });
  });

  it("an unknown code arrives as a BadRequestError naming it", () => {
    const received = errorFromWire({ code: "FROM_THE_FUTURE", message: "later" });
    expect(received).toBeInstanceOf(BadRequestError);
    expect(received.message).toContain("FROM_THE_FUTURE");
  });

  it("sends only codes, messages and primitive fields (no stack, no cause)", () => {
    const wire = errorToWire(new NotLeaderError("g1", "n2", { cause: new Error("inner") }));
    expect(wire).toEqual({
      code: "NOT_LEADER",
      message: "not the leader of group g1 (leader hint: n2)",
      groupId: "g1",
      leaderHint: "n2",
    });
  });
});
