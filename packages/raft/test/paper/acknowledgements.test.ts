/**
 * An AppendEntriesResult is a promise about durable state (Raft §5.3, Figure 2): "success" means
 * this follower's log, once the Ready that carries the answer is written, matches the leader's
 * through `index`. These tests pin the cases where a later input in the same Ready takes the
 * acknowledged entries away again: the answer must not leave with a write that no longer holds
 * them (simulator seed 7275).
 */
import { describe, expect, it } from "vitest";
import { membershipOf, nodeId, type InstallSnapshot, type Ready } from "../../src/index.js";
import { PaperReplica, appendEntries, entries, ofType } from "../support/paper-helpers.js";

/** Successful acknowledgements in `ready` as `to:index`. */
function successes(ready: Ready | undefined): string[] {
  return ofType(ready?.messages ?? [], "AppendEntriesResult")
    .filter((m) => m.success)
    .map((m) => `${m.to}:${m.index}`);
}

/** A follower `b` in term 2 with log [1, 2] (entry 1 committed), in a 3-voter group. */
function followerInTerm2(): PaperReplica {
  return new PaperReplica("b", {
    config: { preVote: false, checkQuorum: false },
    log: [1, 2],
    term: 2,
    commitIndex: 1,
  });
}

function installSnapshot(from: string, to: string, term: number, index: number): InstallSnapshot {
  return {
    type: "InstallSnapshot",
    from: nodeId(from),
    to: nodeId(to),
    term,
    snapshot: {
      metadata: { index, term, membership: membershipOf(["a", "b", "c"].map(nodeId)) },
      data: new Uint8Array([1, 2, 3]),
    },
  };
}

describe("acknowledgements that a later input in the same Ready invalidates", () => {
  it("a follower does not acknowledge entries that a newer leader's conflicting entries replaced before the write (seed 7275, §5.3)", () => {
    const b = followerInTerm2();

    // Term 2's leader a appends 3@2; before the host takes a Ready, term 3's leader c
    // overwrites index 3 with 3@3.
    b.step(
      appendEntries("a", "b", 2, { prevLogIndex: 2, prevLogTerm: 2, entries: entries(3, [2]) }),
    );
    b.step(
      appendEntries("c", "b", 3, { prevLogIndex: 2, prevLogTerm: 2, entries: entries(3, [3]) }),
    );
    const ready = b.takeReady();

    expect(ready?.entries.map((e) => `${e.index}@${e.term}`)).toEqual(["3@3"]);
    expect(successes(ready)).toEqual(["c:3"]);
    expect(b.logTerms()).toEqual([1, 2, 3]);
  });

  it("a follower keeps its acknowledgements of entries below the conflict (§5.3)", () => {
    const b = followerInTerm2();

    b.step(
      appendEntries("a", "b", 2, { prevLogIndex: 2, prevLogTerm: 2, entries: entries(3, [2]) }),
    );
    b.step(
      appendEntries("a", "b", 2, { prevLogIndex: 3, prevLogTerm: 2, entries: entries(4, [2]) }),
    );
    b.step(
      appendEntries("c", "b", 3, { prevLogIndex: 3, prevLogTerm: 2, entries: entries(4, [3]) }),
    );
    const ready = b.takeReady();

    // 3@2 is still in the log (c's entries agree through 3), so a's answer for 3 stands; the
    // one for 4 named an entry c replaced.
    expect(successes(ready)).toEqual(["a:3", "c:4"]);
    expect(b.logTerms()).toEqual([1, 2, 2, 3]);
  });

  it("an acknowledgement already handed out in a Ready stands: that Ready's write held the entry (§5.3)", () => {
    const b = followerInTerm2();

    b.step(
      appendEntries("a", "b", 2, { prevLogIndex: 2, prevLogTerm: 2, entries: entries(3, [2]) }),
    );
    const first = b.takeReady();
    b.step(
      appendEntries("c", "b", 3, { prevLogIndex: 2, prevLogTerm: 2, entries: entries(3, [3]) }),
    );
    b.advance(first as Ready);
    const second = b.takeReady();

    expect(successes(first)).toEqual(["a:3"]);
    expect(first?.entries.map((e) => `${e.index}@${e.term}`)).toEqual(["3@2"]);
    expect(successes(second)).toEqual(["c:3"]);
  });

  it("a follower given a snapshot whose index is in its log with another term replaces its log, and withdraws its answers past the snapshot (§7)", () => {
    const b = new PaperReplica("b", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 2, 2],
      term: 2,
      commitIndex: 1,
    });

    b.step(
      appendEntries("a", "b", 2, { prevLogIndex: 3, prevLogTerm: 2, entries: entries(4, [2]) }),
    );
    // Term 3's leader holds 3@3 compacted into a snapshot; b holds 3@2.
    b.step(installSnapshot("c", "b", 3, 3));
    const ready = b.takeReady();

    expect(ready?.snapshot?.metadata).toMatchObject({ index: 3, term: 3 });
    expect(successes(ready)).toEqual(["c:3"]);
    b.advance(ready as Ready);
    expect(b.status()).toMatchObject({ lastIndex: 3, commitIndex: 3 });
    expect(b.storage.term(3)).toBe(3);
    expect(b.storage.lastIndex()).toBe(3);
  });

  it("a follower given a snapshot whose last entry it already holds with the same term keeps its log and commits through it (§7)", () => {
    const b = new PaperReplica("b", {
      config: { preVote: false, checkQuorum: false },
      log: [1, 2, 2, 2],
      term: 2,
      commitIndex: 1,
    });

    b.step(installSnapshot("a", "b", 2, 3));
    const ready = b.takeReady();

    expect(ready?.snapshot).toBeUndefined();
    expect(successes(ready)).toEqual(["a:3"]);
    b.advance(ready as Ready);
    expect(b.status()).toMatchObject({ lastIndex: 4, commitIndex: 3 });
  });
});
