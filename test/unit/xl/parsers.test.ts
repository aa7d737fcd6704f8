import { describe, expect, it } from "vitest";
import { canonicalCpuList } from "../../../src/xl/cpulist.js";
import { parseXlCpupoolList } from "../../../src/xl/cpupool.js";
import { parseXlInfo } from "../../../src/xl/info.js";
import { parseXlList, runStateFromFlags } from "../../../src/xl/list.js";
import { parseXlListLong } from "../../../src/xl/list-long.js";
import { lvmSizeBytes, parseLvsJson } from "../../../src/xl/lvs.js";
import { parseXlSchedCredit2 } from "../../../src/xl/sched.js";
import { parseQemuImgInfo, parseStatSizes } from "../../../src/xl/stat.js";
import { parseXlVcpuList } from "../../../src/xl/vcpu-list.js";
import { type Capture, fixture } from "./helpers.js";

/** A fixture whose command printed a listing first, then other text: the listing part. */
function head(capture: Capture, file: string, lines: number): string {
  return fixture(capture, file).split("\n").slice(0, lines).join("\n");
}

/** The JSON part of a capture that printed `xl list NAME; xl list -l NAME`. */
function jsonPart(capture: Capture, file: string): string {
  const text = fixture(capture, file);
  return text.slice(text.indexOf("["));
}

describe("parseXlListLong", () => {
  it.each<[Capture, string]>([
    ["xen-4.17", "xl-list-l-all.out"],
    ["xen-4.17", "xl-list-l-pv1.out"],
    ["xen-4.17-capture2", "xl-list-l.out"],
    ["xen-4.17-capture2", "xl-list-l-pv1.out"],
  ])("reads the PV guest pv1 from %s/%s with KiB in MiB and libxl's defaults", (capture, file) => {
    const r = parseXlListLong(fixture(capture, file));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const pv1 = r.value.find((d) => d.name === "pv1")!;
    expect(pv1).toMatchObject({
      type: "pv",
      maxMemoryMiB: 256,
      targetMemoryMiB: 128,
      maxVcpus: 2,
      availVcpus: 2,
      kernel: "/root/guest/vmlinuz",
      ramdisk: "/root/guest/initrd.gz",
      cmdline: "console=hvc0",
      bootloader: null,
      bootloaderArgs: [],
      disks: [{ vdev: "xvda", target: "/dev/vg0/pv1-disk", format: "raw", access: "rw", devtype: "disk" }],
      vifs: [{ devid: 0, bridge: "xenbr0", model: null, rate: null }],
      // on_poweroff and on_crash are omitted from the JSON: libxl's default "destroy".
      onPoweroff: "destroy",
      onReboot: "restart",
      onCrash: "destroy",
      onWatchdog: "destroy",
      onSoftReset: "soft_reset",
      scheduler: { weight: 256, cap: 0 },
      cpupool: null,
      cpuid: null,
      vcpuHardAffinity: null,
      hvm: null,
    });
    expect(pv1.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(pv1.vifs[0]!.mac).toMatch(/^00:16:3e:/);
  });

  it("includes Domain-0 with what libxl stores for it", () => {
    const r = parseXlListLong(fixture("xen-4.17", "xl-list-l-empty.out"));
    expect(r.ok && r.value).toEqual([
      expect.objectContaining({ name: "Domain-0", domid: 0, maxMemoryMiB: 1024, targetMemoryMiB: 1048575 / 1024, maxVcpus: 1, uuid: null, disks: [], vifs: [] }),
    ]);
  });

  it("reads the HVM guest's listing and the top of its config from a mixed capture", () => {
    const text = fixture("xen-4.17-capture2", "xl-hvm1-state.out");
    expect(parseXlList(head("xen-4.17-capture2", "xl-hvm1-state.out", 3))).toMatchObject({
      ok: true,
      value: [{ name: "Domain-0" }, { name: "hvm1", domid: 18, memoryMiB: 248, state: "blocked" }],
    });
    // `xl list -l hvm1 | head -30` cut the JSON: a parse issue, not an exception.
    const cut = text.slice(text.indexOf("["), text.indexOf("\nBusyBox"));
    expect(parseXlListLong(cut)).toMatchObject({ ok: false, issues: [{ path: "$", message: expect.stringMatching(/^not JSON/) }] });
  });

  it("reads the PVH guest: on_crash preserve and its expanded cpuid policy", () => {
    const r = parseXlListLong(jsonPart("xen-4.17-capture2", "xl-list-l-pvh1.out"));
    expect(r.ok && r.value[0]).toMatchObject({
      name: "pvh1",
      domid: 17,
      type: "pvh",
      maxMemoryMiB: 128,
      onCrash: "preserve",
      cpuid: { cpuid: [{ leaf: 2147483649, edx: "xxxx0xxxxxxxxxxxxxxxxxxxxxxxxxxx" }], msr: [] },
      hvm: null,
    });
  });

  it.each(["", "  \n", "[]"])("reads %j as no domains", (text) => {
    expect(parseXlListLong(text)).toEqual({ ok: true, value: [] });
  });

  it("reads libxl's restart_rename as the model's rename_restart, and a vif rate in canonical form", () => {
    const json = JSON.stringify([
      {
        domid: 3,
        config: {
          c_info: { type: "hvm", name: "h", pool_name: "fast" },
          b_info: {
            max_memkb: 524288,
            "type.hvm": { serial: "pty", boot: "dc", vnc: { enable: "False" } },
            vcpu_hard_affinity: [[1, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7]],
            sched_params: { weight: 512, cap: 50 },
          },
          disks: [{ pdev_path: "/iso", vdev: "hdc", is_cdrom: 1 }],
          nics: [{ devid: 0, bridge: "br1", mac: "00:16:3E:AA:BB:CC", model: "e1000", rate_bytes_per_interval: 62500, rate_interval_usecs: 50000 }],
          on_crash: "restart_rename",
          on_watchdog: "coredump_destroy",
        },
      },
    ]);
    const r = parseXlListLong(json);
    expect(r.ok && r.value[0]).toMatchObject({
      type: "hvm",
      maxMemoryMiB: 512,
      targetMemoryMiB: 512,
      cpupool: "fast",
      onCrash: "rename_restart",
      onWatchdog: "coredump_destroy",
      scheduler: { weight: 512, cap: 50 },
      vcpuHardAffinity: ["1-3", "0-7"],
      disks: [{ vdev: "hdc", target: "/iso", format: "raw", access: "ro", devtype: "cdrom" }],
      vifs: [{ devid: 0, bridge: "br1", mac: "00:16:3e:aa:bb:cc", model: "e1000", rate: "1250000B/s@50000us" }],
      hvm: { serial: "pty", boot: "dc", vnc: false, firmware: null, bios: null },
    });
  });

  it("reports malformed input with JSON paths instead of throwing", () => {
    expect(parseXlListLong("{not json")).toMatchObject({ ok: false, issues: [{ path: "$" }] });
    expect(parseXlListLong("{}")).toEqual({ ok: false, issues: [{ path: "$", message: "expected a JSON array of domains" }] });
    const r = parseXlListLong(JSON.stringify([{ domid: 1, config: { c_info: { name: "x", type: "vm" }, b_info: { max_memkb: "lots" }, on_reboot: "explode" } }]));
    expect(!r.ok && r.issues.map((i) => i.path)).toEqual(["$[0].config.c_info.type", "$[0].config.b_info.max_memkb", "$[0].config.on_reboot"]);
  });
});

describe("parseXlList", () => {
  it.each<[Capture, string, object[]]>([
    ["xen-4.17", "xl-list.out", [{ name: "Domain-0", domid: 0, memoryMiB: 1024, vcpus: 2, flags: "r-----", state: "running", cpuSeconds: 245.1 }]],
    ["xen-4.17", "xl-list-after-create.out", [{ name: "Domain-0" }, { name: "pv1", domid: 1, memoryMiB: 128, vcpus: 2, state: "running" }]],
    ["xen-4.17", "xl-list-after-mem-set-96.out", [{ name: "pv1", memoryMiB: 96, vcpus: 1, state: "blocked" }]],
    ["xen-4.17", "xl-pause.out", [{ name: "pv1", memoryMiB: 200, flags: "-bp---", state: "paused" }]],
    ["xen-4.17", "xl-list-v.out", [{ name: "Domain-0", uuid: "00000000-0000-0000-0000-000000000000" }, { name: "pv1", uuid: "6db237fd-0d51-4879-aaa4-f4afe2013e33" }]],
    ["xen-4.17-capture2", "xl-list.out", [{ name: "Domain-0" }, { name: "pv1", domid: 10, memoryMiB: 128, vcpus: 2, state: "blocked", uuid: null }]],
    ["xen-4.17-capture2", "xl-list-n.out", [{ name: "Domain-0" }, { name: "pv1", domid: 10 }]],
    ["xen-4.17-capture2", "xl-shutdown-w-pv1.out", [{ name: "Domain-0" }, { name: "pv1", domid: 11, flags: "--ps--", state: "shutdown" }]],
    ["xen-4.17-capture2", "xl-create-pv1-paused.out", [{ name: "pv1", domid: 12, vcpus: 1, state: "paused" }]],
    ["xen-4.17-capture2", "xl-list-final.out", [{ name: "Domain-0" }]],
    ["xen-4.17", "xl-list-after-destroy.out", [{ name: "Domain-0", cpuSeconds: 609 }]],
    ["xen-4.17", "xl-list-after-shutdown.out", [{ name: "Domain-0" }]],
    ["xen-4.17", "xl-list-after-vcpu-set1.out", [{ name: "pv1", vcpus: 1, state: "blocked" }]],
    ["xen-4.17", "xl-list-again.out", [{ name: "Domain-0" }, { name: "pv1", domid: 2, vcpus: 1, state: "running", cpuSeconds: 1.7 }]],
    ["xen-4.17", "xl-unpause.out", [{ name: "pv1", flags: "-b----", state: "blocked" }]],
    ["xen-4.17-capture2", "xl-mem-set-96m.out", [{ name: "pv1", memoryMiB: 96 }]],
    ["xen-4.17-capture2", "xl-mem-set-200m.out", [{ name: "pv1", memoryMiB: 200 }]],
    ["xen-4.17-capture2", "xl-unpause.out", [{ name: "pv1", memoryMiB: 200, state: "blocked" }]],
    ["xen-4.17-capture2", "xl-reboot-pv1.out", [{ name: "Domain-0" }, { name: "pv1", domid: 11, vcpus: 1, state: "paused", cpuSeconds: 0 }]],
    ["xen-4.17-capture2", "xl-destroy-pv1.out", [{ name: "Domain-0" }]],
    ["xen-4.17-capture2", "xl-shutdown-w-hvm1.out", [{ name: "Domain-0" }, { name: "hvm1", domid: 19, memoryMiB: 248, state: "shutdown" }]],
    ["xen-4.17", "xl-create-hvm1.out", [{ name: "Domain-0" }, { name: "hvm1", domid: 6, memoryMiB: 256, state: "running" }]],
    ["xen-4.17", "xl-create-hvm1-nordtscp.out", [{ name: "Domain-0" }, { name: "hvm1", domid: 8, flags: "------", state: "idle" }]],
    ["xen-4.17", "xl-create-pvh1.out", [{ name: "Domain-0" }, { name: "pvh1", domid: 4, state: "crashed" }]],
    ["xen-4.17", "xl-create-pvh1-nordtscp.out", [{ name: "Domain-0" }, { name: "pvh1", domid: 5, state: "blocked" }]],
    ["xen-4.17", "xl-destroy-pvh1.out", [{ name: "Domain-0" }]],
    ["xen-4.17", "xl-reboot.out", [{ name: "Domain-0" }, { name: "pv1", domid: 3 }]],
  ])("reads %s/%s", (capture, file, expected) => {
    const r = parseXlList(fixture(capture, file));
    expect(r.ok && r.value).toMatchObject(expected);
    expect(r.ok && r.value.length).toBe(expected.length);
  });

  it("reports the timing line the hvm1 capture printed before its listing, and reads the listing after it", () => {
    const text = fixture("xen-4.17-capture2", "xl-create-hvm1-timed.out");
    expect(parseXlList(text)).toMatchObject({ ok: false, issues: [{ path: "line 1" }] });
    expect(parseXlList(text.split("\n").slice(1).join("\n"))).toMatchObject({ ok: true, value: [{ name: "hvm1", domid: 19, memoryMiB: 248 }] });
  });

  it("reads the listing part of a capture that also printed dmesg lines, and reports the rest by line", () => {
    expect(parseXlList(head("xen-4.17-capture2", "xl-create-pvh1-with-rdtscp.out", 3))).toMatchObject({
      ok: true,
      value: [{ name: "Domain-0" }, { name: "pvh1", domid: 16, flags: "---sc-", state: "crashed" }],
    });
    const whole = parseXlList(fixture("xen-4.17", "xl-list-hvm.out"));
    expect(!whole.ok && whole.issues.map((i) => i.path)).toEqual(["line 4", "line 5", "line 6", "line 7", "line 8", "line 9"]);
  });

  it.each<[string, string]>([
    ["r-----", "running"],
    ["-b----", "blocked"],
    ["--p---", "paused"],
    ["--ps--", "shutdown"],
    ["---sc-", "crashed"],
    ["-----d", "dying"],
    ["------", "idle"],
  ])("sums up the flags %s as %s", (flags, state) => {
    expect(runStateFromFlags(flags)).toBe(state);
  });
});

describe("parseXlVcpuList", () => {
  it.each<[Capture, string, object[]]>([
    ["xen-4.17", "xl-vcpu-list.out", [
      { name: "Domain-0", domid: 0, vcpu: 0, cpu: 0, online: true, hard: "all", soft: "all" },
      { name: "Domain-0", vcpu: 1, cpu: 1, stateFlags: "r--" },
      { name: "pv1", domid: 1, vcpu: 0 },
      { name: "pv1", domid: 1, vcpu: 1 },
    ]],
    ["xen-4.17", "xl-vcpu-list-after-pin.out", [
      { name: "pv1", vcpu: 0, cpu: 1, hard: "1", soft: "all" },
      { name: "pv1", vcpu: 1, cpu: 0, hard: "all", soft: "all" },
    ]],
    ["xen-4.17", "xl-vcpu-list-after-set1.out", [
      { name: "pv1", vcpu: 0, online: true, hard: "1", soft: "all" },
      { name: "pv1", vcpu: 1, cpu: null, online: false, stateFlags: "--p", hard: "all", soft: "0", cpuSeconds: 17.5 },
    ]],
    ["xen-4.17-capture2", "xl-vcpu-list-pv1.out", [
      { name: "pv1", domid: 10, vcpu: 0, cpu: 1 },
      { name: "pv1", domid: 10, vcpu: 1, cpu: 1 },
    ]],
  ])("reads %s/%s", (capture, file, expected) => {
    const r = parseXlVcpuList(fixture(capture, file));
    expect(r.ok && r.value).toMatchObject(expected);
    expect(r.ok && r.value.length).toBe(expected.length);
  });

  it("reads the vCPU brought back online by `vcpu-set 2`, its affinity kept", () => {
    expect(parseXlVcpuList(head("xen-4.17-capture2", "xl-vcpu-set-2.out", 3))).toMatchObject({
      ok: true,
      value: [{ vcpu: 0, hard: "1", soft: "all" }, { vcpu: 1, cpu: 1, online: true, hard: "all", soft: "0" }],
    });
    expect(parseXlList(fixture("xen-4.17-capture2", "xl-vcpu-set-2.out").split("\n").slice(3).join("\n"))).toMatchObject({
      ok: true,
      value: [{ name: "pv1", vcpus: 2 }],
    });
  });

  it("reads the vcpu-list part of `vcpu-set 1; vcpu-list; list` and reports the trailing xl list lines", () => {
    expect(parseXlVcpuList(head("xen-4.17-capture2", "xl-vcpu-set-1.out", 3))).toMatchObject({
      ok: true,
      value: [{ vcpu: 0, hard: "1" }, { vcpu: 1, online: false, soft: "0" }],
    });
    const whole = parseXlVcpuList(fixture("xen-4.17-capture2", "xl-vcpu-set-1.out"));
    expect(!whole.ok && whole.issues.map((i) => i.path)).toEqual(["line 4", "line 5"]);
  });

  it("canonicalises affinities: ranges merged and sorted", () => {
    const text = "Name ID VCPU CPU State Time(s) Affinity (Hard / Soft)\nweb 3 0 2 -b- 1.0 3,0-1,2 / 5,4\n";
    expect(parseXlVcpuList(text)).toMatchObject({ ok: true, value: [{ hard: "0-3", soft: "4-5" }] });
  });
});

describe("canonicalCpuList", () => {
  it.each<[string, string | null]>([
    ["all", "all"],
    ["1", "1"],
    ["0-1", "0-1"],
    ["1,0", "0-1"],
    ["0-3,^1", "0,2-3"],
    ["5,0-2,2", "0-2,5"],
    ["3-1", null],
    ["", null],
    ["1,,2", null],
    ["node:1", "nodes:1"],
    ["all,^7", "all,^7"],
    ["1,^1", "none"],
    ["none", "none"],
  ])("%j -> %j (model/cpuset's canonical form)", (input, output) => {
    expect(canonicalCpuList(input)).toBe(output);
  });
});

describe("parseXlSchedCredit2", () => {
  it.each<[Capture, string, object]>([
    ["xen-4.17", "xl-sched-credit2.out", {
      pools: [{ name: "Pool-0", ratelimitUs: 1000 }],
      domains: [
        { name: "Domain-0", domid: 0, weight: 256, cap: 0, cpupool: "Pool-0" },
        { name: "pv1", domid: 1, weight: 256, cap: 0, cpupool: "Pool-0" },
      ],
    }],
    ["xen-4.17", "xl-sched-credit2-pv1.out", { pools: [], domains: [{ name: "pv1", domid: 1, weight: 256, cap: 0, cpupool: null }] }],
    ["xen-4.17-capture2", "xl-sched-credit2-dom0-only.out", { pools: [{ name: "Pool-0" }], domains: [{ name: "Domain-0" }] }],
    ["xen-4.17-capture2", "xl-sched-credit2.out", { domains: [{ name: "Domain-0" }, { name: "pv1", domid: 10 }] }],
    ["xen-4.17", "xl-sched-credit.out", { pools: [], domains: [] }],
    ["xen-4.17-capture2", "xl-sched-credit-empty.out", { pools: [], domains: [] }],
  ])("reads %s/%s, skipping the Cpupool header", (capture, file, expected) => {
    expect(parseXlSchedCredit2(fixture(capture, file))).toMatchObject({ ok: true, value: expected });
  });

  it("reports a row it cannot read", () => {
    expect(parseXlSchedCredit2("Name ID Weight Cap\npv1 1 lots 0\n")).toMatchObject({ ok: false, issues: [{ path: "line 2" }] });
  });
});

describe("parseXlInfo", () => {
  it.each<[Capture, string]>([
    ["xen-4.17", "xl-info.out"],
    ["xen-4.17", "xl-info-n.out"],
    ["xen-4.17-capture2", "xl-info.out"],
    ["xen-4.17-capture2", "xl-info-n.out"],
  ])("reads %s/%s", (capture, file) => {
    const r = parseXlInfo(fixture(capture, file));
    expect(r.ok && r.value).toMatchObject({
      nrCpus: 2,
      totalMemoryMiB: 3071,
      freeMemoryMiB: 2014,
      scheduler: "credit2",
      xenVersion: "4.17.7",
      virtCaps: ["pv", "hvm", "hap", "gnttab-v1", "gnttab-v2"],
    });
    expect(r.ok && r.value.fields["xen_commandline"]).toMatch(/^console=com1 .* noreboot$/);
    expect(r.ok && r.value.fields["xen_changeset"]).toBe("");
  });

  it("reads -n's cpu_topology and numa_info tables", () => {
    const r = parseXlInfo(fixture("xen-4.17", "xl-info-n.out"));
    expect(r.ok && r.value.cpuTopology).toEqual([
      { cpu: 0, core: 0, socket: 0, node: 0 },
      { cpu: 1, core: 1, socket: 0, node: 0 },
    ]);
    expect(r.ok && r.value.numaInfo).toEqual([{ node: 0, memsizeMiB: 3071, memfreeMiB: 2014, distances: [10] }]);
  });

  it("reports the fields a grep left out", () => {
    const r = parseXlInfo(fixture("xen-4.17-capture2", "xl-info-with-guest.out"));
    expect(!r.ok && r.issues.map((i) => i.path)).toEqual(["xen_scheduler", "xen_version"]);
  });
});

describe("parseXlCpupoolList", () => {
  it.each<[Capture, string, object[]]>([
    ["xen-4.17", "xl-cpupool-list.out", [{ name: "Pool-0", cpuCount: 2, scheduler: "credit2", active: true, domainCount: 1, cpus: null }]],
    ["xen-4.17", "xl-cpupool-list-c.out", [{ name: "Pool-0", cpus: "0-1", cpuCount: null }]],
    ["xen-4.17-capture2", "xl-cpupool-list.out", [{ name: "Pool-0", cpuCount: 2 }]],
    ["xen-4.17-capture2", "xl-cpupool-list-c.out", [{ name: "Pool-0", cpus: "0-1" }]],
  ])("reads %s/%s", (capture, file, expected) => {
    expect(parseXlCpupoolList(fixture(capture, file))).toMatchObject({ ok: true, value: expected });
  });
});

describe("parseLvsJson", () => {
  it.each<[Capture, string]>([
    ["xen-4.17", "lvs.out"],
    ["xen-4.17-capture2", "lvs-json.out"],
  ])("reads LVM's default human form in %s/%s (256.00m is exact)", (capture, file) => {
    expect(parseLvsJson(fixture(capture, file))).toEqual({ ok: true, value: [{ vg: "vg0", name: "pv1-disk", sizeBytes: 268435456 }] });
  });

  it("reads the byte form cdktf-xen asks for", () => {
    const text = '{"report":[{"lv":[{"lv_name":"a","vg_name":"vg0","lv_size":"268435456"},{"lv_name":"b","vg_name":"vg0","lv_size":"1073741824B"}]}]}';
    expect(parseLvsJson(text)).toEqual({ ok: true, value: [{ vg: "vg0", name: "a", sizeBytes: 268435456 }, { vg: "vg0", name: "b", sizeBytes: 1073741824 }] });
  });

  it("reads an empty report and empty output as no volumes", () => {
    expect(parseLvsJson('{"report":[{"lv":[]}]}')).toEqual({ ok: true, value: [] });
    expect(parseLvsJson("")).toEqual({ ok: true, value: [] });
  });

  it("refuses sizes LVM rounded (<4.00g) with a hint to use bytes", () => {
    const r = parseLvsJson('{"report":[{"lv":[{"lv_name":"a","vg_name":"vg0","lv_size":"<4.00g"}]}]}');
    expect(r).toMatchObject({ ok: false, issues: [{ path: "$.report[0].lv[0].lv_size", message: expect.stringMatching(/--units b/) }] });
  });

  it.each<[string, number | null]>([
    ["4290772992B", 4290772992],
    ["256.00m", 268435456],
    ["1.50g", 1610612736],
    ["1.33g", null],
    ["<4.00g", null],
  ])("sizes %s as %s bytes", (text, bytes) => {
    expect(lvmSizeBytes(text)).toBe(bytes);
  });
});

describe("parseStatSizes and parseQemuImgInfo", () => {
  it("reads `stat -c '%s %n'` lines, keeping spaces in names", () => {
    expect(parseStatSizes("1048576 /srv/xen/a.img\n0 /srv/xen/with space.img\n")).toEqual({
      ok: true,
      value: [{ sizeBytes: 1048576, path: "/srv/xen/a.img" }, { sizeBytes: 0, path: "/srv/xen/with space.img" }],
    });
    expect(parseStatSizes("stat: cannot stat 'x'\n")).toMatchObject({ ok: false, issues: [{ path: "line 1" }] });
  });

  it("reads the virtual size of a qcow2 image", () => {
    expect(parseQemuImgInfo('{"virtual-size": 1073741824, "filename": "/a.qcow2", "format": "qcow2", "actual-size": 200704}')).toEqual({
      ok: true,
      value: { format: "qcow2", virtualSizeBytes: 1073741824 },
    });
  });
});
