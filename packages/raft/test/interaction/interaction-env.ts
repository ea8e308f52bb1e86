/**
 * A small port of etcd-io/raft's datadriven interaction tests (rafttest/InteractionEnv): a script
 * of commands drives a few replicas by hand — campaign, tick, propose, process one Ready, deliver
 * the messages queued for one replica — and every command prints what happened in a stable,
 * human-readable form. The printout of a whole script is compared with a reviewed golden file.
 *
 * Script syntax: one command per line; `#` starts a comment line (echoed into the output); blank
 * lines are ignored. Arguments are positional (`campaign 1`) or `key=value` / `key=(a,b,c)`.
 *
 * Printing conventions: an entry or log position is `term/index` (etcd's order), e.g.
 * `1/3 EntryNormal "x"`; `prev=1/2` is the AppendEntries' prevLogTerm/prevLogIndex; a rejection's
 * `hint=2/4` is hintTerm/hintIndex. A line `~ 2 is follower at term 1, lead 1` reports that a
 * replica's role, term or known leader changed while the command ran.
 *
 * Commands:
 * - `add-nodes <n> voters=(1,2,3) [learners=(4)] [prevote=true] [checkquorum=true]
 *   [electionTicks=10] [heartbeatTicks=1] [readMode=safe|lease] [forwarding=forward|reject]
 *   [batchBytes=<n>]`:
 *   creates the next n replicas (ids continue from the last one), each bootstrapped with that
 *   membership at index 0 on its own MemoryStorage. Defaults: prevote and checkquorum off;
 *   `batchBytes=1` makes every AppendEntries carry a single entry.
 * - `campaign <id>`, `propose <id> <data>`, `propose-conf-change <id> v4 l5 r3` (add voter 4,
 *   add learner 5, remove 3), `transfer-leadership from=<id> to=<id>`, `read-index <id> <ctx>`.
 * - `tick-election <id>`: a follower or candidate ticks until its randomized election timeout
 *   fires (it campaigns), at most 2 × electionTicks ticks; a leader ticks electionTicks times,
 *   hearing nothing meanwhile (with CheckQuorum it steps down). `tick-heartbeat <id>`: heartbeatTicks ticks. `tick <id> [count=<k>]`: k ticks.
 * - `process-ready <id>...`: handles one Ready per listed replica (persist, send, apply, advance).
 * - `deliver-msgs [<id>...] [drop=(<id>,...)] [type=<MessageType>]`: delivers the queued
 *   messages addressed to the listed replicas, in order; `drop` discards those addressed to the
 *   other list instead.
 * - `stabilize [<id>...]`: Ready handling and delivery among the listed (default all) replicas
 *   until nothing is left, as etcd's `stabilize`.
 * - `isolate <id>`, `heal`: messages from or to an isolated replica are dropped at delivery.
 * - `compact <id> <index>`: the replica's state machine snapshots at `index` (which it has
 *   applied), and its MemoryStorage discards the log up to there.
 * - `restart <id>`: a new Raft over the replica's storage, as after a crash with everything
 *   synced; the state machine restarts from the storage's snapshot.
 * - `status <id>`, `raft-log <id>` (the persisted log), `raft-state` (every replica's role).
 */
import {
  MemoryStorage,
  Raft,
  SeededRandom,
  applyMembershipChange,
  membershipOf,
  nodeId,
  type CommandOutcome,
  type Entry,
  type Membership,
  type MembershipChange,
  type Message,
  type MessageType,
  type NodeChange,
  type NodeId,
  type ProposeOutcome,
  type Ready,
  type RaftConfig,
  type Snapshot,
} from "../../src/index.js";

/** Thrown for a malformed script: a bug in the test, never an outcome of the core. */
export class ScriptError extends Error {
  override readonly name = "ScriptError";
}

/** One argument: positional (`values` empty) or `key=value` / `key=(a,b)`. */
export interface Arg {
  readonly key: string;
  readonly values: readonly string[];
}

/** Splits a command line into the command and its arguments. */
export function parseLine(line: string): { cmd: string; args: Arg[] } {
  const tokens: string[] = [];
  let current = "";
  let depth = 0;
  let quoted = false;
  for (const ch of line.trim()) {
    if (quoted) {
      current += ch;
      if (ch === '"') quoted = false;
    } else if (ch === '"') {
      current += ch;
      quoted = true;
    } else if (ch === "(") {
      depth++;
      current += ch;
    } else if (ch === ")") {
      depth--;
      current += ch;
    } else if (/\s/.test(ch) && depth === 0) {
      if (current !== "") tokens.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (quoted || depth !== 0) throw new ScriptError(`unbalanced quotes or parentheses: ${line}`);
  if (current !== "") tokens.push(current);
  const [cmd, ...rest] = tokens;
  if (cmd === undefined) throw new ScriptError("empty command line");
  const args = rest.map((token): Arg => {
    const eq = token.indexOf("=");
    if (eq < 0 || token.startsWith('"')) return { key: unquote(token), values: [] };
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    if (value.startsWith("(") && value.endsWith(")")) {
      const inner = value.slice(1, -1).trim();
      return { key, values: inner === "" ? [] : inner.split(/[\s,]+/).map(unquote) };
    }
    return { key, values: [unquote(value)] };
  });
  return { cmd, args };
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

/** Per-replica settings that survive a restart. */
interface NodeOptions {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly readMode: "safe" | "lease";
  readonly proposalForwarding: "forward" | "reject";
  readonly batchBytesMax: number | undefined;
}

interface Observed {
  readonly role: string;
  readonly term: number;
  readonly lead: NodeId | undefined;
}

/** One replica: its core, its storage, and a trivial state machine (the applied data, in order). */
interface Node {
  readonly id: NodeId;
  readonly number: number;
  readonly options: NodeOptions;
  readonly storage: MemoryStorage;
  raft: Raft;
  restarts: number;
  /** The state machine: applied normal entries' data with their index. */
  stateMachine: { index: number; data: string }[];
  /** The membership in force after each applied configuration entry (and at the snapshot). */
  membershipHistory: { index: number; membership: Membership }[];
  appliedIndex: number;
  observed: Observed;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The interaction environment: replicas, the network queue, and the output being printed. */
export class InteractionEnv {
  private readonly nodes: Node[] = [];
  private queue: Message[] = [];
  private readonly isolated = new Set<NodeId>();
  private out: string[] = [];
  private indent = "";

  /** Runs a whole script and returns its printout. */
  run(script: string): string {
    const blocks: string[] = [];
    for (const raw of script.split("\n")) {
      const line = raw.trim();
      if (line === "") continue;
      if (line.startsWith("#")) {
        blocks.push(line);
        continue;
      }
      const output = this.handle(line);
      blocks.push(`${line}\n----\n${output}\n`);
    }
    return blocks.join("\n") + "\n";
  }

  /** Runs one command line and returns what it printed ("ok" when nothing). */
  handle(line: string): string {
    this.out = [];
    this.indent = "";
    const { cmd, args } = parseLine(line);
    this.dispatch(cmd, args);
    return this.out.length === 0 ? "ok" : this.out.join("\n");
  }

  private dispatch(cmd: string, args: readonly Arg[]): void {
    switch (cmd) {
      case "add-nodes":
        return this.addNodes(args);
      case "campaign":
        return this.withNode(args, (n) => n.raft.campaign());
      case "propose":
        return this.propose(args);
      case "propose-conf-change":
        return this.proposeConfChange(args);
      case "transfer-leadership":
        return this.transferLeadership(args);
      case "read-index":
        return this.readIndex(args);
      case "tick-election":
        return this.tickElection(args);
      case "tick-heartbeat":
        return this.withNode(args, (n) => this.tickTimes(n, n.options.heartbeatTicks));
      case "tick":
        return this.withNode(args, (n) => this.tickTimes(n, intArg(args, "count", 1)));
      case "process-ready":
        for (const n of this.nodesOf(args, false)) this.processReady(n);
        return;
      case "deliver-msgs":
        return this.deliverMsgsCommand(args);
      case "stabilize":
        return this.stabilize(this.nodesOf(args, true));
      case "isolate":
        for (const n of this.nodesOf(args, false)) this.isolated.add(n.id);
        return;
      case "heal":
        this.isolated.clear();
        return;
      case "compact":
        return this.compact(args);
      case "restart":
        return this.restart(args);
      case "status":
        for (const n of this.nodesOf(args, false)) this.printStatus(n);
        return;
      case "raft-log":
        for (const n of this.nodesOf(args, false)) this.printLog(n);
        return;
      case "raft-state":
        for (const n of this.nodes) this.printRaftState(n);
        return;
      default:
        throw new ScriptError(`unknown command ${cmd}`);
    }
  }

  // --- commands --------------------------------------------------------------------------------

  private addNodes(args: readonly Arg[]): void {
    const count = Number(positional(args)[0]);
    if (!Number.isInteger(count) || count < 1) throw new ScriptError("add-nodes <count> ...");
    const voters = listArg(args, "voters").map(nodeId);
    const learners = listArg(args, "learners").map(nodeId);
    if (voters.length === 0) throw new ScriptError("add-nodes needs voters=(...)");
    const options: NodeOptions = {
      preVote: boolArg(args, "prevote", false),
      checkQuorum: boolArg(args, "checkquorum", false),
      electionTicks: intArg(args, "electionTicks", 10),
      heartbeatTicks: intArg(args, "heartbeatTicks", 1),
      readMode: stringArg(args, "readMode", "safe") === "lease" ? "lease" : "safe",
      proposalForwarding:
        stringArg(args, "forwarding", "forward") === "reject" ? "reject" : "forward",
      batchBytesMax: args.some((a) => a.key === "batchBytes")
        ? intArg(args, "batchBytes", 0)
        : undefined,
    };
    for (let i = 0; i < count; i++) {
      const number = this.nodes.length + 1;
      const id = nodeId(String(number));
      const storage = new MemoryStorage(membershipOf(voters, learners));
      const node: Node = {
        id,
        number,
        options,
        storage,
        raft: this.newRaft(id, number, 0, storage, options),
        restarts: 0,
        stateMachine: [],
        membershipHistory: [{ index: 0, membership: membershipOf(voters, learners) }],
        appliedIndex: 0,
        observed: { role: "follower", term: 0, lead: undefined },
      };
      this.nodes.push(node);
      node.observed = this.observe(node, false);
      this.printRaftState(node);
    }
  }

  private newRaft(
    id: NodeId,
    number: number,
    restarts: number,
    storage: MemoryStorage,
    o: NodeOptions,
  ): Raft {
    const config: RaftConfig = {
      id,
      storage,
      // Seeded per replica and per incarnation, so every script replays exactly.
      random: new SeededRandom(number * 1000 + restarts),
      preVote: o.preVote,
      checkQuorum: o.checkQuorum,
      electionTicks: o.electionTicks,
      heartbeatTicks: o.heartbeatTicks,
      readMode: o.readMode,
      proposalForwarding: o.proposalForwarding,
      ...(o.batchBytesMax === undefined ? {} : { batchBytesMax: o.batchBytesMax }),
    };
    return new Raft(config);
  }

  private propose(args: readonly Arg[]): void {
    const [id, data] = positional(args);
    if (id === undefined || data === undefined) throw new ScriptError("propose <id> <data>");
    const n = this.node(id);
    const outcome = n.raft.propose(encoder.encode(data));
    this.print(formatProposeOutcome(outcome));
    this.reportChanges(n);
  }

  private proposeConfChange(args: readonly Arg[]): void {
    const [id, ...specs] = positional(args);
    if (id === undefined || specs.length === 0)
      throw new ScriptError("propose-conf-change <id> v4 l5 r3");
    const changes = specs.map(parseNodeChange);
    const n = this.node(id);
    const outcome = n.raft.changeMembership(changes);
    this.print(formatProposeOutcome(outcome));
    this.reportChanges(n);
  }

  private transferLeadership(args: readonly Arg[]): void {
    const from = this.node(stringArg(args, "from", ""));
    const to = nodeId(stringArg(args, "to", ""));
    this.print(formatCommandOutcome(from.raft.transferLeadership(to)));
    this.reportChanges(from);
  }

  private readIndex(args: readonly Arg[]): void {
    const [id, ctx] = positional(args);
    if (id === undefined || ctx === undefined) throw new ScriptError("read-index <id> <ctx>");
    const n = this.node(id);
    this.print(formatCommandOutcome(n.raft.readIndex(encoder.encode(ctx))));
    this.reportChanges(n);
  }

  private tickElection(args: readonly Arg[]): void {
    this.withNode(args, (n) => {
      const t = n.options.electionTicks;
      if (n.raft.status().role === "leader") {
        this.tickTimes(n, t);
        return;
      }
      const before = n.raft.status();
      let ticks = 0;
      while (ticks < 2 * t) {
        // A campaign shows as a role or term change, or as the first output of a quiet replica.
        const quiet = !n.raft.hasReady();
        n.raft.tick();
        ticks++;
        const now = n.raft.status();
        if (now.role !== before.role || now.term !== before.term) break;
        if (quiet && n.raft.hasReady()) break;
      }
      this.print(`ticked ${ticks} times`);
    });
  }

  private tickTimes(n: Node, count: number): void {
    for (let i = 0; i < count; i++) n.raft.tick();
  }

  private compact(args: readonly Arg[]): void {
    const [id, indexText] = positional(args);
    const index = Number(indexText);
    if (id === undefined || !Number.isInteger(index)) throw new ScriptError("compact <id> <index>");
    const n = this.node(id);
    if (index > n.appliedIndex)
      throw new ScriptError(`compact ${index}: replica ${id} applied only ${n.appliedIndex}`);
    const data = this.stateMachineData(n, index);
    n.storage.createSnapshot(
      index,
      this.membershipAt(n, index),
      encoder.encode(JSON.stringify(data)),
    );
    n.storage.compact(index);
    this.printLog(n);
  }

  private restart(args: readonly Arg[]): void {
    this.withNode(args, (n) => {
      n.restarts++;
      n.raft = this.newRaft(n.id, n.number, n.restarts, n.storage, n.options);
      const snapshot = n.storage.snapshot();
      this.restoreStateMachine(n, snapshot);
      // A fresh incarnation starts as a follower without a leader.
      n.observed = this.observe(n, false);
      this.printRaftState(n);
    });
  }

  private deliverMsgsCommand(args: readonly Arg[]): void {
    const recipients = new Set(positional(args).map((id) => this.node(id).id));
    const drop = new Set(listArg(args, "drop").map((id) => this.node(id).id));
    const typeFilter = stringArg(args, "type", "");
    const matches = (m: Message): boolean =>
      typeFilter === "" || m.type === (typeFilter as MessageType);
    if (drop.size > 0) {
      const dropped = this.queue.filter((m) => drop.has(m.to) && matches(m));
      this.queue = this.queue.filter((m) => !(drop.has(m.to) && matches(m)));
      for (const m of dropped) this.print(`dropped: ${formatMessage(m)}`);
    }
    for (const n of this.nodes) {
      if (recipients.has(n.id)) this.deliverTo(n, matches);
    }
  }

  // --- the Ready loop ------------------------------------------------------------------------

  private stabilize(nodes: readonly Node[]): void {
    for (let round = 0; round < 1000; round++) {
      let done = true;
      for (const n of nodes) {
        if (!n.raft.hasReady()) continue;
        done = false;
        this.processReady(n);
      }
      for (const n of nodes) {
        if (!this.queue.some((m) => m.to === n.id)) continue;
        done = false;
        this.deliverTo(n, () => true);
      }
      if (done) return;
    }
    throw new ScriptError("stabilize did not reach a fixed point in 1000 rounds");
  }

  /** One Ready, handled as the contract says: persist, send, apply, advance. */
  private processReady(n: Node): void {
    if (!n.raft.hasReady()) return;
    const ready = n.raft.ready();
    this.print(`> ${n.id} handling Ready`);
    this.nested(() => {
      this.printReady(ready);
      if (ready.snapshot !== undefined) n.storage.applySnapshot(ready.snapshot);
      n.storage.append(ready.entries);
      if (ready.hardState !== undefined) n.storage.setHardState(ready.hardState);
      this.queue.push(...ready.messages);
      if (ready.snapshot !== undefined) this.restoreStateMachine(n, ready.snapshot);
      for (const entry of ready.committedEntries) this.applyEntry(n, entry);
      const membershipBefore = formatMembership(n.raft.status().membership);
      n.raft.advance(ready);
      const membershipAfter = formatMembership(n.raft.status().membership);
      if (membershipAfter !== membershipBefore) this.print(`membership now ${membershipAfter}`);
      this.reportChanges(n);
    });
  }

  private deliverTo(n: Node, matches: (m: Message) => boolean): void {
    const batch = this.queue.filter((m) => m.to === n.id && matches(m));
    if (batch.length === 0) return;
    this.queue = this.queue.filter((m) => !(m.to === n.id && matches(m)));
    this.print(`> ${n.id} receiving messages`);
    this.nested(() => {
      for (const m of batch) {
        if (this.isolated.has(m.from) || this.isolated.has(m.to)) {
          this.print(`${formatMessage(m)} DROPPED (partition)`);
          continue;
        }
        this.print(formatMessage(m));
        n.raft.step(m);
        this.nested(() => this.reportChanges(n));
      }
    });
  }

  private applyEntry(n: Node, entry: Entry): void {
    if (entry.index <= n.appliedIndex) {
      throw new ScriptError(
        `replica ${n.id} handed entry ${entry.index} again (applied ${n.appliedIndex})`,
      );
    }
    n.appliedIndex = entry.index;
    switch (entry.type) {
      case "normal":
        n.stateMachine.push({ index: entry.index, data: decoder.decode(entry.data) });
        return;
      case "noop":
        return;
      case "config": {
        const last = n.membershipHistory[n.membershipHistory.length - 1];
        if (last === undefined) throw new ScriptError("membership history is never empty");
        const next = applyMembershipChange(last.membership, entry.change);
        if (typeof next !== "string")
          n.membershipHistory.push({ index: entry.index, membership: next });
        return;
      }
    }
  }

  private restoreStateMachine(n: Node, snapshot: Snapshot): void {
    const { index, membership } = snapshot.metadata;
    const data =
      snapshot.data.byteLength === 0 ? [] : (JSON.parse(decoder.decode(snapshot.data)) as string[]);
    n.stateMachine = data.map((d) => ({ index, data: d }));
    n.membershipHistory = [{ index, membership }];
    n.appliedIndex = index;
  }

  private stateMachineData(n: Node, index: number): string[] {
    return n.stateMachine.filter((e) => e.index <= index).map((e) => e.data);
  }

  private membershipAt(n: Node, index: number): Membership {
    let found: Membership | undefined;
    for (const h of n.membershipHistory) if (h.index <= index) found = h.membership;
    if (found === undefined) throw new ScriptError(`no membership known at ${index} on ${n.id}`);
    return found;
  }

  // --- printing ------------------------------------------------------------------------------

  private print(line: string): void {
    this.out.push(this.indent + line);
  }

  private nested(f: () => void): void {
    const saved = this.indent;
    this.indent += "  ";
    try {
      f();
    } finally {
      this.indent = saved;
    }
  }

  private observe(n: Node, print: boolean): Observed {
    const s = n.raft.status();
    const now: Observed = { role: s.role, term: s.term, lead: s.leaderId };
    const was = n.observed;
    if (print && (was.role !== now.role || was.term !== now.term || was.lead !== now.lead)) {
      this.print(
        `~ ${n.id} is ${now.role} at term ${now.term}, ${now.lead === undefined ? "no lead" : `lead ${now.lead}`}`,
      );
    }
    return now;
  }

  private reportChanges(n: Node): void {
    n.observed = this.observe(n, true);
  }

  private printReady(ready: Ready): void {
    this.print(`Ready mustSync=${ready.mustSync}:`);
    if (ready.softState !== undefined) {
      const s = ready.softState;
      this.print(`SoftState role=${s.role} term=${s.term} lead=${s.leaderId ?? "none"}`);
    }
    if (ready.hardState !== undefined) {
      const h = ready.hardState;
      this.print(`HardState term=${h.term} vote=${h.vote ?? "none"} commit=${h.commitIndex}`);
    }
    if (ready.snapshot !== undefined) this.print(`Snapshot ${formatSnapshot(ready.snapshot)}`);
    if (ready.entries.length > 0) {
      this.print("Entries:");
      for (const e of ready.entries) this.print(formatEntry(e));
    }
    if (ready.committedEntries.length > 0) {
      this.print("CommittedEntries:");
      for (const e of ready.committedEntries) this.print(formatEntry(e));
    }
    if (ready.messages.length > 0) {
      this.print("Messages:");
      for (const m of ready.messages) this.print(formatMessage(m));
    }
    if (ready.readStates.length > 0) {
      this.print("ReadStates:");
      for (const rs of ready.readStates)
        this.print(`index=${rs.index} ctx="${decoder.decode(rs.context)}"`);
    }
  }

  private printRaftState(n: Node): void {
    const s = n.raft.status();
    const isolated = this.isolated.has(n.id) ? " (isolated)" : "";
    this.print(`${n.id}: ${s.role} term=${s.term} lead=${s.leaderId ?? "none"}${isolated}`);
  }

  private printStatus(n: Node): void {
    const s = n.raft.status();
    this.print(
      `${n.id}: ${s.role} term=${s.term} vote=${s.vote ?? "none"} lead=${s.leaderId ?? "none"} ` +
        `commit=${s.commitIndex} applied=${s.appliedIndex} first=${s.firstIndex} last=${s.lastIndex}`,
    );
    this.print(`  membership ${formatMembership(s.membership)}`);
    if (s.leadTransferee !== undefined) this.print(`  transferring to ${s.leadTransferee}`);
    if (s.progress !== undefined) {
      for (const [id, p] of [...s.progress].sort(([a], [b]) => a.localeCompare(b))) {
        this.print(`  progress ${id}: match=${p.match} next=${p.next} ${p.state}`);
      }
    }
    this.print(
      `  state machine ${JSON.stringify(this.stateMachineData(n, Number.POSITIVE_INFINITY))}`,
    );
  }

  private printLog(n: Node): void {
    const first = n.storage.firstIndex();
    const last = n.storage.lastIndex();
    if (last < first) {
      this.print(`log is empty: first index=${first}, last index=${last}`);
      return;
    }
    for (const e of n.storage.entries(first, last + 1, Number.POSITIVE_INFINITY))
      this.print(formatEntry(e));
  }

  // --- argument helpers ----------------------------------------------------------------------

  private node(id: string): Node {
    const n = this.nodes.find((x) => x.id === id);
    if (n === undefined) throw new ScriptError(`no replica ${id}`);
    return n;
  }

  private withNode(args: readonly Arg[], f: (n: Node) => void): void {
    for (const n of this.nodesOf(args, false)) {
      f(n);
      this.reportChanges(n);
    }
  }

  /** The replicas named by positional arguments; all of them when none is named and `allIfNone`. */
  private nodesOf(args: readonly Arg[], allIfNone: boolean): Node[] {
    const ids = positional(args);
    if (ids.length === 0) {
      if (allIfNone) return [...this.nodes];
      throw new ScriptError("this command needs at least one replica id");
    }
    return ids.map((id) => this.node(id));
  }
}

function positional(args: readonly Arg[]): string[] {
  return args.filter((a) => a.values.length === 0).map((a) => a.key);
}

function listArg(args: readonly Arg[], key: string): string[] {
  return [...(args.find((a) => a.key === key)?.values ?? [])];
}

function stringArg(args: readonly Arg[], key: string, fallback: string): string {
  return args.find((a) => a.key === key)?.values[0] ?? fallback;
}

function intArg(args: readonly Arg[], key: string, fallback: number): number {
  const text = stringArg(args, key, String(fallback));
  const value = Number(text);
  if (!Number.isInteger(value)) throw new ScriptError(`${key}=${text} is not an integer`);
  return value;
}

function boolArg(args: readonly Arg[], key: string, fallback: boolean): boolean {
  const text = stringArg(args, key, String(fallback));
  if (text !== "true" && text !== "false") throw new ScriptError(`${key}=${text} is not a boolean`);
  return text === "true";
}

function parseNodeChange(spec: string): NodeChange {
  const kind = spec.charAt(0);
  const id = nodeId(spec.slice(1));
  switch (kind) {
    case "v":
      return { type: "add-voter", nodeId: id };
    case "l":
      return { type: "add-learner", nodeId: id };
    case "r":
      return { type: "remove", nodeId: id };
    default:
      throw new ScriptError(`a change is v<id>, l<id> or r<id>, not ${spec}`);
  }
}

// --- formatting ----------------------------------------------------------------------------------

function ids(list: readonly NodeId[]): string {
  return `(${[...list].sort().join(",")})`;
}

export function formatMembership(m: Membership): string {
  let text = `voters=${ids(m.voters)}`;
  if (m.votersOutgoing.length > 0) text += `&&${ids(m.votersOutgoing)}`;
  if (m.learners.length > 0) text += ` learners=${ids(m.learners)}`;
  if (m.learnersNext.length > 0) text += ` learnersNext=${ids(m.learnersNext)}`;
  return text;
}

function formatChange(change: MembershipChange): string {
  if (change.kind === "leave-joint") return "leave-joint";
  const specs = change.changes.map((c) => {
    switch (c.type) {
      case "add-voter":
        return `v${c.nodeId}`;
      case "add-learner":
        return `l${c.nodeId}`;
      case "remove":
        return `r${c.nodeId}`;
    }
  });
  return `${change.kind} ${specs.join(" ")}`;
}

export function formatEntry(e: Entry): string {
  const at = `${e.term}/${e.index}`;
  switch (e.type) {
    case "normal":
      return `${at} EntryNormal "${decoder.decode(e.data)}"`;
    case "noop":
      return `${at} EntryNoop`;
    case "config":
      return `${at} EntryConfig ${formatChange(e.change)}`;
  }
}

function formatEntries(entries: readonly Entry[]): string {
  return `[${entries.map(formatEntry).join(", ")}]`;
}

function formatSnapshot(s: Snapshot): string {
  const data = s.data.byteLength === 0 ? "[]" : decoder.decode(s.data);
  return `${s.metadata.term}/${s.metadata.index} ${formatMembership(s.metadata.membership)} data=${data}`;
}

function ctx(context: Uint8Array | undefined): string {
  return context === undefined ? "" : ` ctx="${decoder.decode(context)}"`;
}

export function formatMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case "RequestVote":
      return `${head} last=${m.lastLogTerm}/${m.lastLogIndex}${m.preVote ? " prevote" : ""}${m.leadershipTransfer ? " transfer" : ""}`;
    case "RequestVoteResult":
      return `${head}${m.preVote ? " prevote" : ""} ${m.granted ? "granted" : "rejected"}`;
    case "AppendEntries":
      return `${head} prev=${m.prevLogTerm}/${m.prevLogIndex} commit=${m.leaderCommit} entries=${formatEntries(m.entries)}`;
    case "AppendEntriesResult":
      return m.success
        ? `${head} index=${m.index}`
        : `${head} rejected index=${m.index} hint=${m.hintTerm}/${m.hintIndex}`;
    case "Heartbeat":
      return `${head} commit=${m.commitIndex}${ctx(m.context)}`;
    case "HeartbeatResult":
      return `${head}${ctx(m.context)}`;
    case "InstallSnapshot":
      return `${head} snapshot=${formatSnapshot(m.snapshot)}`;
    case "TimeoutNow":
      return head;
    case "ForwardedProposal":
      return `${head} data=[${m.data.map((d) => `"${decoder.decode(d)}"`).join(", ")}]`;
    case "ReadIndexRequest":
      return `${head}${ctx(m.context)}`;
    case "ReadIndexResponse":
      return `${head}${ctx(m.context)} index=${m.index}`;
  }
}

function formatProposeOutcome(o: ProposeOutcome): string {
  switch (o.type) {
    case "accepted":
      return `accepted at ${o.term}/${o.index}`;
    case "forwarded":
      return `forwarded to ${o.to}`;
    case "rejected":
      return formatRejection(o);
  }
}

function formatCommandOutcome(o: CommandOutcome): string {
  return o.type === "pending" ? "pending" : formatRejection(o);
}

function formatRejection(o: {
  reason: string;
  leaderHint: NodeId | undefined;
  detail?: string;
}): string {
  const hint = o.leaderHint === undefined ? "" : ` leaderHint=${o.leaderHint}`;
  const detail = o.detail === undefined ? "" : ` (${o.detail})`;
  return `rejected: ${o.reason}${hint}${detail}`;
}
