/**
 * A remote reader catching up (what `g.<groupId>.entries` serves): now and then it picks a live
 * replica of a group and a random index, and pages through `node.readCommitted` while the
 * hosts' writes are in flight. Each page must hold the entries every replica applied at those
 * indexes, in order, with no gap up to `through`, never past what that replica's storage
 * returns (nor past its applied index), and a failure must be a typed error. Runs between
 * settles, outside any round, so it records problems with the host checker rather than throwing.
 */
import type { NodeId, SeededRandom } from "@flotilla/raft";
import { isFlotillaError, type CommittedPage, type FlotillaNode } from "@flotilla/runtime";
import type { GroupStorage } from "@flotilla/storage-lmdb";
import { pick } from "../random-choice.js";
import { describeError } from "./describe-error.js";
import type { HostChecker } from "./host-checker.js";
import type { RuntimeCoverage } from "./runtime-coverage.js";

/** What the reader sees of the cluster. */
export interface CatchUpSource {
  readonly groupIds: readonly string[];
  members(groupId: string): readonly NodeId[];
  /** The live host of node `id`, if it is up. */
  host(id: NodeId): FlotillaNode | undefined;
  /** What node `id`'s host can read of `groupId` now (its committed transactions). */
  readableGroup(id: NodeId, groupId: string): GroupStorage | undefined;
}

/** Pages one catch-up read follows at most before it stops (every run has a bound). */
export const CATCH_UP_PAGES_MAX = 8;

/** Byte bounds a page is asked for: tiny ones cut pages after an entry or two. */
const PAGE_BYTES = [1, 64, 512, 1 << 20] as const;

/** The reader of one run; the simulation calls {@link act} between settles. */
export class CatchUpReader {
  constructor(
    private readonly source: CatchUpSource,
    private readonly random: SeededRandom,
    private readonly checker: HostChecker,
    private readonly coverage: RuntimeCoverage,
    /** Odds, per call of {@link act} and group, that a read starts. */
    private readonly odds: number,
  ) {}

  /** Maybe pages through each group's history on one of its live replicas. */
  act(): void {
    for (const groupId of this.source.groupIds) {
      if (!this.random.chance(this.odds)) continue;
      const live = this.source.members(groupId).filter((id) => this.source.host(id) !== undefined);
      if (live.length === 0) continue;
      const nodeId = pick(this.random, live);
      const fromIndex = 1 + this.random.nextInt(this.checker.appliedMax(groupId) + 2);
      this.read(nodeId, groupId, fromIndex, pick(this.random, PAGE_BYTES));
    }
  }

  private read(nodeId: NodeId, groupId: string, fromIndex: number, maxBytes: number): void {
    const node = this.source.host(nodeId);
    if (node === undefined) return;
    let from = fromIndex;
    for (let pageNumber = 0; pageNumber < CATCH_UP_PAGES_MAX; pageNumber++) {
      const applied = node.groupStatus(groupId)?.appliedIndex;
      const readable = this.source.readableGroup(nodeId, groupId)?.lastIndex();
      let page: CommittedPage;
      try {
        page = node.readCommitted(groupId, from, maxBytes);
      } catch (error) {
        if (!isFlotillaError(error)) {
          this.checker.fail(
            `catch-up read on ${nodeId} (group ${groupId}) from ${from} threw ${describeError(error)}`,
          );
        }
        return;
      }
      this.coverage.catchUpPages++;
      if (applied !== undefined && readable !== undefined && applied > readable) {
        this.coverage.catchUpAheadOfStorage++;
      }
      const where = `catch-up page of ${nodeId} (group ${groupId}) from ${from}`;
      if (!this.check(where, groupId, from, page, Math.min(applied ?? 0, readable ?? 0))) return;
      if (page.through < from) return;
      from = page.through + 1;
    }
  }

  /** Checks one page; false (after recording the failure) when it is wrong. */
  private check(
    where: string,
    groupId: string,
    fromIndex: number,
    page: CommittedPage,
    holds: number,
  ): boolean {
    const { checker } = this;
    const fail = (what: string): false => {
      checker.fail(`${where}: ${what}`);
      return false;
    };
    if (page.through < fromIndex - 1) return fail(`through ${page.through} before the start`);
    // The page may not end past what the replica applied and its storage returns.
    if (page.through > holds && page.through >= fromIndex) {
      return fail(`through ${page.through} past what the replica holds (${holds})`);
    }
    let last = fromIndex - 1;
    for (const [position, event] of page.events.entries()) {
      if (event.index <= last || event.index > page.through) {
        return fail(
          `${event.type} ${event.index} out of order (after ${last}, through ${page.through})`,
        );
      }
      if (event.type === "snapshot") {
        if (position !== 0) return fail(`snapshot ${event.index} after other events`);
        last = event.index;
        continue;
      }
      const skipped = checker.firstAppliedBetween(groupId, last, event.index);
      if (skipped !== undefined)
        return fail(`skipped entry ${skipped} (from ${last} to ${event.index})`);
      const applied = checker.appliedDigest(groupId, event.index);
      const served = checker.digestOf(event.term, event.data);
      if (applied !== served) {
        return fail(
          `served ${served} at index ${event.index}, where replicas applied ${String(applied)}`,
        );
      }
      last = event.index;
    }
    const skipped = checker.firstAppliedBetween(groupId, last, page.through + 1);
    if (skipped !== undefined) return fail(`left out entry ${skipped} (through ${page.through})`);
    return true;
  }
}
