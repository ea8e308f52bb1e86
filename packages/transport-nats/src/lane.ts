/**
 * Which subject a Raft message travels on. Everything the core marks urgent
 * (`isPriorityMessage`: votes, heartbeats, TimeoutNow, ReadIndex) and every small answer goes on
 * the priority lane; only messages that carry entries or application data go on the bulk lane,
 * so a vote or heartbeat never queues behind them (REFERENCE.md, nats-streaming-server #629).
 */
import type { Message } from "@flotilla/raft";

/** The two batch subjects of a node (snapshot chunks have a third, see `raftSubjects`). */
export type Lane = "priority" | "bulk";

/**
 * The lane of `message`.
 *
 * @example
 * laneOf(heartbeat); // "priority"
 * laneOf(appendWithEntries); // "bulk"
 */
export function laneOf(message: Message): Lane {
  switch (message.type) {
    case "AppendEntries":
      // An empty append (a probe) is as small as a heartbeat.
      return message.entries.length > 0 ? "bulk" : "priority";
    case "InstallSnapshot":
    case "ForwardedProposal":
      return "bulk";
    case "RequestVote":
    case "RequestVoteResult":
    case "AppendEntriesResult":
    case "Heartbeat":
    case "HeartbeatResult":
    case "TimeoutNow":
    case "ReadIndexRequest":
    case "ReadIndexResponse":
      return "priority";
  }
}
