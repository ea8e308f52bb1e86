/**
 * Lanes: every message the core calls urgent goes on the priority lane, and only messages that
 * carry entries or application data go on the bulk lane.
 */
import { describe, expect, it } from "vitest";
import { isPriorityMessage } from "@flotilla/raft";
import { laneOf } from "../src/lane.js";
import { oneOfEachMessage } from "./support/arbitraries.js";

describe("laneOf", () => {
  it.each(oneOfEachMessage().map((message) => [message.type, message] as const))(
    "puts %s on the lane its urgency and size call for",
    (_, message) => {
      if (isPriorityMessage(message)) expect(laneOf(message)).toBe("priority");
      const carriesData =
        (message.type === "AppendEntries" && message.entries.length > 0) ||
        message.type === "ForwardedProposal" ||
        message.type === "InstallSnapshot";
      expect(laneOf(message)).toBe(carriesData ? "bulk" : "priority");
    },
  );

  it("keeps an empty append (a probe) on the priority lane", () => {
    const append = oneOfEachMessage().find((message) => message.type === "AppendEntries")!;
    expect(laneOf({ ...append, entries: [] })).toBe("priority");
  });
});
