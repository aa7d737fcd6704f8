/**
 * What a host runs now, as parsed from real `xl`/LVM outputs. Pure data, the diff engine's
 * second input. Parsers in `xl/` produce it; the reconciler gathers the raw outputs in one
 * batched SSH command and hands them to `parseHostSnapshot`.
 *
 * Sources, and which one wins:
 * - `xl list -l` is libxl's stored domain configuration (what the domain was built with, plus
 *   what xl updated since: mem-set updates target_memkb, mem-max max_memkb). It omits fields
 *   at their defaults and gives memory in KiB.
 * - `xl list` gives the current memory (MiB) and online vCPU count, and the run state flags.
 * - `xl vcpu-list` gives per-vCPU affinity (hard / soft); `xl sched-credit2` weight and cap.
 */
import type { DiskFormat, DomainType, ShutdownAction } from "../model/spec.js";

/** Run state from the `xl list` flags column (`r b p s c d`). */
export type RunState = "running" | "blocked" | "paused" | "shutdown" | "crashed" | "dying" | "idle";

export interface LiveVcpu {
  readonly vcpu: number;
  /** pCPU it runs on now, null when offline (`-`). */
  readonly cpu: number | null;
  readonly online: boolean;
  /** Hard affinity as a canonical CPU list (`CpuSet.toString()`), `all` when unrestricted. */
  readonly hard: string;
  readonly soft: string;
}

export interface LiveDisk {
  readonly vdev: string;
  readonly target: string;
  readonly format: DiskFormat;
  readonly access: "rw" | "ro";
  readonly devtype: "disk" | "cdrom";
}

export interface LiveVif {
  readonly devid: number;
  readonly bridge: string;
  readonly mac: string | null;
  readonly model: string | null;
  readonly rate: string | null;
}

export interface LiveDomain {
  readonly name: string;
  readonly domid: number;
  readonly uuid: string | null;
  readonly state: RunState;
  readonly type: DomainType;
  /** Current memory, MiB (`xl list`). */
  readonly memoryMiB: number;
  /** Memory target, MiB (target_memkb). */
  readonly targetMemoryMiB: number;
  /** Static maximum, MiB (max_memkb). */
  readonly maxMemoryMiB: number;
  /** Online vCPUs. */
  readonly vcpus: number;
  /** max_vcpus the domain was built with. */
  readonly maxVcpus: number;
  readonly kernel: string | null;
  readonly ramdisk: string | null;
  readonly cmdline: string | null;
  readonly bootloader: string | null;
  readonly disks: readonly LiveDisk[];
  readonly vifs: readonly LiveVif[];
  readonly onPoweroff: ShutdownAction;
  readonly onReboot: ShutdownAction;
  readonly onCrash: ShutdownAction;
  readonly scheduler: { readonly weight: number; readonly cap: number };
  readonly cpupool: string | null;
  /** Per vCPU, in vcpu order, from `xl vcpu-list`. */
  readonly vcpuList: readonly LiveVcpu[];
}

export interface LiveVolume {
  readonly pool: string;
  readonly name: string;
  readonly path: string;
  readonly sizeBytes: number;
}

export interface HostInfo {
  readonly nrCpus: number;
  readonly totalMemoryMiB: number;
  readonly freeMemoryMiB: number;
  readonly scheduler: string;
  readonly xenVersion: string;
  readonly virtCaps: readonly string[];
}

/** A managed config file under the managed config directory, by domain name. */
export interface LiveConfigFile {
  readonly name: string;
  readonly path: string;
  readonly content: string;
}

export interface LiveHost {
  readonly info: HostInfo;
  /** Guest domains; Domain-0 excluded. */
  readonly domains: readonly LiveDomain[];
  readonly volumes: readonly LiveVolume[];
  readonly configFiles: readonly LiveConfigFile[];
  /** Domain names with an autostart link in /etc/xen/auto. */
  readonly autostart: readonly string[];
  /** Bridges present in dom0. */
  readonly bridges: readonly string[];
}

/** Where cdktf-xen keeps the config files of the domains it manages. */
export const MANAGED_CONFIG_DIR = "/etc/xen/cdktf-xen";
/** Debian's xendomains starts every config linked here at boot. */
export const AUTOSTART_DIR = "/etc/xen/auto";

/** Where cdktf-xen keeps the config file of domain `name` (no name check: see xl/commands.ts). */
export function configFilePath(name: string): string {
  return `${MANAGED_CONFIG_DIR}/${name}.cfg`;
}

/** The autostart link of domain `name` (no name check: see xl/commands.ts). */
export function autostartPath(name: string): string {
  return `${AUTOSTART_DIR}/${name}.cfg`;
}
