/**
 * The node's side of the client protocol: for each group this node leads it answers
 * `g.<groupId>.propose`, `g.<groupId>.read` and `g.<groupId>.entries` (subscribing on becoming
 * leader, unsubscribing on losing it, so the subject is the route), proposing each command with
 * its session header so a retry applies once (a command that is not msgpack is refused before it
 * reaches the log); it publishes what each round applied on
 * `g.<groupId>.committed` and every leadership change on `g.<groupId>.events`. Bad input gets a typed `BAD_REQUEST` reply and a rate-limited log line;
 * nothing a client sends can stop the node.
 */
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { Subscription as RxSubscription } from "rxjs";
import {
  CLIENT_PROTOCOL_VERSION,
  ClientSubjects,
  decodeEntriesRequest,
  decodeProposeRequest,
  decodeReadRequest,
  decodeWire,
  encodeWire,
  errorToWire,
} from "@flotilla/client";
import { replySafely } from "./reply-safely.js";
import {
  BadRequestError,
  type AppliedBatch,
  type CommittedEvent,
  type FlotillaNode,
  type Group,
  type SessionHeader,
} from "@flotilla/runtime";

/** A hosted group the service answers for. */
export type ServedGroup = Group<unknown, unknown, unknown, unknown>;

/** Counters for status and tests. */
export interface ClientServiceStats {
  proposeRequests: number;
  readRequests: number;
  entriesRequests: number;
  badRequests: number;
  committedPublished: number;
}

/** Answers clients for the groups this node leads. */
export class ClientService {
  readonly stats: ClientServiceStats = {
    proposeRequests: 0,
    readRequests: 0,
    entriesRequests: 0,
    badRequests: 0,
    committedPublished: 0,
  };
  private readonly subjects: ClientSubjects;
  private readonly served = new Map<string, Subscription[]>();
  private readonly groups = new Map<string, ServedGroup>();
  private readonly leadership: RxSubscription;
  private readonly applied: RxSubscription;

  constructor(
    private readonly nc: NatsConnection,
    cluster: string,
    private readonly node: FlotillaNode,
    private readonly logger: Logger,
  ) {
    this.subjects = new ClientSubjects(cluster);
    this.leadership = node.leadership$.subscribe((event) => {
      if (event.role === "leader") this.serve(event.groupId);
      else this.unserve(event.groupId);
      this.publish(this.subjects.events(event.groupId), {
        v: CLIENT_PROTOCOL_VERSION,
        nodeId: node.nodeId,
        leaderId: event.leaderId ?? null,
        term: event.term,
        role: event.role,
      });
    });
    this.applied = node.applied$.subscribe((batch) => {
      if (this.served.has(batch.groupId)) this.publishCommitted(batch);
    });
  }

  /** Registers a hosted group; it is served while this node leads it. */
  add(group: ServedGroup): void {
    this.groups.set(group.groupId, group);
    // One replica's status: hosting n groups must not copy n statuses n times.
    const status = this.node.groupStatus(group.groupId);
    if (status?.role === "leader") this.serve(group.groupId);
  }

  /** Forgets a group no longer hosted here. */
  remove(groupId: string): void {
    this.unserve(groupId);
    this.groups.delete(groupId);
  }

  /** Stops answering for every group. */
  close(): void {
    this.leadership.unsubscribe();
    this.applied.unsubscribe();
    for (const groupId of [...this.served.keys()]) this.unserve(groupId);
  }

  private serve(groupId: string): void {
    if (this.served.has(groupId) || !this.groups.has(groupId)) return;
    const propose = this.nc.subscribe(this.subjects.propose(groupId), {
      callback: (error, msg) => {
        if (error === null) void this.propose(groupId, msg);
      },
    });
    const read = this.nc.subscribe(this.subjects.read(groupId), {
      callback: (error, msg) => {
        if (error === null) void this.read(groupId, msg);
      },
    });
    const entries = this.nc.subscribe(this.subjects.entries(groupId), {
      callback: (error, msg) => {
        if (error === null) this.entries(groupId, msg);
      },
    });
    this.served.set(groupId, [propose, read, entries]);
  }

  private unserve(groupId: string): void {
    for (const subscription of this.served.get(groupId) ?? []) subscription.unsubscribe();
    this.served.delete(groupId);
  }

  private async propose(groupId: string, msg: Msg): Promise<void> {
    this.stats.proposeRequests++;
    let request;
    try {
      request = decodeProposeRequest(msg.data);
    } catch (error) {
      this.refuse(msg, groupId, "propose", error);
      return;
    }
    const { client, respondedTo } = request;
    const outcomes = await Promise.allSettled(
      request.commands.map(({ seq, command }) =>
        this.proposeCommand(
          msg,
          groupId,
          { clientId: client, sequence: seq, respondedTo },
          command,
        ),
      ),
    );
    const results = outcomes.map((outcome) =>
      outcome.status === "fulfilled"
        ? { ok: true, result: outcome.value }
        : { ok: false, error: errorToWire(outcome.reason) },
    );
    this.respond(msg, { v: CLIENT_PROTOCOL_VERSION, results });
  }

  /**
   * Proposes one command of a request, once it is known to be msgpack: bytes that are not are
   * refused here with `BAD_REQUEST`, so they never take a place in the log (every replica would
   * only refuse them when applying, and the log would carry them until compaction).
   */
  private proposeCommand(
    msg: Msg,
    groupId: string,
    session: SessionHeader,
    command: Uint8Array,
  ): Promise<unknown> {
    try {
      // The codec the node process gives every group (msgpack-codec.ts) decodes exactly this way.
      decodeWire(command);
    } catch (error) {
      this.countRefusal(msg, groupId, "command", error);
      return Promise.reject(error instanceof Error ? error : new BadRequestError("not msgpack"));
    }
    return this.node.proposeSession(groupId, session, command);
  }

  private async read(groupId: string, msg: Msg): Promise<void> {
    this.stats.readRequests++;
    const group = this.groups.get(groupId);
    let request;
    try {
      request = decodeReadRequest(msg.data);
    } catch (error) {
      this.refuse(msg, groupId, "read", error);
      return;
    }
    if (group === undefined) return;
    try {
      const result = await group.read(request.query);
      this.respond(msg, { v: CLIENT_PROTOCOL_VERSION, ok: true, result });
    } catch (error) {
      this.respond(msg, { v: CLIENT_PROTOCOL_VERSION, ok: false, error: errorToWire(error) });
    }
  }

  private entries(groupId: string, msg: Msg): void {
    this.stats.entriesRequests++;
    let request;
    try {
      request = decodeEntriesRequest(msg.data);
    } catch (error) {
      this.refuse(msg, groupId, "entries", error);
      return;
    }
    try {
      // Leave room for the envelope below max_payload.
      const maxBytes = Math.min(request.maxBytes, Math.max(1024, this.maxPayload() - 4096));
      const page = this.node.readCommitted(groupId, request.fromIndex, maxBytes);
      const result = {
        after: request.fromIndex - 1,
        through: page.through,
        events: page.events.map(wireEvent),
      };
      this.respond(msg, { v: CLIENT_PROTOCOL_VERSION, ok: true, result });
    } catch (error) {
      this.respond(msg, { v: CLIENT_PROTOCOL_VERSION, ok: false, error: errorToWire(error) });
    }
  }

  /**
   * Publishes what a round applied, cut below max_payload: each message covers its own range,
   * so a subscriber can tell a lost message (a gap) from skipped no-op entries.
   */
  private publishCommitted(batch: AppliedBatch): void {
    const subject = this.subjects.committed(batch.groupId);
    const budget = Math.max(1024, this.maxPayload() - 4096);
    let after = batch.after;
    let chunk: ReturnType<typeof wireEvent>[] = [];
    let bytes = 0;
    for (const event of batch.events) {
      if (chunk.length > 0 && bytes + event.data.byteLength + 64 > budget) {
        const through = chunk[chunk.length - 1]?.index ?? after + 1;
        this.publish(subject, { v: CLIENT_PROTOCOL_VERSION, after, through, events: chunk });
        after = through;
        chunk = [];
        bytes = 0;
      }
      chunk.push(wireEvent(event));
      bytes += event.data.byteLength + 64;
    }
    this.publish(subject, {
      v: CLIENT_PROTOCOL_VERSION,
      after,
      through: batch.through,
      events: chunk,
    });
    this.stats.committedPublished++;
  }

  private publish(subject: string, message: unknown): void {
    try {
      this.nc.publish(subject, encodeWire(message));
    } catch (error) {
      // Too large even alone, or the connection is closing: subscribers recover from the gap.
      this.logger.warn({ subject, err: error }, "publish failed");
    }
  }

  private maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  private refuse(msg: Msg, groupId: string, what: string, error: unknown): void {
    this.countRefusal(msg, groupId, what, error);
    this.respond(msg, { v: CLIENT_PROTOCOL_VERSION, ok: false, error: errorToWire(error) });
  }

  /** Counts a refused request (or command) and logs it, one line per power of two. */
  private countRefusal(msg: Msg, groupId: string, what: string, error: unknown): void {
    this.stats.badRequests++;
    // One line per power of two: a flood of garbage does not flood the log.
    if ((this.stats.badRequests & (this.stats.badRequests - 1)) === 0) {
      this.logger.warn(
        { groupId, subject: msg.subject, err: error, badRequests: this.stats.badRequests },
        `bad ${what} request refused`,
      );
    }
  }

  private respond(msg: Msg, reply: unknown): void {
    replySafely(msg, reply, this.logger);
  }
}

function wireEvent(event: CommittedEvent): {
  type: "entry" | "snapshot";
  index: number;
  term: number;
  data: Uint8Array;
} {
  return { type: event.type, index: event.index, term: event.term, data: event.data };
}
