/**
 * The demo's client workload: `inFlight` closed-loop writers, each putting a fresh key into the
 * next group and retrying the same put (idempotent) until it is acknowledged, with a short
 * backoff while a group has no leader. Only acknowledged puts count, and only they are checked
 * at the end.
 */
import type { DemoCluster } from "./demo-cluster.js";

/** A put the cluster acknowledged. */
export interface AcknowledgedPut {
  readonly groupId: string;
  readonly key: string;
  readonly value: string;
}

/** Latencies kept for the live view's window. */
const RECENT_MAX = 20_000;

/** Closed-loop writers over a {@link DemoCluster}. */
export class Workload {
  readonly acknowledged: AcknowledgedPut[] = [];
  /** Latency in ms of every acknowledged put, from its first attempt. */
  readonly latencies: number[] = [];
  private readonly recent: { at: number; ms: number }[] = [];
  private sequence = 0;
  private running = false;
  private writers: Promise<void>[] = [];
  retries = 0;

  constructor(
    private readonly cluster: DemoCluster,
    private readonly inFlight: number,
  ) {}

  start(): void {
    this.running = true;
    this.writers = Array.from({ length: this.inFlight }, () => this.writer());
  }

  /** Stops issuing puts and waits for the ones in flight to settle (each is bounded). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.writers);
  }

  /** Acknowledged puts per second, p50 and p99 latency over the last `windowMs`. */
  recentFigures(windowMs: number): { perSecond: number; p50: number; p99: number } {
    const since = performance.now() - windowMs;
    while (this.recent.length > 0 && (this.recent[0]?.at ?? 0) < since) this.recent.shift();
    const sorted = this.recent.map((r) => r.ms).sort((a, b) => a - b);
    return {
      perSecond: (sorted.length * 1000) / windowMs,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
    };
  }

  private async writer(): Promise<void> {
    const groups = this.cluster.groupIds;
    while (this.running) {
      const seq = this.sequence++;
      const groupId = groups[seq % groups.length] ?? "";
      const put = { key: `k${seq}`, value: `v${seq}` };
      const started = performance.now();
      while (this.running) {
        try {
          await this.cluster.propose(groupId, put);
          const ms = performance.now() - started;
          this.acknowledged.push({ groupId, ...put });
          this.latencies.push(ms);
          this.recent.push({ at: performance.now(), ms });
          if (this.recent.length > RECENT_MAX) this.recent.shift();
          break;
        } catch {
          // No leader, a deposed leader, a timeout: the put may or may not have applied, and
          // putting the same value again is harmless. Back off briefly and retry.
          this.retries++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }
  }
}

/** The `q` quantile of an ascending array (0 when empty). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? 0;
}
