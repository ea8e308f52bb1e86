/**
 * Every future the simulated clients got from a host (`propose`, `read`), and how each ended.
 * Each must settle exactly once, and one whose host stays up must settle by its deadline (the
 * host's `proposalTimeoutMs`, plus some slack for the tick that notices it and a storage sync
 * the round may wait for). A crash abandons its host's futures: they never settle, as with a
 * killed process, and the clients treat them as unknown outcomes.
 */
import type { NodeId } from "@flotilla/raft";

/** One future. */
export interface FutureRecord {
  readonly id: number;
  readonly kind: "propose" | "read" | "transfer";
  readonly nodeId: NodeId;
  readonly incarnation: number;
  /** The host's clock time past which the future must have settled. */
  readonly dueMs: number;
  settlements: number;
  abandoned: boolean;
}

/** The ledger of one run. */
export class FutureLedger {
  private nextId = 0;
  private readonly open = new Map<number, FutureRecord>();
  /** Futures tracked so far. */
  tracked = 0;

  /** Tracks a future handed out by `nodeId`'s incarnation, due at `dueMs` on its clock. */
  track(
    kind: FutureRecord["kind"],
    nodeId: NodeId,
    incarnation: number,
    dueMs: number,
  ): FutureRecord {
    const record: FutureRecord = {
      id: this.nextId++,
      kind,
      nodeId,
      incarnation,
      dueMs,
      settlements: 0,
      abandoned: false,
    };
    this.open.set(record.id, record);
    this.tracked++;
    return record;
  }

  /** `record` settled; returns a problem when it settled before (a future settles once). */
  settle(record: FutureRecord): string | undefined {
    record.settlements++;
    this.open.delete(record.id);
    if (record.settlements > 1) {
      return `future #${record.id} (${record.kind} on ${record.nodeId}#${record.incarnation}) settled ${record.settlements} times`;
    }
    if (record.abandoned) {
      return `future #${record.id} (${record.kind} on ${record.nodeId}#${record.incarnation}) settled after its host crashed`;
    }
    return undefined;
  }

  /** `nodeId`'s incarnation crashed: its open futures will never settle. */
  abandon(nodeId: NodeId, incarnation: number): void {
    for (const [id, record] of this.open) {
      if (record.nodeId === nodeId && record.incarnation === incarnation) {
        record.abandoned = true;
        this.open.delete(id);
      }
    }
  }

  /** The first open future past its due time on its (live) host's clock, described. */
  overdue(nowMs: (nodeId: NodeId) => number): string | undefined {
    for (const record of this.open.values()) {
      const now = nowMs(record.nodeId);
      if (now > record.dueMs) {
        return `future #${record.id} (${record.kind} on ${record.nodeId}#${record.incarnation}) still pending at ${now} ms, due by ${record.dueMs} ms`;
      }
    }
    return undefined;
  }

  /** Futures still open. */
  openCount(): number {
    return this.open.size;
  }
}
