import { describe, expect, it } from "vitest";
import type { DiskSpec, DomainSpec, HostSpec, PinSpec, VifSpec, VolumeSpec } from "../../../src/model/spec.js";
import { DomainType } from "../../../src/model/spec.js";
import {
  formatSpecIssue,
  validateDomainSpec,
  validateHostSpec,
  type HostFacts,
  type SpecIssue,
} from "../../../src/model/validate.js";

/** A PVH web server as XenDomain would produce it: valid on its own and on `host`. */
const web: DomainSpec = {
  name: "web-1",
  type: "pvh",
  vcpus: 2,
  maxVcpus: 4,
  memoryMiB: 1024,
  maxMemoryMiB: 2048,
  boot: { kind: "kernel", kernel: "/boot/vmlinuz-guest", ramdisk: "/boot/initrd.img-guest", cmdline: "console=hvc0" },
  disks: [
    { vdev: "xvda", target: "/dev/vg0/web-1-root", format: "raw", access: "rw", devtype: "disk", volume: "vg0/web-1-root" },
  ],
  vifs: [{ bridge: "xenbr0", mac: "00:16:3e:00:00:01", model: null, rate: null }],
  onPoweroff: "destroy",
  onReboot: "restart",
  onCrash: "preserve",
  autostart: true,
  scheduler: { weight: 256, cap: 0 },
  cpupool: null,
  pins: [
    { vcpu: 0, hard: "1", soft: "all" },
    { vcpu: 1, hard: "0-1", soft: "1" },
  ],
  cpuid: "host,rdtscp=0",
  hvm: null,
  updatePolicy: "pending",
  migration: "live",
};

/** An HVM guest booting SeaBIOS from disk, then cdrom. */
const win: DomainSpec = {
  ...web,
  name: "win-1",
  type: "hvm",
  boot: { kind: "firmware", firmware: "bios", bootOrder: "cd" },
  disks: [
    { vdev: "hda", target: "/var/lib/xen/images/win-1.qcow2", format: "qcow2", access: "rw", devtype: "disk", volume: "images/win-1.qcow2" },
    { vdev: "hdc", target: "/srv/iso/install.iso", format: "raw", access: "ro", devtype: "cdrom", volume: null },
  ],
  vifs: [{ bridge: "xenbr0", mac: "00:16:3e:00:00:02", model: "e1000", rate: "10Mb/s" }],
  pins: [],
  hvm: { serial: "pty", vnc: false },
};

/** A PV guest booted by pygrub. */
const legacy: DomainSpec = {
  ...web,
  name: "legacy",
  type: "pv",
  boot: { kind: "bootloader", bootloader: "pygrub", bootloaderArgs: [] },
  disks: [{ vdev: "xvda", target: "/dev/vg0/legacy-root", format: "raw", access: "rw", devtype: "disk", volume: "vg0/legacy-root" }],
  vifs: [{ bridge: "xenbr0", mac: null, model: null, rate: null }],
  cpuid: null,
  pins: [],
};

const host: HostSpec = {
  version: 1,
  host: "xen-a",
  pools: [
    { kind: "lvm", name: "vg0", volumeGroup: "vg0", shared: false },
    { kind: "dir", name: "images", path: "/var/lib/xen/images", shared: false },
  ],
  volumes: [
    { name: "web-1-root", pool: "vg0", sizeMiB: 20480, format: "raw", retention: "retain" },
    { name: "legacy-root", pool: "vg0", sizeMiB: 8192, format: "raw", retention: "delete" },
    { name: "win-1.qcow2", pool: "images", sizeMiB: 40960, format: "qcow2", retention: "retain" },
  ],
  domains: [web, win, legacy],
};

const facts: HostFacts = { cpus: 2, memoryMiB: 8192, dom0MemoryMiB: 1024 };

// Helpers that change one part of a spec, keeping the rest valid.
const withDomain = (patch: Partial<DomainSpec>, base: DomainSpec = web): DomainSpec => ({ ...base, ...patch });
const withDisk = (i: number, patch: Partial<DiskSpec>, base: DomainSpec = web): DomainSpec => ({
  ...base,
  disks: base.disks.map((d, j) => (j === i ? { ...d, ...patch } : d)),
});
const withVif = (i: number, patch: Partial<VifSpec>, base: DomainSpec = web): DomainSpec => ({
  ...base,
  vifs: base.vifs.map((v, j) => (j === i ? { ...v, ...patch } : v)),
});
const withPins = (...pins: PinSpec[]): DomainSpec => ({ ...web, pins });
const withHost = (patch: Partial<HostSpec>): HostSpec => ({ ...host, ...patch });
const withVolume = (i: number, patch: Partial<VolumeSpec>): HostSpec => ({
  ...host,
  volumes: host.volumes.map((v, j) => (j === i ? { ...v, ...patch } : v)),
});
const withDomains = (...domains: DomainSpec[]): HostSpec => ({ ...host, domains });

/** Asserts that `issues` are exactly `expected` (path, and a part of the message), in any order. */
function expectIssues(issues: SpecIssue[], expected: readonly (readonly [string, string])[]): void {
  const shown = issues.map(formatSpecIssue).join("\n");
  for (const [path, part] of expected) {
    const hit = issues.some((i) => i.path === path && i.message.includes(part));
    expect(hit, `expected ${path}: …${part}… among\n${shown}`).toBe(true);
  }
  expect(issues.length, `issues:\n${shown}`).toBe(expected.length);
}

describe("validateDomainSpec", () => {
  it.each([
    ["a PVH domain booting a kernel", web],
    ["an HVM domain booting firmware with a cdrom and an emulated NIC", win],
    ["a PV domain booting pygrub", legacy],
    ["a PVH domain booting pvgrub64", withDomain({ boot: { kind: "firmware", firmware: "pvgrub64", bootOrder: "" } })],
    ["an HVM domain with an empty cdrom drive", withDisk(1, { target: "" }, win)],
  ])("GIVEN %s WHEN validated on a known host THEN it has no issues", (_label, domain) => {
    expect(validateDomainSpec(domain, facts)).toEqual([]);
  });

  const P = "domains[web-1]";
  const cases: readonly (readonly [string, DomainSpec, HostFacts, readonly (readonly [string, string])[]])[] = [
    // Identity and type
    ["an invalid name", withDomain({ name: "web 1" }), {}, [['domains["web 1"].name', 'domain name "web 1" contains " "']]],
    ["an unknown type", withDomain({ type: "xen" as DomainType }), {}, [[`${P}.type`, 'type "xen" is not one of pv, pvh, hvm: use one of those']]],
    // vCPUs
    ["no vCPU", withDomain({ vcpus: 0 }), {}, [[`${P}.vcpus`, "vcpus (0) must be a whole number of at least 1: give the domain at least one vCPU"]]],
    ["a fractional maxVcpus", withDomain({ maxVcpus: 2.5, pins: [] }), {}, [[`${P}.maxVcpus`, "maxVcpus (2.5) must be a whole number of at least 1"]]],
    ["more vCPUs than maxVcpus", withDomain({ vcpus: 8 }), {}, [[`${P}.vcpus`, "vcpus (8) is above maxVcpus (4): raise maxVcpus or lower vcpus"]]],
    // Memory
    ["memory above maxMemory", withDomain({ memoryMiB: 8192, maxMemoryMiB: 4096 }), {}, [
      [`${P}.memoryMiB`, "memory (8192 MiB) is above maxMemory (4096 MiB): raise maxMemory or lower memory"],
    ]],
    ["too little memory", withDomain({ memoryMiB: 8 }), {}, [
      [`${P}.memoryMiB`, "memory (8 MiB) is below the minimum of 16 MiB, too little for Xen to build a domain in: give it at least 16 MiB"],
    ]],
    ["a fractional memory", withDomain({ memoryMiB: 1536.5 }), {}, [
      [`${P}.memoryMiB`, "memory (1536.5 MiB) is not a whole, non-negative number of MiB: declare it with Size and whole MiB"],
    ]],
    ["a negative maxMemory", withDomain({ maxMemoryMiB: -1 }), {}, [[`${P}.maxMemoryMiB`, "maxMemory (-1 MiB) is not a whole, non-negative number of MiB"]]],
    // Boot
    ["a relative kernel path", withDomain({ boot: { kind: "kernel", kernel: "vmlinuz", ramdisk: "initrd.img", cmdline: null } }), {}, [
      [`${P}.boot.kernel`, 'kernel path "vmlinuz" is not absolute: give the full path on dom0'],
      [`${P}.boot.ramdisk`, 'ramdisk path "initrd.img" is not absolute'],
    ]],
    ["a bootloader on PVH", withDomain({ boot: { kind: "bootloader", bootloader: "pygrub", bootloaderArgs: [] } }), {}, [
      [`${P}.boot.bootloader`, 'bootloader "pygrub" only boots PV domains, and this domain is pvh: boot it from a kernel or firmware, or make it PV'],
    ]],
    ["HVM firmware on PVH, with a boot order", withDomain({ boot: { kind: "firmware", firmware: "bios", bootOrder: "c" } }), {}, [
      [`${P}.boot.firmware`, 'firmware "bios" is not one xl knows for a PVH domain: use pvgrub32, pvgrub64 or an absolute path'],
      [`${P}.boot.bootOrder`, 'boot order "c" only applies to HVM domains (this one is pvh): leave bootOrder empty'],
    ]],
    ["pvgrub on HVM", withDomain({ boot: { kind: "firmware", firmware: "pvgrub64", bootOrder: "c" } }, win), {}, [
      ["domains[win-1].boot.firmware", 'firmware "pvgrub64" is not one xl knows for an HVM domain: use bios, uefi, seabios, ovmf, rombios or an absolute path'],
    ]],
    ["an HVM boot order with unknown devices", withDomain({ boot: { kind: "firmware", firmware: "uefi", bootOrder: "x" } }, win), {}, [
      ["domains[win-1].boot.bootOrder", 'boot order "x" is not a sequence of HVM boot devices: use letters c (disk), d (cdrom), n (network)'],
    ]],
    // Disks
    ["an invalid vdev", withDisk(0, { vdev: "vda" }), {}, [[`${P}.disks[0].vdev`, 'virtual device "vda" is not a disk name xl accepts here']]],
    ["two disks on one vdev", withDomain({ disks: [web.disks[0]!, { ...web.disks[0]!, target: "/dev/vg0/other", volume: null }] }), {}, [
      [`${P}.disks[1].vdev`, 'vdev "xvda" is already used by disks[0]: give each disk its own vdev'],
    ]],
    ["a relative disk target", withDisk(0, { target: "vg0/web-1-root" }), {}, [[`${P}.disks[0].target`, 'disk target path "vg0/web-1-root" is not absolute']]],
    ["an unknown disk format, access and devtype", withDisk(0, { format: "vmdk" as "raw", access: "rx" as "rw", devtype: "floppy" as "disk" }), {}, [
      [`${P}.disks[0].format`, 'disk format "vmdk" is not one of raw, qcow2, qcow, vhd, qed'],
      [`${P}.disks[0].access`, 'disk access "rx" is not one of rw, ro'],
      [`${P}.disks[0].devtype`, 'disk devtype "floppy" is not one of disk, cdrom'],
    ]],
    ["a cdrom on PVH", withDisk(0, { devtype: "cdrom", access: "ro" }), {}, [
      [`${P}.disks[0].devtype`, "a cdrom drive needs an emulated device model, which only HVM domains have (this one is pvh): attach the image as a disk, or make the domain HVM"],
    ]],
    // Network
    ["an invalid bridge", withVif(0, { bridge: "xen bridge 0" }), {}, [[`${P}.vifs[0].bridge`, 'bridge name "xen bridge 0" contains " "']]],
    ["a multicast MAC", withVif(0, { mac: "01:16:3e:00:00:01" }), {}, [[`${P}.vifs[0].mac`, 'MAC address "01:16:3e:00:00:01" is a multicast address']]],
    ["one MAC on two vifs", withDomain({ vifs: [web.vifs[0]!, { ...web.vifs[0]!, mac: "00:16:3E:00:00:01" }] }), {}, [
      [`${P}.vifs[1].mac`, "MAC address 00:16:3E:00:00:01 is already used by vifs[0]: give each interface its own MAC, or null to let Xen pick one"],
    ]],
    ["an emulated NIC model on PVH", withVif(0, { model: "e1000" }), {}, [
      [`${P}.vifs[0].model`, 'NIC model "e1000" is only emulated for HVM domains (this one is pvh, which uses the paravirtual netfront)'],
    ]],
    // Actions and policies
    ["unknown shutdown actions and update policy", withDomain({
      onPoweroff: "rename-restart" as "destroy",
      onReboot: "reboot" as "restart",
      onCrash: "" as "destroy",
      updatePolicy: "now" as "pending",
    }), {}, [
      [`${P}.onPoweroff`, 'onPoweroff "rename-restart" is not one of destroy, restart, rename_restart, preserve, coredump_destroy, coredump_restart, soft_reset'],
      [`${P}.onReboot`, 'onReboot "reboot" is not one of'],
      [`${P}.onCrash`, 'onCrash "" is not one of'],
      [`${P}.updatePolicy`, 'updatePolicy "now" is not one of pending, restart'],
    ]],
    // Scheduler and pool
    ["a scheduler weight of 0", withDomain({ scheduler: { weight: 0, cap: 0 } }), {}, [
      [`${P}.scheduler.weight`, "scheduler weight (0) is outside 1–65535: use a whole number in that range (Xen's default is 256)"],
    ]],
    ["a scheduler weight above 65535", withDomain({ scheduler: { weight: 70000, cap: 0 } }), {}, [[`${P}.scheduler.weight`, "scheduler weight (70000) is outside 1–65535"]]],
    ["a cap above 100% per vCPU", withDomain({ scheduler: { weight: 256, cap: 500 } }), {}, [
      [`${P}.scheduler.cap`, "scheduler cap (500%) is outside 0–400% (100% per vCPU, 4 maxVcpus): use a whole percentage in that range, 0 for no cap"],
    ]],
    ["a negative cap", withDomain({ scheduler: { weight: 256, cap: -1 } }), {}, [[`${P}.scheduler.cap`, "scheduler cap (-1%) is outside 0–400%"]]],
    ["an empty cpupool name", withDomain({ cpupool: "" }), {}, [[`${P}.cpupool`, "cpupool is an empty string: use null for the default pool (Pool-0)"]]],
    // Grammars shared with xl rendering (a hand-edited cdk.tf.json is refused by the plan too)
    ["a cpupool that xl would read as an option", withDomain({ cpupool: "--ignore-host" }), {}, [[`${P}.cpupool`, 'cpupool name "--ignore-host" starts with "-", which xl would misread']]],
    ["a cpuid policy not in xl's format", withDomain({ cpuid: "rdtscp=0" }), {}, [[`${P}.cpuid`, `cpuid policy "rdtscp=0" is not in xl's libxl format`]]],
    ["a line break in the cmdline", withDomain({ boot: { ...web.boot, cmdline: "a\nb" } as DomainSpec["boot"] }), {}, [[`${P}.boot.cmdline`, 'kernel command line "a\\nb" contains a line break']]],
    ["a rate xl rejects", withDomain({ vifs: [{ ...web.vifs[0]!, rate: "10Tb/s" }] }), {}, [[`${P}.vifs[0].rate`, 'rate "10Tb/s" is not a rate xl accepts']]],
    ["a rate with a leading zero", withDomain({ vifs: [{ ...web.vifs[0]!, rate: "010Mb/s" }] }), {}, [[`${P}.vifs[0].rate`, 'rate "010Mb/s" has a leading zero, which xl reads as octal (010 is 8)']]],
    ["a bridge that is an option", withDomain({ vifs: [{ ...web.vifs[0]!, bridge: "-h" }] }), {}, [[`${P}.vifs[0].bridge`, 'bridge name "-h" starts with "-"']]],
    ["a NUL in a disk target", withDomain({ disks: [{ ...web.disks[0]!, target: "/dev/vg0/x\u0000" }] }), {}, [[`${P}.disks[0].target`, 'disk target path "/dev/vg0/x\\u0000" contains a NUL character']]],
    // Type-specific settings
    ["a cpuid policy on PV", withDomain({ cpuid: "host,rdtscp=0" }, legacy), {}, [
      ["domains[legacy].cpuid", 'cpuid policy "host,rdtscp=0" has no effect on a PV domain (Xen ignores it for PV): remove it, or make the domain PVH or HVM'],
    ]],
    ["HVM settings on PVH", withDomain({ hvm: { serial: "pty", vnc: true } }), {}, [
      [`${P}.hvm`, "HVM settings (serial, vnc) are set on a PVH domain, which has no emulated devices: remove them, or make the domain HVM"],
    ]],
    ["an HVM domain without HVM settings", withDomain({ hvm: null }, win), {}, [["domains[win-1].hvm", "an HVM domain has no HVM settings: set hvm"]]],
    // Pins
    ["a pin on a negative vCPU", withPins({ vcpu: -1, hard: "1", soft: "all" }), {}, [
      [`${P}.pins[0].vcpu`, "pin for vCPU -1: a vCPU number is a whole number from 0"],
    ]],
    ["a pin on a vCPU at maxVcpus", withPins({ vcpu: 4, hard: "1", soft: "all" }), {}, [
      [`${P}.pins[0].vcpu`, "pin for vCPU 4, but the domain has maxVcpus 4 (vCPUs 0–3): pin an existing vCPU or raise maxVcpus"],
    ]],
    ["two pins for one vCPU", withPins({ vcpu: 1, hard: "1", soft: "all" }, { vcpu: 1, hard: "0", soft: "all" }), {}, [
      [`${P}.pins[1].vcpu`, "vCPU 1 is pinned twice (also pins[0]): keep one pin per vCPU"],
    ]],
    ["pins out of vCPU order", withPins({ vcpu: 2, hard: "1", soft: "all" }, { vcpu: 0, hard: "0", soft: "all" }), {}, [
      [`${P}.pins[1].vcpu`, "pins are not sorted by vCPU (vCPU 0 comes after vCPU 2): sort them"],
    ]],
    ["an affinity that does not parse", withPins({ vcpu: 0, hard: "0-x", soft: "^all" }), {}, [
      [`${P}.pins[0].hard`, 'hard affinity: CPU list "0-x" is not valid: "0-x" is not a CPU number'],
      [`${P}.pins[0].soft`, 'soft affinity: CPU list "^all" is not valid: "^all" combines "^" with "all"'],
    ]],
    ["an affinity not in canonical form", withPins({ vcpu: 0, hard: "1,0", soft: "all" }), {}, [
      [`${P}.pins[0].hard`, 'hard affinity "1,0" is not in canonical form: write "0-1"'],
    ]],
    ["an affinity selecting no pCPU", withPins({ vcpu: 0, hard: "none", soft: "all" }), {}, [
      [`${P}.pins[0].hard`, 'hard affinity "none" selects no pCPU: give at least one pCPU, or "all"'],
    ]],
    ["an affinity naming a pCPU the host lacks", withPins({ vcpu: 0, hard: "1", soft: "0-3" }), { cpus: 2 }, [
      [`${P}.pins[0].soft`, 'soft affinity "0-3" names pCPU 3, but the host has only pCPUs 0–1: pin to pCPUs below 2'],
    ]],
    ["an affinity on a one-pCPU host", withPins({ vcpu: 0, hard: "1", soft: "all" }), { cpus: 1 }, [
      [`${P}.pins[0].hard`, 'hard affinity "1" names pCPU 1, but the host has only pCPU 0: pin to pCPUs below 1'],
    ]],
    ["a pin that is the default", withPins({ vcpu: 3, hard: "all", soft: "all" }), {}, [
      [`${P}.pins[0]`, "pin for vCPU 3 is all / all, the default: leave it out of pins"],
    ]],
  ];

  it.each(cases)("GIVEN a domain with %s WHEN validated THEN each problem is reported at its path", (_label, domain, hostFacts, expected) => {
    expectIssues(validateDomainSpec(domain, hostFacts), expected);
  });

  it("GIVEN pins on pCPUs of an unknown host WHEN validated without facts THEN the pCPUs are not checked", () => {
    expect(validateDomainSpec(withPins({ vcpu: 0, hard: "7", soft: "all" }))).toEqual([]);
  });

  it("GIVEN a domain with many problems WHEN validated THEN all of them are reported at once", () => {
    const broken = withDomain({
      name: "42",
      vcpus: 9,
      memoryMiB: 4096,
      maxMemoryMiB: 1024,
      disks: [{ ...web.disks[0]!, vdev: "vda" }],
      pins: [{ vcpu: 5, hard: "9", soft: "all" }],
    });
    const issues = validateDomainSpec(broken, facts);
    expect(issues.map((i) => i.path)).toEqual([
      "domains[42].name",
      "domains[42].vcpus",
      "domains[42].memoryMiB",
      "domains[42].disks[0].vdev",
      "domains[42].pins[0].vcpu",
      "domains[42].pins[0].hard",
    ]);
  });

  it("GIVEN a spec read from a hand-edited file with wrong types WHEN validated THEN it reports instead of throwing", () => {
    const garbage = withDomain({
      vcpus: "2" as unknown as number,
      pins: [{ vcpu: 0, hard: 3 as unknown as string, soft: "all" }],
      vifs: [{ bridge: "xenbr0", mac: 42 as unknown as string, model: null, rate: null }],
    });
    const issues = validateDomainSpec(garbage, facts);
    expect(issues.map((i) => i.path)).toEqual([
      `${P}.vcpus`,
      `${P}.vifs[0].mac`,
      `${P}.pins[0].hard`,
    ]);
  });
});

describe("validateHostSpec", () => {
  it("GIVEN a file that is not shaped like a spec WHEN validated THEN one issue says so instead of an exception", () => {
    const notASpec = { ...host, volumes: null } as unknown as HostSpec;
    expectIssues(validateHostSpec(notASpec, facts), [
      ["(spec)", "the spec does not have the shape of a cdktf-xen spec ("],
    ]);
    const domainWithoutDisks = { ...web, disks: undefined } as unknown as DomainSpec;
    expectIssues(validateDomainSpec(domainWithoutDisks), [["domains[web-1]", "the spec does not have the shape of a cdktf-xen spec"]]);
  });


  it("GIVEN a host with LVM and directory pools, three domain types and their volumes WHEN validated THEN it has no issues", () => {
    expect(validateHostSpec(host, facts)).toEqual([]);
    expect(validateHostSpec(host)).toEqual([]);
  });

  it("GIVEN a domain with its own problems WHEN its host is validated THEN the domain's issues are included", () => {
    expectIssues(validateHostSpec(withDomains(withDomain({ vcpus: 8 }), win, legacy)), [
      ["domains[web-1].vcpus", "vcpus (8) is above maxVcpus (4)"],
    ]);
  });

  const cases: readonly (readonly [string, HostSpec, HostFacts, readonly (readonly [string, string])[]])[] = [
    ["a spec of another version", withHost({ version: 2 as 1 }), {}, [
      ["version", "spec version 2 is not the one this cdktf-xen reads (1): synthesize the stack again with this version of cdktf-xen"],
    ]],
    // Pools
    ["a pool name with a slash", withHost({ pools: [host.pools[0]!, { kind: "dir", name: "a/b", path: "/srv/a", shared: false }, host.pools[1]!] }), {}, [
      ["pools[a/b].name", `pool name "a/b" contains '/', but disks name volumes as pool/volume: give the pool a name without '/'`],
    ]],
    ["an empty pool name", withHost({ pools: [...host.pools, { kind: "dir", name: "", path: "/srv/a", shared: false }] }), {}, [['pools[""].name', 'pool name "" is empty']]],
    ["two pools of one name", withHost({ pools: [...host.pools, { kind: "lvm", name: "vg0", volumeGroup: "vg1", shared: false }] }), {}, [
      ["pools[vg0].name", 'pool name "vg0" is declared twice: give each pool its own name'],
    ]],
    ["an invalid volume group", withHost({ pools: [{ kind: "lvm", name: "vg0", volumeGroup: "-vg0", shared: false }, host.pools[1]!] }), {}, [
      ["pools[vg0].volumeGroup", 'volume group name "-vg0" starts with "-"'],
    ]],
    ["a relative directory pool path", withHost({ pools: [host.pools[0]!, { kind: "dir", name: "images", path: "images", shared: false }] }), {}, [
      ["pools[images].path", 'directory pool path "images" is not absolute: give the full path on dom0'],
    ]],
    // Volumes
    ["an invalid volume name", withHost({ volumes: [...host.volumes, { ...host.volumes[0]!, name: "-x" }] }), {}, [
      ["volumes[vg0/-x].name", 'volume name "-x" starts with "-"'],
    ]],
    ["two volumes of one name in a pool", withHost({ volumes: [...host.volumes, { ...host.volumes[0]!, sizeMiB: 1024 }] }), {}, [
      ["volumes[vg0/web-1-root].name", 'volume "vg0/web-1-root" is declared twice: give each volume in a pool its own name'],
    ]],
    ["a volume of no size", withVolume(0, { sizeMiB: 0 }), {}, [
      ["volumes[vg0/web-1-root].sizeMiB", "volume size (0 MiB) is not a whole number of MiB, at least 1"],
    ]],
    ["an unknown retention and format", withVolume(1, { retention: "keep" as "retain", format: "iso" as "raw" }), {}, [
      ["volumes[vg0/legacy-root].retention", 'retention "keep" is not one of retain, delete'],
      ["volumes[vg0/legacy-root].format", 'volume format "iso" is not one of raw, qcow2, qcow, vhd, qed'],
      ["domains[legacy].disks[0].format", 'disk format "raw" does not match volume "vg0/legacy-root" (iso)'],
    ]],
    ["a volume in an unknown pool", withHost({ volumes: [...host.volumes, { ...host.volumes[0]!, pool: "vg1" }] }), {}, [
      ["volumes[vg1/web-1-root].pool", 'volume\'s pool "vg1" is not declared on this host (declared: vg0, images): declare the pool, or put the volume in one of them'],
    ]],
    ["a volume on a host without pools", { ...host, pools: [], volumes: [host.volumes[0]!], domains: [web] }, {}, [
      ["volumes[vg0/web-1-root].pool", 'volume\'s pool "vg0" is not declared on this host (no pools are)'],
    ]],
    ["a qcow2 volume in an LVM pool", withVolume(1, { format: "qcow2" }), {}, [
      ["volumes[vg0/legacy-root].format", 'format "qcow2" is not possible in LVM pool "vg0": an LV is a raw block device; use raw, or a directory pool for qcow2'],
      ["domains[legacy].disks[0].format", 'disk format "raw" does not match volume "vg0/legacy-root" (qcow2)'],
    ]],
    ["a vhd volume in a directory pool", withVolume(2, { format: "vhd" }), {}, [
      ["volumes[images/win-1.qcow2].format", 'format "vhd" cannot be created in directory pool "images": use raw or qcow2'],
      ["domains[win-1].disks[0].format", 'disk format "qcow2" does not match volume "images/win-1.qcow2" (vhd): use the volume\'s format'],
    ]],
    // Domains together
    ["two domains of one name", withDomains(web, win, legacy, withDomain({ disks: [], vifs: [] })), {}, [
      ["domains[web-1].name", 'domain name "web-1" is declared twice on host "xen-a": give each domain its own name'],
    ]],
    ["a disk on an undeclared volume", withDomains(withDisk(0, { volume: "vg0/nope" }), win, legacy), {}, [
      ["domains[web-1].disks[0].volume", 'disk uses volume "vg0/nope", which is not declared on this host: declare it (as pool/name), or give the disk a target path instead'],
    ]],
    ["one volume attached read-write to two domains", withDomains(web, win, withDisk(0, { target: web.disks[0]!.target, volume: "vg0/web-1-root" }, legacy)), {}, [
      ["domains[legacy].disks[0].access", 'volume "vg0/web-1-root" is attached read-write by 2 disks (web-1 xvda, legacy xvda); two writers corrupt its filesystem: attach it read-only (ro) to all but one'],
    ]],
    ["one raw device attached read-write to two domains", withDomains(
      withDomain({ disks: [...web.disks, { vdev: "xvdb", target: "/dev/sdb", format: "raw", access: "rw", devtype: "disk", volume: null }] }),
      win,
      withDomain({ disks: [...legacy.disks, { vdev: "xvdc", target: "/dev/sdb", format: "raw", access: "rw", devtype: "disk", volume: null }] }, legacy),
    ), {}, [
      ["domains[legacy].disks[1].access", 'disk target "/dev/sdb" is attached read-write by 2 disks (web-1 xvdb, legacy xvdc)'],
    ]],
    ["one MAC on two domains", withDomains(web, withVif(0, { mac: "00:16:3e:00:00:01" }, win), legacy), {}, [
      ["domains[win-1].vifs[0].mac", "MAC address 00:16:3e:00:00:01 is also used by domains[web-1].vifs[0]: two guests with one MAC break each other's networking"],
    ]],
    // Against the host
    ["more memory than the host has, dom0 included", host, { memoryMiB: 3071, dom0MemoryMiB: 1024 }, [
      ["domains", "the domains' memory (3072 MiB in 3 domains) plus dom0's 1024 MiB is 4096 MiB, which is above the host's 3071 MiB: lower some domains' memory, or move domains to another host"],
    ]],
    ["more memory than the host has, dom0 unknown", host, { memoryMiB: 2048 }, [
      ["domains", "the domains' memory (3072 MiB in 3 domains) is above the host's 2048 MiB"],
    ]],
    ["pins on pCPUs the host lacks", withDomains(
      withDomain({ pins: [{ vcpu: 0, hard: "2", soft: "all" }, { vcpu: 1, hard: "0", soft: "3" }] }),
      withDomain({ pins: [{ vcpu: 0, hard: "5", soft: "all" }] }, win),
      legacy,
    ), { cpus: 2 }, [
      ["domains[web-1].pins[0].hard", 'hard affinity "2" names pCPU 2'],
      ["domains[web-1].pins[1].soft", 'soft affinity "3" names pCPU 3'],
      ["domains[win-1].pins[0].hard", 'hard affinity "5" names pCPU 5'],
      ["domains", "3 vCPU pins in 2 domains (web-1, win-1) name pCPUs this host does not have (it has only pCPUs 0–1): fix the pins, or check that the domains target the right host"],
    ]],
    ["one pin on a pCPU a one-CPU host lacks", withDomains(web, win, legacy), { cpus: 1 }, [
      ["domains[web-1].pins[0].hard", 'hard affinity "1" names pCPU 1'],
      ["domains[web-1].pins[1].hard", 'hard affinity "0-1" names pCPU 1'],
      ["domains[web-1].pins[1].soft", 'soft affinity "1" names pCPU 1'],
      ["domains", "2 vCPU pins in 1 domain (web-1) name pCPUs this host does not have (it has only pCPU 0)"],
    ]],
  ];

  it.each(cases)("GIVEN a host with %s WHEN validated THEN each problem is reported at its path", (_label, spec, hostFacts, expected) => {
    expectIssues(validateHostSpec(spec, hostFacts), expected);
  });

  it("GIVEN a read-only volume shared by two domains WHEN validated THEN it is not a problem", () => {
    const shared: DiskSpec = { vdev: "xvdb", target: "/dev/vg0/legacy-root", format: "raw", access: "ro", devtype: "disk", volume: "vg0/legacy-root" };
    expect(validateHostSpec(withDomains(withDomain({ disks: [...web.disks, shared] }), win, legacy))).toEqual([]);
  });
});

describe("formatSpecIssue", () => {
  it("renders an issue as its path, a colon and the message", () => {
    expect(formatSpecIssue({ path: "domains[web-1].memoryMiB", message: "memory (8 MiB) is below …" })).toBe(
      "domains[web-1].memoryMiB: memory (8 MiB) is below …",
    );
  });
});
