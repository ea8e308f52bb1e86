/**
 * One group's Raft message as a msgpack array (docs/protocol.md, "Message"):
 * `[typeCode, groupId, from, to, term, ...fields of the type]`. Positional arrays keep the many
 * small messages of a batch compact; the decoder checks every element's type and count.
 */
import type {
  AppendEntries,
  ConfigEntry,
  Entry,
  Membership,
  MembershipChange,
  Message,
  MessageType,
  NodeChange,
  Snapshot,
} from "@flotilla/raft";
import type { GroupMessage } from "@flotilla/runtime";
import {
  CHANGE_KIND_CODES,
  ENTRY_KIND_CODES,
  MESSAGE_TYPE_CODES,
  NODE_CHANGE_CODES,
  invert,
} from "./wire-protocol.js";
import { wireUint } from "./msgpack.js";
import { WireFormatError } from "./wire-format-error.js";
import {
  readArray,
  readBool,
  readBytes,
  readId,
  readNodeId,
  readNodeIds,
  readOptionalBytes,
  readTuple,
  readUint,
} from "./wire-reader.js";

const MESSAGE_TYPES_BY_CODE = invert(MESSAGE_TYPE_CODES);
const NODE_CHANGES_BY_CODE = invert(NODE_CHANGE_CODES);

/** Elements after the 5 common ones, per type. */
const FIELD_COUNTS: Readonly<Record<MessageType, number>> = {
  RequestVote: 4,
  RequestVoteResult: 4,
  AppendEntries: 4,
  AppendEntriesResult: 4,
  Heartbeat: 3,
  HeartbeatResult: 1,
  InstallSnapshot: 1,
  TimeoutNow: 0,
  ForwardedProposal: 1,
  ReadIndexRequest: 1,
  ReadIndexResponse: 2,
};

/** The wire array of `message` in group `groupId` (to be packed with `packWire`). */
export function messageToWire(groupId: string, message: Message): unknown[] {
  const head = [
    MESSAGE_TYPE_CODES[message.type],
    groupId,
    message.from,
    message.to,
    wireUint(message.term),
  ];
  switch (message.type) {
    case "RequestVote":
      return [
        ...head,
        wireUint(message.lastLogIndex),
        wireUint(message.lastLogTerm),
        message.preVote,
        message.leadershipTransfer,
      ];
    case "RequestVoteResult":
      return [
        ...head,
        message.granted,
        message.preVote,
        wireUint(message.commitIndex),
        wireUint(message.commitTerm),
      ];
    case "AppendEntries":
      return [
        ...head,
        wireUint(message.prevLogIndex),
        wireUint(message.prevLogTerm),
        wireUint(message.leaderCommit),
        message.entries.map(entryToWire),
      ];
    case "AppendEntriesResult":
      return [
        ...head,
        message.success,
        wireUint(message.index),
        wireUint(message.hintIndex),
        wireUint(message.hintTerm),
      ];
    case "Heartbeat":
      return [
        ...head,
        wireUint(message.commitIndex),
        message.context ?? null,
        message.quiesce === true,
      ];
    case "HeartbeatResult":
      return [...head, message.context ?? null];
    case "InstallSnapshot":
      return [...head, snapshotToWire(message.snapshot)];
    case "TimeoutNow":
      return head;
    case "ForwardedProposal":
      return [...head, [...message.data]];
    case "ReadIndexRequest":
      return [...head, message.context];
    case "ReadIndexResponse":
      return [...head, message.context, wireUint(message.index)];
  }
}

/**
 * The group message a decoded wire array holds.
 *
 * @throws {WireFormatError} on an unknown type code, a wrong element count or type.
 */
export function messageFromWire(value: unknown, path: string): GroupMessage {
  const array = readArray(value, path);
  const code = readUint(array[0], `${path}.type`);
  const type = MESSAGE_TYPES_BY_CODE.get(code);
  if (type === undefined) throw new WireFormatError(`${path}.type`, `unknown message type ${code}`);
  const fields = readTuple(array, 5 + FIELD_COUNTS[type], `${path} (${type})`);
  const groupId = readId(fields[1], `${path}.groupId`);
  const base = {
    from: readNodeId(fields[2], `${path}.from`),
    to: readNodeId(fields[3], `${path}.to`),
    term: readUint(fields[4], `${path}.term`),
  };
  const f = (i: number): unknown => fields[5 + i];
  const at = (name: string): string => `${path}.${name}`;
  return { groupId, message: typedMessage(type, base, f, at) };
}

function typedMessage(
  type: MessageType,
  base: Pick<Message, "from" | "to" | "term">,
  f: (i: number) => unknown,
  at: (name: string) => string,
): Message {
  switch (type) {
    case "RequestVote":
      return {
        type,
        ...base,
        lastLogIndex: readUint(f(0), at("lastLogIndex")),
        lastLogTerm: readUint(f(1), at("lastLogTerm")),
        preVote: readBool(f(2), at("preVote")),
        leadershipTransfer: readBool(f(3), at("leadershipTransfer")),
      };
    case "RequestVoteResult":
      return {
        type,
        ...base,
        granted: readBool(f(0), at("granted")),
        preVote: readBool(f(1), at("preVote")),
        commitIndex: readUint(f(2), at("commitIndex")),
        commitTerm: readUint(f(3), at("commitTerm")),
      };
    case "AppendEntries": {
      const message = {
        type,
        ...base,
        prevLogIndex: readUint(f(0), at("prevLogIndex")),
        prevLogTerm: readUint(f(1), at("prevLogTerm")),
        leaderCommit: readUint(f(2), at("leaderCommit")),
        entries: readArray(f(3), at("entries")).map((entry, i) =>
          entryFromWire(entry, at(`entries[${i}]`)),
        ),
      };
      checkEntriesFollow(message, at("entries"));
      return message;
    }
    case "AppendEntriesResult":
      return {
        type,
        ...base,
        success: readBool(f(0), at("success")),
        index: readUint(f(1), at("index")),
        hintIndex: readUint(f(2), at("hintIndex")),
        hintTerm: readUint(f(3), at("hintTerm")),
      };
    case "Heartbeat": {
      const heartbeat = {
        type,
        ...base,
        commitIndex: readUint(f(0), at("commitIndex")),
        context: readOptionalBytes(f(1), at("context")),
      };
      return readBool(f(2), at("quiesce")) ? { ...heartbeat, quiesce: true } : heartbeat;
    }
    case "HeartbeatResult":
      return { type, ...base, context: readOptionalBytes(f(0), at("context")) };
    case "InstallSnapshot":
      return { type, ...base, snapshot: snapshotFromWire(f(0), at("snapshot")) };
    case "TimeoutNow":
      return { type, ...base };
    case "ForwardedProposal":
      return {
        type,
        ...base,
        data: readArray(f(0), at("data")).map((item, i) => readBytes(item, at(`data[${i}]`))),
      };
    case "ReadIndexRequest":
      return { type, ...base, context: readBytes(f(0), at("context")) };
    case "ReadIndexResponse":
      return {
        type,
        ...base,
        context: readBytes(f(0), at("context")),
        index: readUint(f(1), at("index")),
      };
  }
}

/**
 * The shape every AppendEntries from a correct leader has (Raft §5.3): its entries follow
 * `prevLogIndex` one index apart, their terms never decrease, start at or above `prevLogTerm`
 * and end at or below the message's term. The core relies on it (an entry past a hole would
 * trip an assertion and fail-stop the replica), so a message without it is refused here, at the
 * edge, as bad input. Found by fuzzing the codec (issue 12).
 *
 * @throws {WireFormatError} naming the first entry out of place.
 */
function checkEntriesFollow(
  message: Pick<AppendEntries, "prevLogIndex" | "prevLogTerm" | "term" | "entries">,
  path: string,
): void {
  let previousTerm = message.prevLogTerm;
  for (const [i, entry] of message.entries.entries()) {
    if (entry.index !== message.prevLogIndex + 1 + i) {
      throw new WireFormatError(
        `${path}[${i}].index`,
        `expected ${message.prevLogIndex + 1 + i}, got ${entry.index}`,
      );
    }
    if (entry.term < previousTerm || entry.term > message.term) {
      throw new WireFormatError(
        `${path}[${i}].term`,
        `term ${entry.term} outside [${previousTerm}, ${message.term}]`,
      );
    }
    previousTerm = entry.term;
  }
}

/** `[index, term, kind, payload?]`: normal → data bytes, noop → nothing, config → change. */
function entryToWire(entry: Entry): unknown[] {
  const head = [wireUint(entry.index), wireUint(entry.term), ENTRY_KIND_CODES[entry.type]];
  switch (entry.type) {
    case "normal":
      return [...head, entry.data];
    case "noop":
      return head;
    case "config":
      return [...head, changeToWire(entry.change)];
  }
}

function entryFromWire(value: unknown, path: string): Entry {
  const array = readArray(value, path);
  const index = readUint(array[0], `${path}.index`);
  const term = readUint(array[1], `${path}.term`);
  const kind = readUint(array[2], `${path}.kind`);
  switch (kind) {
    case ENTRY_KIND_CODES.normal:
      readTuple(array, 4, path);
      return { type: "normal", index, term, data: readBytes(array[3], `${path}.data`) };
    case ENTRY_KIND_CODES.noop:
      readTuple(array, 3, path);
      return { type: "noop", index, term };
    case ENTRY_KIND_CODES.config: {
      readTuple(array, 4, path);
      const entry: ConfigEntry = {
        type: "config",
        index,
        term,
        change: changeFromWire(array[3], `${path}.change`),
      };
      return entry;
    }
    default:
      throw new WireFormatError(`${path}.kind`, `unknown entry kind ${kind}`);
  }
}

/** `[kindCode, [[changeCode, nodeId], …]]`; leave-joint carries an empty list. */
function changeToWire(change: MembershipChange): unknown[] {
  const changes = change.kind === "leave-joint" ? [] : change.changes;
  return [
    CHANGE_KIND_CODES[change.kind],
    changes.map((nodeChange) => [NODE_CHANGE_CODES[nodeChange.type], nodeChange.nodeId]),
  ];
}

function changeFromWire(value: unknown, path: string): MembershipChange {
  const [kindValue, changesValue] = readTuple(value, 2, path);
  const kind = readUint(kindValue, `${path}.kind`);
  const changes = readArray(changesValue, `${path}.changes`).map((item, i) =>
    nodeChangeFromWire(item, `${path}.changes[${i}]`),
  );
  switch (kind) {
    case CHANGE_KIND_CODES.simple:
      return { kind: "simple", changes };
    case CHANGE_KIND_CODES["enter-joint"]:
      return { kind: "enter-joint", changes };
    case CHANGE_KIND_CODES["leave-joint"]:
      if (changes.length !== 0) {
        throw new WireFormatError(`${path}.changes`, "leave-joint carries no node changes");
      }
      return { kind: "leave-joint" };
    default:
      throw new WireFormatError(`${path}.kind`, `unknown membership change kind ${kind}`);
  }
}

function nodeChangeFromWire(value: unknown, path: string): NodeChange {
  const [codeValue, idValue] = readTuple(value, 2, path);
  const code = readUint(codeValue, `${path}.type`);
  const type = NODE_CHANGES_BY_CODE.get(code);
  if (type === undefined) throw new WireFormatError(`${path}.type`, `unknown node change ${code}`);
  return { type, nodeId: readNodeId(idValue, `${path}.nodeId`) };
}

/** `[index, term, membership, data]`. */
export function snapshotToWire(snapshot: Snapshot): unknown[] {
  const { index, term, membership } = snapshot.metadata;
  return [wireUint(index), wireUint(term), membershipToWire(membership), snapshot.data];
}

/** The snapshot a decoded wire array holds. */
export function snapshotFromWire(value: unknown, path: string): Snapshot {
  const [index, term, membership, data] = readTuple(value, 4, path);
  return {
    metadata: {
      index: readUint(index, `${path}.index`),
      term: readUint(term, `${path}.term`),
      membership: membershipFromWire(membership, `${path}.membership`),
    },
    data: readBytes(data, `${path}.data`),
  };
}

/** `[voters, votersOutgoing, learners, learnersNext]`, each a list of node ids. */
function membershipToWire(membership: Membership): unknown[] {
  return [
    [...membership.voters],
    [...membership.votersOutgoing],
    [...membership.learners],
    [...membership.learnersNext],
  ];
}

function membershipFromWire(value: unknown, path: string): Membership {
  const [voters, votersOutgoing, learners, learnersNext] = readTuple(value, 4, path);
  return {
    voters: readNodeIds(voters, `${path}.voters`),
    votersOutgoing: readNodeIds(votersOutgoing, `${path}.votersOutgoing`),
    learners: readNodeIds(learners, `${path}.learners`),
    learnersNext: readNodeIds(learnersNext, `${path}.learnersNext`),
  };
}
