/**
 * Snapshot reassembly: chunks are taken in order, every chunk is answered with the next one
 * needed (so the sender resumes after a loss), a finished transfer is delivered exactly once,
 * and memory stays bounded (size and count limits, idle transfers dropped).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { nodeId, type InstallSnapshot } from "@flotilla/raft";
import { pino } from "pino";
import { emptyStats } from "../src/nats-transport-stats.js";
import { snapshotSettings, type NatsTransportOptions } from "../src/nats-transport-options.js";
import type { SnapshotChunk } from "../src/snapshot-chunk-codec.js";
import { SnapshotReceiver, type ChunkOutcome } from "../src/snapshot-receiver.js";
import { oneOfEachMessage } from "./support/arbitraries.js";

const n1 = nodeId("n1");
const header = oneOfEachMessage(new Uint8Array()).find(
  (message): message is InstallSnapshot => message.type === "InstallSnapshot",
)!;
const data = Uint8Array.from({ length: 10 }, (_, i) => i);

/** The chunks of `data` in pieces of 4 bytes: [0..3], [4..7], [8, 9]. */
function chunks(transferId = "t1", groupId = "g1"): SnapshotChunk[] {
  return [0, 1, 2].map((seq) => ({
    from: n1,
    transferId,
    seq,
    chunkCount: 3,
    totalBytes: data.byteLength,
    header: seq === 0 ? { groupId, message: header } : undefined,
    data: data.subarray(seq * 4, seq * 4 + 4),
  }));
}

function receiver(overrides: Partial<NatsTransportOptions> = {}) {
  const stats = emptyStats();
  const now = { ms: 0 };
  const settings = snapshotSettings({ cluster: "c", nodeId: n1, ...overrides });
  const instance = new SnapshotReceiver(settings, stats, pino({ enabled: false }), () => now.ms);
  receivers.push(instance);
  return { instance, stats, now, settings };
}

const receivers: SnapshotReceiver[] = [];
afterEach(() => {
  for (const instance of receivers.splice(0)) instance.close();
  vi.useRealTimers();
});

function nextSeq(outcome: ChunkOutcome | { rejected: string }): number | string {
  return "rejected" in outcome ? outcome.rejected : outcome.ack.nextSeq;
}

describe("SnapshotReceiver", () => {
  it("reassembles in-order chunks into one InstallSnapshot, delivered once", () => {
    const { instance, stats } = receiver();
    const [c0, c1, c2] = chunks();
    expect(nextSeq(instance.take(c0!))).toBe(1);
    expect(nextSeq(instance.take(c1!))).toBe(2);
    const last = instance.take(c2!);
    if ("rejected" in last) throw new Error(last.rejected);
    expect(last.ack.nextSeq).toBe(3);
    expect(last.completed?.groupId).toBe("g1");
    expect(last.completed?.message).toEqual({ ...header, snapshot: { ...header.snapshot, data } });
    // The last chunk resent (its answer was lost) is acknowledged, not delivered again.
    const again = instance.take(c2!);
    expect(nextSeq(again)).toBe(3);
    expect("completed" in again && again.completed !== undefined).toBe(false);
    expect(stats.snapshotsReceived).toBe(1);
  });

  it("answers a duplicate or an early chunk with the chunk it needs (resume after a loss)", () => {
    const { instance } = receiver();
    const [c0, c1, c2] = chunks();
    instance.take(c0!);
    expect(nextSeq(instance.take(c2!))).toBe(1); // c1 was lost: resume from 1
    expect(nextSeq(instance.take(c0!))).toBe(1); // duplicate
    expect(nextSeq(instance.take(c1!))).toBe(2);
  });

  it("asks for chunk 0 when a later chunk belongs to an unknown transfer", () => {
    const { instance } = receiver();
    expect(nextSeq(instance.take(chunks()[1]!))).toBe(0);
  });

  it("rejects chunks that contradict their transfer", () => {
    const { instance } = receiver();
    const [c0, c1] = chunks();
    instance.take(c0!);
    expect(nextSeq(instance.take({ ...c1!, chunkCount: 4 }))).toMatch(/differs/);
    expect(nextSeq(instance.take({ ...c1!, data: new Uint8Array(20) }))).toMatch(/more data/);
  });

  it("refuses a snapshot past snapshotBytesMax and transfers past snapshotTransfersMax", () => {
    const { instance } = receiver({ snapshotBytesMax: 5, snapshotTransfersMax: 1 });
    const refused = instance.take(chunks()[0]!);
    expect("ack" in refused && refused.ack.status).toBe(1);
    const small = { ...chunks("t2")[0]!, totalBytes: 4, chunkCount: 3 };
    expect(nextSeq(instance.take(small))).toBe(1);
    const other = instance.take({ ...chunks("t3", "g2")[0]!, totalBytes: 4 });
    expect("ack" in other && other.ack.status).toBe(1);
  });

  it("drops a transfer idle past snapshotReceiveIdleMs", () => {
    vi.useFakeTimers();
    const { instance, stats, now } = receiver({ snapshotReceiveIdleMs: 1_000 });
    instance.take(chunks()[0]!);
    expect(instance.inProgress).toBe(1);
    now.ms = 1_500;
    vi.advanceTimersByTime(1_000);
    expect(instance.inProgress).toBe(0);
    expect(stats.snapshotReceivesAbandoned).toBe(1);
    expect(nextSeq(instance.take(chunks()[1]!))).toBe(0); // the sender starts over
  });

  it("lets a newer transfer of the same group supersede an unfinished one", () => {
    const { instance, stats } = receiver();
    instance.take(chunks("old")[0]!);
    instance.take(chunks("new")[0]!);
    expect(instance.inProgress).toBe(1);
    expect(stats.snapshotReceivesAbandoned).toBe(1);
  });
});
