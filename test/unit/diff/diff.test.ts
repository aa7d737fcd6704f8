/**
 * The diff engine, table-driven over live states read from real Xen 4.17 captures
 * (test/fixtures/diff/, parsed by the snapshot parser exactly as `cdktf-xen diff --live DIR`
 * reads them): one row per action and per refusal, asserting the kinds in plan order and the
 * fields that matter.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadLiveDirectory } from "../../../src/cli/diff-command.js";
import { diffHost } from "../../../src/diff/diff.js";
import { DiffInputError } from "../../../src/diff/errors.js";
import type { Action, Plan } from "../../../src/diff/plan.js";
import { liveHostFromSpec } from "../../../src/diff/simulate.js";
import type { DomainSpec, HostSpec, VolumeSpec } from "../../../src/model/spec.js";
import type { LiveHost } from "../../../src/xl/live.js";
import { renderXlCfg } from "../../../src/xl/render.js";
import { DIR_POOL, hostSpec, POOL, pvDomain, rootVolume, withDomain } from "./support.js";

const FIXTURES = "test/fixtures/diff";

/** pv1 as the captures show it running: what a spec must say to match it. */
const pv1 = pvDomain();
const pv1Disk = rootVolume("pv1");

let capture2: LiveHost;
let capture1Pinned: LiveHost;

beforeAll(async () => {
  capture2 = await loadLiveDirectory(`${FIXTURES}/capture2-pv1`, [POOL, DIR_POOL]);
  capture1Pinned = await loadLiveDirectory(`${FIXTURES}/capture1-pv1-pinned`, [POOL, DIR_POOL]);
});

/** The live host with exactly these managed config files (rendered from the given specs) and autostart links. */
function managed(live: LiveHost, specs: readonly DomainSpec[], autostart: readonly string[] = []): LiveHost {
  return {
    ...live,
    configFiles: specs.map((d) => ({ name: d.name, path: `/etc/xen/cdktf-xen/${d.name}.cfg`, content: renderXlCfg(d) })),
    autostart,
  };
}

function plan(domains: readonly DomainSpec[], volumes: readonly VolumeSpec[], live: LiveHost): Plan {
  return diffHost(hostSpec(domains, volumes), live);
}

function kinds(p: Plan): string[] {
  return p.actions.map((a) => a.kind);
}

function only<K extends Action["kind"]>(p: Plan, kind: K): Extract<Action, { kind: K }> {
  const found = p.actions.filter((a): a is Extract<Action, { kind: K }> => a.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe("diffHost on the real capture of pv1 (xen-4.17-capture2)", () => {
  it("GIVEN pv1 running as declared, with its config file and volume THEN the plan is empty", () => {
    const p = plan([pv1], [pv1Disk], managed(capture2, [pv1]));
    expect(p.actions).toEqual([]);
    expect(p.summary).toEqual({ create: 0, live: 0, move: 0, delete: 0, restart: 0, pending: 0, refused: 0, report: 0 });
  });

  describe("memory", () => {
    it.each([
      { memory: 96, phase: "down", old: 128 },
      { memory: 200, phase: "up", old: 128 },
    ])("GIVEN memory $memory MiB (within the boot-time maxmem 256) THEN xl mem-set $phase, after the config rewrite", ({ memory, old }) => {
      const want = pvDomain({ memoryMiB: memory });
      const p = plan([want], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "mem-set"]);
      expect(only(p, "mem-set")).toMatchObject({ class: "live", domain: "pv1", property: "memoryMiB", old, new: memory });
      expect(only(p, "write-config")).toMatchObject({ class: "live", changedSettings: ["memory"], new: renderXlCfg(want) });
    });

    it("GIVEN memory above the boot-time maxmem (with maxmem raised) THEN both are pending, and no mem-set is tried", () => {
      const p = plan([pvDomain({ memoryMiB: 300, maxMemoryMiB: 512 })], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "pending-restart"]);
      expect(only(p, "pending-restart")).toMatchObject({
        class: "pending",
        changes: [
          { property: "maxMemoryMiB", old: 256, new: 512 },
          { property: "memoryMiB", old: 128, new: 300 },
        ],
      });
      expect(only(p, "pending-restart").changes[0]!.reason).toContain("mem-max");
    });

    it("GIVEN maxmem raised under update policy restart THEN the domain restarts and no live action is planned for it", () => {
      const p = plan([pvDomain({ memoryMiB: 200, maxMemoryMiB: 512, vcpus: 1, updatePolicy: "restart" })], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "restart-domain"]);
      expect(only(p, "restart-domain")).toMatchObject({
        class: "restart",
        configPath: "/etc/xen/cdktf-xen/pv1.cfg",
        changes: [{ property: "maxMemoryMiB", old: 256, new: 512 }],
      });
    });

    it("GIVEN maxmem lowered THEN it is pending too (the static maximum is set at boot)", () => {
      const p = plan([pvDomain({ maxMemoryMiB: 128 })], [pv1Disk], managed(capture2, [pv1]));
      expect(only(p, "pending-restart").changes).toMatchObject([{ property: "maxMemoryMiB", old: 256, new: 128 }]);
    });
  });

  describe("vCPUs", () => {
    it("GIVEN one vCPU fewer THEN xl vcpu-set 2 → 1", () => {
      const p = plan([pvDomain({ vcpus: 1 })], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "vcpu-set"]);
      expect(only(p, "vcpu-set")).toMatchObject({ old: 2, new: 1, ignoreHost: false });
    });

    it("GIVEN maxVcpus 4 and vcpus 4 THEN both are pending: vcpu-set cannot go above the boot-time maxvcpus", () => {
      const p = plan([pvDomain({ vcpus: 4, maxVcpus: 4 })], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "pending-restart"]);
      expect(only(p, "pending-restart").changes).toMatchObject([
        { property: "maxVcpus", old: 2, new: 4 },
        { property: "vcpus", old: 2, new: 4 },
      ]);
    });

    it("GIVEN more vCPUs than the host's pCPUs within maxvcpus THEN vcpu-set carries --ignore-host", () => {
      const booted = pvDomain({ vcpus: 2, maxVcpus: 4 });
      const live = liveHostFromSpec(hostSpec([booted], [pv1Disk]), capture2.info);
      const p = plan([pvDomain({ vcpus: 3, maxVcpus: 4 })], [pv1Disk], live);
      expect(only(p, "vcpu-set")).toMatchObject({ old: 2, new: 3, ignoreHost: true });
      expect(only(p, "vcpu-set").reason).toContain("--ignore-host");
    });
  });

  it("GIVEN a credit2 weight and cap THEN xl sched-credit2", () => {
    const p = plan([pvDomain({ scheduler: { weight: 512, cap: 50 } })], [pv1Disk], managed(capture2, [pv1]));
    expect(kinds(p)).toEqual(["write-config", "sched-credit2"]);
    expect(only(p, "sched-credit2")).toMatchObject({ old: { weight: 256, cap: 0 }, new: { weight: 512, cap: 50 } });
  });

  it("GIVEN a weight on a host that schedules with credit THEN it is refused with a fix", () => {
    const live = { ...managed(capture2, [pv1]), info: { ...capture2.info, scheduler: "credit" } };
    const p = plan([pvDomain({ scheduler: { weight: 512, cap: 0 } })], [pv1Disk], live);
    expect(kinds(p)).toEqual(["write-config", "refuse-scheduler"]);
    expect(only(p, "refuse-scheduler")).toMatchObject({ class: "refused", hostScheduler: "credit" });
    expect(only(p, "refuse-scheduler").fix).toContain("sched=credit2");
  });

  describe("disks", () => {
    it("GIVEN a second disk on a new volume THEN the volume is created first, then the config, then xl block-attach", () => {
      const data: VolumeSpec = { name: "pv1-data", pool: "vg0", sizeMiB: 1024, format: "raw", retention: "retain" };
      const want = pvDomain({
        disks: [...pv1.disks, { vdev: "xvdb", target: "/dev/vg0/pv1-data", format: "raw", access: "rw", devtype: "disk", volume: "vg0/pv1-data" }],
      });
      const p = plan([want], [pv1Disk, data], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["create-volume", "write-config", "block-attach"]);
      expect(only(p, "create-volume")).toMatchObject({ class: "create", path: "/dev/vg0/pv1-data", new: { sizeMiB: 1024, format: "raw" }, pool: POOL });
      expect(only(p, "block-attach")).toMatchObject({ vdev: "xvdb", new: { target: "/dev/vg0/pv1-data", access: "rw" } });
    });

    it("GIVEN the disk no longer declared THEN xl block-detach, and the volume is kept", () => {
      const p = plan([pvDomain({ disks: [] })], [], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "block-detach"]);
      expect(only(p, "block-detach")).toMatchObject({ vdev: "xvda", old: { target: "/dev/vg0/pv1-disk" }, new: null });
      expect(only(p, "block-detach").reason).toContain("the volume itself is kept");
    });

    it("GIVEN the disk's target changed THEN it is detached, then attached again (detach first)", () => {
      const other: VolumeSpec = { name: "pv1-disk2", pool: "vg0", sizeMiB: 256, format: "raw", retention: "retain" };
      const want = pvDomain({ disks: [{ ...pv1.disks[0]!, target: "/dev/vg0/pv1-disk2", volume: "vg0/pv1-disk2" }] });
      const p = plan([want], [pv1Disk, other], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["create-volume", "write-config", "block-detach", "block-attach"]);
      expect(only(p, "block-detach").reason).toContain("target /dev/vg0/pv1-disk → /dev/vg0/pv1-disk2");
    });

    it("GIVEN an HVM domain's emulated disk (hda) added THEN it waits for the next boot", () => {
      const hvm = pvDomain({ name: "hvm1", type: "hvm", disks: [], vifs: [], boot: { kind: "firmware", firmware: "bios", bootOrder: "c" }, hvm: { serial: "pty", vnc: false } });
      const live = liveHostFromSpec(hostSpec([hvm]), capture2.info);
      const want = { ...hvm, disks: [{ vdev: "hda", target: "/dev/vg0/hvm1-disk", format: "raw" as const, access: "rw" as const, devtype: "disk" as const, volume: null }] };
      const p = plan([want], [], live);
      expect(kinds(p)).toEqual(["write-config", "pending-restart"]);
      expect(only(p, "pending-restart").changes).toMatchObject([{ property: "disk", vdev: "hda", old: null }]);
    });
  });

  describe("vifs", () => {
    it("GIVEN a second vif THEN xl network-attach with devid 1", () => {
      const p = plan([pvDomain({ vifs: [...pv1.vifs, { bridge: "xenbr0", mac: "00:16:3e:00:00:42", model: null, rate: null }] })], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "network-attach"]);
      expect(only(p, "network-attach")).toMatchObject({ devid: 1, new: { bridge: "xenbr0", mac: "00:16:3e:00:00:42" } });
    });

    it("GIVEN the vif no longer declared THEN xl network-detach", () => {
      const p = plan([pvDomain({ vifs: [] })], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "network-detach"]);
      expect(only(p, "network-detach")).toMatchObject({ devid: 0, old: { bridge: "xenbr0", mac: "00:16:3e:0c:db:72" } });
    });

    it("GIVEN a declared MAC other than the one Xen picked THEN the vif is detached and attached again, and the reason says so", () => {
      const p = plan([pvDomain({ vifs: [{ bridge: "xenbr0", mac: "00:16:3e:00:00:42", model: null, rate: null }] })], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "network-detach", "network-attach"]);
      expect(only(p, "network-detach").reason).toMatch(/mac 00:16:3e:0c:db:72 → 00:16:3e:00:00:42.*detached and attached again/);
    });

    it("GIVEN no declared MAC THEN whatever MAC Xen picked matches", () => {
      expect(plan([pv1], [pv1Disk], managed(capture2, [pv1])).actions).toEqual([]);
    });

    it("GIVEN a rate spelled as declared vs as libxl stores it THEN they match", () => {
      const want = pvDomain({ vifs: [{ bridge: "xenbr0", mac: null, model: null, rate: "10Mb/s" }] });
      const live = withDomain(managed(capture2, [want]), "pv1", (d) => ({ ...d, vifs: [{ ...d.vifs[0]!, rate: "1250000B/s@50000us" }] }));
      expect(plan([want], [pv1Disk], live).actions).toEqual([]);
    });

    it("GIVEN a vif moved to a bridge dom0 does not have THEN it is refused and the vif is left attached", () => {
      const p = plan([pvDomain({ vifs: [{ bridge: "xenbr9", mac: null, model: null, rate: null }] })], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "refuse-missing-bridge"]);
      expect(only(p, "refuse-missing-bridge")).toMatchObject({ devid: 0, new: "xenbr9", blocks: ["network-attach"] });
      expect(only(p, "refuse-missing-bridge").fix).toContain("it has: xenbr0");
    });

    it("GIVEN an HVM domain's vif changed THEN it waits for the next boot (emulated NICs do not hot-plug)", () => {
      const hvm = pvDomain({ name: "hvm1", type: "hvm", disks: [], boot: { kind: "firmware", firmware: "bios", bootOrder: "c" }, hvm: { serial: "pty", vnc: false }, vifs: [{ bridge: "xenbr0", mac: null, model: "e1000", rate: null }] });
      const live = liveHostFromSpec(hostSpec([hvm]), capture2.info);
      const p = plan([{ ...hvm, vifs: [{ bridge: "xenbr0", mac: null, model: "rtl8139", rate: null }] }], [], live);
      expect(kinds(p)).toEqual(["write-config", "pending-restart"]);
      expect(only(p, "pending-restart").changes).toMatchObject([{ property: "vif", devid: 0, old: { model: "e1000" }, new: { model: "rtl8139" } }]);
    });
  });

  describe("volumes", () => {
    it("GIVEN the volume declared bigger THEN it grows, and the reason says the running guest sees it", () => {
      const p = plan([pv1], [rootVolume("pv1", 512)], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["grow-volume"]);
      expect(only(p, "grow-volume")).toMatchObject({ class: "live", old: 256, new: 512, path: "/dev/vg0/pv1-disk", inUseBy: ["pv1"], format: "raw" });
      expect(only(p, "grow-volume").reason).toContain("blkfront");
    });

    it("GIVEN the volume declared smaller THEN it is refused, with a fix", () => {
      const p = plan([pv1], [rootVolume("pv1", 128)], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["refuse-volume-shrink"]);
      expect(only(p, "refuse-volume-shrink")).toMatchObject({ class: "refused", old: 256, new: 128 });
      expect(only(p, "refuse-volume-shrink").fix).toContain("Declare at least 256 MiB");
    });

    it.each([253, 254, 255])("GIVEN %i MiB declared (LVM rounds it up to the 256 MiB LV) THEN nothing is planned", (size) => {
      expect(plan([pv1], [rootVolume("pv1", size)], managed(capture2, [pv1])).actions).toEqual([]);
    });

    it("GIVEN 252 MiB declared (a whole extent less than the LV) THEN the shrink is refused", () => {
      expect(kinds(plan([pv1], [rootVolume("pv1", 252)], managed(capture2, [pv1])))).toEqual(["refuse-volume-shrink"]);
    });

    it("GIVEN a volume that lvs does not list THEN it is created", () => {
      const live = { ...managed(capture2, [pv1]), volumes: [] };
      expect(only(plan([pv1], [pv1Disk], live), "create-volume")).toMatchObject({ volume: { pool: "vg0", name: "pv1-disk" }, path: "/dev/vg0/pv1-disk" });
    });

    it("GIVEN LVs nobody declares (retained or not ours) THEN they are never touched", () => {
      const live = { ...managed(capture2, [pv1]), volumes: [...capture2.volumes, { pool: "vg0", name: "old-data", path: "/dev/vg0/old-data", sizeBytes: 1 << 30 }] };
      expect(plan([pv1], [pv1Disk], live).actions).toEqual([]);
    });

    it("GIVEN a qcow2 image in use declared bigger THEN the resize is refused", () => {
      const img: VolumeSpec = { name: "img1.qcow2", pool: "images", sizeMiB: 2048, format: "qcow2", retention: "retain" };
      const d = pvDomain({ name: "img1", disks: [{ vdev: "xvda", target: "/var/lib/xen/images/img1.qcow2", format: "qcow2", access: "rw", devtype: "disk", volume: "images/img1.qcow2" }] });
      const live = liveHostFromSpec(hostSpec([d], [{ ...img, sizeMiB: 1024 }]), capture2.info);
      const p = plan([d], [img], live);
      expect(kinds(p)).toEqual(["refuse-volume-resize-in-use"]);
      expect(only(p, "refuse-volume-resize-in-use")).toMatchObject({ inUseBy: ["img1"], old: 1024, new: 2048 });
    });
  });

  describe("boot-time settings", () => {
    const cases: { name: string; want: Partial<DomainSpec>; changes: object[] }[] = [
      { name: "type", want: { type: "pvh" }, changes: [{ property: "type", old: "pv", new: "pvh" }] },
      { name: "kernel", want: { boot: { kind: "kernel", kernel: "/boot/vmlinuz-new", ramdisk: "/root/guest/initrd.gz", cmdline: "console=hvc0" } }, changes: [{ property: "kernel", old: "/root/guest/vmlinuz", new: "/boot/vmlinuz-new" }] },
      { name: "ramdisk", want: { boot: { kind: "kernel", kernel: "/root/guest/vmlinuz", ramdisk: null, cmdline: "console=hvc0" } }, changes: [{ property: "ramdisk", old: "/root/guest/initrd.gz", new: null }] },
      { name: "cmdline", want: { boot: { kind: "kernel", kernel: "/root/guest/vmlinuz", ramdisk: "/root/guest/initrd.gz", cmdline: "console=hvc0 quiet" } }, changes: [{ property: "cmdline", new: "console=hvc0 quiet" }] },
      { name: "bootloader", want: { boot: { kind: "bootloader", bootloader: "pygrub", bootloaderArgs: [] } }, changes: [{ property: "bootloader", old: null, new: "pygrub" }] },
      { name: "on_crash", want: { onCrash: "preserve" }, changes: [{ property: "onCrash", old: "destroy", new: "preserve" }] },
      { name: "cpupool", want: { cpupool: "Pool-1" }, changes: [{ property: "cpupool", old: "Pool-0", new: "Pool-1" }] },
    ];

    it.each(cases)("GIVEN $name changed under update policy pending THEN a pending notice, not an action", ({ want, changes }) => {
      const p = plan([pvDomain(want)], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "pending-restart"]);
      expect(only(p, "pending-restart").changes).toMatchObject(changes);
    });

    it.each(cases)("GIVEN $name changed under update policy restart THEN the domain restarts with the change", ({ want, changes }) => {
      const p = plan([pvDomain({ ...want, updatePolicy: "restart" })], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "restart-domain"]);
      expect(only(p, "restart-domain").changes).toMatchObject(changes);
    });

    it("GIVEN a boot-time change and a memory change under pending THEN the memory changes live and the rest waits", () => {
      const p = plan([pvDomain({ memoryMiB: 96, onCrash: "preserve" })], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "mem-set", "pending-restart"]);
    });

    it("GIVEN a restart is needed but a vif's bridge is missing THEN the restart is refused and the changes stay pending", () => {
      const want = pvDomain({ onCrash: "preserve", updatePolicy: "restart" });
      const live = { ...managed(capture2, [pv1]), bridges: [] };
      const p = plan([want], [pv1Disk], live);
      expect(kinds(p)).toEqual(["write-config", "pending-restart", "refuse-missing-bridge"]);
      expect(only(p, "refuse-missing-bridge").blocks).toEqual(["restart-domain"]);
    });

    it("GIVEN a new vif on a missing bridge that also blocks a restart THEN one refusal names both blocked actions", () => {
      const want = pvDomain({ onCrash: "preserve", updatePolicy: "restart", vifs: [...pv1.vifs, { bridge: "xenbr9", mac: null, model: null, rate: null }] });
      const p = plan([want], [pv1Disk], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["write-config", "pending-restart", "refuse-missing-bridge"]);
      expect(only(p, "refuse-missing-bridge")).toMatchObject({ devid: 1, new: "xenbr9", blocks: ["restart-domain", "network-attach"] });
      expect(only(p, "refuse-missing-bridge").reason).toContain("the domain is not restarted and the vif is not attached");
    });

    it("GIVEN a PVH domain booted with cpuid host,rdtscp=0 (real pvh1.cfg) and declared without THEN cpuid is pending", () => {
      const pvh1 = pvDomain({ name: "pvh1", type: "pvh", vcpus: 1, maxVcpus: 1, memoryMiB: 128, maxMemoryMiB: 128, disks: [], vifs: [], onCrash: "preserve", cpuid: null });
      const live = {
        ...liveHostFromSpec(hostSpec([pvh1]), capture2.info),
        configFiles: [{ name: "pvh1", path: "/etc/xen/cdktf-xen/pvh1.cfg", content: readFileSync(`${FIXTURES}/pvh1.cfg`, "utf8") }],
      };
      const p = plan([pvh1], [], live);
      expect(kinds(p)).toEqual(["write-config", "pending-restart"]);
      expect(only(p, "pending-restart").changes).toEqual([expect.objectContaining({ property: "cpuid", old: "host,rdtscp=0", new: null })]);
    });

    it("GIVEN an HVM domain booted from the real hvm1.cfg (vnc = 0, serial pty) and declared with VNC THEN vnc is pending", () => {
      const hvm1 = pvDomain({
        name: "hvm1",
        type: "hvm",
        vcpus: 1,
        maxVcpus: 1,
        memoryMiB: 256,
        maxMemoryMiB: 256,
        disks: [],
        vifs: [],
        boot: { kind: "kernel", kernel: "/root/guest/vmlinuz", ramdisk: "/root/guest/initrd.gz", cmdline: "console=hvc0 8250.nr_uarts=0" },
        onCrash: "preserve",
        onReboot: "preserve",
        cpuid: "host,rdtscp=0",
        hvm: { serial: "pty", vnc: true },
      });
      const live = {
        ...liveHostFromSpec(hostSpec([hvm1]), capture2.info),
        configFiles: [{ name: "hvm1", path: "/etc/xen/cdktf-xen/hvm1.cfg", content: readFileSync(`${FIXTURES}/hvm1.cfg`, "utf8") }],
      };
      const p = plan([hvm1], [], live);
      expect(only(p, "pending-restart").changes).toEqual([expect.objectContaining({ property: "vnc", old: false, new: true })]);
    });

    it("GIVEN a PVH domain booting pvgrub64 (xl gives it a kernel of its own) THEN the live kernel is not a change", () => {
      const pvh = pvDomain({ name: "grub1", type: "pvh", disks: [], vifs: [], boot: { kind: "firmware", firmware: "pvgrub64", bootOrder: "" } });
      const live = withDomain(liveHostFromSpec(hostSpec([pvh]), capture2.info), "grub1", (d) => ({ ...d, kernel: "/usr/lib/grub-xen/grub-x86_64-xen.bin" }));
      expect(plan([pvh], [], live).actions).toEqual([]);
    });
  });

  describe("domain lifecycle", () => {
    it("GIVEN a declared domain the host has never seen THEN volume, config, xl create, autostart link, in that order", () => {
      const web = pvDomain({ name: "web-1", autostart: true });
      const p = plan([pv1, web], [pv1Disk, rootVolume("web-1")], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["create-volume", "write-config", "create-domain", "link-autostart"]);
      expect(only(p, "write-config")).toMatchObject({ class: "create", old: null, domain: "web-1" });
      expect(only(p, "create-domain")).toMatchObject({ class: "create", configPath: "/etc/xen/cdktf-xen/web-1.cfg", spec: web });
      expect(only(p, "link-autostart")).toMatchObject({ linkPath: "/etc/xen/auto/web-1.cfg", configPath: "/etc/xen/cdktf-xen/web-1.cfg" });
    });

    it("GIVEN a declared domain that is shut down but whose config file exists THEN it is started (xl create), nothing else", () => {
      const live = { ...managed(capture2, [pv1]), domains: [] };
      const p = plan([pv1], [pv1Disk], live);
      expect(kinds(p)).toEqual(["create-domain"]);
      expect(only(p, "create-domain").reason).toContain("not running");
    });

    it("GIVEN a new domain on a bridge dom0 lacks THEN its creation is refused (the volume and config are still prepared)", () => {
      const web = pvDomain({ name: "web-1", vifs: [{ bridge: "xenbr1", mac: null, model: null, rate: null }] });
      const p = plan([pv1, web], [pv1Disk, rootVolume("web-1")], managed(capture2, [pv1]));
      expect(kinds(p)).toEqual(["create-volume", "write-config", "refuse-missing-bridge"]);
      expect(only(p, "refuse-missing-bridge")).toMatchObject({ domain: "web-1", blocks: ["create-domain"] });
    });

    it("GIVEN a declared domain that crashed THEN it is reported and nothing is tried on it", () => {
      const live = withDomain(managed(capture2, [pv1]), "pv1", (d) => ({ ...d, state: "crashed" }));
      const p = plan([pvDomain({ memoryMiB: 96 })], [pv1Disk], live);
      expect(kinds(p)).toEqual(["write-config", "report-inactive-domain"]);
      expect(only(p, "report-inactive-domain")).toMatchObject({ old: "crashed", class: "report" });
    });

    it("GIVEN autostart declared THEN the link is made; GIVEN it no longer declared THEN the link is removed (class delete)", () => {
      expect(only(plan([pvDomain({ autostart: true })], [pv1Disk], managed(capture2, [pvDomain({ autostart: true })])), "link-autostart")).toMatchObject({ class: "create" });
      expect(only(plan([pv1], [pv1Disk], managed(capture2, [pv1], ["pv1"])), "unlink-autostart")).toMatchObject({ class: "delete", linkPath: "/etc/xen/auto/pv1.cfg" });
    });

    it("GIVEN pv1 with the hand-written config it was created from (real pv1.cfg) THEN only the config is rewritten: nothing is pending", () => {
      const p = plan([pv1], [pv1Disk], capture2);
      expect(kinds(p)).toEqual(["write-config"]);
      expect(only(p, "write-config")).toMatchObject({ class: "live", changedSettings: expect.arrayContaining(["cmdline", "extra", "disk"]) });
    });
  });

  describe("what no spec declares", () => {
    it("GIVEN pv1 running without a cdktf-xen config file and no spec THEN it is reported as unmanaged, never touched", () => {
      const p = plan([], [], { ...capture2, configFiles: [] });
      expect(kinds(p)).toEqual(["report-unmanaged-domain"]);
      expect(only(p, "report-unmanaged-domain")).toMatchObject({ domain: "pv1", old: "blocked", class: "report" });
    });

    it("GIVEN pv1 declared but running without a cdktf-xen config file THEN the name conflict is refused and nothing is planned for it", () => {
      const p = plan([pvDomain({ memoryMiB: 96 })], [pv1Disk], { ...capture2, configFiles: [] });
      expect(kinds(p)).toEqual(["refuse-name-conflict"]);
      expect(only(p, "refuse-name-conflict").fix).toContain("/etc/xen/cdktf-xen/pv1.cfg");
    });

    it("GIVEN a managed config file for a domain no spec declares THEN it is reported (its destroy is Terraform's), even with its autostart link", () => {
      const p = plan([], [], managed(capture2, [pv1], ["pv1"]));
      expect(kinds(p)).toEqual(["report-undeclared-domain"]);
      expect(only(p, "report-undeclared-domain")).toMatchObject({ old: "blocked", configPath: "/etc/xen/cdktf-xen/pv1.cfg" });
      expect(only(p, "report-undeclared-domain").reason).toContain("autostart link");
    });
  });
});

describe("diffHost on the real capture of pv1 after pinning and vcpu-set 1 (xen-4.17)", () => {
  const pinned = pvDomain({
    vcpus: 1,
    pins: [
      { vcpu: 0, hard: "1", soft: "all" },
      { vcpu: 1, hard: "all", soft: "0" },
    ],
  });

  it("GIVEN the pins the capture shows (vCPU 1 offline keeps its soft affinity) THEN the plan is empty", () => {
    expect(plan([pinned], [pv1Disk], managed(capture1Pinned, [pinned])).actions).toEqual([]);
  });

  it("GIVEN two vCPUs and no pins THEN vcpu-set comes before the pins, one xl vcpu-pin per vCPU (also the offline one)", () => {
    const p = plan([pv1], [pv1Disk], managed(capture1Pinned, [pinned]));
    expect(kinds(p)).toEqual(["write-config", "vcpu-set", "vcpu-pin", "vcpu-pin"]);
    const pins = p.actions.filter((a) => a.kind === "vcpu-pin");
    expect(pins).toMatchObject([
      { vcpu: 0, old: { hard: "1", soft: "all" }, new: { hard: "all", soft: "all" } },
      { vcpu: 1, old: { hard: "all", soft: "0" }, new: { hard: "all", soft: "all" } },
    ]);
  });

  it("GIVEN vCPU 1 pinned while it is offline THEN it is pinned anyway, and the reason says Xen keeps it", () => {
    const want = pvDomain({ vcpus: 1, pins: [{ vcpu: 0, hard: "1", soft: "all" }, { vcpu: 1, hard: "0", soft: "0" }] });
    const p = plan([want], [pv1Disk], managed(capture1Pinned, [pinned]));
    expect(only(p, "vcpu-pin")).toMatchObject({ vcpu: 1, new: { hard: "0", soft: "0" } });
    expect(only(p, "vcpu-pin").reason).toContain("offline");
  });
});

describe("plan order across domains", () => {
  it("GIVEN one domain shrinking, one growing and one new THEN memory goes down first, then the create, then up", () => {
    const a = pvDomain({ name: "a", memoryMiB: 128, disks: [] });
    const b = pvDomain({ name: "b", memoryMiB: 128, disks: [] });
    const live = liveHostFromSpec(hostSpec([a, b]));
    const p = diffHost(hostSpec([{ ...a, memoryMiB: 200 }, { ...b, memoryMiB: 64 }, pvDomain({ name: "c", disks: [] })]), live);
    expect(p.actions.map((x) => `${x.kind} ${"domain" in x ? x.domain : ""}`)).toEqual([
      "write-config a",
      "write-config b",
      "write-config c",
      "mem-set b",
      "create-domain c",
      "mem-set a",
    ]);
  });

  it("GIVEN many kinds at once THEN the plan follows the documented phases", () => {
    const a = pvDomain({ name: "a", disks: [], autostart: false });
    const b = pvDomain({ name: "b", disks: [], vcpus: 1 });
    const live = liveHostFromSpec(hostSpec([a, b], [rootVolume("a", 64)]));
    const spec: HostSpec = hostSpec(
      [
        { ...a, autostart: true, onCrash: "preserve", updatePolicy: "restart" },
        { ...b, vcpus: 2, scheduler: { weight: 512, cap: 0 }, vifs: [{ bridge: "xenbr0", mac: null, model: null, rate: null }, { bridge: "xenbr0", mac: null, model: null, rate: null }] },
      ],
      [rootVolume("a", 128)],
    );
    expect(kinds(diffHost(spec, live))).toEqual([
      "grow-volume",
      "write-config",
      "write-config",
      "vcpu-set",
      "sched-credit2",
      "network-attach",
      "restart-domain",
      "link-autostart",
    ]);
  });
});

describe("invalid declared state", () => {
  it("GIVEN a spec that contradicts itself THEN DiffInputError lists every problem with its path", () => {
    const bad = hostSpec([pvDomain({ vcpus: 3, maxVcpus: 2 }), pvDomain()], []);
    let error: unknown;
    try {
      diffHost(bad, capture2);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DiffInputError);
    const issues = (error as DiffInputError).issues.map((i) => i.path);
    expect(issues).toEqual(expect.arrayContaining(["domains[pv1].vcpus", "domains[pv1].name", "domains[pv1].disks[0].volume"]));
    expect((error as DiffInputError).message).toContain("domains[pv1].vcpus");
  });
});
