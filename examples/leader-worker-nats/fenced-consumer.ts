/**
 * The consumer of `jobs.due`, fenced by term: per group it remembers the highest term it has
 * accepted and refuses any job whose term is lower — a deposed leader that has not noticed yet
 * (or whose message was delayed) cannot act after its successor. Messages of one term are all
 * accepted: within a term, one leader.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { JOBS_DUE_SUBJECT, type DueJob } from "./job-scheduler.js";

/** A job as the consumer judged it. */
export interface JudgedJob {
  readonly job: DueJob;
  readonly accepted: boolean;
  /** The highest term accepted for its group before this job. */
  readonly highestTermBefore: number;
}

/**
 * Subscribes to `jobs.due` and judges each message in arrival order.
 *
 * @example
 * const consumer = new FencedConsumer(nc, (judged) => judged.accepted && run(judged.job));
 */
export class FencedConsumer {
  /** Every message judged, in arrival order. */
  readonly judged: JudgedJob[] = [];
  /** Messages that were not a due job. */
  malformed = 0;
  private readonly highestTerm = new Map<string, number>();
  private readonly subscription: Subscription;

  constructor(nc: NatsConnection, onJob?: (judged: JudgedJob) => void) {
    const decoder = new TextDecoder();
    this.subscription = nc.subscribe(JOBS_DUE_SUBJECT, {
      callback: (error, msg) => {
        if (error !== null) return;
        let job: DueJob;
        try {
          job = asDueJob(JSON.parse(decoder.decode(msg.data)));
        } catch {
          this.malformed++;
          return;
        }
        const judged = this.judge(job);
        onJob?.(judged);
      },
    });
  }

  /** Accepts `job` unless its group already accepted a higher term. */
  judge(job: DueJob): JudgedJob {
    const highestTermBefore = this.highestTerm.get(job.groupId) ?? 0;
    const accepted = job.term >= highestTermBefore;
    if (accepted) this.highestTerm.set(job.groupId, job.term);
    const judged = { job, accepted, highestTermBefore };
    this.judged.push(judged);
    return judged;
  }

  /** The accepted jobs, in order. */
  accepted(): DueJob[] {
    return this.judged.filter((j) => j.accepted).map((j) => j.job);
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

/** @throws {TypeError} when `value` is not a due job. */
function asDueJob(value: unknown): DueJob {
  const v = (value ?? {}) as Record<string, unknown>;
  if (
    typeof v["job"] !== "string" ||
    typeof v["groupId"] !== "string" ||
    typeof v["term"] !== "number" ||
    typeof v["nodeId"] !== "string" ||
    typeof v["seq"] !== "number" ||
    typeof v["dueAtMs"] !== "number"
  ) {
    throw new TypeError("not a due job");
  }
  return value as DueJob;
}
