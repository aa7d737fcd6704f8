/**
 * Validation of the canonical desired state. Pure: every function returns all the problems it
 * finds, each with a path into the spec, and never throws — `cdktf synth` and the CLI list them
 * all at once, so a platform engineer fixes a stack in one pass.
 *
 * Messages say what is wrong, quote the values, and say how to fix it.
 */
import { CpuSet } from "./cpuset.js";
import { bootOrderProblem, cpuidProblem } from "../xl/cfg-values.js";
import { diskTargetProblem } from "../xl/disk-spec.js";
import { nicModelProblem, vifRateProblem } from "../xl/vif-spec.js";
import {
  bridgeProblem,
  cpupoolNameProblem,
  domainNameProblem,
  macProblem,
  storagePoolNameProblem,
  vdevProblem,
  volumeGroupProblem,
  volumeNameProblem,
} from "./names.js";
import { textProblem } from "./text.js";
import {
  DiskFormat,
  DomainType,
  RetentionPolicy,
  SPEC_VERSION,
  ShutdownAction,
  UpdatePolicy,
  MigrationPolicy,
  type DomainSpec,
  type HostSpec,
  type PinSpec,
  type PoolSpec,
  type VolumeSpec,
} from "./spec.js";

/**
 * A name as it stands in an issue path (`domains[web-1]`): as it is when it is made of the
 * characters names are allowed, else quoted as JSON, so that a newline or a bracket in a bad
 * name cannot break the `[construct path] path: message` line `cdktf synth` prints.
 */
export function specKey(name: string): string {
  return typeof name === "string" && /^[A-Za-z0-9._+@:\/-]+$/.test(name) ? name : JSON.stringify(String(name));
}

/** One problem in a spec. */
export interface SpecIssue {
  /** Where in the spec, e.g. `domains[web-1].memoryMiB`, `volumes[vg0/web-1-root].format`. */
  readonly path: string;
  /** What is wrong, with the values, and the fix. */
  readonly message: string;
}

/** What is known about the host the spec targets; every check that needs a missing fact is skipped. */
export interface HostFacts {
  /**
   * pCPUs of the host (`xl info` nr_cpus).
   * @default - unknown: pins are not checked against the host
   */
  readonly cpus?: number;
  /**
   * Total memory of the host in MiB (`xl info` total_memory).
   * @default - unknown: the domains' memory is not checked against the host
   */
  readonly memoryMiB?: number;
  /**
   * Memory dom0 keeps, MiB (e.g. Xen's `dom0_mem`).
   * @default 0 - the domains may use all of `memoryMiB`
   */
  readonly dom0MemoryMiB?: number;
}

/**
 * The smallest `memoryMiB` accepted for a domain: 16 MiB.
 *
 * Xen builds a domain in its memory target: the kernel and initrd images, page tables, the
 * start-info and xenstore/console pages, and for HVM the 8 MiB of emulated video RAM (xl.cfg
 * `videoram`) plus firmware. Below 16 MiB nothing fits and `xl create` fails late, or the guest
 * dies early in boot. The lab's smallest working guests (busybox initramfs) use 128 MiB.
 */
export const MIN_DOMAIN_MEMORY_MIB = 16;

/** Largest credit2 weight (Xen refuses more). */
export const MAX_SCHEDULER_WEIGHT = 65535;

/** Firmware values xl knows for HVM guests; any absolute path also works. */
const HVM_FIRMWARE = ["bios", "uefi", "seabios", "ovmf", "rombios"] as const;
/** Firmware values xl knows for PV and PVH guests (pvgrub); any absolute path also works. */
const PV_FIRMWARE = ["pvgrub32", "pvgrub64"] as const;

/** `path: message`, the form `cdktf synth` and the CLI print. */
export function formatSpecIssue(issue: SpecIssue): string {
  return `${issue.path}: ${issue.message}`;
}

/**
 * Every problem of one domain on its own (see {@link validateHostSpec} for the problems
 * between domains, volumes and pools). Paths start with `domains[NAME]`.
 *
 * @param facts what is known about the host; checks needing an unknown fact are skipped
 */
export function validateDomainSpec(d: DomainSpec, facts: HostFacts = {}): SpecIssue[] {
  return guarded(`domains[${specKey(String(d?.name))}]`, () => domainIssues(d, facts));
}

function domainIssues(d: DomainSpec, facts: HostFacts): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const at = `domains[${specKey(d.name)}]`;
  const add = (path: string, message: string): void => {
    issues.push({ path: `${at}${path}`, message });
  };

  const nameProblem = domainNameProblem(d.name);
  if (nameProblem !== undefined) add(".name", nameProblem);

  const typeOk = oneOf(add, ".type", "type", d.type, DomainType);
  const type = d.type;
  const isHvm = type === DomainType.HVM;

  // vCPUs
  const vcpusOk = wholeAtLeastOne(add, ".vcpus", "vcpus", d.vcpus, "give the domain at least one vCPU");
  const maxOk = wholeAtLeastOne(add, ".maxVcpus", "maxVcpus", d.maxVcpus, "give the domain at least one vCPU");
  if (vcpusOk && maxOk && d.vcpus > d.maxVcpus) {
    add(".vcpus", `vcpus (${String(d.vcpus)}) is above maxVcpus (${String(d.maxVcpus)}): raise maxVcpus or lower vcpus`);
  }

  // Memory
  const memOk = wholeMiB(add, ".memoryMiB", "memory", d.memoryMiB);
  const maxMemOk = wholeMiB(add, ".maxMemoryMiB", "maxMemory", d.maxMemoryMiB);
  if (memOk && d.memoryMiB < MIN_DOMAIN_MEMORY_MIB) {
    add(
      ".memoryMiB",
      `memory (${String(d.memoryMiB)} MiB) is below the minimum of ${String(MIN_DOMAIN_MEMORY_MIB)} MiB, too little for Xen to build a domain in: give it at least ${String(MIN_DOMAIN_MEMORY_MIB)} MiB (a small Linux guest wants 128 MiB or more)`,
    );
  }
  if (memOk && maxMemOk && d.memoryMiB > d.maxMemoryMiB) {
    add(
      ".memoryMiB",
      `memory (${String(d.memoryMiB)} MiB) is above maxMemory (${String(d.maxMemoryMiB)} MiB): raise maxMemory or lower memory`,
    );
  }

  // Boot
  const boot = d.boot;
  if (boot.kind === "kernel") {
    if (absolutePath(add, ".boot.kernel", "kernel", boot.kernel)) text(add, ".boot.kernel", "kernel path", boot.kernel);
    if (boot.ramdisk !== null && absolutePath(add, ".boot.ramdisk", "ramdisk", boot.ramdisk)) text(add, ".boot.ramdisk", "ramdisk path", boot.ramdisk);
    if (boot.cmdline !== null) text(add, ".boot.cmdline", "kernel command line", boot.cmdline);
  } else if (boot.kind === "bootloader") {
    if (typeof boot.bootloader !== "string" || boot.bootloader.trim() === "") {
      add(".boot.bootloader", `bootloader ${JSON.stringify(boot.bootloader)} is empty: name the bootloader dom0 runs, e.g. "pygrub"`);
    } else {
      text(add, ".boot.bootloader", "bootloader", boot.bootloader);
    }
    boot.bootloaderArgs.forEach((arg, i) => text(add, `.boot.bootloaderArgs[${String(i)}]`, "bootloader argument", arg));
    if (typeOk && type !== DomainType.PV) {
      add(
        ".boot.bootloader",
        `bootloader ${JSON.stringify(boot.bootloader)} only boots PV domains, and this domain is ${type}: boot it from a kernel or firmware, or make it PV`,
      );
    }
  } else if (typeOk) {
    const known: readonly string[] = isHvm ? HVM_FIRMWARE : PV_FIRMWARE;
    if (!text(add, ".boot.firmware", "firmware", boot.firmware)) {
      // Reported: a firmware path with a control character.
    } else if (!known.includes(boot.firmware) && !isAbsolute(boot.firmware)) {
      add(
        ".boot.firmware",
        `firmware ${JSON.stringify(boot.firmware)} is not one xl knows for ${withArticle(type)} domain: use ${known.join(", ")} or an absolute path to a firmware image`,
      );
    }
    const order = isHvm ? bootOrderProblem(boot.bootOrder) : undefined;
    if (order !== undefined) add(".boot.bootOrder", order);
    if (!isHvm && boot.bootOrder !== "") {
      add(
        ".boot.bootOrder",
        `boot order ${JSON.stringify(boot.bootOrder)} only applies to HVM domains (this one is ${type}): leave bootOrder empty`,
      );
    }
  }

  // Disks
  const vdevs = new Map<string, number>();
  d.disks.forEach((disk, i) => {
    const p = `.disks[${String(i)}]`;
    const vdevProb = vdevProblem(disk.vdev);
    if (vdevProb !== undefined) add(`${p}.vdev`, vdevProb);
    const first = vdevs.get(disk.vdev);
    if (first !== undefined) {
      add(`${p}.vdev`, `vdev ${JSON.stringify(disk.vdev)} is already used by disks[${String(first)}]: give each disk its own vdev`);
    } else {
      vdevs.set(disk.vdev, i);
    }
    oneOf(add, `${p}.format`, "disk format", disk.format, DiskFormat);
    oneOf(add, `${p}.access`, "disk access", disk.access, { RW: "rw", RO: "ro" });
    const devtypeOk = oneOf(add, `${p}.devtype`, "disk devtype", disk.devtype, { DISK: "disk", CDROM: "cdrom" });
    // An empty cdrom drive (no medium) has an empty target.
    if (!(disk.devtype === "cdrom" && disk.target === "") && absolutePath(add, `${p}.target`, "disk target", disk.target)) {
      const targetProb = diskTargetProblem(disk.target);
      if (targetProb !== undefined) add(`${p}.target`, targetProb);
    }
    if (devtypeOk && typeOk && disk.devtype === "cdrom" && !isHvm) {
      add(
        `${p}.devtype`,
        `a cdrom drive needs an emulated device model, which only HVM domains have (this one is ${type}): attach the image as a disk, or make the domain HVM`,
      );
    }
  });

  // Network
  const macs = new Map<string, number>();
  d.vifs.forEach((vif, i) => {
    const p = `.vifs[${String(i)}]`;
    const bridgeProb = bridgeProblem(vif.bridge);
    if (bridgeProb !== undefined) add(`${p}.bridge`, bridgeProb);
    if (vif.mac !== null) {
      const macProb = macProblem(vif.mac);
      if (macProb !== undefined) add(`${p}.mac`, macProb);
      const key = String(vif.mac).toLowerCase();
      const first = macs.get(key);
      if (first !== undefined) {
        add(
          `${p}.mac`,
          `MAC address ${vif.mac} is already used by vifs[${String(first)}]: give each interface its own MAC, or null to let Xen pick one`,
        );
      } else {
        macs.set(key, i);
      }
    }
    if (vif.model !== null) {
      const modelProb = nicModelProblem(vif.model);
      if (modelProb !== undefined) add(`${p}.model`, modelProb);
    }
    if (vif.rate !== null) {
      const rateProb = vifRateProblem(vif.rate);
      if (rateProb !== undefined) add(`${p}.rate`, rateProb);
    }
    if (vif.model !== null && typeOk && !isHvm) {
      add(
        `${p}.model`,
        `NIC model ${JSON.stringify(vif.model)} is only emulated for HVM domains (this one is ${type}, which uses the paravirtual netfront): remove the model, or make the domain HVM`,
      );
    }
  });

  // Shutdown actions and update policy
  oneOf(add, ".onPoweroff", "onPoweroff", d.onPoweroff, ShutdownAction);
  oneOf(add, ".onReboot", "onReboot", d.onReboot, ShutdownAction);
  oneOf(add, ".onCrash", "onCrash", d.onCrash, ShutdownAction);
  oneOf(add, ".updatePolicy", "updatePolicy", d.updatePolicy, UpdatePolicy);
  oneOf(add, ".migration", "migration", d.migration, MigrationPolicy);

  // Scheduler (credit2)
  const { weight, cap } = d.scheduler;
  if (!Number.isInteger(weight) || weight < 1 || weight > MAX_SCHEDULER_WEIGHT) {
    add(
      ".scheduler.weight",
      `scheduler weight (${String(weight)}) is outside 1–${String(MAX_SCHEDULER_WEIGHT)}: use a whole number in that range (Xen's default is 256)`,
    );
  }
  if (maxOk) {
    const maxCap = 100 * d.maxVcpus;
    if (!Number.isInteger(cap) || cap < 0 || cap > maxCap) {
      add(
        ".scheduler.cap",
        `scheduler cap (${String(cap)}%) is outside 0–${String(maxCap)}% (100% per vCPU, ${String(d.maxVcpus)} maxVcpus): use a whole percentage in that range, 0 for no cap`,
      );
    }
  }

  if (d.cpupool !== null) {
    const poolProb = cpupoolNameProblem(d.cpupool);
    if (poolProb !== undefined) add(".cpupool", poolProb);
  }
  if (d.cpuid !== null) {
    const cpuidProb = cpuidProblem(d.cpuid);
    if (cpuidProb !== undefined) add(".cpuid", cpuidProb);
  }
  if (d.hvm !== null && d.hvm.serial !== null) {
    if (typeof d.hvm.serial !== "string" || d.hvm.serial.trim() === "") {
      add(".hvm.serial", `serial ${JSON.stringify(d.hvm.serial)} is empty: give a serial device such as "pty", or leave it out`);
    } else {
      text(add, ".hvm.serial", "serial", d.hvm.serial);
    }
  }

  // Settings that only some domain types have
  if (typeOk && d.cpuid !== null && type === DomainType.PV) {
    add(
      ".cpuid",
      `cpuid policy ${JSON.stringify(d.cpuid)} has no effect on a PV domain (Xen ignores it for PV): remove it, or make the domain PVH or HVM`,
    );
  }
  if (typeOk && d.hvm !== null && !isHvm) {
    add(".hvm", `HVM settings (serial, vnc) are set on ${withArticle(type)} domain, which has no emulated devices: remove them, or make the domain HVM`);
  }
  if (typeOk && d.hvm === null && isHvm) {
    add(".hvm", "an HVM domain has no HVM settings: set hvm ({ serial, vnc }); XenDomain fills in defaults");
  }

  // vCPU pins
  validatePins(add, d, facts, maxOk);
  return issues;
}

function validatePins(
  add: (path: string, message: string) => void,
  d: DomainSpec,
  facts: HostFacts,
  maxVcpusOk: boolean,
): void {
  const seen = new Map<number, number>();
  d.pins.forEach((pin, i) => {
    const p = `.pins[${String(i)}]`;
    if (!Number.isInteger(pin.vcpu) || pin.vcpu < 0) {
      add(`${p}.vcpu`, `pin for vCPU ${String(pin.vcpu)}: a vCPU number is a whole number from 0`);
    } else {
      if (maxVcpusOk && pin.vcpu >= d.maxVcpus) {
        add(
          `${p}.vcpu`,
          `pin for vCPU ${String(pin.vcpu)}, but the domain has maxVcpus ${String(d.maxVcpus)} (vCPUs 0–${String(d.maxVcpus - 1)}): pin an existing vCPU or raise maxVcpus`,
        );
      }
      const first = seen.get(pin.vcpu);
      if (first !== undefined) {
        add(`${p}.vcpu`, `vCPU ${String(pin.vcpu)} is pinned twice (also pins[${String(first)}]): keep one pin per vCPU`);
      } else {
        seen.set(pin.vcpu, i);
      }
      const prev = d.pins[i - 1];
      if (prev !== undefined && Number.isInteger(prev.vcpu) && prev.vcpu > pin.vcpu) {
        add(
          `${p}.vcpu`,
          `pins are not sorted by vCPU (vCPU ${String(pin.vcpu)} comes after vCPU ${String(prev.vcpu)}): sort them, as the spec is compared structurally`,
        );
      }
    }
    const hard = affinity(add, `${p}.hard`, "hard", pin.hard, facts);
    const soft = affinity(add, `${p}.soft`, "soft", pin.soft, facts);
    if (hard?.isAll() === true && soft?.isAll() === true) {
      add(p, `pin for vCPU ${String(pin.vcpu)} is all / all, the default: leave it out of pins`);
    }
  });
}

/** Checks one affinity string; the parsed set when it parses. */
function affinity(
  add: (path: string, message: string) => void,
  path: string,
  which: "hard" | "soft",
  text: string,
  facts: HostFacts,
): CpuSet | undefined {
  let set: CpuSet;
  try {
    set = CpuSet.parse(text);
  } catch (e) {
    add(path, `${which} affinity: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  const canonical = set.toString();
  if (canonical !== text) {
    add(path, `${which} affinity ${JSON.stringify(text)} is not in canonical form: write ${JSON.stringify(canonical)}`);
  }
  if (set.isEmpty()) {
    add(path, `${which} affinity ${JSON.stringify(text)} selects no pCPU: give at least one pCPU, or "all"`);
  }
  const missing = missingPcpu(set, facts);
  if (missing !== undefined && facts.cpus !== undefined) {
    add(
      path,
      `${which} affinity ${JSON.stringify(text)} names pCPU ${String(missing)}, but the host has only ${cpuRange(facts.cpus)}: pin to pCPUs below ${String(facts.cpus)}`,
    );
  }
  return set;
}

/** The highest pCPU `set` names that the host lacks, if any and if the host is known. */
function missingPcpu(set: CpuSet, facts: HostFacts): number | undefined {
  const max = set.maxCpu();
  if (facts.cpus === undefined || max === null || max < facts.cpus) return undefined;
  return max;
}

function pinNamesMissingPcpu(pin: PinSpec, facts: HostFacts): boolean {
  for (const text of [pin.hard, pin.soft]) {
    try {
      if (missingPcpu(CpuSet.parse(text), facts) !== undefined) return true;
    } catch {
      // Reported by validateDomainSpec.
    }
  }
  return false;
}

/**
 * Every problem of a host's declared state: those of each domain ({@link validateDomainSpec})
 * and those between them — duplicate names, volumes in unknown pools, disks on unknown
 * volumes, a volume attached read-write twice, a MAC used twice, more memory than the host
 * has, pins on pCPUs the host lacks.
 *
 * @param facts what is known about the host; checks needing an unknown fact are skipped
 */
export function validateHostSpec(h: HostSpec, facts: HostFacts = {}): SpecIssue[] {
  return guarded("", () => hostIssues(h, facts));
}

function hostIssues(h: HostSpec, facts: HostFacts): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const add = (path: string, message: string): void => {
    issues.push({ path, message });
  };

  if (h.version !== SPEC_VERSION) {
    add(
      "version",
      `spec version ${JSON.stringify(h.version)} is not the one this cdktf-xen reads (${String(SPEC_VERSION)}): synthesize the stack again with this version of cdktf-xen`,
    );
  }

  const pools = validatePools(add, h.pools);
  const volumes = validateVolumes(add, h.volumes, pools);

  // Domains
  const domainNames = new Set<string>();
  for (const d of h.domains) {
    if (domainNames.has(d.name)) {
      add(
        `domains[${specKey(d.name)}].name`,
        `domain name ${JSON.stringify(d.name)} is declared twice on host ${JSON.stringify(h.host)}: give each domain its own name`,
      );
    }
    domainNames.add(d.name);
    issues.push(...validateDomainSpec(d, facts));
  }

  // Disks against volumes, and read-write sharing
  const rwAttachments = new Map<string, { domain: string; vdev: string; path: string }[]>();
  for (const d of h.domains) {
    d.disks.forEach((disk, i) => {
      const path = `domains[${specKey(d.name)}].disks[${String(i)}]`;
      if (disk.volume !== null) {
        const volume = volumes.get(disk.volume);
        if (volume === undefined) {
          add(
            `${path}.volume`,
            `disk uses volume ${JSON.stringify(disk.volume)}, which is not declared on this host: declare it (as pool/name), or give the disk a target path instead`,
          );
        } else if (volume.format !== disk.format) {
          add(
            `${path}.format`,
            `disk format ${JSON.stringify(disk.format)} does not match volume ${JSON.stringify(disk.volume)} (${volume.format}): use the volume's format, or the guest will see garbage`,
          );
        }
      }
      if (disk.access === "rw" && disk.devtype === "disk") {
        const key = disk.volume ?? disk.target;
        const list = rwAttachments.get(key) ?? [];
        list.push({ domain: d.name, vdev: disk.vdev, path });
        rwAttachments.set(key, list);
      }
    });
  }
  for (const [key, list] of rwAttachments) {
    if (list.length < 2) continue;
    const who = list.map((a) => `${a.domain} ${a.vdev}`).join(", ");
    const kind = volumes.has(key) ? "volume" : "disk target";
    for (const a of list.slice(1)) {
      add(
        `${a.path}.access`,
        `${kind} ${JSON.stringify(key)} is attached read-write by ${String(list.length)} disks (${who}); two writers corrupt its filesystem: attach it read-only (ro) to all but one, or give each its own volume`,
      );
    }
  }

  // MACs across domains
  const macOwners = new Map<string, string>();
  for (const d of h.domains) {
    const own = new Set<string>();
    d.vifs.forEach((vif, i) => {
      if (vif.mac === null) return;
      const key = String(vif.mac).toLowerCase();
      const here = `domains[${specKey(d.name)}].vifs[${String(i)}]`;
      const owner = macOwners.get(key);
      if (owner !== undefined && !own.has(key)) {
        add(
          `${here}.mac`,
          `MAC address ${vif.mac} is also used by ${owner}: two guests with one MAC break each other's networking; give each its own, or null to let Xen pick`,
        );
      }
      own.add(key);
      if (owner === undefined) macOwners.set(key, here);
    });
  }

  // Memory against the host
  if (facts.memoryMiB !== undefined) {
    const domainsMiB = h.domains.reduce((sum, d) => sum + (Number.isFinite(d.memoryMiB) ? d.memoryMiB : 0), 0);
    const dom0 = facts.dom0MemoryMiB ?? 0;
    if (domainsMiB + dom0 > facts.memoryMiB) {
      const dom0Part = facts.dom0MemoryMiB === undefined ? "" : ` plus dom0's ${String(dom0)} MiB is ${String(domainsMiB + dom0)} MiB, which`;
      add(
        "domains",
        `the domains' memory (${String(domainsMiB)} MiB in ${String(h.domains.length)} domains)${dom0Part} is above the host's ${String(facts.memoryMiB)} MiB: lower some domains' memory, or move domains to another host`,
      );
    }
  }

  // Pins against the host, summed up
  if (facts.cpus !== undefined) {
    let count = 0;
    const names: string[] = [];
    for (const d of h.domains) {
      const n = d.pins.filter((pin) => pinNamesMissingPcpu(pin, facts)).length;
      if (n > 0) {
        count += n;
        names.push(d.name);
      }
    }
    if (count > 0) {
      add(
        "domains",
        `${String(count)} vCPU pin${count === 1 ? "" : "s"} in ${String(names.length)} domain${names.length === 1 ? "" : "s"} (${names.join(", ")}) name pCPUs this host does not have (it has only ${cpuRange(facts.cpus)}): fix the pins, or check that the domains target the right host`,
      );
    }
  }

  return issues;
}

function validatePools(add: (path: string, message: string) => void, pools: readonly PoolSpec[]): Map<string, PoolSpec> {
  const byName = new Map<string, PoolSpec>();
  for (const pool of pools) {
    const p = `pools[${specKey(pool.name)}]`;
    const nameProb = storagePoolNameProblem(pool.name);
    if (nameProb !== undefined) add(`${p}.name`, nameProb);
    if (byName.has(pool.name)) {
      add(`${p}.name`, `pool name ${JSON.stringify(pool.name)} is declared twice: give each pool its own name`);
    } else {
      byName.set(pool.name, pool);
    }
    if (pool.kind === "lvm") {
      const problem = volumeGroupProblem(pool.volumeGroup);
      if (problem !== undefined) add(`${p}.volumeGroup`, problem);
    } else if (!isAbsolute(pool.path)) {
      add(
        `${p}.path`,
        `directory pool path ${JSON.stringify(pool.path)} is not absolute: give the full path on dom0, e.g. /var/lib/xen/images`,
      );
    } else {
      text(add, `${p}.path`, "directory pool path", pool.path);
    }
  }
  return byName;
}

function validateVolumes(
  add: (path: string, message: string) => void,
  volumes: readonly VolumeSpec[],
  pools: ReadonlyMap<string, PoolSpec>,
): Map<string, VolumeSpec> {
  const byRef = new Map<string, VolumeSpec>();
  for (const v of volumes) {
    const ref = `${v.pool}/${v.name}`;
    const p = `volumes[${specKey(ref)}]`;
    const nameProb = volumeNameProblem(v.name);
    if (nameProb !== undefined) add(`${p}.name`, nameProb);
    if (byRef.has(ref)) {
      add(`${p}.name`, `volume ${JSON.stringify(ref)} is declared twice: give each volume in a pool its own name`);
    } else {
      byRef.set(ref, v);
    }
    if (!Number.isInteger(v.sizeMiB) || v.sizeMiB < 1) {
      add(`${p}.sizeMiB`, `volume size (${String(v.sizeMiB)} MiB) is not a whole number of MiB, at least 1: give a size such as Size.gibibytes(20)`);
    }
    oneOf(add, `${p}.retention`, "retention", v.retention, RetentionPolicy);
    const formatOk = oneOf(add, `${p}.format`, "volume format", v.format, DiskFormat);
    const pool = pools.get(v.pool);
    if (pool === undefined) {
      const known = [...pools.keys()];
      add(
        `${p}.pool`,
        `volume's pool ${JSON.stringify(v.pool)} is not declared on this host (${
          known.length === 0 ? "no pools are" : `declared: ${known.join(", ")}`
        }): declare the pool, or put the volume in one of them`,
      );
    } else if (formatOk && pool.kind === "lvm" && v.format !== DiskFormat.RAW) {
      add(
        `${p}.format`,
        `format ${JSON.stringify(v.format)} is not possible in LVM pool ${JSON.stringify(pool.name)}: an LV is a raw block device; use raw, or a directory pool for ${v.format}`,
      );
    } else if (formatOk && pool.kind === "dir" && v.format !== DiskFormat.RAW && v.format !== DiskFormat.QCOW2) {
      add(
        `${p}.format`,
        `format ${JSON.stringify(v.format)} cannot be created in directory pool ${JSON.stringify(pool.name)}: use raw or qcow2`,
      );
    }
  }
  return byRef;
}

/**
 * Runs a validation; a spec whose shape is not a spec at all (a missing list, a number where
 * an object belongs — a hand-edited `--desired` file) becomes one issue instead of an exception.
 */
function guarded(path: string, run: () => SpecIssue[]): SpecIssue[] {
  try {
    return run();
  } catch (e) {
    return [
      {
        path: path === "" ? "(spec)" : path,
        message: `the spec does not have the shape of a cdktf-xen spec (${e instanceof Error ? e.message : String(e)}): synthesize it again, or compare the file with the HostSpec type`,
      },
    ];
  }
}

/** Reports a value outside an enum; true when it is inside. */
function oneOf(
  add: (path: string, message: string) => void,
  path: string,
  what: string,
  value: unknown,
  values: Readonly<Record<string, string>>,
): boolean {
  const allowed = Object.values(values);
  if (typeof value === "string" && allowed.includes(value)) return true;
  add(path, `${what} ${JSON.stringify(value)} is not one of ${allowed.join(", ")}: use one of those`);
  return false;
}

function wholeAtLeastOne(
  add: (path: string, message: string) => void,
  path: string,
  what: string,
  value: number,
  fix: string,
): boolean {
  if (Number.isInteger(value) && value >= 1) return true;
  add(path, `${what} (${String(value)}) must be a whole number of at least 1: ${fix}`);
  return false;
}

function wholeMiB(add: (path: string, message: string) => void, path: string, what: string, value: number): boolean {
  if (Number.isInteger(value) && value >= 0) return true;
  add(path, `${what} (${String(value)} MiB) is not a whole, non-negative number of MiB: declare it with Size and whole MiB, e.g. Size.mebibytes(1536)`);
  return false;
}

function isAbsolute(value: unknown): boolean {
  return typeof value === "string" && value.startsWith("/");
}

/** Reports a path that is not absolute; true when it is. */
function absolutePath(add: (path: string, message: string) => void, path: string, what: string, value: string): boolean {
  if (isAbsolute(value)) return true;
  add(path, `${what} path ${JSON.stringify(value)} is not absolute: give the full path on dom0, e.g. /boot/vmlinuz-guest or /dev/vg0/root`);
  return false;
}

/** Reports free text with a control character ({@link textProblem}); true when it has none. */
function text(add: (path: string, message: string) => void, path: string, what: string, value: string): boolean {
  const problem = typeof value === "string" ? textProblem(value) : "it is not a string";
  if (problem === null) return true;
  add(path, `${what} ${JSON.stringify(value)} ${problem.replace(/^it /, "")}: remove that character`);
  return false;
}

/** "a PV", "a PVH", "an HVM". */
function withArticle(type: DomainType): string {
  return `${type === DomainType.HVM ? "an" : "a"} ${type.toUpperCase()}`;
}

function cpuRange(n: number): string {
  return n === 1 ? "pCPU 0" : `pCPUs 0–${String(n - 1)}`;
}
