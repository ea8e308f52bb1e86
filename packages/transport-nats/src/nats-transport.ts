/**
 * The runtime's Transport over NATS. One send becomes, per lane, as few NATS messages as fit
 * below the server's `max_payload`: votes, heartbeats and other small messages on the priority
 * subject, appends with entries on the bulk subject (published after the priority lane), and large
 * snapshots in flow-controlled chunks on their own subject. Whatever arrives is decoded and
 * checked once, here; bad input is logged, counted and dropped, and nothing throws out of a
 * subscription callback (STYLE.md §5).
 */
import { readFile } from "node:fs/promises";
import type { NodeId } from "@flotilla/raft";
import type { RaftBatch, Transport, Unsubscribe } from "@flotilla/runtime";
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { pino, type Logger } from "pino";
import {
  assembleBatch,
  batchOverheadBytes,
  cutIntoBatches,
  decodeBatch,
  encodeGroupMessage,
} from "./batch-codec.js";
import {
  connectionDefaults,
  snapshotSettings,
  type NatsConnectOptions,
  type NatsTransportOptions,
  type SnapshotSettings,
} from "./nats-transport-options.js";
import { emptyStats, type NatsTransportStats } from "./nats-transport-stats.js";
import { laneOf, type Lane } from "./lane.js";
import { raftSubjects, type RaftSubjects } from "./raft-subjects.js";
import { decodeSnapshotChunk, encodeChunkAck } from "./snapshot-chunk-codec.js";
import { SnapshotReceiver } from "./snapshot-receiver.js";
import { SnapshotSender } from "./snapshot-sender.js";
import { isWireFormatError } from "./wire-format-error.js";

/** NATS's default `max_payload`, used until the server's INFO says otherwise. */
const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * A node's Raft transport over NATS.
 *
 * @example
 * const transport = await NatsTransport.start({
 *   cluster: "prod",
 *   nodeId: nodeId("n1"),
 *   connect: { servers: ["nats://127.0.0.1:4222"] },
 *   logger,
 * });
 * transport.onBatch((batch) => host.receive(batch));
 * transport.send(nodeId("n2"), { from: nodeId("n1"), messages });
 * await transport.close();
 */
export class NatsTransport implements Transport, AsyncDisposable {
  private handler: ((batch: RaftBatch) => void) | undefined;
  private readonly counters: NatsTransportStats = emptyStats();
  private readonly subscriptions: Subscription[] = [];
  private readonly sender: SnapshotSender;
  private readonly receiver: SnapshotReceiver;
  private readonly subjectsByNode = new Map<NodeId, RaftSubjects>();
  private closing: Promise<void> | undefined;
  private statuses: AsyncIterable<unknown> | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly ownsConnection: boolean,
    private readonly options: NatsTransportOptions,
    private readonly settings: SnapshotSettings,
    private readonly logger: Logger,
  ) {
    this.sender = new SnapshotSender({
      connection: nc,
      from: options.nodeId,
      subjectOf: (to) => this.subjectsOf(to).snapshot,
      payloadBytesMax: () => this.payloadBytesMax(),
      settings,
      stats: this.counters,
      logger,
    });
    this.receiver = new SnapshotReceiver(settings, this.counters, logger);
  }

  /**
   * Connects (unless given a connection), subscribes to this node's subjects and resolves once
   * the server has registered the subscriptions, so a peer's very next send arrives.
   *
   * @throws {RangeError} for an invalid cluster or node id, or not exactly one of `connection`
   *   and `connect`.
   */
  static async start(options: NatsTransportOptions): Promise<NatsTransport> {
    const subjects = raftSubjects(options.cluster, options.nodeId); // validates the ids
    if ((options.connection === undefined) === (options.connect === undefined)) {
      throw new RangeError("NatsTransport needs exactly one of `connection` and `connect`");
    }
    const logger = (options.logger ?? pino({ enabled: false })).child({
      component: "transport-nats",
      nodeId: options.nodeId,
    });
    const owns = options.connection === undefined;
    const nc =
      options.connection ??
      (await connect(
        await connectionOptions(options.cluster, options.nodeId, options.connect ?? {}),
      ));
    const transport = new NatsTransport(nc, owns, options, snapshotSettings(options), logger);
    try {
      transport.subscribe(subjects);
      await nc.flush();
    } catch (error) {
      await transport.close();
      throw error;
    }
    return transport;
  }

  /** The NATS connection (owned or given). */
  get connection(): NatsConnection {
    return this.nc;
  }

  /** This node's subjects. */
  get subjects(): RaftSubjects {
    return this.subjectsOf(this.options.nodeId);
  }

  /** A copy of the counters. */
  stats(): NatsTransportStats {
    return { ...this.counters };
  }

  /**
   * The largest payload this transport publishes: the connected server's `max_payload`, capped by
   * the `maxPayloadBytes` option. Read on every send, as a reconnect may reach another server.
   */
  payloadBytesMax(): number {
    const server = this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD_BYTES;
    return Math.min(server, this.options.maxPayloadBytes ?? Number.POSITIVE_INFINITY);
  }

  /**
   * Sends `batch` to node `to`, best effort, never throwing for an unreachable peer. Every send
   * publishes at least one batch (an empty batch is a liveness ping), priority lane first.
   */
  send(to: NodeId, batch: RaftBatch): void {
    if (this.closing !== undefined) {
      this.counters.droppedSends++;
      return;
    }
    this.counters.batchesSent++;
    try {
      const subjects = this.subjectsOf(to);
      const lanes = this.encodeLanes(to, batch);
      const payloads = {
        priority: cutIntoBatches(batch.from, lanes.priority, this.payloadBytesMax()),
        bulk: cutIntoBatches(batch.from, lanes.bulk, this.payloadBytesMax()),
      };
      if (payloads.priority.length === 0 && payloads.bulk.length === 0) {
        payloads.priority.push(assembleBatch(batch.from, []));
      }
      this.publish(subjects.priority, payloads.priority, to);
      this.publish(subjects.bulk, payloads.bulk, to);
    } catch (error) {
      // An invalid destination id or an unencodable message is the caller's bug, but a
      // transport send is best effort and must not throw into the runtime's round.
      this.counters.droppedSends++;
      this.logger.error({ to, err: error }, "send failed; batch dropped");
    }
  }

  /**
   * Each message encoded once and put on its lane; large snapshots handed to the chunked sender
   * and messages too large for any payload dropped.
   */
  private encodeLanes(to: NodeId, batch: RaftBatch): Record<Lane, Uint8Array[]> {
    const lanes: Record<Lane, Uint8Array[]> = { priority: [], bulk: [] };
    const budget = this.payloadBytesMax() - batchOverheadBytes(batch.from);
    for (const groupMessage of batch.messages) {
      const { groupId, message } = groupMessage;
      if (
        message.type === "InstallSnapshot" &&
        message.snapshot.data.byteLength > this.settings.inlineBytesMax
      ) {
        this.sender.send(to, groupId, message);
        continue;
      }
      const encoded = encodeGroupMessage(groupMessage);
      if (encoded.byteLength > budget) {
        if (message.type === "InstallSnapshot") {
          this.sender.send(to, groupId, message);
        } else {
          this.counters.droppedOversize++;
          this.logger.warn(
            { to, groupId, type: message.type, bytes: encoded.byteLength, budget },
            "message dropped: larger than max_payload",
          );
        }
        continue;
      }
      lanes[laneOf(message)].push(encoded);
      this.counters.messagesSent++;
    }
    return lanes;
  }

  /** Registers the handler of incoming batches (one at a time; a new one replaces the old). */
  onBatch(handler: (batch: RaftBatch) => void): Unsubscribe {
    this.handler = handler;
    return () => {
      if (this.handler === handler) this.handler = undefined;
    };
  }

  /**
   * Stops: abandons snapshot transfers, drains this transport's subscriptions (messages already
   * received are still handled) and, when it owns the connection, drains and closes it.
   * Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  /** `await using transport = await NatsTransport.start(…)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutDown(): Promise<void> {
    await this.sender.close();
    this.receiver.close();
    stopIterator(this.statuses);
    try {
      if (this.ownsConnection) {
        if (!this.nc.isClosed()) await this.nc.drain();
      } else {
        await Promise.all(this.subscriptions.map((subscription) => subscription.drain()));
      }
    } catch (error) {
      this.logger.warn({ err: error }, "drain failed; closing");
      if (this.ownsConnection) await this.nc.close();
    }
  }

  private subscribe(subjects: RaftSubjects): void {
    const lanes: readonly [string, Lane][] = [
      [subjects.priority, "priority"],
      [subjects.bulk, "bulk"],
    ];
    for (const [subject, lane] of lanes) {
      this.subscriptions.push(
        this.nc.subscribe(subject, {
          callback: (error, msg) => this.onBatchPayload(lane, error, msg),
        }),
      );
    }
    this.subscriptions.push(
      this.nc.subscribe(subjects.snapshot, { callback: (error, msg) => this.onChunk(error, msg) }),
    );
    void this.watchStatus();
  }

  private onBatchPayload(lane: Lane, error: Error | null, msg: Msg): void {
    if (error !== null) {
      this.logger.warn({ subject: msg.subject, err: error }, "subscription error");
      return;
    }
    let batch: RaftBatch;
    try {
      batch = decodeBatch(msg.data);
      const misaddressed = batch.messages.find(({ message }) => message.to !== this.options.nodeId);
      if (misaddressed !== undefined) {
        this.reject(msg.subject, `a message to ${misaddressed.message.to}`, misaddressed.groupId);
        return;
      }
    } catch (decodeError) {
      this.reject(msg.subject, reasonOf(decodeError));
      return;
    }
    this.deliver(batch, lane);
  }

  private onChunk(error: Error | null, msg: Msg): void {
    if (error !== null) {
      this.logger.warn({ subject: msg.subject, err: error }, "subscription error");
      return;
    }
    try {
      const chunk = decodeSnapshotChunk(msg.data);
      if (chunk.header !== undefined && chunk.header.message.to !== this.options.nodeId) {
        this.reject(msg.subject, `a snapshot for ${chunk.header.message.to}`, chunk.header.groupId);
        return;
      }
      if (
        this.options.faults?.dropSnapshotChunk?.({
          transferId: chunk.transferId,
          seq: chunk.seq,
        }) === true
      ) {
        this.counters.snapshotChunksDroppedByFault++;
        return;
      }
      const outcome = this.receiver.take(chunk);
      if ("rejected" in outcome) {
        this.reject(msg.subject, outcome.rejected);
        return;
      }
      if (msg.reply !== undefined) msg.respond(encodeChunkAck(outcome.ack));
      if (outcome.completed !== undefined) {
        const { from, groupId, message } = outcome.completed;
        this.deliver({ from, messages: [{ groupId, message }] }, "snapshot");
      }
    } catch (chunkError) {
      this.reject(msg.subject, reasonOf(chunkError));
    }
  }

  private deliver(batch: RaftBatch, lane: Lane | "snapshot"): void {
    const handler = this.handler;
    if (handler === undefined || this.closing !== undefined) {
      this.counters.droppedWithoutHandler++;
      return;
    }
    this.counters.batchesReceived++;
    this.counters.messagesReceived += batch.messages.length;
    try {
      handler(batch);
    } catch (error) {
      this.counters.handlerErrors++;
      this.logger.error({ from: batch.from, lane, err: error }, "batch handler threw");
    }
  }

  private reject(subject: string, reason: string, groupId?: string): void {
    this.counters.rejected++;
    // One line per power of two: a flood of garbage does not flood the log (stats count all).
    const rejected = this.counters.rejected;
    if ((rejected & (rejected - 1)) === 0) {
      this.logger.warn({ subject, groupId, reason, rejected }, "bad input dropped");
    }
  }

  private publish(subject: string, payloads: readonly Uint8Array[], to: NodeId): void {
    for (const payload of payloads) {
      try {
        this.nc.publish(subject, payload);
        this.counters.payloadsSent++;
        this.counters.bytesSent += payload.byteLength;
      } catch (error) {
        // Closed or draining connection, or a payload the server refuses: best effort, drop.
        this.counters.droppedSends++;
        this.logger.warn({ subject, to, err: error }, "publish failed; batch dropped");
      }
    }
  }

  private subjectsOf(to: NodeId): RaftSubjects {
    let subjects = this.subjectsByNode.get(to);
    if (subjects === undefined) {
      subjects = raftSubjects(this.options.cluster, to);
      this.subjectsByNode.set(to, subjects);
    }
    return subjects;
  }

  private async watchStatus(): Promise<void> {
    const statuses = this.nc.status();
    this.statuses = statuses;
    try {
      for await (const status of statuses) {
        if (this.closing !== undefined) break;
        // Pings and cluster updates are routine; disconnects, reconnects and errors are news.
        if (status.type === "ping" || status.type === "update" || status.type === "reconnecting") {
          this.logger.debug({ status }, "NATS connection status");
        } else {
          this.logger.info({ status }, "NATS connection status");
        }
      }
    } catch (error) {
      this.logger.debug({ err: error }, "status stream ended");
    }
  }
}

/**
 * The options to connect with: the transport's defaults, then the caller's options, then the
 * authenticators built from `credsFile` and `nkeySeed`.
 */
async function connectionOptions(
  cluster: string,
  nodeId: NodeId,
  options: NatsConnectOptions,
): Promise<ConnectionOptions> {
  const { credsFile, nkeySeed, ...natsOptions } = options;
  const authenticators: Authenticator[] = [];
  if (natsOptions.authenticator !== undefined) {
    authenticators.push(...[natsOptions.authenticator].flat());
  }
  if (credsFile !== undefined) authenticators.push(credsAuthenticator(await readFile(credsFile)));
  if (nkeySeed !== undefined)
    authenticators.push(nkeyAuthenticator(new TextEncoder().encode(nkeySeed)));
  const merged: ConnectionOptions = { ...connectionDefaults(cluster, nodeId), ...natsOptions };
  if (authenticators.length > 0) merged.authenticator = authenticators;
  return merged;
}

function stopIterator(iterator: AsyncIterable<unknown> | undefined): void {
  if (iterator !== undefined && "stop" in iterator && typeof iterator.stop === "function") {
    (iterator as { stop(): void }).stop();
  }
}

function reasonOf(error: unknown): string {
  if (isWireFormatError(error)) return error.message;
  return `unexpected: ${error instanceof Error ? error.message : String(error)}`;
}
