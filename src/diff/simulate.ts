/**
 * A pure model of what each plan action does to a host: `applyPlan(live, plan)` is the live
 * state the host would have after the reconciler ran the plan. The reconciler's dry runs use
 * it, and the diff's laws are stated with it: applying a plan and diffing again leaves
 * nothing to execute.
 *
 * The model is the documented effect of each `xl`/LVM command, not an emulator: a created or
 * restarted domain runs exactly its spec; MACs Xen would pick at random are derived from the
 * domain name and devid so that the model stays deterministic.
 */
import type { DomainSpec, HostSpec, PoolSpec } from "../model/spec.js";
import type { HostInfo, LiveDomain, LiveHost, LiveVcpu, LiveVif, LiveVolume } from "../xl/live.js";
import { renderXlCfg } from "../xl/render.js";
import { allocatedSizeMiB, compareStrings, DEFAULT_LVM_EXTENT_MIB, managedConfigPath, volumePath } from "./diff.js";
import { assertNever, type Action, type Plan } from "./plan.js";

const MIB = 1024 * 1024;

/** Options of {@link applyPlan} and {@link liveHostFromSpec}. */
export interface SimulateOptions {
  /**
   * LVM extent size in MiB that created and grown LVs are rounded up to.
   * @default 4 - LVM's default, as {@link DiffOptions.lvmExtentMiB}
   */
  readonly lvmExtentMiB?: number;
}

/** The host info {@link liveHostFromSpec} uses when given none: the lab host of LAB-NOTES.md. */
export const MODEL_HOST_INFO: HostInfo = {
  nrCpus: 2,
  totalMemoryMiB: 3071,
  freeMemoryMiB: 2014,
  scheduler: "credit2",
  xenVersion: "4.17.7",
  virtCaps: ["pv", "hvm", "hap", "gnttab-v1", "gnttab-v2"],
};

/**
 * A MAC in Xen's `00:16:3e` range derived from the domain name and devid (FNV-1a): what the
 * model says Xen picked for a vif declared without one.
 */
export function modelMac(domain: string, devid: number): string {
  let h = 0x811c9dc5;
  for (const ch of `${domain}/${devid}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const bytes = [(h >>> 16) & 0x7f, (h >>> 8) & 0xff, h & 0xff];
  return ["00", "16", "3e", ...bytes.map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

/**
 * The live state of a domain that runs exactly `spec`, as `xl list -l`, `xl list` and
 * `xl vcpu-list` would show it right after `xl create`.
 */
export function liveDomainFromSpec(spec: DomainSpec, domid: number, nrCpus = MODEL_HOST_INFO.nrCpus): LiveDomain {
  const boot = spec.boot;
  const pins = new Map(spec.pins.map((p) => [p.vcpu, p]));
  const vcpuList: LiveVcpu[] = [];
  for (let vcpu = 0; vcpu < spec.maxVcpus; vcpu++) {
    const online = vcpu < spec.vcpus;
    vcpuList.push({
      vcpu,
      cpu: online ? vcpu % Math.max(1, nrCpus) : null,
      online,
      hard: pins.get(vcpu)?.hard ?? "all",
      soft: pins.get(vcpu)?.soft ?? "all",
    });
  }
  return {
    name: spec.name,
    domid,
    uuid: null,
    state: "running",
    type: spec.type,
    memoryMiB: spec.memoryMiB,
    targetMemoryMiB: spec.memoryMiB,
    maxMemoryMiB: spec.maxMemoryMiB,
    vcpus: spec.vcpus,
    maxVcpus: spec.maxVcpus,
    kernel: boot.kind === "kernel" ? boot.kernel : null,
    ramdisk: boot.kind === "kernel" ? boot.ramdisk : null,
    cmdline: boot.kind === "kernel" ? boot.cmdline : null,
    bootloader: boot.kind === "bootloader" ? boot.bootloader : null,
    disks: spec.disks.map((d) => ({ vdev: d.vdev, target: d.target, format: d.format, access: d.access, devtype: d.devtype })),
    vifs: spec.vifs.map((v, devid) => ({
      devid,
      bridge: v.bridge,
      mac: v.mac ?? modelMac(spec.name, devid),
      model: v.model,
      rate: v.rate,
    })),
    onPoweroff: spec.onPoweroff,
    onReboot: spec.onReboot,
    onCrash: spec.onCrash,
    scheduler: { weight: spec.scheduler.weight, cap: spec.scheduler.cap },
    cpupool: spec.cpupool,
    vcpuList,
  };
}

/**
 * The live state of a host that runs exactly `spec`: every volume at its declared size, every
 * domain running with its rendered config file, autostart links as declared, and every bridge
 * the vifs use. `diffHost(spec, liveHostFromSpec(spec))` is an empty plan.
 */
export function liveHostFromSpec(spec: HostSpec, info: HostInfo = MODEL_HOST_INFO, options: SimulateOptions = {}): LiveHost {
  const extent = options.lvmExtentMiB ?? DEFAULT_LVM_EXTENT_MIB;
  const pools = new Map(spec.pools.map((p) => [p.name, p]));
  const volumes: LiveVolume[] = [];
  for (const v of spec.volumes) {
    const pool = pools.get(v.pool);
    if (pool === undefined) continue;
    volumes.push({ pool: v.pool, name: v.name, path: volumePath(pool, v.name), sizeBytes: allocatedSizeMiB(pool, v.sizeMiB, extent) * MIB });
  }
  const domains = [...spec.domains].sort((a, b) => compareStrings(a.name, b.name));
  return {
    info,
    domains: domains.map((d, i) => liveDomainFromSpec(d, i + 1, info.nrCpus)),
    volumes,
    configFiles: domains.map((d) => ({ name: d.name, path: managedConfigPath(d.name), content: renderXlCfg(d) })),
    autostart: domains.filter((d) => d.autostart).map((d) => d.name),
    bridges: [...new Set(domains.flatMap((d) => d.vifs.map((v) => v.bridge)))].sort(compareStrings),
  };
}

/** The live state after running every executable action of `plan` on `live`, in order. */
export function applyPlan(live: LiveHost, plan: Plan, options: SimulateOptions = {}): LiveHost {
  const extent = options.lvmExtentMiB ?? DEFAULT_LVM_EXTENT_MIB;
  let state = live;
  for (const action of plan.actions) state = applyAction(state, action, extent);
  return state;
}

/** The live state after one action; pending notices, refusals and reports change nothing. */
export function applyAction(live: LiveHost, action: Action, lvmExtentMiB = DEFAULT_LVM_EXTENT_MIB): LiveHost {
  switch (action.kind) {
    case "create-volume":
      return {
        ...live,
        volumes: [
          ...live.volumes,
          {
            pool: action.volume.pool,
            name: action.volume.name,
            path: action.path,
            sizeBytes: sizeBytes(action.pool, action.new.sizeMiB, lvmExtentMiB),
          },
        ],
      };
    case "grow-volume":
      return {
        ...live,
        volumes: live.volumes.map((v) => (v.path === action.path ? { ...v, sizeBytes: sizeBytes(action.pool, action.new, lvmExtentMiB) } : v)),
      };
    case "write-config":
      return {
        ...live,
        configFiles: [
          ...live.configFiles.filter((c) => c.name !== action.domain),
          { name: action.domain, path: action.path, content: action.new },
        ],
      };
    case "create-domain":
    case "restart-domain":
      return {
        ...live,
        domains: [
          ...live.domains.filter((d) => d.name !== action.domain),
          liveDomainFromSpec(action.spec, nextDomid(live), live.info.nrCpus),
        ],
      };
    case "mem-set":
      return updateDomain(live, action.domain, (d) => ({ ...d, memoryMiB: action.new, targetMemoryMiB: action.new }));
    case "vcpu-set":
      return updateDomain(live, action.domain, (d) => ({
        ...d,
        vcpus: action.new,
        vcpuList: d.vcpuList.map((v) => {
          const online = v.vcpu < action.new;
          return { ...v, online, cpu: online ? (v.cpu ?? v.vcpu % Math.max(1, live.info.nrCpus)) : null };
        }),
      }));
    case "vcpu-pin":
      return updateDomain(live, action.domain, (d) => ({
        ...d,
        vcpuList: d.vcpuList.map((v) => (v.vcpu === action.vcpu ? { ...v, hard: action.new.hard, soft: action.new.soft } : v)),
      }));
    case "sched-credit2":
      return updateDomain(live, action.domain, (d) => ({ ...d, scheduler: { ...action.new } }));
    case "block-attach":
      return updateDomain(live, action.domain, (d) => ({
        ...d,
        disks: [
          ...d.disks.filter((k) => k.vdev !== action.vdev),
          { vdev: action.vdev, target: action.new.target, format: action.new.format, access: action.new.access, devtype: action.new.devtype },
        ].sort((a, b) => compareStrings(a.vdev, b.vdev)),
      }));
    case "block-detach":
      return updateDomain(live, action.domain, (d) => ({ ...d, disks: d.disks.filter((k) => k.vdev !== action.vdev) }));
    case "network-attach":
      return updateDomain(live, action.domain, (d) => {
        const vif: LiveVif = {
          devid: action.devid,
          bridge: action.new.bridge,
          mac: action.new.mac ?? modelMac(d.name, action.devid),
          model: action.new.model,
          rate: action.new.rate,
        };
        return { ...d, vifs: [...d.vifs.filter((v) => v.devid !== action.devid), vif].sort((a, b) => a.devid - b.devid) };
      });
    case "network-detach":
      return updateDomain(live, action.domain, (d) => ({ ...d, vifs: d.vifs.filter((v) => v.devid !== action.devid) }));
    case "link-autostart":
      return { ...live, autostart: [...live.autostart.filter((n) => n !== action.domain), action.domain] };
    case "unlink-autostart":
      return { ...live, autostart: live.autostart.filter((n) => n !== action.domain) };
    case "pending-restart":
    case "refuse-volume-shrink":
    case "refuse-volume-resize-in-use":
    case "refuse-name-conflict":
    case "refuse-missing-bridge":
    case "refuse-scheduler":
    case "report-unmanaged-domain":
    case "report-undeclared-domain":
    case "report-inactive-domain":
    // A move spans two hosts; one host's simulation cannot model it.
    case "move-domain":
    case "refuse-move":
      return live;
    default:
      return assertNever(action);
  }
}

function sizeBytes(pool: PoolSpec, sizeMiB: number, lvmExtentMiB: number): number {
  return allocatedSizeMiB(pool, sizeMiB, lvmExtentMiB) * MIB;
}

/** Xen hands out domids upwards and does not reuse one at once. */
function nextDomid(live: LiveHost): number {
  return live.domains.reduce((max, d) => Math.max(max, d.domid), 0) + 1;
}

function updateDomain(live: LiveHost, name: string, f: (d: LiveDomain) => LiveDomain): LiveHost {
  return { ...live, domains: live.domains.map((d) => (d.name === name ? f(d) : d)) };
}
