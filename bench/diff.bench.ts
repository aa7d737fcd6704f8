/**
 * How long the diff engine takes on a big host: 1,000 domains (each with a volume, a vif,
 * pins on half of them) on one host, diffed against (a) a host that matches and (b) a host
 * with drift on a third of the domains and 50 domains missing. Goal: median < 100 ms.
 */
import { diffHost } from "../src/diff/diff.js";
import { median } from "./timing.js";
import { liveHostFromSpec } from "../src/diff/simulate.js";
import type { DomainSpec, HostSpec, VolumeSpec } from "../src/model/spec.js";
import type { LiveHost } from "../src/xl/live.js";

const DOMAINS = 1000;
const RUNS = 21;

function fleet(n: number): HostSpec {
  const domains: DomainSpec[] = [];
  const volumes: VolumeSpec[] = [];
  for (let i = 0; i < n; i++) {
    const name = `web-${String(i).padStart(4, "0")}`;
    volumes.push({ name: `${name}-root`, pool: "vg0", sizeMiB: 4096, format: "raw", retention: "retain" });
    domains.push({
      name,
      type: i % 3 === 0 ? "pvh" : "pv",
      vcpus: 2,
      maxVcpus: 4,
      memoryMiB: 1024,
      maxMemoryMiB: 2048,
      boot: { kind: "kernel", kernel: "/boot/vmlinuz-guest", ramdisk: null, cmdline: "console=hvc0 root=/dev/xvda" },
      disks: [{ vdev: "xvda", target: `/dev/vg0/${name}-root`, format: "raw", access: "rw", devtype: "disk", volume: `vg0/${name}-root` }],
      vifs: [{ bridge: "xenbr0", mac: null, model: null, rate: null }],
      onPoweroff: "destroy",
      onReboot: "restart",
      onCrash: "destroy",
      autostart: true,
      scheduler: { weight: 256, cap: 0 },
      cpupool: null,
      pins: i % 2 === 0 ? [{ vcpu: 0, hard: String(i % 16), soft: "all" }] : [],
      cpuid: i % 3 === 0 ? "host,rdtscp=0" : null,
      hvm: null,
      updatePolicy: "pending",
      migration: "live",
    });
  }
  return {
    version: 1,
    host: "bench/xen-a",
    pools: [{ kind: "lvm", name: "vg0", volumeGroup: "vg0", shared: false }],
    volumes,
    domains,
  };
}

function drifted(spec: HostSpec): LiveHost {
  const live = liveHostFromSpec(spec, { nrCpus: 16, totalMemoryMiB: 2_097_152, freeMemoryMiB: 1_000_000, scheduler: "credit2", xenVersion: "4.17.7", virtCaps: ["pv", "hvm"] });
  return {
    ...live,
    domains: live.domains
      .filter((_, i) => i % 20 !== 7)
      .map((d, i) => (i % 3 === 0 ? { ...d, targetMemoryMiB: 768, memoryMiB: 768, vcpus: 1 } : d)),
    volumes: live.volumes.map((v, i) => (i % 10 === 0 ? { ...v, sizeBytes: v.sizeBytes / 2 } : v)),
  };
}


function time(spec: HostSpec, live: LiveHost): { ms: number; actions: number } {
  const times: number[] = [];
  let actions = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    actions = diffHost(spec, live).actions.length;
    times.push(performance.now() - t0);
  }
  return { ms: median(times), actions };
}

/** Median time to diff 1,000 domains on one host, matching and drifted. */
export async function benchDiff(): Promise<string[]> {
  const spec = fleet(DOMAINS);
  const same = time(spec, liveHostFromSpec(spec));
  const drift = time(spec, drifted(spec));
  const goal = (ms: number): string => (ms < 100 ? "within the goal of 100 ms" : "ABOVE the goal of 100 ms");
  return [
    `diff, ${DOMAINS} domains on one host, matching: median ${same.ms.toFixed(1)} ms over ${RUNS} runs, ${same.actions} actions (${goal(same.ms)})`,
    `diff, ${DOMAINS} domains on one host, drifted: median ${drift.ms.toFixed(1)} ms over ${RUNS} runs, ${drift.actions} actions (${goal(drift.ms)})`,
  ];
}
