/**
 * The diff engine: a host's declared state × its live state → an ordered, minimal plan.
 *
 * Pure and deterministic: the same inputs give the same plan whatever order the domains,
 * volumes, config files or links come in (everything is indexed by name and walked in
 * sorted order), and a host that matches its declaration gives an empty plan.
 *
 * ## What is compared, and where the truth comes from
 * - Running domain settings (memory target, maxmem, vCPUs, affinity, weight/cap, disks,
 *   vifs, type, kernel, on_*, cpupool) are compared with the live state, so drift made by
 *   hand (`xl mem-set`) is corrected.
 * - Settings `xl list -l` does not give back in a comparable form (cpuid, vnc, serial,
 *   firmware, boot order, bootloader_args) are compared with the managed config file: it is
 *   what the domain was last booted from.
 * - The config file itself must equal `renderXlCfg(spec)`: every change, live or not, is
 *   persisted there, so the next boot (or dom0's autostart) gives the declared domain.
 *
 * ## Order of a plan
 * 1. volumes: create, grow (by pool, then name)
 * 2. config files (atomic writes)
 * 3. memory decreases on every domain (frees memory for what follows)
 * 4. domain creates (`xl create`: new domains, and declared domains that are not running)
 * 5. per domain: block-detach, network-detach, vcpu-set, vcpu-pin (by vCPU), sched-credit2,
 *    block-attach, network-attach (detach first, so a device changed in place is replaced;
 *    vcpu-set before the pins)
 * 6. memory increases
 * 7. restarts
 * 8. autostart links
 * 9. pending notices, then refusals, then reports (never executed)
 * Within a step, domains in name order.
 */
import type {
  DiskSpec,
  DomainSpec,
  HostSpec,
  PoolSpec,
  VifSpec,
  VolumeSpec,
} from "../model/spec.js";
import {
  autostartPath,
  configFilePath,
  type HostInfo,
  type LiveConfigFile,
  type LiveDisk,
  type LiveDomain,
  type LiveHost,
  type LiveVif,
  type LiveVolume,
  type RunState,
} from "../xl/live.js";
import { parseXlCfg, renderXlCfg, xlCfgView, type XlCfgView } from "../xl/render.js";
import { canonicalCpuList } from "../xl/cpulist.js";
import { canonicalVifRate } from "../xl/vif-spec.js";
import { validateHostSpec } from "../model/validate.js";
import { DiffInputError } from "./errors.js";
import {
  makePlan,
  type Action,
  type Affinity,
  type NextBootChange,
  type Plan,
  type RefuseMissingBridgeAction,
} from "./plan.js";
import { changedSettings } from "./config-changes.js";
import { shellCommand } from "../xl/shell.js";

/** Options of {@link diffHost}. */
export interface DiffOptions {
  /**
   * LVM physical extent size in MiB: `lvcreate`/`lvextend` round a size up to a whole number
   * of extents, so a declared size matches an LV of that size rounded up.
   * @default 4 - LVM's default extent size
   */
  readonly lvmExtentMiB?: number;
}

/** LVM's default physical extent size. */
export const DEFAULT_LVM_EXTENT_MIB = 4;

const MIB = 1024 * 1024;

/** The cpupool a domain is in when it names none. */
export const DEFAULT_CPUPOOL = "Pool-0";

/** Run states in which `xl` can change a domain live. */
const ACTIVE_STATES: ReadonlySet<RunState> = new Set(["running", "blocked", "paused", "idle"]);

/** True when `state` is one where the domain runs (possibly paused), as opposed to shutting down, crashed or dying. */
export function isActiveState(state: RunState): boolean {
  return ACTIVE_STATES.has(state);
}

/** Where cdktf-xen writes a domain's config file. */
export const managedConfigPath = configFilePath;

/** The autostart link of a domain. */
export const autostartLinkPath = autostartPath;

/** Absolute path on dom0 of a volume: `/dev/VG/NAME` (LVM) or `DIR/NAME` (dir pool). */
export function volumePath(pool: PoolSpec, name: string): string {
  switch (pool.kind) {
    case "lvm":
      return `/dev/${pool.volumeGroup}/${name}`;
    case "dir":
      return `${pool.path.replace(/\/+$/, "")}/${name}`;
  }
}

/** The size in MiB a volume has once created or grown to `sizeMiB` in `pool` (LVM rounds up to whole extents). */
export function allocatedSizeMiB(pool: PoolSpec, sizeMiB: number, lvmExtentMiB = DEFAULT_LVM_EXTENT_MIB): number {
  return pool.kind === "lvm" ? Math.ceil(sizeMiB / lvmExtentMiB) * lvmExtentMiB : sizeMiB;
}

/** String order independent of locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Plans `spec` against `live`.
 *
 * @throws DiffInputError when `validateHostSpec` finds problems in the spec (duplicate names,
 *   a volume in an undeclared pool, a disk naming an undeclared volume, pins beyond maxVcpus,
 *   …), listing every one of them.
 */
export function diffHost(spec: HostSpec, live: LiveHost, options: DiffOptions = {}): Plan {
  const issues = validateHostSpec(spec);
  if (issues.length > 0) throw new DiffInputError(spec.host, issues);
  return new HostDiff(spec, live, options.lvmExtentMiB ?? DEFAULT_LVM_EXTENT_MIB).plan();
}

/** Phases of a plan, in execution order; see the module comment. */
const Phase = {
  Volume: 0,
  Config: 1,
  MemoryDown: 2,
  Create: 3,
  Live: 4,
  MemoryUp: 5,
  Restart: 6,
  Autostart: 7,
  Pending: 8,
  Refused: 9,
  Report: 10,
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];
const PHASE_COUNT = Phase.Report + 1;

/**
 * The phase of an action: where it goes in a plan's order (see the module comment). The one
 * place that says it: diffHost files every action by it, and diffFleet places moves by it.
 */
export function actionPhase(a: Action): Phase {
  switch (a.kind) {
    case "create-volume":
    case "grow-volume":
      return Phase.Volume;
    case "write-config":
      return Phase.Config;
    case "mem-set":
      return a.new < a.old ? Phase.MemoryDown : Phase.MemoryUp;
    case "create-domain":
    case "move-domain":
      return Phase.Create;
    case "block-detach":
    case "network-detach":
    case "vcpu-set":
    case "vcpu-pin":
    case "sched-credit2":
    case "block-attach":
    case "network-attach":
      return Phase.Live;
    case "restart-domain":
      return Phase.Restart;
    case "link-autostart":
    case "unlink-autostart":
      return Phase.Autostart;
    case "pending-restart":
      return Phase.Pending;
    case "refuse-volume-shrink":
    case "refuse-volume-resize-in-use":
    case "refuse-name-conflict":
    case "refuse-missing-bridge":
    case "refuse-scheduler":
    case "refuse-move":
      return Phase.Refused;
    case "report-unmanaged-domain":
    case "report-undeclared-domain":
    case "report-inactive-domain":
      return Phase.Report;
  }
}

interface Bridges {
  /** vifs (by devid) whose bridge dom0 lacks. */
  readonly missing: readonly { readonly devid: number; readonly bridge: string }[];
}

class HostDiff {
  private readonly phases: Action[][] = Array.from({ length: PHASE_COUNT }, () => []);
  private readonly host: string;
  private readonly liveDomains = new Map<string, LiveDomain>();
  private readonly configs = new Map<string, LiveConfigFile>();
  private readonly autostart: ReadonlySet<string>;
  private readonly bridges: ReadonlySet<string>;
  private readonly info: HostInfo;
  /** Missing-bridge refusals of the domain being planned, by devid. */
  private readonly bridgeRefusals = new Map<number, { bridge: string; blocks: RefuseMissingBridgeAction["blocks"][number][] }>();
  private readonly volumesByPath = new Map<string, LiveVolume>();
  private readonly volumesByName = new Map<string, LiveVolume>();
  /** Active declared domains by the `pool/name` of each volume their spec uses. */
  private readonly declaredUsers = new Map<string, string[]>();
  /** Active live domains by the target path of each attached disk. */
  private readonly attachedUsers = new Map<string, string[]>();

  constructor(
    private readonly spec: HostSpec,
    live: LiveHost,
    private readonly lvmExtentMiB: number,
  ) {
    this.host = spec.host;
    // If a name appears twice in the live inputs, the first in sorted order wins, so the
    // result does not depend on input order.
    for (const d of [...live.domains].sort((a, b) => compareStrings(a.name, b.name) || a.domid - b.domid)) {
      if (!this.liveDomains.has(d.name)) this.liveDomains.set(d.name, d);
    }
    for (const c of [...live.configFiles].sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.content, b.content))) {
      if (!this.configs.has(c.name)) this.configs.set(c.name, c);
    }
    for (const v of [...live.volumes].sort((a, b) => compareStrings(a.path, b.path) || compareStrings(a.pool, b.pool) || compareStrings(a.name, b.name))) {
      if (!this.volumesByPath.has(v.path)) this.volumesByPath.set(v.path, v);
      const key = `${v.pool}\u0000${v.name}`;
      if (!this.volumesByName.has(key)) this.volumesByName.set(key, v);
    }
    for (const ld of this.liveDomains.values()) {
      if (!isActiveState(ld.state)) continue;
      for (const k of ld.disks) push(this.attachedUsers, k.target, ld.name);
    }
    for (const d of spec.domains) {
      const ld = this.liveDomains.get(d.name);
      if (ld === undefined || !isActiveState(ld.state)) continue;
      for (const k of d.disks) if (k.volume !== null) push(this.declaredUsers, k.volume, d.name);
    }
    this.autostart = new Set(live.autostart);
    this.bridges = new Set(live.bridges);
    this.info = live.info;
  }

  plan(): Plan {
    const pools = new Map(this.spec.pools.map((p) => [p.name, p]));
    const volumes = [...this.spec.volumes].sort((a, b) => compareStrings(a.pool, b.pool) || compareStrings(a.name, b.name));
    const domains = [...this.spec.domains].sort((a, b) => compareStrings(a.name, b.name));
    for (const v of volumes) {
      const pool = pools.get(v.pool);
      if (pool !== undefined) this.volume(v, pool);
    }
    for (const d of domains) this.domain(d);
    this.undeclared(new Set(domains.map((d) => d.name)));
    return makePlan(this.host, this.phases.flat());
  }

  private add(action: Action): void {
    this.phases[actionPhase(action)]!.push(action);
  }

  // -------------------------------------------------------------------------------------------
  // Volumes

  private volume(v: VolumeSpec, pool: PoolSpec): void {
    const path = volumePath(pool, v.name);
    const ref = { pool: v.pool, name: v.name };
    const found = this.findVolume(v, pool, path);
    if (found === undefined) {
      this.add({
        kind: "create-volume",
        class: "create",
        host: this.host,
        volume: ref,
        property: "volume",
        old: null,
        new: { sizeMiB: v.sizeMiB, format: v.format },
        pool,
        path,
        reason:
          pool.kind === "lvm"
            ? `Volume ${v.name} does not exist in volume group ${pool.volumeGroup}: create a ${v.sizeMiB} MiB logical volume.`
            : `Volume ${v.name} does not exist in ${pool.path}: create a ${v.sizeMiB} MiB ${v.format} file.`,
      });
      return;
    }
    const liveMiB = found.sizeBytes / MIB;
    const wantedMiB = allocatedSizeMiB(pool, v.sizeMiB, this.lvmExtentMiB);
    if (liveMiB === wantedMiB) return;
    const inUseBy = this.volumeUsers(`${v.pool}/${v.name}`, path, found.path);
    if (liveMiB > wantedMiB) {
      this.add({
        kind: "refuse-volume-shrink",
        class: "refused",
        host: this.host,
        volume: ref,
        property: "sizeMiB",
        old: liveMiB,
        new: v.sizeMiB,
        reason: `Volume ${v.name} is ${formatMiB(liveMiB)} MiB and is declared ${v.sizeMiB} MiB: shrinking it would cut off the data at its end, so cdktf-xen never shrinks a volume.`,
        fix: `Declare at least ${formatMiB(liveMiB)} MiB. To really make it smaller, shrink the filesystem inside the guest, copy the data to a new, smaller volume and point the disk at it.`,
      });
      return;
    }
    if (v.format === "qcow2" && inUseBy.length > 0) {
      this.add({
        kind: "refuse-volume-resize-in-use",
        class: "refused",
        host: this.host,
        volume: ref,
        property: "sizeMiB",
        old: liveMiB,
        new: v.sizeMiB,
        inUseBy,
        reason: `Volume ${v.name} is a qcow2 image in use by ${inUseBy.join(", ")}; resizing an image that QEMU has open can corrupt it.`,
        fix: `Shut down ${inUseBy.join(", ")} (or let its update policy restart it for another change) and apply again; the volume grows while no domain uses it.`,
      });
      return;
    }
    this.add({
      kind: "grow-volume",
      class: "live",
      host: this.host,
      volume: ref,
      property: "sizeMiB",
      old: liveMiB,
      new: v.sizeMiB,
      pool,
      path: found.path,
      format: v.format,
      inUseBy,
      reason:
        `Volume ${v.name} grows from ${formatMiB(liveMiB)} MiB to ${v.sizeMiB} MiB.` +
        (inUseBy.length > 0
          ? ` ${inUseBy.join(", ")} ${inUseBy.length === 1 ? "sees" : "see"} the new size without a restart (blkback passes it to the guest's blkfront); the filesystem inside still has to be grown from the guest.`
          : ""),
    });
  }

  private findVolume(v: VolumeSpec, pool: PoolSpec, path: string): LiveVolume | undefined {
    const byPath = this.volumesByPath.get(path);
    if (byPath !== undefined) return byPath;
    // A snapshot may name the pool by its VG or directory rather than by the pool's name.
    for (const poolName of [pool.name, pool.kind === "lvm" ? pool.volumeGroup : pool.path]) {
      const found = this.volumesByName.get(`${poolName}\u0000${v.name}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Active domains using a volume: declared with it, or attached to its path. */
  private volumeUsers(ref: string, path: string, livePath: string): string[] {
    const users = new Set<string>([
      ...(this.declaredUsers.get(ref) ?? []),
      ...(this.attachedUsers.get(path) ?? []),
      ...(this.attachedUsers.get(livePath) ?? []),
    ]);
    return [...users].sort(compareStrings);
  }

  // -------------------------------------------------------------------------------------------
  // Domains

  private domain(d: DomainSpec): void {
    const ld = this.liveDomains.get(d.name);
    const cfg = this.configs.get(d.name);
    const configPath = managedConfigPath(d.name);
    if (ld !== undefined && cfg === undefined) {
      this.add({
        kind: "refuse-name-conflict",
        class: "refused",
        host: this.host,
        domain: d.name,
        property: "domain",
        old: ld.state,
        new: "running",
        reason: `A domain named ${d.name} already runs on this host, but cdktf-xen has no config file for it (${configPath}): it was not created by cdktf-xen, and taking it over could detach its disks or reboot it.`,
        fix: `Give the declared domain another name, or adopt the running one: write its current xl config to ${configPath} and plan again.`,
      });
      return;
    }

    const rendered = renderXlCfg(d);
    if (cfg === undefined || cfg.content !== rendered) {
      const changed = cfg === undefined ? [] : changedSettings(cfg.content, rendered);
      this.add({
        kind: "write-config",
        class: cfg === undefined ? "create" : "live",
        host: this.host,
        domain: d.name,
        property: "config",
        old: cfg === undefined ? null : cfg.content,
        new: rendered,
        path: configPath,
        changedSettings: changed.map((c) => c.key),
        reason:
          cfg === undefined
            ? `Write ${configPath}, the xl config the domain is created and autostarted from.`
            : changed.length === 0
              ? `Rewrite ${configPath} (atomically): its text differs from the declared configuration.`
              : `Rewrite ${configPath} (atomically) so the next boot uses the declared ${plural(changed.length, "setting")}: ${changed.map((c) => c.key).join(", ")}.`,
      });
    }

    const bridges = this.missingBridges(d);
    if (ld === undefined) {
      if (bridges.missing.length > 0) this.refuseBridges(bridges, "create-domain");
      else {
        this.add({
          kind: "create-domain",
          class: "create",
          host: this.host,
          domain: d.name,
          property: "state",
          old: null,
          new: "running",
          configPath,
          spec: d,
          reason:
            cfg === undefined
              ? `Domain ${d.name} does not exist: xl create it from ${configPath}.`
              : `Domain ${d.name} is declared but not running (its config file exists): start it with ${shellCommand(["xl", "create", configPath])}.`,
        });
      }
    } else if (!isActiveState(ld.state)) {
      this.add({
        kind: "report-inactive-domain",
        class: "report",
        host: this.host,
        domain: d.name,
        property: "state",
        old: ld.state,
        new: "running",
        reason: `Domain ${d.name} is ${ld.state}; cdktf-xen changes nothing on it until it is gone (${shellCommand(["xl", "destroy", d.name])}), then starts it again from its config file.`,
      });
    } else {
      this.running(d, ld, cfg, rendered, bridges, configPath);
    }

    const linked = this.autostart.has(d.name);
    if (d.autostart && !linked) {
      this.add({
        kind: "link-autostart",
        class: "create",
        host: this.host,
        domain: d.name,
        property: "autostart",
        old: false,
        new: true,
        linkPath: autostartLinkPath(d.name),
        configPath,
        reason: `Link ${autostartLinkPath(d.name)} to ${configPath} so dom0 starts ${d.name} when it boots.`,
      });
    } else if (!d.autostart && linked) {
      this.add({
        kind: "unlink-autostart",
        class: "delete",
        host: this.host,
        domain: d.name,
        property: "autostart",
        old: true,
        new: false,
        linkPath: autostartLinkPath(d.name),
        reason: `Remove ${autostartLinkPath(d.name)}: ${d.name} is declared without autostart.`,
      });
    }
    this.flushBridgeRefusals(d);
  }

  private running(
    d: DomainSpec,
    ld: LiveDomain,
    cfg: LiveConfigFile | undefined,
    rendered: string,
    bridges: Bridges,
    configPath: string,
  ): void {
    const changes = nextBootChanges(d, ld, cfg, rendered);
    const restart = changes.length > 0 && d.updatePolicy === "restart";
    if (restart && bridges.missing.length === 0) {
      this.add({
        kind: "restart-domain",
        class: "restart",
        host: this.host,
        domain: d.name,
        changes,
        configPath,
        spec: d,
        reason: `${describeChanges(changes)} take effect only at boot, and the update policy is "restart": shut ${d.name} down (forcibly after a timeout) and create it again from ${configPath}.`,
      });
      return;
    }
    if (changes.length > 0) {
      if (restart) this.refuseBridges(bridges, "restart-domain");
      this.add({
        kind: "pending-restart",
        class: "pending",
        host: this.host,
        domain: d.name,
        changes,
        reason: restart
          ? `${describeChanges(changes)} take effect only at boot; the restart is blocked (see the refusal), so they wait for the next boot.`
          : `${describeChanges(changes)} take effect only at boot; the update policy is "pending", so the config file has them and the domain gets them the next time it boots.`,
      });
    }
    this.liveChanges(d, ld, bridges);
  }

  private liveChanges(d: DomainSpec, ld: LiveDomain, bridges: Bridges): void {
    const base = { host: this.host, domain: d.name } as const;

    if (d.memoryMiB !== ld.targetMemoryMiB && d.memoryMiB <= ld.maxMemoryMiB) {
      const down = d.memoryMiB < ld.targetMemoryMiB;
      this.add({
        ...base,
        kind: "mem-set",
        class: "live",
        property: "memoryMiB",
        old: ld.targetMemoryMiB,
        new: d.memoryMiB,
        reason: down
          ? `Lower the memory target from ${ld.targetMemoryMiB} to ${d.memoryMiB} MiB (the guest's balloon driver gives the memory back; done before anything that needs free memory).`
          : `Raise the memory target from ${ld.targetMemoryMiB} to ${d.memoryMiB} MiB, within the ${ld.maxMemoryMiB} MiB maxmem the domain was booted with.`,
      });
    }

    // Device removals first: a device changed in place is detached, then attached again.
    const disks = diskPairs(d, ld);
    for (const { vdev, want, have } of disks) {
      if (have === null || sameDisk(want, have) || !hotpluggableDisk(d, want, have)) continue;
      this.add({
        ...base,
        kind: "block-detach",
        class: "live",
        property: "disk",
        vdev,
        old: have,
        new: null,
        reason:
          want === null
            ? `Disk ${vdev} (${have.target}) is attached but no longer declared: detach it (the guest must not be using it; the volume itself is kept).`
            : `Disk ${vdev} changed (${describeDiskChange(have, want)}): it is replaced by detaching it and attaching the declared one.`,
      });
    }
    const vifs = vifPairs(d, ld);
    const missing = new Map(bridges.missing.map((m) => [m.devid, m.bridge]));
    for (const { devid, want, have } of vifs) {
      if (have === null || sameVif(want, have) || d.type === "hvm") continue;
      // A vif whose new bridge is missing stays as it is: detaching it could not be undone.
      if (want !== null && missing.has(devid)) continue;
      this.add({
        ...base,
        kind: "network-detach",
        class: "live",
        property: "vif",
        devid,
        old: have,
        new: null,
        reason:
          want === null
            ? `vif ${devid} (bridge ${have.bridge}) is no longer declared: detach it.`
            : `vif ${devid} changed (${describeVifChange(have, want)}): a vif cannot be changed in place, so it is detached and attached again; the guest sees its NIC disappear and come back.`,
      });
    }

    if (d.vcpus !== ld.vcpus && d.vcpus <= ld.maxVcpus) {
      this.add({
        ...base,
        kind: "vcpu-set",
        class: "live",
        property: "vcpus",
        old: ld.vcpus,
        new: d.vcpus,
        ignoreHost: d.vcpus > this.info.nrCpus,
        reason:
          d.vcpus < ld.vcpus
            ? `Take vCPUs offline: ${ld.vcpus} → ${d.vcpus} online (the highest-numbered go; their pinning is kept).`
            : `Bring vCPUs online: ${ld.vcpus} → ${d.vcpus}, within the ${ld.maxVcpus} maxvcpus the domain was booted with (the guest must online them; most kernels do it through udev).` +
              (d.vcpus > this.info.nrCpus ? ` That is more vCPUs than the host's ${this.info.nrCpus} pCPUs, which xl allows only with --ignore-host.` : ""),
      });
    }

    const pins = new Map(d.pins.map((p) => [p.vcpu, { hard: canonicalCpuList(p.hard) ?? p.hard, soft: canonicalCpuList(p.soft) ?? p.soft }]));
    const liveVcpus = new Map(ld.vcpuList.map((v) => [v.vcpu, v]));
    for (let vcpu = 0; vcpu < ld.maxVcpus; vcpu++) {
      const have = liveVcpus.get(vcpu);
      if (have === undefined) continue;
      const want: Affinity = pins.get(vcpu) ?? { hard: "all", soft: "all" };
      if (have.hard === want.hard && have.soft === want.soft) continue;
      this.add({
        ...base,
        kind: "vcpu-pin",
        class: "live",
        property: "affinity",
        vcpu,
        old: { hard: have.hard, soft: have.soft },
        new: want,
        reason:
          `Set vCPU ${vcpu}'s affinity (hard / soft) from ${have.hard} / ${have.soft} to ${want.hard} / ${want.soft}` +
          (have.online ? "." : " (it is offline; Xen keeps the affinity for when it comes online)."),
      });
    }

    const wantSched = { weight: d.scheduler.weight, cap: d.scheduler.cap };
    const haveSched = { weight: ld.scheduler.weight, cap: ld.scheduler.cap };
    if (wantSched.weight !== haveSched.weight || wantSched.cap !== haveSched.cap) {
      if (this.info.scheduler === "credit2") {
        this.add({
          ...base,
          kind: "sched-credit2",
          class: "live",
          property: "scheduler",
          old: haveSched,
          new: wantSched,
          reason: `Set the credit2 weight/cap from ${haveSched.weight}/${haveSched.cap} to ${wantSched.weight}/${wantSched.cap}.`,
        });
      } else {
        this.add({
          ...base,
          kind: "refuse-scheduler",
          class: "refused",
          property: "scheduler",
          old: haveSched,
          new: wantSched,
          hostScheduler: this.info.scheduler,
          reason: `The declared weight/cap are credit2 parameters, but this host schedules with ${this.info.scheduler}.`,
          fix: `Boot Xen with sched=credit2 (Xen 4.17's default), or declare the default weight 256 and cap 0 for ${d.name}.`,
        });
      }
    }

    for (const { vdev, want, have } of disks) {
      if (want === null || (have !== null && sameDisk(want, have)) || !hotpluggableDisk(d, want, have)) continue;
      this.add({
        ...base,
        kind: "block-attach",
        class: "live",
        property: "disk",
        vdev,
        old: null,
        new: want,
        reason: `Attach ${want.target} as ${vdev} (${want.access === "rw" ? "read-write" : "read-only"}); the guest sees a new disk.`,
      });
    }
    for (const { devid, want, have } of vifs) {
      if (want === null || (have !== null && sameVif(want, have)) || d.type === "hvm") continue;
      if (missing.has(devid)) {
        this.refuseBridge(devid, want.bridge, ["network-attach"]);
        continue;
      }
      this.add({
        ...base,
        kind: "network-attach",
        class: "live",
        property: "vif",
        devid,
        old: null,
        new: want,
        reason: `Attach vif ${devid} on bridge ${want.bridge}${want.mac === null ? "" : ` with MAC ${want.mac}`}; the guest sees a new NIC.`,
      });
    }
  }

  private missingBridges(d: DomainSpec): Bridges {
    const missing: { devid: number; bridge: string }[] = [];
    d.vifs.forEach((v, devid) => {
      if (!this.bridges.has(v.bridge)) missing.push({ devid, bridge: v.bridge });
    });
    return { missing };
  }

  private refuseBridges(bridges: Bridges, blocked: "create-domain" | "restart-domain"): void {
    for (const { devid, bridge } of bridges.missing) this.refuseBridge(devid, bridge, [blocked]);
  }

  /** Records that vif `devid`'s missing bridge blocks `blocked`; emitted once per vif by {@link flushBridgeRefusals}. */
  private refuseBridge(devid: number, bridge: string, blocks: RefuseMissingBridgeAction["blocks"]): void {
    const known = this.bridgeRefusals.get(devid);
    if (known === undefined) this.bridgeRefusals.set(devid, { bridge, blocks: [...blocks] });
    else for (const b of blocks) if (!known.blocks.includes(b)) known.blocks.push(b);
  }

  private flushBridgeRefusals(d: DomainSpec): void {
    const what: Record<RefuseMissingBridgeAction["blocks"][number], string> = {
      "create-domain": "the domain is not created",
      "restart-domain": "the domain is not restarted",
      "network-attach": "the vif is not attached",
    };
    for (const [devid, { bridge, blocks }] of [...this.bridgeRefusals].sort(([a], [b]) => a - b)) {
      this.add({
        kind: "refuse-missing-bridge",
        class: "refused",
        host: this.host,
        domain: d.name,
        property: "vif",
        devid,
        old: null,
        new: bridge,
        blocks,
        reason: `vif ${devid} of ${d.name} uses bridge ${bridge}, which dom0 does not have; xl would fail with "Could not find bridge device", so ${blocks.map((b) => what[b]).join(" and ")}.`,
        fix: `Create bridge ${bridge} in dom0's network configuration, or declare a bridge dom0 has (it has: ${[...this.bridges].sort(compareStrings).join(", ") || "none"}).`,
      });
    }
    this.bridgeRefusals.clear();
  }

  // -------------------------------------------------------------------------------------------
  // What no spec declares

  private undeclared(declared: ReadonlySet<string>): void {
    const names = new Set<string>();
    for (const n of this.liveDomains.keys()) if (!declared.has(n)) names.add(n);
    for (const n of this.configs.keys()) if (!declared.has(n)) names.add(n);
    for (const name of [...names].sort(compareStrings)) {
      const ld = this.liveDomains.get(name);
      const cfg = this.configs.get(name);
      if (cfg !== undefined) {
        const linked = this.autostart.has(name) ? ` Its autostart link ${autostartLinkPath(name)} is still there.` : "";
        this.add({
          kind: "report-undeclared-domain",
          class: "report",
          host: this.host,
          domain: name,
          property: "domain",
          old: ld === undefined ? null : ld.state,
          new: null,
          configPath: cfg.path,
          reason:
            `${name} has a cdktf-xen config file (${cfg.path}) but no spec declares it${ld === undefined ? "" : ` and it is ${ld.state}`}. ` +
            `The diff never removes a domain: its destroy-domain provisioner does, when Terraform destroys it.${linked}`,
        });
      } else if (ld !== undefined) {
        this.add({
          kind: "report-unmanaged-domain",
          class: "report",
          host: this.host,
          domain: name,
          property: "domain",
          old: ld.state,
          new: null,
          reason: `${name} (domid ${ld.domid}) is ${ld.state} but was not created by cdktf-xen; it is left untouched.`,
        });
      }
    }
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

// ---------------------------------------------------------------------------------------------
// Comparisons

function normalizeText(v: string | null): string | null {
  return v === null || v === "" ? null : v;
}

/** What a domain was booted with that differs from its declaration and takes effect only at boot. */
function nextBootChanges(
  d: DomainSpec,
  ld: LiveDomain,
  cfg: LiveConfigFile | undefined,
  rendered: string,
): NextBootChange[] {
  const out: NextBootChange[] = [];
  if (d.type !== ld.type) {
    out.push({ property: "type", old: ld.type, new: d.type, reason: "A domain's type is fixed when it is built." });
  }
  if (d.maxMemoryMiB !== ld.maxMemoryMiB) {
    out.push({
      property: "maxMemoryMiB",
      old: ld.maxMemoryMiB,
      new: d.maxMemoryMiB,
      reason:
        d.maxMemoryMiB > ld.maxMemoryMiB
          ? "maxmem is the guest's static maximum, sized at boot: xl mem-max could raise Xen's limit, but xl mem-set stays capped at the boot-time maxmem and the guest cannot use memory beyond it (xl(1), mem-max)."
          : "maxmem is the guest's static maximum, set at boot.",
    });
  }
  if (d.memoryMiB !== ld.targetMemoryMiB && d.memoryMiB > ld.maxMemoryMiB) {
    out.push({
      property: "memoryMiB",
      old: ld.targetMemoryMiB,
      new: d.memoryMiB,
      reason: `${d.memoryMiB} MiB is above the ${ld.maxMemoryMiB} MiB maxmem the domain was booted with; xl mem-set cannot go beyond it.`,
    });
  }
  if (d.maxVcpus !== ld.maxVcpus) {
    out.push({ property: "maxVcpus", old: ld.maxVcpus, new: d.maxVcpus, reason: "maxvcpus is the number of vCPUs a domain is built with." });
  }
  if (d.vcpus !== ld.vcpus && d.vcpus > ld.maxVcpus) {
    out.push({
      property: "vcpus",
      old: ld.vcpus,
      new: d.vcpus,
      reason: `${d.vcpus} vCPUs is above the ${ld.maxVcpus} the domain was built with; xl vcpu-set cannot go beyond it.`,
    });
  }
  const boot = d.boot;
  const bootChanges: [("kernel" | "ramdisk" | "cmdline" | "bootloader"), string | null, string | null][] = [];
  switch (boot.kind) {
    case "kernel":
      bootChanges.push(["kernel", ld.kernel, boot.kernel], ["ramdisk", ld.ramdisk, boot.ramdisk], ["cmdline", ld.cmdline, boot.cmdline], ["bootloader", ld.bootloader, null]);
      break;
    case "bootloader":
      // A bootloader fills kernel/ramdisk/cmdline itself at each boot: only the bootloader is compared.
      bootChanges.push(["bootloader", ld.bootloader, boot.bootloader]);
      break;
    case "firmware":
      // For PV/PVH, xl turns firmware pvgrub32/64 into a kernel path of its own: only an HVM
      // domain booting from firmware has no kernel.
      if (d.type === "hvm") bootChanges.push(["kernel", ld.kernel, null], ["ramdisk", ld.ramdisk, null]);
      bootChanges.push(["bootloader", ld.bootloader, null]);
      break;
  }
  for (const [property, have, want] of bootChanges) {
    const o = normalizeText(have);
    const n = normalizeText(want);
    if (o !== n) out.push({ property, old: o, new: n, reason: "What a domain boots is read when it is built." });
  }
  for (const [property, have, want] of [
    ["onPoweroff", ld.onPoweroff, d.onPoweroff],
    ["onReboot", ld.onReboot, d.onReboot],
    ["onCrash", ld.onCrash, d.onCrash],
  ] as const) {
    if (have !== want) {
      out.push({ property, old: have, new: want, reason: "xl reads the on_* actions when it creates the domain; no xl command changes them on a running domain." });
    }
  }
  const pool = d.cpupool ?? DEFAULT_CPUPOOL;
  const livePool = ld.cpupool ?? DEFAULT_CPUPOOL;
  if (pool !== livePool) {
    out.push({
      property: "cpupool",
      old: livePool,
      new: pool,
      reason: "The cpupool is applied at boot (moving a running domain with xl cpupool-migrate would leave its pins to be checked against the new pool's CPUs).",
    });
  }
  for (const { vdev, want, have } of diskPairs(d, ld)) {
    if (want !== null && have !== null && sameDisk(want, have)) continue;
    if (hotpluggableDisk(d, want, have)) continue;
    out.push({
      property: "disk",
      vdev,
      old: have,
      new: want,
      reason:
        (want ?? have)?.devtype === "cdrom"
          ? "An HVM cdrom is an emulated device; changing it is left to the next boot."
          : "Disks of an HVM guest other than xvd* are emulated by QEMU and cannot be hot-plugged.",
    });
  }
  if (d.type === "hvm") {
    for (const { devid, want, have } of vifPairs(d, ld)) {
      if (want !== null && have !== null && sameVif(want, have)) continue;
      out.push({
        property: "vif",
        devid,
        old: have,
        new: want,
        reason: "An HVM guest's NICs are emulated by QEMU and cannot be hot-plugged.",
      });
    }
  }
  if (cfg !== undefined && cfg.content !== rendered) {
    const booted = parseXlCfg(cfg.content);
    if (booted.ok) out.push(...configOnlyChanges(booted.value, xlCfgView(d)));
  }
  return out;
}

/**
 * Differences in what only the config file records: cpuid, firmware and HVM boot order,
 * bootloader arguments, HVM serial and VNC. Kinds of boot that differ are found from the live
 * kernel/bootloader instead; a type change covers the HVM settings appearing or going.
 */
function configOnlyChanges(booted: XlCfgView, want: XlCfgView): NextBootChange[] {
  const out: NextBootChange[] = [];
  const reason = "xl reads it when it builds the domain; the running domain was booted from the previous config file.";
  if (booted.cpuid !== want.cpuid) out.push({ property: "cpuid", old: booted.cpuid, new: want.cpuid, reason });
  if (booted.boot.kind === "firmware" && want.boot.kind === "firmware") {
    if (booted.boot.firmware !== want.boot.firmware) {
      out.push({ property: "firmware", old: booted.boot.firmware, new: want.boot.firmware, reason });
    }
    if (booted.boot.bootOrder !== want.boot.bootOrder) {
      out.push({ property: "bootOrder", old: booted.boot.bootOrder, new: want.boot.bootOrder, reason });
    }
  }
  if (booted.boot.kind === "bootloader" && want.boot.kind === "bootloader") {
    const o = booted.boot.bootloaderArgs;
    const n = want.boot.bootloaderArgs;
    if (o.length !== n.length || o.some((a, i) => a !== n[i])) out.push({ property: "bootloaderArgs", old: o, new: n, reason });
  }
  if (booted.hvm !== null && want.hvm !== null) {
    if (booted.hvm.serial !== want.hvm.serial) out.push({ property: "serial", old: booted.hvm.serial, new: want.hvm.serial, reason });
    if (booted.hvm.vnc !== want.hvm.vnc) out.push({ property: "vnc", old: booted.hvm.vnc, new: want.hvm.vnc, reason });
  }
  return out;
}

interface DiskPair {
  readonly vdev: string;
  readonly want: DiskSpec | null;
  readonly have: LiveDisk | null;
}

function diskPairs(d: DomainSpec, ld: LiveDomain): DiskPair[] {
  const want = new Map(d.disks.map((k) => [k.vdev, k]));
  const have = new Map(ld.disks.map((k) => [k.vdev, k]));
  return [...new Set([...want.keys(), ...have.keys()])]
    .sort(compareStrings)
    .map((vdev) => ({ vdev, want: want.get(vdev) ?? null, have: have.get(vdev) ?? null }));
}

function sameDisk(want: DiskSpec | null, have: LiveDisk | null): boolean {
  if (want === null || have === null) return want === have;
  return want.target === have.target && want.format === have.format && want.access === have.access && want.devtype === have.devtype;
}

/** xl block-attach/detach works for PV-protocol disks: every disk of a PV/PVH guest, `xvd*` non-cdrom disks of an HVM guest. */
function hotpluggableDisk(d: DomainSpec, want: DiskSpec | null, have: LiveDisk | null): boolean {
  for (const k of [want, have]) {
    if (k === null) continue;
    if (k.devtype === "cdrom") return false;
    if (d.type === "hvm" && !k.vdev.startsWith("xvd")) return false;
  }
  return true;
}

interface VifPair {
  readonly devid: number;
  readonly want: VifSpec | null;
  readonly have: LiveVif | null;
}

function vifPairs(d: DomainSpec, ld: LiveDomain): VifPair[] {
  const have = new Map(ld.vifs.map((v) => [v.devid, v]));
  const devids = new Set<number>([...d.vifs.keys(), ...have.keys()]);
  return [...devids]
    .sort((a, b) => a - b)
    .map((devid) => ({ devid, want: d.vifs[devid] ?? null, have: have.get(devid) ?? null }));
}

/** A vif with no declared MAC matches whatever MAC Xen picked. */
function sameVif(want: VifSpec | null, have: LiveVif | null): boolean {
  if (want === null || have === null) return want === have;
  return (
    want.bridge === have.bridge &&
    (want.mac === null || want.mac.toLowerCase() === (have.mac ?? "").toLowerCase()) &&
    want.model === have.model &&
    sameRate(want.rate, have.rate)
  );
}

/** Rates compare as libxl stores them (`10Mb/s` and `1250000B/s@50000us` are the same). */
function sameRate(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return (canonicalVifRate(a) ?? a) === (canonicalVifRate(b) ?? b);
}

function describeDiskChange(have: LiveDisk, want: DiskSpec): string {
  const parts: string[] = [];
  if (have.target !== want.target) parts.push(`target ${have.target} → ${want.target}`);
  if (have.format !== want.format) parts.push(`format ${have.format} → ${want.format}`);
  if (have.access !== want.access) parts.push(`access ${have.access} → ${want.access}`);
  if (have.devtype !== want.devtype) parts.push(`devtype ${have.devtype} → ${want.devtype}`);
  return parts.join(", ");
}

function describeVifChange(have: LiveVif, want: VifSpec): string {
  const parts: string[] = [];
  if (have.bridge !== want.bridge) parts.push(`bridge ${have.bridge} → ${want.bridge}`);
  if (want.mac !== null && want.mac.toLowerCase() !== (have.mac ?? "").toLowerCase()) parts.push(`mac ${have.mac ?? "none"} → ${want.mac}`);
  if (have.model !== want.model) parts.push(`model ${have.model ?? "none"} → ${want.model ?? "none"}`);
  if (!sameRate(have.rate, want.rate)) parts.push(`rate ${have.rate ?? "unlimited"} → ${want.rate ?? "unlimited"}`);
  return parts.join(", ");
}

function describeChanges(changes: readonly NextBootChange[]): string {
  const names = changes.map((c) =>
    c.property === "disk" ? `disk ${c.vdev}` : c.property === "vif" ? `vif ${c.devid}` : c.property,
  );
  return `Changes to ${names.join(", ")}`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

/** MiB with at most two decimals (a file's size need not be whole MiB). */
export function formatMiB(mib: number): string {
  return Number.isInteger(mib) ? String(mib) : mib.toFixed(2);
}
