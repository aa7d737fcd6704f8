/**
 * DomainSpec -> xl.cfg(5), and back. `renderXlCfg` is the single function that writes a
 * domain's config file (constructs and the reconciler both call it); `parseXlCfg` reads the
 * subset it writes (and the hand-written configs of the lab fixtures) so that tests can prove
 * render -> parse returns what was declared, and the diff engine can read a live config file.
 *
 * This file also holds the only mapping between libxl's shutdown-action spelling
 * (`rename_restart`, the model's) and xl.cfg's (`rename-restart`).
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html
 */
import type { BootSpec, DiskSpec, DomainSpec, DomainType, PinSpec, ShutdownAction, VifSpec } from "../model/spec.js";
import { type XlCfgSettings, type XlCfgValue, parseXlCfgSettings, quoteXlCfgString, xlCfgLong } from "./cfg-syntax.js";
import { bootOrderProblem, cpuidProblem } from "./cfg-values.js";
import { canonicalCpuList } from "./cpulist.js";
import { type XlDiskView, parseDiskSpec, renderDiskSpec } from "./disk-spec.js";
import { XlRenderError } from "./errors.js";
import { type ParseIssue, type ParseResult, failed, parsed } from "./result.js";
import { parseVifSpec, renderVifTokens } from "./vif-spec.js";

/** First line of every config file cdktf-xen writes. */
export const XL_CFG_HEADER = "# managed by cdktf-xen — edits are overwritten";

const TO_XL_CFG: Readonly<Record<ShutdownAction, string>> = {
  destroy: "destroy",
  restart: "restart",
  rename_restart: "rename-restart",
  preserve: "preserve",
  coredump_destroy: "coredump-destroy",
  coredump_restart: "coredump-restart",
  soft_reset: "soft-reset",
};

/**
 * The xl.cfg spelling of a shutdown action (`rename_restart` -> `rename-restart`).
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html#Event-Actions
 */
export function xlCfgShutdownAction(action: ShutdownAction): string {
  const s = TO_XL_CFG[action];
  if (s === undefined) throw new XlRenderError("onPoweroff/onReboot/onCrash", `unknown shutdown action "${String(action)}"`, `use one of ${Object.keys(TO_XL_CFG).join(", ")}`);
  return s;
}

/**
 * The libxl spelling of an xl.cfg shutdown action (`coredump-destroy` -> `coredump_destroy`),
 * or `null` when xl does not know it.
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html#Event-Actions
 */
export function shutdownActionFromXlCfg(text: string): ShutdownAction | null {
  for (const [model, xl] of Object.entries(TO_XL_CFG)) if (xl === text) return model as ShutdownAction;
  return null;
}

/**
 * What an xl.cfg file carries of a {@link DomainSpec}: everything except the fields that live
 * elsewhere (`autostart` is a link in /etc/xen/auto, `updatePolicy` is cdktf-xen's, a disk's
 * `volume` is its provenance), with the defaults xl would apply made explicit and CPU lists
 * and MAC addresses in canonical spelling. `xlCfgView(spec)` and `parseXlCfg(renderXlCfg(spec))`
 * are equal for every spec that renders.
 */
export interface XlCfgView {
  readonly name: string;
  readonly type: DomainType;
  readonly vcpus: number;
  readonly maxVcpus: number;
  readonly memoryMiB: number;
  readonly maxMemoryMiB: number;
  /** Firmware boot's `bootOrder` is `null` on PV/PVH, where xl has no `boot` key. */
  readonly boot:
    | Exclude<BootSpec, { kind: "firmware" }>
    | { readonly kind: "firmware"; readonly firmware: string; readonly bootOrder: string | null };
  readonly disks: readonly XlDiskView[];
  readonly vifs: readonly VifSpec[];
  readonly onPoweroff: ShutdownAction;
  readonly onReboot: ShutdownAction;
  readonly onCrash: ShutdownAction;
  readonly scheduler: { readonly weight: number; readonly cap: number };
  readonly cpupool: string | null;
  /** Non-default affinities only, sorted by vcpu, canonical CPU lists. */
  readonly pins: readonly PinSpec[];
  readonly cpuid: string | null;
  /** HVM only (libxl's defaults when the spec has none: no serial, VNC on); null otherwise. */
  readonly hvm: { readonly serial: string | null; readonly vnc: boolean } | null;
}

/** The {@link XlCfgView} of a spec: what its rendered config file says. */
export function xlCfgView(spec: DomainSpec): XlCfgView {
  const boot: XlCfgView["boot"] =
    spec.boot.kind === "firmware"
      ? { kind: "firmware", firmware: spec.boot.firmware, bootOrder: spec.type === "hvm" ? spec.boot.bootOrder : null }
      : spec.boot.kind === "bootloader"
        ? { kind: "bootloader", bootloader: spec.boot.bootloader, bootloaderArgs: [...spec.boot.bootloaderArgs] }
        : { kind: "kernel", kernel: spec.boot.kernel, ramdisk: spec.boot.ramdisk, cmdline: spec.boot.cmdline };
  return {
    name: spec.name,
    type: spec.type,
    vcpus: spec.vcpus,
    maxVcpus: spec.maxVcpus,
    memoryMiB: spec.memoryMiB,
    maxMemoryMiB: spec.maxMemoryMiB,
    boot,
    disks: spec.disks.map(({ vdev, target, format, access, devtype }) => ({ vdev, target, format, access, devtype })),
    vifs: spec.vifs.map((v) => ({ ...v, mac: v.mac === null ? null : v.mac.toLowerCase() })),
    onPoweroff: spec.onPoweroff,
    onReboot: spec.onReboot,
    onCrash: spec.onCrash,
    scheduler: { weight: spec.scheduler.weight, cap: spec.scheduler.cap },
    cpupool: spec.cpupool,
    pins: spec.pins
      .map((p) => ({ vcpu: p.vcpu, hard: canonicalCpuList(p.hard) ?? p.hard, soft: canonicalCpuList(p.soft) ?? p.soft }))
      .filter((p) => p.hard !== "all" || p.soft !== "all")
      .sort((a, b) => a.vcpu - b.vcpu),
    cpuid: spec.cpuid,
    hvm: spec.type === "hvm" ? { serial: spec.hvm?.serial ?? null, vnc: spec.hvm?.vnc ?? true } : null,
  };
}

function positiveInt(value: number, field: string, min: number, max: number, domain: string): string {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new XlRenderError(field, `${String(value)} is not an integer in ${min}..${max}`, `declare an integer between ${min} and ${max}`, domain);
  }
  return String(value);
}

/**
 * Renders a domain's xl.cfg: deterministic (same spec, same bytes), header comment first,
 * keys in a fixed order, every string quoted so that xl reads back exactly the declared value.
 *
 * Mapping: name, type, memory/maxmem (MiB), vcpus/maxvcpus, kernel/ramdisk/cmdline,
 * bootloader/bootloader_args, firmware (+ boot for HVM), disk (key=value specs, target last),
 * vif, on_poweroff/on_reboot/on_crash (xl.cfg spelling), cpu_weight/cap, pool, cpus/cpus_soft
 * (per-vCPU lists, only when some vCPU is pinned), cpuid, serial/vnc (HVM).
 *
 * @throws XlRenderError naming the field when a value cannot be written so that xl reads it
 *   back unchanged (NUL, line breaks, control characters; commas where xl splits; …) or xl
 *   would refuse the file (vcpus > maxvcpus, bootloader on HVM, …).
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html
 */
export function renderXlCfg(spec: DomainSpec): string {
  const d = spec.name;
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof XlRenderError && e.domain === undefined) throw new XlRenderError(e.field, e.why, e.fix, d);
      throw e;
    }
  };
  return wrap(() => render(spec));
}

function render(spec: DomainSpec): string {
  const d = spec.name;
  const q = quoteXlCfgString;
  const lines: string[] = [XL_CFG_HEADER];
  const set = (key: string, value: string): void => {
    lines.push(`${key} = ${value}`);
  };
  const list = (items: readonly string[]): string => `[ ${items.join(", ")} ]`;

  if (spec.name === "") throw new XlRenderError("name", "the name is empty", "declare a domain name");
  set("name", q(spec.name, "name"));
  if (spec.type !== "pv" && spec.type !== "pvh" && spec.type !== "hvm") {
    throw new XlRenderError("type", `unknown domain type "${String(spec.type)}"`, 'use "pv", "pvh" or "hvm"');
  }
  set("type", q(spec.type, "type"));

  set("memory", positiveInt(spec.memoryMiB, "memoryMiB", 1, 2 ** 40, d));
  set("maxmem", positiveInt(spec.maxMemoryMiB, "maxMemoryMiB", 1, 2 ** 40, d));
  if (spec.memoryMiB > spec.maxMemoryMiB) {
    throw new XlRenderError("memoryMiB", `memory ${spec.memoryMiB} MiB is above maxMemory ${spec.maxMemoryMiB} MiB`, "declare maxMemory >= memory", d);
  }
  set("vcpus", positiveInt(spec.vcpus, "vcpus", 1, 4096, d));
  set("maxvcpus", positiveInt(spec.maxVcpus, "maxVcpus", 1, 4096, d));
  if (spec.vcpus > spec.maxVcpus) {
    throw new XlRenderError("vcpus", `vcpus ${spec.vcpus} is above maxVcpus ${spec.maxVcpus} (xl refuses: "maxvcpus < vcpus")`, "declare maxVcpus >= vcpus", d);
  }

  const boot = spec.boot;
  switch (boot.kind) {
    case "kernel":
      if (boot.kernel === "") throw new XlRenderError("boot.kernel", "the kernel path is empty", "give the kernel's path in dom0");
      set("kernel", q(boot.kernel, "boot.kernel"));
      if (boot.ramdisk !== null) set("ramdisk", q(boot.ramdisk, "boot.ramdisk"));
      if (boot.cmdline !== null) set("cmdline", q(boot.cmdline, "boot.cmdline"));
      break;
    case "bootloader":
      if (spec.type === "hvm") {
        throw new XlRenderError("boot.bootloader", "a bootloader boots PV and PVH domains only", "use firmware boot for HVM");
      }
      if (boot.bootloader === "") throw new XlRenderError("boot.bootloader", "the bootloader is empty", "name a bootloader, e.g. pygrub");
      set("bootloader", q(boot.bootloader, "boot.bootloader"));
      if (boot.bootloaderArgs.length > 0) {
        set("bootloader_args", list(boot.bootloaderArgs.map((a, i) => q(a, `boot.bootloaderArgs[${i}]`))));
      }
      break;
    case "firmware":
      if (spec.type === "hvm") {
        if (boot.firmware === "") throw new XlRenderError("boot.firmware", "the firmware is empty", 'use "bios", "uefi" or a path');
        set("firmware", q(boot.firmware, "boot.firmware"));
        const order = bootOrderProblem(boot.bootOrder);
        if (order !== undefined) throw new XlRenderError("boot.bootOrder", order.slice(0, order.indexOf(": ")), order.slice(order.indexOf(": ") + 2));
        set("boot", q(boot.bootOrder, "boot.bootOrder"));
      } else {
        if (boot.firmware !== "pvgrub32" && boot.firmware !== "pvgrub64") {
          throw new XlRenderError("boot.firmware", `"${boot.firmware}" is not a ${spec.type.toUpperCase()} firmware (xl knows only pvgrub32 and pvgrub64)`, 'use "pvgrub64" (or "pvgrub32"), or kernel boot');
        }
        set("firmware", q(boot.firmware, "boot.firmware"));
      }
      break;
    default:
      throw new XlRenderError("boot.kind", `unknown boot kind "${String((boot as { kind: unknown }).kind)}"`, 'use "kernel", "bootloader" or "firmware"');
  }

  const vdevs = new Set<string>();
  const disks = spec.disks.map((disk: DiskSpec, i) => {
    if (vdevs.has(disk.vdev)) throw new XlRenderError(`disks[${i}].vdev`, `vdev "${disk.vdev}" is used twice`, "give every disk its own vdev");
    vdevs.add(disk.vdev);
    return q(renderDiskSpec(disk, `disks[${i}]`), `disks[${i}]`);
  });
  if (disks.length > 0) set("disk", list(disks));
  const vifs = spec.vifs.map((vif, i) => q(renderVifTokens(vif, `vifs[${i}]`).join(","), `vifs[${i}]`));
  if (vifs.length > 0) set("vif", list(vifs));

  set("on_poweroff", q(xlCfgShutdownAction(spec.onPoweroff), "onPoweroff"));
  set("on_reboot", q(xlCfgShutdownAction(spec.onReboot), "onReboot"));
  set("on_crash", q(xlCfgShutdownAction(spec.onCrash), "onCrash"));

  set("cpu_weight", positiveInt(spec.scheduler.weight, "scheduler.weight", 1, 65535, d));
  set("cap", positiveInt(spec.scheduler.cap, "scheduler.cap", 0, 65535, d));
  if (spec.cpupool !== null) {
    if (spec.cpupool === "") throw new XlRenderError("cpupool", "the cpupool name is empty", "use null for the default pool");
    set("pool", q(spec.cpupool, "cpupool"));
  }

  const hard: string[] = Array.from({ length: spec.maxVcpus }, () => "all");
  const soft: string[] = Array.from({ length: spec.maxVcpus }, () => "all");
  const seen = new Set<number>();
  spec.pins.forEach((pin, i) => {
    if (!Number.isSafeInteger(pin.vcpu) || pin.vcpu < 0 || pin.vcpu >= spec.maxVcpus) {
      throw new XlRenderError(`pins[${i}].vcpu`, `vCPU ${pin.vcpu} does not exist (maxVcpus is ${spec.maxVcpus})`, `pin vCPUs 0..${spec.maxVcpus - 1} only`);
    }
    if (seen.has(pin.vcpu)) throw new XlRenderError(`pins[${i}].vcpu`, `vCPU ${pin.vcpu} is pinned twice`, "declare one pin per vCPU");
    seen.add(pin.vcpu);
    for (const which of ["hard", "soft"] as const) {
      const canon = canonicalCpuList(pin[which]);
      if (canon === null || canon === "none") {
        // xl.cfg has no spelling for an empty affinity: `cpus` items go through xl's parse_cpurange.
        throw new XlRenderError(`pins[${i}].${which}`, `"${pin[which]}" is not a CPU list xl accepts in a config`, 'write "all" or CPUs and ranges such as "2", "0-3,6"');
      }
      (which === "hard" ? hard : soft)[pin.vcpu] = canon;
    }
  });
  // xl.cfg's list form of cpus gives vCPU i the i-th entry; "all" keeps the others unpinned.
  if (hard.some((c) => c !== "all")) set("cpus", list(hard.map((c) => q(c, "pins"))));
  if (soft.some((c) => c !== "all")) set("cpus_soft", list(soft.map((c) => q(c, "pins"))));

  if (spec.cpuid !== null) {
    if (spec.cpuid === "") throw new XlRenderError("cpuid", "the cpuid policy is empty", "use null for no policy");
    const quoted = q(spec.cpuid, "cpuid");
    const policy = cpuidProblem(spec.cpuid);
    if (policy !== undefined) throw new XlRenderError("cpuid", policy.slice(0, policy.indexOf(": ")), policy.slice(policy.indexOf(": ") + 2));
    set("cpuid", quoted);
  }

  if (spec.hvm !== null) {
    if (spec.type !== "hvm") {
      throw new XlRenderError("hvm", `HVM settings on a ${spec.type} domain`, "set hvm to null, or type to hvm");
    }
    if (spec.hvm.serial !== null) set("serial", q(spec.hvm.serial, "hvm.serial"));
    set("vnc", spec.hvm.vnc ? "1" : "0");
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Reads an xl.cfg file into the {@link XlCfgView} subset, with xl's rules: the last assignment
 * wins, `cmdline` beats `root`/`extra`, `maxmem` defaults to `memory` and `maxvcpus` to
 * `vcpus`, missing keys take libxl's defaults, disks and vifs are read with xl's own parsers'
 * rules. Keys outside the view (`sdl`, `uuid`, …) are ignored.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html
 */
export function parseXlCfg(text: string): ParseResult<XlCfgView> {
  const { settings, issues } = parseXlCfgSettings(text);
  const r = new Reader(settings, issues);

  const name = r.string("name");
  if (name === null) issues.push({ path: "name", message: "name is mandatory in an xl.cfg" });
  const typeText = r.string("type") ?? "pv";
  const type: DomainType | null = typeText === "pv" || typeText === "pvh" || typeText === "hvm" ? typeText : null;
  if (type === null) issues.push({ path: r.at("type"), message: `unknown type "${typeText}"` });

  // libxl: max_memkb defaults to 32 MiB when nothing is set, target to max.
  const memory = r.long("memory");
  const maxmem = r.long("maxmem");
  const memoryMiB = memory ?? maxmem ?? 32;
  const maxMemoryMiB = maxmem ?? memoryMiB;
  const vcpus = r.long("vcpus") ?? 1;
  const maxVcpus = r.long("maxvcpus") ?? vcpus;

  let boot: XlCfgView["boot"];
  const kernel = r.string("kernel");
  const bootloader = r.string("bootloader");
  const firmware = r.string("firmware");
  if (kernel !== null) {
    const cmdline = r.string("cmdline");
    const root = r.string("root");
    const extra = r.string("extra");
    const composed = cmdline ?? (root !== null && extra !== null ? `root=${root} ${extra}` : root !== null ? `root=${root}` : extra);
    boot = { kind: "kernel", kernel, ramdisk: r.string("ramdisk"), cmdline: composed };
  } else if (bootloader !== null) {
    const args = settings.get("bootloader_args");
    let bootloaderArgs: string[] = [];
    if (args?.kind === "list") bootloaderArgs = r.stringList("bootloader_args");
    else if (args?.kind === "atom") bootloaderArgs = args.text.split(/[ \t\n]+/).filter((a) => a !== "");
    boot = { kind: "bootloader", bootloader, bootloaderArgs };
  } else if (firmware !== null) {
    boot = { kind: "firmware", firmware, bootOrder: type === "hvm" ? (r.string("boot") ?? "cda") : null };
  } else {
    if (type !== "hvm") issues.push({ path: "kernel", message: "neither kernel, bootloader nor firmware is set" });
    boot = { kind: "firmware", firmware: "bios", bootOrder: type === "hvm" ? (r.string("boot") ?? "cda") : null };
  }

  const disks: XlDiskView[] = [];
  r.stringList("disk").forEach((item, i) => {
    const d = parseDiskSpec(item, `disk[${i}]`);
    if (d.ok) disks.push(d.value);
    else issues.push(...d.issues);
  });
  const vifs: VifSpec[] = [];
  r.stringList("vif").forEach((item, i) => {
    const v = parseVifSpec(item, `vif[${i}]`);
    if (v.ok) vifs.push(v.value);
    else issues.push(...v.issues);
  });

  const action = (key: string, dflt: ShutdownAction): ShutdownAction => {
    const s = r.string(key);
    if (s === null) return dflt;
    const a = shutdownActionFromXlCfg(s);
    if (a === null) {
      issues.push({ path: r.at(key), message: `unknown ${key} action "${s}"` });
      return dflt;
    }
    return a;
  };

  const pins: PinSpec[] = [];
  const hard = r.cpuLists("cpus", maxVcpus);
  const soft = r.cpuLists("cpus_soft", maxVcpus);
  for (let v = 0; v < maxVcpus; v++) {
    const h = hard[v] ?? "all";
    const s = soft[v] ?? "all";
    if (h !== "all" || s !== "all") pins.push({ vcpu: v, hard: h, soft: s });
  }

  let hvm: XlCfgView["hvm"] = null;
  if (type === "hvm") {
    const serialValue = settings.get("serial");
    const serial = serialValue?.kind === "list" ? (r.stringList("serial")[0] ?? null) : r.string("serial");
    const vnc = r.long("vnc");
    hvm = { serial, vnc: vnc === null ? true : vnc !== 0 };
  }

  const view: XlCfgView = {
    name: name ?? "",
    type: type ?? "pv",
    vcpus,
    maxVcpus,
    memoryMiB,
    maxMemoryMiB,
    boot,
    disks,
    vifs,
    onPoweroff: action("on_poweroff", "destroy"),
    onReboot: action("on_reboot", "restart"),
    onCrash: action("on_crash", "destroy"),
    scheduler: { weight: r.long("cpu_weight") ?? 256, cap: r.long("cap") ?? 0 },
    cpupool: r.string("pool"),
    pins,
    cpuid: r.string("cpuid"),
    hvm,
  };
  return issues.length > 0 ? failed(issues) : parsed(view);
}

/** Typed access to settings, adding an issue (with the setting's line) for a wrong type. */
class Reader {
  constructor(
    private readonly settings: XlCfgSettings,
    private readonly issues: ParseIssue[],
  ) {}

  at(key: string): string {
    const v = this.settings.get(key);
    return v ? `line ${v.line} (${key})` : key;
  }

  private atom(key: string): (XlCfgValue & { kind: "atom" }) | null {
    const v = this.settings.get(key);
    if (v === undefined) return null;
    if (v.kind !== "atom") {
      this.issues.push({ path: this.at(key), message: `${key} must be a single value, not a list` });
      return null;
    }
    return v;
  }

  string(key: string): string | null {
    return this.atom(key)?.text ?? null;
  }

  long(key: string): number | null {
    const v = this.atom(key);
    if (v === null) return null;
    const n = xlCfgLong(v.text);
    if (n === null) this.issues.push({ path: this.at(key), message: `${key} must be a number, got "${v.text}"` });
    return n;
  }

  stringList(key: string): string[] {
    const v = this.settings.get(key);
    if (v === undefined) return [];
    if (v.kind !== "list") {
      this.issues.push({ path: this.at(key), message: `${key} must be a list [ … ]` });
      return [];
    }
    const out: string[] = [];
    for (const item of v.items) {
      if (item.kind === "atom") out.push(item.text);
      else this.issues.push({ path: this.at(key), message: `${key} must not contain nested lists` });
    }
    return out;
  }

  /** cpus/cpus_soft: a list gives vCPU i the i-th item; a single string applies to all vCPUs. */
  cpuLists(key: string, maxVcpus: number): (string | undefined)[] {
    const v = this.settings.get(key);
    if (v === undefined) return [];
    const raw = v.kind === "list" ? this.stringList(key) : Array.from({ length: maxVcpus }, () => v.text);
    return raw.slice(0, maxVcpus).map((c) => {
      const canon = canonicalCpuList(c);
      if (canon === null) this.issues.push({ path: this.at(key), message: `"${c}" is not a CPU list cdktf-xen understands` });
      return canon ?? undefined;
    });
  }
}
