import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "@flotilla/runtime";
import { LedgerCluster, ReadModelSubscriber, type LedgerGroup } from "./stream-subscriber.js";
import { TICK_MS, driveUntil, waitFor } from "../support/drive.js";

const GROUP_IDS = ["ledger-0", "ledger-1", "ledger-2"];
let cluster: LedgerCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

function leaderOf(c: LedgerCluster, groupId: string): LedgerGroup {
  const group = c.leaderOf(groupId);
  if (group === undefined) throw new Error(`no leader for ${groupId}`);
  return group;
}

/** Ten transfers into each group, over five accounts. */
async function transfers(c: LedgerCluster, batch: number): Promise<void> {
  await Promise.all(
    GROUP_IDS.flatMap((groupId) =>
      Array.from({ length: 10 }, (_, i) =>
        leaderOf(c, groupId).propose({ account: `acct-${i % 5}`, amount: batch * 100 + i }),
      ),
    ),
  );
}

function byGroup(applied: readonly string[]): Map<string, number[]> {
  const result = new Map<string, number[]>();
  for (const key of applied) {
    const [groupId = "", index = ""] = key.split(":");
    result.set(groupId, [...(result.get(groupId) ?? []), Number(index)]);
  }
  return result;
}

describe("stream-subscriber example: a read model over several groups", () => {
  it("resumes after a restart from the saved index + 1 with no gaps and no duplicates", async () => {
    const clock = new ManualClock();
    cluster = await LedgerCluster.start({ groupIds: GROUP_IDS, clock, tickIntervalMs: TICK_MS });
    const c = cluster;
    await driveUntil(
      c,
      clock,
      () => GROUP_IDS.every((groupId) => c.leaderOf(groupId) !== undefined),
      "every group has a leader",
    );
    const n3 = c.nodes[2]?.groups ?? [];

    // First life: from the beginning, while 30 transfers commit.
    const first = new ReadModelSubscriber(n3).start();
    await transfers(c, 1);
    await waitFor(() => first.applied.length === 30, "the first life applied 30 entries");
    const saved = first.save();
    first.stop();

    // Down: 30 more transfers commit meanwhile.
    await transfers(c, 2);

    // Second life: from the saved state, catching up while 30 more commit.
    const second = new ReadModelSubscriber(n3, saved).start();
    await transfers(c, 3);
    await waitFor(() => second.applied.length === 60, "the second life applied 60 entries");

    // Reference: one subscriber from index 1 on another node, never restarted.
    const reference = new ReadModelSubscriber(c.nodes[0]?.groups ?? []).start();
    await waitFor(() => reference.applied.length === 90, "the reference applied 90 entries");

    for (const s of [first, second, reference]) {
      expect(s.duplicates).toBe(0);
      expect(s.error).toBeUndefined();
    }
    const lives = byGroup([...first.applied, ...second.applied]);
    const expected = byGroup(reference.applied);
    for (const groupId of GROUP_IDS) {
      const indexes = lives.get(groupId) ?? [];
      expect(indexes).toEqual(expected.get(groupId));
      expect(indexes).toHaveLength(30);
      // Strictly increasing: in order, once each.
      expect(indexes.every((index, i) => i === 0 || index > (indexes[i - 1] ?? 0))).toBe(true);
    }

    // The resumed read model equals the reference and the groups' linearizable reads.
    for (const groupId of GROUP_IDS) {
      for (let a = 0; a < 5; a++) {
        const account = `acct-${a}`;
        const replicated = await leaderOf(c, groupId).read(account);
        expect(second.balance(groupId, account)).toBe(replicated);
        expect(reference.balance(groupId, account)).toBe(replicated);
      }
    }
    second.stop();
    reference.stop();
  });
});
