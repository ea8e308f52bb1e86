/**
 * What a committed-stream subscriber of the chaos run saw, as the client process records it
 * and the stream check reads it (`streams-p<N>.json` in the results folder).
 */

/** One event of `committed$`, decoded. */
export type StreamEvent =
  | {
      readonly type: "entry";
      readonly index: number;
      readonly term: number;
      /** The write's key in its group, its op and its unique value. */
      readonly key: string;
      readonly op: string;
      readonly value: string;
    }
  | {
      readonly type: "snapshot";
      readonly index: number;
      readonly term: number;
      /** Every value the snapshot's state holds. */
      readonly values: readonly string[];
      /** Whether the state holds the end marker. */
      readonly hasEnd: boolean;
    };

/** One subscriber's whole life: every subscription, in order. */
export interface SubscriberRecord {
  readonly subscriberId: string;
  readonly groupId: string;
  readonly events: readonly StreamEvent[];
  /** Times it unsubscribed and resumed from its saved index. */
  readonly resumes: number;
  /** True once it saw the end marker (the run's last write to the group). */
  readonly reachedEnd: boolean;
  /** How its stream ended with an error, if it did. */
  readonly error?: string;
}

/** The key of the end marker the run writes to every group after the workload. */
export const END_KEY = "__end";
