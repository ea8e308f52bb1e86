/**
 * Sends large InstallSnapshot messages in chunks, one request/reply per chunk (stop-and-wait flow
 * control: a chunk goes only after the receiver took the previous one, so a snapshot never floods
 * the receiver or the bulk lane). Each answer names the chunk the receiver needs next, so a lost
 * chunk or answer is resent after a timeout and the transfer resumes where it stopped. Every
 * transfer is bounded (attempts in a row, whole-transfer time); past a bound it is abandoned and
 * Raft sends the snapshot again later.
 */
import { randomBytes } from "node:crypto";
import type { InstallSnapshot, NodeId } from "@flotilla/raft";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { batchOverheadBytes, encodeGroupMessage } from "./batch-codec.js";
import type { SnapshotSettings } from "./nats-transport-options.js";
import type { NatsTransportStats } from "./nats-transport-stats.js";
import {
  ChunkStatus,
  decodeChunkAck,
  encodeSnapshotChunk,
  type SnapshotChunk,
} from "./snapshot-chunk-codec.js";

/** Headroom for the chunk's own fields around the header and the data. */
const CHUNK_FRAMING_BYTES = 256;

/** What a sender needs from its transport. */
export interface SnapshotSenderContext {
  readonly connection: NatsConnection;
  readonly from: NodeId;
  readonly subjectOf: (to: NodeId) => string;
  readonly payloadBytesMax: () => number;
  readonly settings: SnapshotSettings;
  readonly stats: NatsTransportStats;
  readonly logger: Logger;
}

interface Transfer {
  readonly id: string;
  readonly abort: AbortController;
}

/** The outgoing snapshot transfers of one node: at most one per (destination, group). */
export class SnapshotSender {
  private readonly transfers = new Map<string, Transfer>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly context: SnapshotSenderContext) {}

  /**
   * Starts sending `message` to `to` in the background. A newer snapshot for the same destination
   * and group supersedes a transfer in progress; past `transfersMax` transfers the message is
   * dropped (logged and counted).
   */
  send(to: NodeId, groupId: string, message: InstallSnapshot): void {
    const key = `${to}/${groupId}`;
    this.transfers.get(key)?.abort.abort("superseded");
    if (!this.transfers.has(key) && this.transfers.size >= this.context.settings.transfersMax) {
      this.context.stats.snapshotTransfersAbandoned++;
      this.context.logger.warn({ to, groupId }, "snapshot dropped: too many transfers in flight");
      return;
    }
    const transfer: Transfer = {
      id: randomBytes(12).toString("base64url"),
      abort: new AbortController(),
    };
    this.transfers.set(key, transfer);
    this.context.stats.snapshotTransfersStarted++;
    const run = this.run(to, groupId, message, transfer)
      .catch((error: unknown) => {
        this.context.logger.error({ to, groupId, err: error }, "snapshot transfer failed");
        this.context.stats.snapshotTransfersAbandoned++;
      })
      .finally(() => {
        if (this.transfers.get(key) === transfer) this.transfers.delete(key);
        this.running.delete(run);
      });
    this.running.add(run);
  }

  /** Abandons every transfer and resolves once they all stopped. */
  async close(): Promise<void> {
    for (const transfer of this.transfers.values()) transfer.abort.abort("closed");
    await Promise.allSettled([...this.running]);
  }

  private async run(
    to: NodeId,
    groupId: string,
    message: InstallSnapshot,
    transfer: Transfer,
  ): Promise<void> {
    const { settings, stats, logger } = this.context;
    const data = message.snapshot.data;
    const header = {
      groupId,
      message: { ...message, snapshot: { ...message.snapshot, data: new Uint8Array() } },
    };
    const headerBytes =
      encodeGroupMessage(header).byteLength + batchOverheadBytes(this.context.from);
    const chunkBytes = Math.min(
      settings.chunkBytes,
      this.context.payloadBytesMax() - headerBytes - CHUNK_FRAMING_BYTES,
    );
    const log = logger.child({ to, groupId, transferId: transfer.id });
    if (chunkBytes <= 0) {
      stats.snapshotTransfersAbandoned++;
      log.warn({ headerBytes }, "snapshot dropped: its header alone exceeds max_payload");
      return;
    }
    const chunkCount = Math.max(1, Math.ceil(data.byteLength / chunkBytes));
    const deadline = Date.now() + settings.transferTimeoutMs;
    let seq = 0;
    let failuresInARow = 0;
    let sentOnce = -1; // the highest chunk sent at least once, to count resends
    while (seq < chunkCount) {
      const reason = this.stopReason(transfer, deadline, failuresInARow);
      if (reason !== undefined) {
        stats.snapshotTransfersAbandoned++;
        log.warn({ seq, chunkCount, reason }, "snapshot transfer abandoned");
        return;
      }
      const chunk: SnapshotChunk = {
        from: this.context.from,
        transferId: transfer.id,
        seq,
        chunkCount,
        totalBytes: data.byteLength,
        header: seq === 0 ? header : undefined,
        data: data.subarray(seq * chunkBytes, Math.min(data.byteLength, (seq + 1) * chunkBytes)),
      };
      stats.snapshotChunksSent++;
      if (seq <= sentOnce) stats.snapshotChunksResent++;
      sentOnce = Math.max(sentOnce, seq);
      const next = await this.exchange(to, chunk, transfer);
      if (next === "refused") {
        stats.snapshotTransfersAbandoned++;
        log.warn({ seq, chunkCount }, "snapshot transfer refused by the receiver");
        return;
      }
      if (next === undefined || next <= seq || next > chunkCount) {
        failuresInARow++;
        if (next !== undefined && next <= chunkCount) seq = next; // the receiver's resume point
      } else {
        failuresInARow = 0;
        seq = next;
      }
    }
    stats.snapshotTransfersCompleted++;
    log.debug({ chunkCount, bytes: data.byteLength }, "snapshot sent");
  }

  private stopReason(
    transfer: Transfer,
    deadline: number,
    failuresInARow: number,
  ): string | undefined {
    if (transfer.abort.signal.aborted) return String(transfer.abort.signal.reason);
    if (Date.now() > deadline) return "transfer timeout";
    if (failuresInARow >= this.context.settings.chunkAttemptsMax) return "too many failed attempts";
    return undefined;
  }

  /**
   * Sends one chunk and returns the receiver's next chunk, `"refused"`, or undefined when no
   * usable answer came (timeout, no responders, bad answer: the caller retries).
   */
  private async exchange(
    to: NodeId,
    chunk: SnapshotChunk,
    transfer: Transfer,
  ): Promise<number | "refused" | undefined> {
    const { connection, settings, logger } = this.context;
    try {
      const reply = await connection.request(
        this.context.subjectOf(to),
        encodeSnapshotChunk(chunk),
        {
          timeout: settings.chunkTimeoutMs,
        },
      );
      const ack = decodeChunkAck(reply.data);
      if (ack.transferId !== transfer.id) return undefined;
      return ack.status === ChunkStatus.Refused ? "refused" : ack.nextSeq;
    } catch (error) {
      logger.debug(
        { to, transferId: transfer.id, seq: chunk.seq, err: error },
        "snapshot chunk unanswered",
      );
      // No responders (peer down) answers at once: wait a little before trying again.
      await pause(Math.min(settings.chunkTimeoutMs, 100), transfer.abort.signal);
      return undefined;
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
