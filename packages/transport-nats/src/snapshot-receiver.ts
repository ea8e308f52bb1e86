/**
 * Reassembles chunked snapshots. Chunks are taken in order only; every chunk is answered with the
 * next chunk needed (a duplicate or an out-of-order chunk included), which is what lets the sender
 * resume after a loss. A transfer completes exactly once: a finished transfer's id is remembered
 * for a while so a resent last chunk is acknowledged without delivering the snapshot twice. Memory
 * is bounded: `transfersMax` transfers of at most `bytesMax` each, and a transfer idle for
 * `receiveIdleMs` is dropped (its sender will have given up; Raft retries the snapshot).
 */
import type { InstallSnapshot, NodeId } from "@flotilla/raft";
import type { Logger } from "pino";
import type { SnapshotSettings } from "./nats-transport-options.js";
import type { NatsTransportStats } from "./nats-transport-stats.js";
import { ChunkStatus, type ChunkAck, type SnapshotChunk } from "./snapshot-chunk-codec.js";

/** Finished transfer ids remembered, to acknowledge a resent last chunk. */
const COMPLETED_REMEMBERED = 64;

interface IncomingTransfer {
  readonly from: NodeId;
  readonly transferId: string;
  readonly groupId: string;
  readonly header: InstallSnapshot;
  readonly chunkCount: number;
  readonly totalBytes: number;
  readonly parts: Uint8Array[];
  receivedBytes: number;
  lastChunkMs: number;
}

/** What taking a chunk produced: the answer, and the snapshot once complete. */
export interface ChunkOutcome {
  readonly ack: ChunkAck;
  readonly completed?: {
    readonly from: NodeId;
    readonly groupId: string;
    readonly message: InstallSnapshot;
  };
}

/** The incoming snapshot transfers of one node. */
export class SnapshotReceiver {
  private readonly transfers = new Map<string, IncomingTransfer>();
  private readonly completed = new Map<string, number>(); // key → chunkCount
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: SnapshotSettings,
    private readonly stats: NatsTransportStats,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes one chunk. Returns the answer for the sender, or a rejection reason for a chunk that
   * contradicts its transfer (the caller logs and drops it, unanswered).
   */
  take(chunk: SnapshotChunk): ChunkOutcome | { readonly rejected: string } {
    const key = `${chunk.from}/${chunk.transferId}`;
    const ack = (nextSeq: number, status: ChunkStatus = ChunkStatus.Continue): ChunkOutcome => ({
      ack: { transferId: chunk.transferId, status, nextSeq },
    });
    const done = this.completed.get(key);
    if (done !== undefined) return ack(done);
    let transfer = this.transfers.get(key);
    if (transfer === undefined) {
      if (chunk.header === undefined) return ack(0); // unknown (or dropped) transfer: start over
      this.supersede(chunk.from, chunk.header.groupId);
      const refusal = this.refusal(chunk);
      if (refusal !== undefined) {
        this.stats.snapshotReceivesAbandoned++;
        this.logger.warn(
          { from: chunk.from, groupId: chunk.header.groupId, reason: refusal },
          "snapshot refused",
        );
        return ack(0, ChunkStatus.Refused);
      }
      transfer = this.open(key, chunk, chunk.header);
    }
    if (chunk.chunkCount !== transfer.chunkCount || chunk.totalBytes !== transfer.totalBytes) {
      return { rejected: "chunk count or size differs from the transfer's" };
    }
    const nextSeq = transfer.parts.length;
    if (chunk.seq !== nextSeq) return ack(nextSeq); // duplicate or ahead: say where to resume
    if (transfer.receivedBytes + chunk.data.byteLength > transfer.totalBytes) {
      return { rejected: "more data than the transfer announced" };
    }
    transfer.parts.push(chunk.data);
    transfer.receivedBytes += chunk.data.byteLength;
    transfer.lastChunkMs = this.now();
    if (transfer.parts.length < transfer.chunkCount) return ack(transfer.parts.length);
    this.transfers.delete(key);
    this.rememberCompleted(key, transfer.chunkCount);
    if (transfer.receivedBytes !== transfer.totalBytes) {
      return { rejected: "less data than the transfer announced" };
    }
    return { ...ack(transfer.chunkCount), completed: this.assemble(transfer) };
  }

  /** Drops every transfer and stops the idle sweep. */
  close(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.transfers.clear();
    this.completed.clear();
  }

  /** Transfers in progress (tests). */
  get inProgress(): number {
    return this.transfers.size;
  }

  private refusal(chunk: SnapshotChunk): string | undefined {
    if (chunk.totalBytes > this.settings.bytesMax) {
      return `snapshot of ${chunk.totalBytes} bytes exceeds snapshotBytesMax ${this.settings.bytesMax}`;
    }
    if (this.transfers.size >= this.settings.transfersMax) {
      return `already ${this.transfers.size} transfers in progress`;
    }
    return undefined;
  }

  private open(
    key: string,
    chunk: SnapshotChunk,
    header: NonNullable<SnapshotChunk["header"]>,
  ): IncomingTransfer {
    const transfer: IncomingTransfer = {
      from: chunk.from,
      transferId: chunk.transferId,
      groupId: header.groupId,
      header: header.message,
      chunkCount: chunk.chunkCount,
      totalBytes: chunk.totalBytes,
      parts: [],
      receivedBytes: 0,
      lastChunkMs: this.now(),
    };
    this.transfers.set(key, transfer);
    this.startSweep();
    return transfer;
  }

  /** A newer transfer of a group from the same sender replaces an unfinished one. */
  private supersede(from: NodeId, groupId: string): void {
    for (const [key, other] of this.transfers) {
      if (other.from === from && other.groupId === groupId) {
        this.transfers.delete(key);
        this.stats.snapshotReceivesAbandoned++;
      }
    }
  }

  private assemble(transfer: IncomingTransfer): NonNullable<ChunkOutcome["completed"]> {
    const data = new Uint8Array(transfer.totalBytes);
    let offset = 0;
    for (const part of transfer.parts) {
      data.set(part, offset);
      offset += part.byteLength;
    }
    this.stats.snapshotsReceived++;
    const message: InstallSnapshot = {
      ...transfer.header,
      snapshot: { ...transfer.header.snapshot, data },
    };
    return { from: transfer.from, groupId: transfer.groupId, message };
  }

  private rememberCompleted(key: string, chunkCount: number): void {
    this.completed.set(key, chunkCount);
    if (this.completed.size > COMPLETED_REMEMBERED) {
      const oldest = this.completed.keys().next();
      if (oldest.done !== true) this.completed.delete(oldest.value);
    }
  }

  private startSweep(): void {
    if (this.sweepTimer !== undefined) return;
    const intervalMs = Math.max(10, Math.floor(this.settings.receiveIdleMs / 2));
    this.sweepTimer = setInterval(() => this.sweep(), intervalMs);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, transfer] of this.transfers) {
      if (now - transfer.lastChunkMs > this.settings.receiveIdleMs) {
        this.transfers.delete(key);
        this.stats.snapshotReceivesAbandoned++;
        this.logger.warn(
          {
            from: transfer.from,
            groupId: transfer.groupId,
            transferId: transfer.transferId,
            received: transfer.parts.length,
            chunkCount: transfer.chunkCount,
          },
          "snapshot transfer abandoned: idle",
        );
      }
    }
    if (this.transfers.size === 0 && this.sweepTimer !== undefined) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }
}
