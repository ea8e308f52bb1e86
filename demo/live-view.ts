/**
 * What the demo shows while it runs. On a terminal: a screen redrawn twice a second with the
 * groups × nodes table (leader ★, term, commit/applied index), proposals/s and latency, and the
 * latest events. Otherwise (a pipe, CI): plain lines — a status line every two seconds and each
 * event as it happens.
 */
import type { ReplicaStatus } from "@flotilla/runtime";

/** What one frame shows. */
export interface Frame {
  readonly title: string;
  readonly elapsedS: number;
  readonly totalS: number | undefined;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly acknowledged: number;
  readonly status: ReadonlyMap<string, readonly ReplicaStatus[] | undefined>;
  readonly events: readonly string[];
}

/** Renders frames and events to stdout, as a live screen or as plain lines. */
export class LiveView {
  private lastPlainMs = -Infinity;
  private printedEvents = 0;

  constructor(
    private readonly tty: boolean,
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
  ) {}

  render(frame: Frame): void {
    if (this.tty) {
      this.write(`\x1b[H\x1b[2J${screen(frame)}\n`);
      return;
    }
    for (const event of frame.events.slice(this.printedEvents)) this.write(`${event}\n`);
    this.printedEvents = frame.events.length;
    if (frame.elapsedS * 1000 - this.lastPlainMs >= 2000) {
      this.lastPlainMs = frame.elapsedS * 1000;
      this.write(`${statusLine(frame)}\n`);
    }
  }

  /** Leaves the live screen: prints the events once more as plain lines. */
  finish(frame: Frame): void {
    if (this.tty) {
      this.write(`\x1b[H\x1b[2J${frame.title}\n${frame.events.join("\n")}\n${statusLine(frame)}\n`);
    } else {
      for (const event of frame.events.slice(this.printedEvents)) this.write(`${event}\n`);
      this.printedEvents = frame.events.length;
    }
  }
}

function statusLine(frame: Frame): string {
  const leaders = [...frame.status]
    .map(([id, replicas]) =>
      replicas === undefined
        ? `${id}=down`
        : `${id}=${replicas.filter((r) => r.role === "leader").length}`,
    )
    .join(" ");
  return (
    `t=${frame.elapsedS.toFixed(1)}s proposals/s=${Math.round(frame.perSecond)} ` +
    `p50=${frame.p50.toFixed(1)}ms p99=${frame.p99.toFixed(1)}ms ` +
    `acknowledged=${frame.acknowledged} leaders: ${leaders}`
  );
}

function screen(frame: Frame): string {
  const nodes = [...frame.status.keys()];
  const lines: string[] = [frame.title, statusLine(frame), ""];
  lines.push(["group".padEnd(10), ...nodes.map((id) => id.padEnd(22))].join(" "));
  const byGroup = new Map<string, Map<string, ReplicaStatus>>();
  for (const [id, replicas] of frame.status) {
    for (const replica of replicas ?? []) {
      let row = byGroup.get(replica.groupId);
      if (row === undefined) {
        row = new Map<string, ReplicaStatus>();
        byGroup.set(replica.groupId, row);
      }
      row.set(id, replica);
    }
  }
  const groups = [...byGroup.keys()].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  for (const groupId of groups) {
    const cells = nodes.map((id) => {
      if (frame.status.get(id) === undefined) return "down".padEnd(22);
      const r = byGroup.get(groupId)?.get(id);
      if (r === undefined) return "-".padEnd(22);
      const mark = r.role === "leader" ? "★" : r.quiesced ? "z" : "·";
      return `${mark} t${r.term} ${r.commitIndex}/${r.appliedIndex}`.padEnd(22);
    });
    lines.push([groupId.padEnd(10), ...cells].join(" "));
  }
  lines.push("", "★ leader  · follower  z asleep (quiesced)   cells: term commit/applied", "");
  lines.push(...frame.events.slice(-8));
  return lines.join("\n");
}
