/**
 * The subscriber's read model: per group, account balances built from the committed transfers,
 * how many times each transfer (by its unique `seq`) was applied, and the last index applied.
 * The model and its indexes are one value, saved and loaded together, so a resume from the
 * saved indexes neither re-applies nor skips an entry — and if it ever did, a count of 2 (or a
 * missing `seq`) would show it.
 */
import { decodeWire } from "@flotilla/client";

/** A command of the ledger groups (kind `log`): move `amount` into `account`. */
export interface Transfer {
  /** Unique across every writer and group: what makes a duplicate detectable. */
  readonly seq: number;
  readonly account: string;
  readonly amount: number;
}

/** One group's part of the model. */
export interface GroupModel {
  /** The last index applied: resume from the next one. */
  lastIndex: number;
  readonly balances: Record<string, number>;
  /** `seq` → how many times it was applied (1, unless something is wrong). */
  readonly applications: Record<string, number>;
}

/** What the subscriber persists (JSON). */
export interface SavedModel {
  readonly version: 1;
  readonly groups: Record<string, GroupModel>;
  /** Events at or below a group's last index that the stream delivered again (expected 0). */
  duplicatesSkipped: number;
}

/** A committed event as `committed$` gives it (remote or local). */
export interface CommittedLike {
  readonly type: "entry" | "snapshot";
  readonly index: number;
  readonly data: Uint8Array;
}

/** An empty model. */
export function emptyModel(): SavedModel {
  return { version: 1, groups: {}, duplicatesSkipped: 0 };
}

/** The model saved as `text`. @throws {Error} when it is not one. */
export function parseModel(text: string): SavedModel {
  const parsed = JSON.parse(text) as Partial<SavedModel>;
  if (parsed.version !== 1 || typeof parsed.groups !== "object" || parsed.groups === null) {
    throw new Error("not a saved ledger model (version 1)");
  }
  return { version: 1, groups: parsed.groups, duplicatesSkipped: parsed.duplicatesSkipped ?? 0 };
}

/** The group's part of `model`, created empty on first use. */
export function groupModel(model: SavedModel, groupId: string): GroupModel {
  let group = model.groups[groupId];
  if (group === undefined) {
    group = { lastIndex: 0, balances: {}, applications: {} };
    model.groups[groupId] = group;
  }
  return group;
}

/**
 * Applies one committed event of `groupId` to `model`: an entry adds its transfer; a snapshot
 * (the `log` kind's: every record so far) replaces the group's part. An event at or below the
 * last index is counted in `duplicatesSkipped`, never applied. A record that is not a transfer
 * (someone else's write) moves the last index and nothing else.
 */
export function applyEvent(model: SavedModel, groupId: string, event: CommittedLike): void {
  const group = groupModel(model, groupId);
  if (event.index <= group.lastIndex) {
    model.duplicatesSkipped++;
    return;
  }
  if (event.type === "snapshot") {
    const records = decodeWire(event.data);
    const fresh: GroupModel = { lastIndex: event.index, balances: {}, applications: {} };
    for (const record of Array.isArray(records) ? records : []) {
      const transfer = asTransfer(record);
      if (transfer !== undefined) addTransfer(fresh, transfer);
    }
    model.groups[groupId] = fresh;
    return;
  }
  let transfer: Transfer | undefined;
  try {
    transfer = asTransfer(decodeWire(event.data));
  } catch {
    transfer = undefined; // not msgpack: not ours
  }
  if (transfer !== undefined) addTransfer(group, transfer);
  group.lastIndex = event.index;
}

function addTransfer(group: GroupModel, transfer: Transfer): void {
  group.balances[transfer.account] = (group.balances[transfer.account] ?? 0) + transfer.amount;
  const seq = String(transfer.seq);
  group.applications[seq] = (group.applications[seq] ?? 0) + 1;
}

/** `value` as a transfer, or undefined when it is not one. */
export function asTransfer(value: unknown): Transfer | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { seq, account, amount } = value as Record<string, unknown>;
  if (typeof seq !== "number" || typeof account !== "string" || typeof amount !== "number") {
    return undefined;
  }
  return { seq, account, amount };
}
