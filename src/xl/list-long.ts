/**
 * Parser of `xl list -l` (JSON): libxl's stored domain configuration (libxl_domain_config) of
 * every domain, including Domain-0. It is configuration, not runtime state: no run state or
 * CPU time; memory in KiB; fields at their default are omitted, so a missing key means libxl's
 * default (on_poweroff/on_crash "destroy", on_reboot "restart", weight 256, cap 0, …).
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (list -l)
 */
import type { DomainType, ShutdownAction } from "../model/spec.js";
import { formatCpuRanges } from "./cpulist.js";
import type { LiveDisk, LiveVif } from "./live.js";
import { type ParseIssue, type ParseResult, failed, parsed } from "./result.js";
import { formatVifRate } from "./vif-spec.js";

/** HVM build settings found in `b_info["type.hvm"]`. */
export interface XlHvmConfig {
  /** `firmware` override path, null when unset. */
  readonly firmware: string | null;
  /** libxl bios type (`seabios`, `ovmf`, `rombios`), null when unset. */
  readonly bios: string | null;
  /** Boot order (`cd`), null when unset. */
  readonly boot: string | null;
  /** Emulated serial (`pty`), null when unset. */
  readonly serial: string | null;
  /** VNC enabled; null when libxl's default applies. */
  readonly vnc: boolean | null;
}

/** One domain's configuration from `xl list -l`, in the model's vocabulary and units. */
export interface XlDomainConfig {
  readonly name: string;
  readonly domid: number;
  readonly uuid: string | null;
  readonly type: DomainType;
  /** max_memkb / 1024 (not rounded: KiB that are not whole MiB stay fractional). */
  readonly maxMemoryMiB: number;
  /** target_memkb / 1024. */
  readonly targetMemoryMiB: number;
  readonly maxVcpus: number;
  /** vCPUs marked available at build time (`avail_vcpus`); max_vcpus when omitted. */
  readonly availVcpus: number;
  readonly kernel: string | null;
  readonly ramdisk: string | null;
  readonly cmdline: string | null;
  readonly bootloader: string | null;
  readonly bootloaderArgs: readonly string[];
  readonly disks: readonly LiveDisk[];
  /** `rate` in {@link formatVifRate}'s canonical spelling. */
  readonly vifs: readonly LiveVif[];
  readonly onPoweroff: ShutdownAction;
  readonly onReboot: ShutdownAction;
  readonly onWatchdog: ShutdownAction;
  readonly onCrash: ShutdownAction;
  readonly onSoftReset: ShutdownAction;
  readonly scheduler: { readonly weight: number; readonly cap: number };
  /** `c_info.pool_name`, null when not set (the default pool). */
  readonly cpupool: string | null;
  /** libxl's expanded CPUID policy (`b_info.cpuid`) as JSON, null when none. */
  readonly cpuid: unknown;
  /** Per-vCPU hard affinity from the config, canonical CPU lists; null when not set. */
  readonly vcpuHardAffinity: readonly string[] | null;
  /** Per-vCPU soft affinity from the config, canonical CPU lists; null when not set. */
  readonly vcpuSoftAffinity: readonly string[] | null;
  /** HVM settings; null for PV and PVH. */
  readonly hvm: XlHvmConfig | null;
}

// libxl's JSON says "restart_rename"; the model (spec.ts) spells that action "rename_restart".
const ACTIONS: Readonly<Record<string, ShutdownAction>> = {
  destroy: "destroy",
  restart: "restart",
  restart_rename: "rename_restart",
  rename_restart: "rename_restart",
  preserve: "preserve",
  coredump_destroy: "coredump_destroy",
  coredump_restart: "coredump_restart",
  soft_reset: "soft_reset",
};

const FORMATS = new Set(["raw", "qcow", "qcow2", "vhd", "qed"]);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Path-aware, issue-collecting access to one JSON object. */
class Obj {
  constructor(
    readonly value: { readonly [k: string]: Json },
    readonly path: string,
    readonly issues: ParseIssue[],
  ) {}

  private bad(key: string, what: string): null {
    this.issues.push({ path: `${this.path}.${key}`, message: `expected ${what}, got ${JSON.stringify(this.value[key])}` });
    return null;
  }

  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  obj(key: string): Obj | null {
    const v = this.value[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== "object" || Array.isArray(v)) return this.bad(key, "an object");
    return new Obj(v, `${this.path}.${key}`, this.issues);
  }

  str(key: string): string | null {
    const v = this.value[key];
    if (v === undefined || v === null) return null;
    return typeof v === "string" ? v : this.bad(key, "a string");
  }

  int(key: string): number | null {
    const v = this.value[key];
    if (v === undefined || v === null) return null;
    return typeof v === "number" && Number.isSafeInteger(v) ? v : this.bad(key, "an integer");
  }

  /** libxl defbools are the strings "True"/"False" (or "<default>"). */
  bool(key: string): boolean | null {
    const v = this.value[key];
    if (v === undefined || v === null || v === "<default>") return null;
    if (v === "True" || v === true) return true;
    if (v === "False" || v === false) return false;
    return this.bad(key, '"True" or "False"');
  }

  array(key: string): Json[] | null {
    const v = this.value[key];
    if (v === undefined || v === null) return null;
    return Array.isArray(v) ? v : this.bad(key, "an array");
  }

  objects(key: string): Obj[] {
    const arr = this.array(key) ?? [];
    const out: Obj[] = [];
    arr.forEach((item, i) => {
      if (item !== null && typeof item === "object" && !Array.isArray(item)) out.push(new Obj(item, `${this.path}.${key}[${i}]`, this.issues));
      else this.issues.push({ path: `${this.path}.${key}[${i}]`, message: "expected an object" });
    });
    return out;
  }

  action(key: string, dflt: ShutdownAction): ShutdownAction {
    const s = this.str(key);
    if (s === null) return dflt;
    const a = ACTIONS[s];
    if (a === undefined) {
      this.issues.push({ path: `${this.path}.${key}`, message: `unknown shutdown action "${s}"` });
      return dflt;
    }
    return a;
  }

  /** A libxl_bitmap is a JSON array of the set bits. */
  bitmap(key: string): number[] | null {
    const arr = this.array(key);
    if (arr === null) return null;
    if (!arr.every((b) => typeof b === "number" && Number.isSafeInteger(b) && b >= 0)) {
      this.bad(key, "an array of bit numbers");
      return null;
    }
    return arr as number[];
  }

  affinity(key: string): string[] | null {
    const arr = this.array(key);
    if (arr === null) return null;
    return arr.map((bits, i) => {
      if (!Array.isArray(bits) || !bits.every((b) => typeof b === "number")) {
        this.issues.push({ path: `${this.path}.${key}[${i}]`, message: "expected an array of CPU numbers" });
        return "all";
      }
      return formatCpuRanges(bits as number[]);
    });
  }
}

function kibToMiB(kib: number): number {
  return kib / 1024;
}

function parseDomain(entry: Obj, issues: ParseIssue[]): XlDomainConfig | null {
  const domid = entry.int("domid");
  const config = entry.obj("config");
  if (domid === null || config === null) {
    issues.push({ path: entry.path, message: "expected { domid, config }" });
    return null;
  }
  const cInfo = config.obj("c_info") ?? new Obj({}, `${config.path}.c_info`, issues);
  const bInfo = config.obj("b_info") ?? new Obj({}, `${config.path}.b_info`, issues);

  const name = cInfo.str("name");
  if (name === null) issues.push({ path: `${cInfo.path}.name`, message: "domain without a name" });
  const typeText = cInfo.str("type") ?? "pv";
  const type: DomainType = typeText === "pvh" || typeText === "hvm" ? typeText : "pv";
  if (typeText !== "pv" && typeText !== "pvh" && typeText !== "hvm") {
    issues.push({ path: `${cInfo.path}.type`, message: `unknown domain type "${typeText}"` });
  }

  // libxl defaults: max_memkb 32 MiB, target = max, max_vcpus 1, every vCPU available.
  const maxMemkb = bInfo.int("max_memkb") ?? 32 * 1024;
  const targetMemkb = bInfo.int("target_memkb") ?? maxMemkb;
  const maxVcpus = bInfo.int("max_vcpus") ?? 1;
  const avail = bInfo.bitmap("avail_vcpus");

  const typeBlock = bInfo.obj(`type.${type}`);
  // Older libxl kept kernel/cmdline/ramdisk/bootloader inside type.pv; 4.17 has them on b_info.
  const pick = (key: string): string | null => bInfo.str(key) ?? (type === "pv" ? (typeBlock?.str(key) ?? null) : null);
  const argsJson = bInfo.array("bootloader_args") ?? (type === "pv" ? typeBlock?.array("bootloader_args") : null) ?? [];
  const bootloaderArgs = argsJson.filter((a): a is string => typeof a === "string");

  const sched = bInfo.obj("sched_params");
  const weight = sched?.int("weight") ?? -1;
  const cap = sched?.int("cap") ?? -1;

  const disks: LiveDisk[] = config.objects("disks").map((d) => {
    const fmt = d.str("format") ?? "raw";
    if (!FORMATS.has(fmt)) issues.push({ path: `${d.path}.format`, message: `unsupported disk format "${fmt}"` });
    return {
      vdev: d.str("vdev") ?? "",
      target: d.str("pdev_path") ?? "",
      format: (FORMATS.has(fmt) ? fmt : "raw") as LiveDisk["format"],
      access: (d.int("readwrite") ?? 0) !== 0 ? "rw" : "ro",
      devtype: (d.int("is_cdrom") ?? 0) !== 0 ? "cdrom" : "disk",
    };
  });

  const vifs: LiveVif[] = config.objects("nics").map((n, i) => {
    const bytes = n.int("rate_bytes_per_interval");
    const usecs = n.int("rate_interval_usecs");
    return {
      devid: n.int("devid") ?? i,
      bridge: n.str("bridge") ?? "xenbr0",
      mac: n.str("mac")?.toLowerCase() ?? null,
      model: n.str("model"),
      rate: bytes !== null && bytes > 0 && usecs !== null && usecs > 0 ? formatVifRate({ bytesPerInterval: bytes, intervalUsecs: usecs }) : null,
    };
  });

  const hvm: XlHvmConfig | null =
    type === "hvm"
      ? {
          firmware: typeBlock?.str("firmware") ?? null,
          bios: typeBlock?.str("bios") ?? null,
          boot: typeBlock?.str("boot") ?? null,
          serial: typeBlock?.str("serial") ?? null,
          vnc: typeBlock?.obj("vnc")?.bool("enable") ?? null,
        }
      : null;

  const cpuid = bInfo.value["cpuid"];
  return {
    name: name ?? "",
    domid,
    uuid: cInfo.str("uuid"),
    type,
    maxMemoryMiB: kibToMiB(maxMemkb),
    targetMemoryMiB: kibToMiB(targetMemkb),
    maxVcpus,
    availVcpus: avail === null ? maxVcpus : avail.length,
    kernel: pick("kernel"),
    ramdisk: pick("ramdisk"),
    cmdline: pick("cmdline"),
    bootloader: pick("bootloader"),
    bootloaderArgs,
    disks,
    vifs,
    onPoweroff: config.action("on_poweroff", "destroy"),
    onReboot: config.action("on_reboot", "restart"),
    onWatchdog: config.action("on_watchdog", "destroy"),
    onCrash: config.action("on_crash", "destroy"),
    onSoftReset: config.action("on_soft_reset", "soft_reset"),
    // -1 is libxl's "scheduler default", which is 256 / no cap for credit and credit2.
    scheduler: { weight: weight < 0 ? 256 : weight, cap: cap < 0 ? 0 : cap },
    cpupool: cInfo.str("pool_name"),
    cpuid: cpuid === undefined ? null : cpuid,
    vcpuHardAffinity: bInfo.affinity("vcpu_hard_affinity"),
    vcpuSoftAffinity: bInfo.affinity("vcpu_soft_affinity"),
    hvm,
  };
}

/**
 * Parses the JSON printed by `xl list -l` (all domains, Domain-0 included, in xl's order).
 * Empty output and `[]` are no domains. Every malformed field is reported with its JSON path.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (list -l)
 */
export function parseXlListLong(json: string): ParseResult<XlDomainConfig[]> {
  if (json.trim() === "") return parsed([]);
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    return failed([{ path: "$", message: `not JSON: ${(e as Error).message}` }]);
  }
  if (!Array.isArray(data)) return failed([{ path: "$", message: "expected a JSON array of domains" }]);
  const issues: ParseIssue[] = [];
  const out: XlDomainConfig[] = [];
  data.forEach((item: unknown, i) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      issues.push({ path: `$[${i}]`, message: "expected an object" });
      return;
    }
    const d = parseDomain(new Obj(item as { [k: string]: Json }, `$[${i}]`, issues), issues);
    if (d !== null) out.push(d);
  });
  return issues.length > 0 ? failed(issues) : parsed(out);
}
