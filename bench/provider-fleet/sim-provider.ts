/**
 * The xen provider over SIMULATED hosts (./simulated-hosts.ts), for the fleet benchmark only.
 * Appends one JSON line per process to CDKTF_XEN_SIM_STATS: the provider's busy time (the
 * union of the intervals in which at least one RPC was in flight), RPC count, hosts touched.
 */
import { appendFileSync } from "node:fs";
import { serveProvider } from "../../src/provider/protocol/server.js";
import { xenProvider } from "../../src/provider/xen/provider.js";
import { SimulatedHosts } from "./simulated-hosts.js";

const backend = new SimulatedHosts(process.env.CDKTF_XEN_SIM_DIR ?? "/tmp/cdktf-xen-sim", Number(process.env.CDKTF_XEN_SIM_DOMAIN_MS ?? "0"));
const provider = xenProvider({ backend, log: () => undefined });
const intervals: [number, number][] = [];
const rpcs: Record<string, number> = {};
await serveProvider(provider.definition, {
  onCall: (rpc, ms) => {
    const end = performance.now();
    intervals.push([end - ms, end]);
    rpcs[rpc] = (rpcs[rpc] ?? 0) + 1;
  },
});
intervals.sort((a, b) => a[0] - b[0]);
let busy = 0;
let cur: [number, number] | undefined;
for (const iv of intervals) {
  if (cur === undefined || iv[0] > cur[1]) {
    if (cur !== undefined) busy += cur[1] - cur[0];
    cur = [...iv];
  } else cur[1] = Math.max(cur[1], iv[1]);
}
if (cur !== undefined) busy += cur[1] - cur[0];
if (process.env.CDKTF_XEN_SIM_STATS !== undefined) {
  appendFileSync(
    process.env.CDKTF_XEN_SIM_STATS,
    `${JSON.stringify({ pid: process.pid, busyMs: busy, rpcs, hosts: backend.hostsTouched.size, reads: backend.reads })}\n`,
  );
}
process.exit(0);
