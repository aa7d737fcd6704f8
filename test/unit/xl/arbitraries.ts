/**
 * fast-check generators of renderable DomainSpecs: hostile but representable strings (quotes,
 * backslashes, `$`, commas, non-ASCII) wherever the model allows free text.
 */
import fc from "fast-check";
import type { BootSpec, DiskSpec, DomainSpec, DomainType, PinSpec, ShutdownAction, VifSpec } from "../../../src/model/spec.js";
import { xlStringProblem } from "../../../src/xl/cfg-syntax.js";

const SPECIAL = ['"', "'", "\\", "\\\\", '\\"', "$", "${x}", "$(id)", " ", "`", "#", ",", "=", "[", "]", ";", "é", "—", "日本", "🚀", "'\\''"];

/** Free text xl can hold: any grapheme or metacharacter, no NUL/line break/control character. */
export const xlText = (minLength = 0): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ unit: "grapheme", maxLength: 3 })), { minLength, maxLength: 8 })
    .map((parts) => parts.join(""))
    .filter((s) => xlStringProblem(s) === null && s.length >= minLength);

/** Absolute path with hostile characters, never ending in ',' (xl's disk parser drops it). */
export const xlPath = xlText(0).map((s) => `/${s}`).filter((s) => !s.endsWith(","));

const ACTIONS: readonly ShutdownAction[] = ["destroy", "restart", "rename_restart", "preserve", "coredump_destroy", "coredump_restart", "soft_reset"];

const cpuList = fc.oneof(
  fc.constant("all"),
  // Non-canonical spellings xl accepts; the view compares them canonically.
  fc.constantFrom("nodes:0", "all,^3", "0-3,^1", "3,1-2"),
  fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 6 }).map((cpus) => {
    const s = [...cpus].sort((a, b) => a - b);
    const parts: string[] = [];
    for (let i = 0; i < s.length; ) {
      let j = i;
      while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
      parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
      i = j + 1;
    }
    return parts.join(",");
  }),
);

const disk = (vdev: string): fc.Arbitrary<DiskSpec> =>
  fc
    .record({
      vdev: fc.constant(vdev),
      target: xlPath,
      format: fc.constantFrom("raw", "qcow2", "qcow", "vhd", "qed"),
      access: fc.constantFrom("rw", "ro"),
      devtype: fc.constantFrom("disk", "cdrom"),
      volume: fc.option(fc.constant("vg0/x"), { nil: null }),
    })
    // xl makes every CD-ROM read-only.
    .map((d) => (d.devtype === "cdrom" ? { ...d, access: "ro" as const } : d));

const vif: fc.Arbitrary<VifSpec> = fc.record({
  bridge: fc.constantFrom("xenbr0", "br-lan", "xenbr1.100", "virbr_0"),
  mac: fc.option(
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 3, maxLength: 3 }).map((b) => `00:16:3E:${b.map((x) => x.toString(16).padStart(2, "0")).join(":")}`),
    { nil: null },
  ),
  model: fc.option(fc.constantFrom("e1000", "rtl8139", "virtio-net"), { nil: null }),
  rate: fc.option(fc.constantFrom("10Mb/s", "100MB/s@20ms", "1Gb/s@1s", "5000B/s", "3KB/s@300ms", "7MB/s@2"), { nil: null }),
});

/** A DomainSpec that renderXlCfg accepts. */
export const domainSpec: fc.Arbitrary<DomainSpec> = fc
  .record({
    type: fc.constantFrom<DomainType>("pv", "pvh", "hvm"),
    maxVcpus: fc.integer({ min: 1, max: 8 }),
    maxMemoryMiB: fc.integer({ min: 32, max: 65536 }),
  })
  .chain(({ type, maxVcpus, maxMemoryMiB }) => {
    const boot: fc.Arbitrary<BootSpec> = fc.oneof(
      fc.record({
        kind: fc.constant("kernel" as const),
        kernel: xlPath,
        ramdisk: fc.option(xlPath, { nil: null }),
        cmdline: fc.option(xlText(), { nil: null }),
      }),
      type === "hvm"
        ? fc.record({ kind: fc.constant("firmware" as const), firmware: xlText(1), bootOrder: fc.uniqueArray(fc.constantFrom("a", "c", "d", "n"), { minLength: 1, maxLength: 4 }).map((l) => l.join("")) })
        : fc.oneof(
            fc.record({ kind: fc.constant("bootloader" as const), bootloader: xlText(1), bootloaderArgs: fc.array(xlText(), { maxLength: 4 }) }),
            fc.record({ kind: fc.constant("firmware" as const), firmware: fc.constantFrom("pvgrub32", "pvgrub64"), bootOrder: fc.constant("c") }),
          ),
    );
    const pins: fc.Arbitrary<PinSpec[]> = fc
      .uniqueArray(fc.integer({ min: 0, max: maxVcpus - 1 }), { maxLength: maxVcpus })
      .chain((vcpus) =>
        fc.tuple(...vcpus.sort((a, b) => a - b).map((v) => fc.record({ vcpu: fc.constant(v), hard: cpuList, soft: cpuList }))),
      )
      .map((ps) => ps.filter((p) => p.hard !== "all" || p.soft !== "all"));
    return fc.record({
      name: xlText(1),
      type: fc.constant(type),
      vcpus: fc.integer({ min: 1, max: maxVcpus }),
      maxVcpus: fc.constant(maxVcpus),
      memoryMiB: fc.integer({ min: 16, max: maxMemoryMiB }),
      maxMemoryMiB: fc.constant(maxMemoryMiB),
      boot,
      disks: fc
        .uniqueArray(fc.constantFrom("xvda", "xvdb", "xvdc", "hda", "sdb"), { maxLength: 3 })
        .chain((vdevs) => fc.tuple(...vdevs.map(disk))),
      vifs: fc.array(vif, { maxLength: 3 }),
      onPoweroff: fc.constantFrom(...ACTIONS),
      onReboot: fc.constantFrom(...ACTIONS),
      onCrash: fc.constantFrom(...ACTIONS),
      autostart: fc.boolean(),
      scheduler: fc.record({ weight: fc.integer({ min: 1, max: 65535 }), cap: fc.integer({ min: 0, max: 800 }) }),
      cpupool: fc.option(xlText(1), { nil: null }),
      pins,
      cpuid: fc.option(fc.constantFrom("host,rdtscp=0", "host", "host,tm=0,sse3=0"), { nil: null }),
      hvm: type === "hvm" ? fc.option(fc.record({ serial: fc.option(fc.constantFrom("pty", "file:/tmp/s $1"), { nil: null }), vnc: fc.boolean() }), { nil: null }) : fc.constant(null),
      updatePolicy: fc.constantFrom("pending", "restart"),
      migration: fc.constantFrom("live", "cold", "refuse"),
    });
  });

/** A small fixed PV spec to derive table cases from. */
export const PV: DomainSpec = {
  name: "web-1",
  type: "pv",
  vcpus: 2,
  maxVcpus: 4,
  memoryMiB: 128,
  maxMemoryMiB: 256,
  boot: { kind: "kernel", kernel: "/root/guest/vmlinuz", ramdisk: "/root/guest/initrd.gz", cmdline: "console=hvc0 root=/dev/xvda" },
  disks: [{ vdev: "xvda", target: "/dev/vg0/web-1-root", format: "raw", access: "rw", devtype: "disk", volume: "vg0/web-1-root" }],
  vifs: [{ bridge: "xenbr0", mac: "00:16:3e:7b:83:0e", model: null, rate: null }],
  onPoweroff: "destroy",
  onReboot: "restart",
  onCrash: "rename_restart",
  autostart: true,
  scheduler: { weight: 256, cap: 0 },
  cpupool: null,
  pins: [],
  cpuid: null,
  hvm: null,
  updatePolicy: "pending",
  migration: "live",
};
