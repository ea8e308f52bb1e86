/**
 * The storage a replica restarts on contradicts itself in a way that would make the replica
 * promise what it does not hold. The replica refuses to start (fail-stop): running on would
 * acknowledge or serve entries that its log lost.
 */

/** Thrown by the `Raft` constructor when its storage or host disagree about the log. */
export class StorageInconsistencyError extends Error {
  override readonly name = "StorageInconsistencyError";

  constructor(
    /** The replica whose storage is inconsistent. */
    readonly replicaId: string,
    /** The last index the host says its state machine applied. */
    readonly appliedIndex: number,
    /** The last index the log holds. */
    readonly lastIndex: number,
  ) {
    super(
      `replica ${replicaId}: the state machine applied through ${appliedIndex} but the log ends at ` +
        `${lastIndex}: the log lost entries that were applied (a damaged or replaced disk?); ` +
        `refusing to start rather than acknowledge entries it does not hold`,
    );
  }
}
