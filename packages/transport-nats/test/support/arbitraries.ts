/**
 * fast-check arbitraries for every Raft message type, and one hand-written example of each, for
 * the codec's property tests and the transport's integration tests.
 */
import fc from "fast-check";
import {
  nodeId,
  type Entry,
  type Membership,
  type MembershipChange,
  type Message,
  type MessageType,
  type NodeId,
  type Snapshot,
} from "@flotilla/raft";
import type { GroupMessage, RaftBatch } from "@flotilla/runtime";

const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-".split("");

/** A valid id (`[A-Za-z0-9_-]{1,64}`). */
export const idArbitrary: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...idChars), { minLength: 1, maxLength: 64 })
  .map((chars) => chars.join(""));

export const nodeIdArbitrary: fc.Arbitrary<NodeId> = idArbitrary.map((id) => nodeId(id));

/** Indexes and terms: small ones, and large ones past 32 bits up to 2^53 − 1. */
const uintArbitrary = fc.oneof(
  fc.nat({ max: 1_000 }),
  fc.nat(),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
const bytesArbitrary = fc.uint8Array({ maxLength: 200 });
const nodeIdsArbitrary = fc.array(nodeIdArbitrary, { maxLength: 5 });

const changeArbitrary: fc.Arbitrary<MembershipChange> = fc.oneof(
  fc.constant({ kind: "leave-joint" as const }),
  fc.record({
    kind: fc.constantFrom("simple" as const, "enter-joint" as const),
    changes: fc.array(
      fc.record({
        type: fc.constantFrom("add-voter" as const, "add-learner" as const, "remove" as const),
        nodeId: nodeIdArbitrary,
      }),
      { maxLength: 4 },
    ),
  }),
);

const entryArbitrary: fc.Arbitrary<Entry> = fc.oneof(
  fc.record({
    index: uintArbitrary,
    term: uintArbitrary,
    type: fc.constant("normal" as const),
    data: bytesArbitrary,
  }),
  fc.record({ index: uintArbitrary, term: uintArbitrary, type: fc.constant("noop" as const) }),
  fc.record({
    index: uintArbitrary,
    term: uintArbitrary,
    type: fc.constant("config" as const),
    change: changeArbitrary,
  }),
);

const membershipArbitrary: fc.Arbitrary<Membership> = fc.record({
  voters: nodeIdsArbitrary,
  votersOutgoing: nodeIdsArbitrary,
  learners: nodeIdsArbitrary,
  learnersNext: nodeIdsArbitrary,
});

const snapshotArbitrary: fc.Arbitrary<Snapshot> = fc.record({
  metadata: fc.record({
    index: uintArbitrary,
    term: uintArbitrary,
    membership: membershipArbitrary,
  }),
  data: fc.uint8Array({ maxLength: 2_000 }),
});

const base = { from: nodeIdArbitrary, to: nodeIdArbitrary, term: uintArbitrary };

/** One arbitrary per message type: the record keys make a missing type a compile error. */
export const messageArbitraries: Readonly<Record<MessageType, fc.Arbitrary<Message>>> = {
  RequestVote: fc.record({
    type: fc.constant("RequestVote" as const),
    ...base,
    lastLogIndex: uintArbitrary,
    lastLogTerm: uintArbitrary,
    preVote: fc.boolean(),
    leadershipTransfer: fc.boolean(),
  }),
  RequestVoteResult: fc.record({
    type: fc.constant("RequestVoteResult" as const),
    ...base,
    granted: fc.boolean(),
    preVote: fc.boolean(),
    commitIndex: uintArbitrary,
    commitTerm: uintArbitrary,
  }),
  // As a correct leader sends them (the decoder refuses others): entries follow prevLogIndex,
  // terms from prevLogTerm up to the message's term, never decreasing.
  AppendEntries: fc
    .record({
      from: nodeIdArbitrary,
      to: nodeIdArbitrary,
      prevLogIndex: fc.nat({ max: Number.MAX_SAFE_INTEGER - 100 }),
      prevLogTerm: fc.nat({ max: Number.MAX_SAFE_INTEGER - 100 }),
      termSteps: fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 9 }),
      entries: fc.array(entryArbitrary, { maxLength: 8 }),
      leaderCommit: uintArbitrary,
    })
    .map(({ termSteps, entries, prevLogIndex, prevLogTerm, ...rest }) => {
      let term = prevLogTerm;
      const placed = entries.map((entry, i) => {
        term += termSteps[i % termSteps.length] ?? 0;
        return { ...entry, index: prevLogIndex + 1 + i, term };
      });
      return {
        type: "AppendEntries" as const,
        ...rest,
        term: term + (termSteps[0] ?? 0),
        prevLogIndex,
        prevLogTerm,
        entries: placed,
      };
    }),
  AppendEntriesResult: fc.record({
    type: fc.constant("AppendEntriesResult" as const),
    ...base,
    success: fc.boolean(),
    index: uintArbitrary,
    hintIndex: uintArbitrary,
    hintTerm: uintArbitrary,
  }),
  Heartbeat: fc
    .record({
      type: fc.constant("Heartbeat" as const),
      ...base,
      commitIndex: uintArbitrary,
      context: fc.option(bytesArbitrary, { nil: undefined }),
      quiesce: fc.boolean(),
    })
    .map(({ quiesce, ...heartbeat }) =>
      quiesce ? { ...heartbeat, quiesce: true as const } : heartbeat,
    ),
  HeartbeatResult: fc.record({
    type: fc.constant("HeartbeatResult" as const),
    ...base,
    context: fc.option(bytesArbitrary, { nil: undefined }),
  }),
  InstallSnapshot: fc.record({
    type: fc.constant("InstallSnapshot" as const),
    ...base,
    snapshot: snapshotArbitrary,
  }),
  TimeoutNow: fc.record({ type: fc.constant("TimeoutNow" as const), ...base }),
  ForwardedProposal: fc.record({
    type: fc.constant("ForwardedProposal" as const),
    ...base,
    data: fc.array(bytesArbitrary, { maxLength: 5 }),
  }),
  ReadIndexRequest: fc.record({
    type: fc.constant("ReadIndexRequest" as const),
    ...base,
    context: bytesArbitrary,
  }),
  ReadIndexResponse: fc.record({
    type: fc.constant("ReadIndexResponse" as const),
    ...base,
    context: bytesArbitrary,
    index: uintArbitrary,
  }),
};

export const messageArbitrary: fc.Arbitrary<Message> = fc.oneof(
  ...Object.values(messageArbitraries),
);

export const groupMessageArbitrary: fc.Arbitrary<GroupMessage> = fc.record({
  groupId: idArbitrary,
  message: messageArbitrary,
});

export const batchArbitrary: fc.Arbitrary<RaftBatch> = fc.record({
  from: nodeIdArbitrary,
  messages: fc.array(groupMessageArbitrary, { maxLength: 20 }),
});

const n1 = nodeId("n1");
const n2 = nodeId("n2");
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const membership: Membership = {
  voters: [n1, n2],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
};

/** One message of every type, from n1 to n2 (and back for the answers). */
export function oneOfEachMessage(snapshotData: Uint8Array = bytes(9, 9)): Message[] {
  const out = { from: n1, to: n2, term: 3 };
  const back = { from: n2, to: n1, term: 3 };
  return [
    {
      type: "RequestVote",
      ...out,
      lastLogIndex: 10,
      lastLogTerm: 2,
      preVote: true,
      leadershipTransfer: false,
    },
    {
      type: "RequestVoteResult",
      ...back,
      granted: true,
      preVote: true,
      commitIndex: 9,
      commitTerm: 2,
    },
    {
      type: "AppendEntries",
      ...out,
      prevLogIndex: 10,
      prevLogTerm: 2,
      leaderCommit: 9,
      entries: [
        { type: "normal", index: 11, term: 3, data: bytes(1, 2, 3) },
        { type: "noop", index: 12, term: 3 },
        {
          type: "config",
          index: 13,
          term: 3,
          change: { kind: "enter-joint", changes: [{ type: "add-voter", nodeId: nodeId("n3") }] },
        },
        { type: "config", index: 14, term: 3, change: { kind: "leave-joint" } },
      ],
    },
    { type: "AppendEntriesResult", ...back, success: false, index: 10, hintIndex: 8, hintTerm: 2 },
    { type: "Heartbeat", ...out, commitIndex: 9, context: bytes(7) },
    { type: "Heartbeat", ...out, commitIndex: 9, context: undefined, quiesce: true },
    { type: "HeartbeatResult", ...back, context: undefined },
    {
      type: "InstallSnapshot",
      ...out,
      snapshot: { metadata: { index: 100, term: 3, membership }, data: snapshotData },
    },
    { type: "TimeoutNow", ...out },
    { type: "ForwardedProposal", ...back, data: [bytes(4), bytes()] },
    { type: "ReadIndexRequest", ...back, context: bytes(5, 5) },
    { type: "ReadIndexResponse", ...out, context: bytes(5, 5), index: 12 },
  ];
}
