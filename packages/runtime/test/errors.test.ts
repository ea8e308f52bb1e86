import { describe, expect, it } from "vitest";
import {
  ErrorCode,
  FlotillaError,
  GroupNotFoundError,
  InvalidIdError,
  NotLeaderError,
  OverloadedError,
  ProposalDroppedError,
  ProposalOutcomeUnknownError,
  ProposalTimeoutError,
  StoppedError,
  SubscriberLagError,
  TooLargeError,
  isFlotillaError,
  isGroupNotFoundError,
  isInvalidIdError,
  isNotLeaderError,
  isOverloadedError,
  isProposalDroppedError,
  isProposalOutcomeUnknownError,
  isProposalTimeoutError,
  isStoppedError,
  isSubscriberLagError,
  isTooLargeError,
} from "../src/index.js";

const cases = [
  [new NotLeaderError("g1", "n2"), isNotLeaderError, "NotLeaderError", ErrorCode.NotLeader],
  [
    new ProposalTimeoutError("g1", 50),
    isProposalTimeoutError,
    "ProposalTimeoutError",
    ErrorCode.ProposalTimeout,
  ],
  [
    new ProposalDroppedError("g1", 4, 2),
    isProposalDroppedError,
    "ProposalDroppedError",
    ErrorCode.ProposalDropped,
  ],
  [
    new ProposalOutcomeUnknownError("g1", 4, 2),
    isProposalOutcomeUnknownError,
    "ProposalOutcomeUnknownError",
    ErrorCode.ProposalOutcomeUnknown,
  ],
  [
    new OverloadedError("g1", "mailboxMessagesMax"),
    isOverloadedError,
    "OverloadedError",
    ErrorCode.Overloaded,
  ],
  [new TooLargeError(10, 5), isTooLargeError, "TooLargeError", ErrorCode.TooLarge],
  [
    new GroupNotFoundError("g1"),
    isGroupNotFoundError,
    "GroupNotFoundError",
    ErrorCode.GroupNotFound,
  ],
  [
    new SubscriberLagError("g1", 7),
    isSubscriberLagError,
    "SubscriberLagError",
    ErrorCode.SubscriberLag,
  ],
  [new StoppedError("n1"), isStoppedError, "StoppedError", ErrorCode.Stopped],
  [new InvalidIdError("group", "a b"), isInvalidIdError, "InvalidIdError", ErrorCode.InvalidId],
] as const;

describe("typed errors", () => {
  it.each(cases)(
    "%s has its name, its code, and a guard that checks the code",
    (error, guard, name, code) => {
      expect(error).toBeInstanceOf(FlotillaError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(guard(error)).toBe(true);
      expect(isFlotillaError(error)).toBe(true);
      // Another guard refuses it.
      const other = cases.find(([, otherGuard]) => otherGuard !== guard)![1];
      expect(other(error)).toBe(false);
    },
  );

  it("guards recognize an error from another package copy (or off the wire) by its code", () => {
    const foreign = { name: "NotLeaderError", code: "NOT_LEADER", leaderHint: "n3" };
    expect(isNotLeaderError(foreign)).toBe(true);
    expect(isFlotillaError(foreign)).toBe(true);
    expect(isNotLeaderError(new Error("NOT_LEADER"))).toBe(false);
    expect(isNotLeaderError(undefined)).toBe(false);
    expect(isFlotillaError({ code: "ENOENT" })).toBe(false);
  });

  it("keeps structured fields and passes the cause through", () => {
    const cause = new Error("deposed");
    const error = new NotLeaderError("g1", "n2", { cause });
    expect(error.leaderHint).toBe("n2");
    expect(error.groupId).toBe("g1");
    expect(error.cause).toBe(cause);
    expect(new SubscriberLagError("g1", 7).lastIndex).toBe(7);
  });
});
