import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { findNatsServerBinary } from "@flotilla/testkit";
import { FlotillaProcessCluster } from "../systems/flotilla-cluster.js";
import { GroupLeaderWatch } from "./idle-failover-leaders.js";
import { nodeStatus } from "./recovery-control.js";
import { encodeWire } from "@flotilla/client";
import { sleep } from "../lib/sleep.js";
import { procStat } from "../lib/server-sampler.js";

const groups = Number(process.argv[2] ?? 10000);
const cluster = await FlotillaProcessCluster.start({ groups, durability: "strict", natsServerBinary: findNatsServerBinary(), tempRoot: mkdtempSync(join(tmpdir(), "probe-")) });
const t0 = performance.now();
try {
  const nc = await connect({ servers: cluster.natsUrl });
  const watch = await GroupLeaderWatch.start(nc, cluster.cluster);
  console.log("subscribed at", performance.now() - t0);
  const ids = Array.from({ length: groups }, (_, i) => `kv-${i}`);
  for (let i = 0; i < 60; i++) {
    await sleep(5000);
    const led = watch.ledCount(ids);
    const rss = cluster.serverPids().map((p) => Math.round((procStat(p)?.rssBytes ?? 0) / 1e6));
    const cpu = cluster.serverPids().map((p) => Math.round(procStat(p)?.cpuMs ?? 0));
    console.log(Math.round(performance.now() - t0), "led", led, "events", watch.eventCount, "sinceLast", Math.round(performance.now() - watch.lastEventAtMs), "rss", rss, "cpu", cpu, JSON.stringify([...watch.leaderCounts(ids)]));
    if (led === groups && performance.now() - watch.lastEventAtMs > 5000) break;
  }
  for (const n of ["n1", "n2", "n3"]) {
    try {
      const s = await nodeStatus(nc, cluster.cluster, n, 10000);
      console.log(n, "status ok", s.groups.length, encodeWire(s).byteLength, s.groups.filter((g) => g.quiesced).length);
    } catch (e) { console.log(n, "status failed", String(e)); }
  }
  await nc.close();
} finally {
  await cluster.stop();
}
