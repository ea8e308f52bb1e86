/**
 * The node process's leader companions: for each hosted group whose kind has one, a
 * registration with the runtime's `leaderOnly`, made when the group is hosted (at start or by
 * `create-group`) and undone when it is deleted or the node stops. A companion's failure is
 * logged here and never reaches the runtime, so it cannot stop the node.
 */
import type { Logger } from "pino";
import type { Subscription } from "rxjs";
import type { FlotillaNode, LeaderWorkContext } from "@flotilla/runtime";
import type { LeaderCompanion, LeaderCompanionContext } from "./leader-companion.js";

/** How a companion proposes to its group (the group's `propose`). */
export type CompanionPropose = (
  command: unknown,
  options: { readonly signal: AbortSignal },
) => Promise<unknown>;

/** Runs each kind's companion for every hosted group of that kind this node leads. */
export class LeaderCompanions {
  private readonly registered = new Map<string, Subscription>();

  constructor(
    private readonly node: FlotillaNode,
    private readonly companions: ReadonlyMap<string, LeaderCompanion>,
    private readonly logger: Logger,
  ) {}

  /** The kinds that have a companion. */
  kinds(): IterableIterator<string> {
    return this.companions.keys();
  }

  /** Groups with a companion registered. */
  get size(): number {
    return this.registered.size;
  }

  /**
   * Registers `kind`'s companion (if it has one) for `groupId`, which must be hosted; from now
   * on it starts each time this replica leads. Idempotent.
   */
  attach(groupId: string, kind: string, propose: CompanionPropose): void {
    const companion = this.companions.get(kind);
    if (companion === undefined || this.registered.has(groupId)) return;
    const subscription = this.node.leaderOnly(groupId, (work) =>
      this.run(companion, groupId, kind, work, propose),
    );
    this.registered.set(groupId, subscription);
  }

  /** Stops `groupId`'s companion (aborting it if running) and forgets it. */
  detach(groupId: string): void {
    this.registered.get(groupId)?.unsubscribe();
    this.registered.delete(groupId);
  }

  /** Stops every companion. */
  close(): void {
    for (const groupId of [...this.registered.keys()]) this.detach(groupId);
  }

  private async run(
    companion: LeaderCompanion,
    groupId: string,
    kind: string,
    work: LeaderWorkContext,
    propose: CompanionPropose,
  ): Promise<void> {
    const { term, signal } = work;
    const logger = this.logger.child({ component: "leader-companion", groupId, kind, term });
    const context: LeaderCompanionContext = {
      nodeId: this.node.nodeId,
      groupId,
      kind,
      term,
      signal,
      leaseValid: () => work.leaseValid(),
      logger,
      propose: (command) => propose(command, { signal }),
    };
    try {
      await companion(context);
    } catch (error) {
      // Ending by abort is the normal way out: leadership moved on.
      if (signal.aborted) return;
      logger.error({ err: error }, "leader companion failed");
    }
  }
}
