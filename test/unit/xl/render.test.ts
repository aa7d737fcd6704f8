import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DomainSpec, ShutdownAction } from "../../../src/model/spec.js";
import { XlRenderError } from "../../../src/xl/errors.js";
import { parseXlCfg, renderXlCfg, shutdownActionFromXlCfg, XL_CFG_HEADER, xlCfgShutdownAction, xlCfgView } from "../../../src/xl/render.js";
import { parseVifRate, renderVifTokens } from "../../../src/xl/vif-spec.js";
import { domainSpec, PV } from "./arbitraries.js";
import { type Capture, fixture, runOracle, xluOracle } from "./helpers.js";

const with_ = (patch: Partial<DomainSpec>): DomainSpec => ({ ...PV, ...patch });

describe("renderXlCfg", () => {
  it("starts every file with the managed-by header", () => {
    expect(XL_CFG_HEADER).toBe("# managed by cdktf-xen — edits are overwritten");
  });

  it("renders a PV domain as xl.cfg, header first, keys in a fixed order", () => {
    expect(renderXlCfg(PV)).toBe(
      [
        XL_CFG_HEADER,
        'name = "web-1"',
        'type = "pv"',
        "memory = 128",
        "maxmem = 256",
        "vcpus = 2",
        "maxvcpus = 4",
        'kernel = "/root/guest/vmlinuz"',
        'ramdisk = "/root/guest/initrd.gz"',
        'cmdline = "console=hvc0 root=/dev/xvda"',
        'disk = [ "format=raw, vdev=xvda, access=rw, target=/dev/vg0/web-1-root" ]',
        'vif = [ "bridge=xenbr0,mac=00:16:3e:7b:83:0e" ]',
        'on_poweroff = "destroy"',
        'on_reboot = "restart"',
        'on_crash = "rename-restart"',
        "cpu_weight = 256",
        "cap = 0",
        "",
      ].join("\n"),
    );
  });

  it("renders an HVM domain with firmware, boot order, cpuid, serial and vnc", () => {
    const text = renderXlCfg(
      with_({
        name: "hvm1",
        type: "hvm",
        boot: { kind: "firmware", firmware: "bios", bootOrder: "dc" },
        cpuid: "host,rdtscp=0",
        hvm: { serial: "pty", vnc: false },
        disks: [{ vdev: "hdc", target: "/srv/iso/debian.iso", format: "raw", access: "ro", devtype: "cdrom", volume: null }],
        vifs: [{ bridge: "xenbr0", mac: null, model: "e1000", rate: "10Mb/s" }],
      }),
    );
    expect(text).toContain('firmware = "bios"\nboot = "dc"\n');
    expect(text).toContain('disk = [ "format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/srv/iso/debian.iso" ]');
    expect(text).toContain('vif = [ "bridge=xenbr0,model=e1000,rate=10Mb/s" ]');
    expect(text).toContain('cpuid = "host,rdtscp=0"\nserial = "pty"\nvnc = 0\n');
  });

  it("renders pins as per-vCPU cpus / cpus_soft lists, 'all' for unpinned vCPUs", () => {
    const text = renderXlCfg(with_({ pins: [{ vcpu: 0, hard: "2", soft: "all" }, { vcpu: 2, hard: "4-7", soft: "0,1" }] }));
    expect(text).toContain('cpus = [ "2", "all", "4-7", "all" ]\n');
    expect(text).toContain('cpus_soft = [ "all", "all", "0-1", "all" ]\n');
  });

  it("omits cpus_soft when only hard affinities are pinned, and both when nothing is", () => {
    expect(renderXlCfg(with_({ pins: [{ vcpu: 1, hard: "3", soft: "all" }] }))).not.toMatch(/^cpus_soft/m);
    expect(renderXlCfg(PV)).not.toMatch(/^cpus/m);
  });

  it("renders a bootloader with its arguments as a list, and a cpupool", () => {
    const text = renderXlCfg(with_({ boot: { kind: "bootloader", bootloader: "pygrub", bootloaderArgs: ["--kernel=/vmlinuz", "-q"] }, cpupool: "fast pool" }));
    expect(text).toContain('bootloader = "pygrub"\nbootloader_args = [ "--kernel=/vmlinuz", "-q" ]\n');
    expect(text).toContain('pool = "fast pool"\n');
  });

  it("is deterministic: the same spec renders the same bytes", () => {
    fc.assert(fc.property(domainSpec, (spec) => renderXlCfg(spec) === renderXlCfg(structuredClone(spec))), { numRuns: 50 });
  });

  it.each<[string, string]>([
    ["quotes", 'console=hvc0 msg="hi" it\'s'],
    ["backslashes", "a\\b\\\\c\\"],
    ["dollar and backticks", "$HOME ${x} $(id) `id`"],
    ["non-ASCII", "ünïcödé — 日本語 🚀"],
    ["comment and list syntax", "# not a comment ] [ , ;"],
  ])("writes a cmdline with %s so that xl reads it back exactly", (_, cmdline) => {
    const spec = with_({ boot: { kind: "kernel", kernel: "/k", ramdisk: null, cmdline } });
    const back = parseXlCfg(renderXlCfg(spec));
    expect(back.ok && back.value.boot).toEqual({ kind: "kernel", kernel: "/k", ramdisk: null, cmdline });
  });

  it.each<[string, Partial<DomainSpec>, RegExp]>([
    ["newline in cmdline", { boot: { kind: "kernel", kernel: "/k", ramdisk: null, cmdline: "a\nb" } }, /boot\.cmdline.*line break/],
    ["NUL in the name", { name: "we\0b" }, /field name.*NUL/],
    ["carriage return in the kernel path", { boot: { kind: "kernel", kernel: "/k\r", ramdisk: null, cmdline: null } }, /boot\.kernel.*line break/],
    ["escape character in cpuid", { cpuid: "host\x1b" }, /cpuid.*U\+001B/],
    ["a tab in the cmdline (no format cdktf-xen writes allows a control character)", { boot: { kind: "kernel", kernel: "/k", ramdisk: null, cmdline: "a\tb" } }, /boot\.cmdline.*U\+0009/],
    ["a cpuid policy not in xl's libxl format", { cpuid: "rdtscp=0" }, /cpuid.*libxl format/],
    ["a boot order naming a device twice", { type: "hvm", boot: { kind: "firmware", firmware: "bios", bootOrder: "cc" }, hvm: { serial: null, vnc: false } }, /boot\.bootOrder.*each at most once/],
    ["a bridge starting with '-'", { vifs: [{ bridge: "--ignore-host", mac: null, model: null, rate: null }] }, /vifs\[0\]\.bridge.*option/],
    ["lone surrogate in the cpupool", { cpupool: "pool\ud800" }, /cpupool.*surrogate/],
    ["a disk target ending in a comma", { disks: [{ ...PV.disks[0]!, target: "/dev/x," }] }, /disks\[0\]\.target.*comma/],
    ["a relative disk target", { disks: [{ ...PV.disks[0]!, target: "dev/x" }] }, /disks\[0\]\.target.*absolute/],
    ["a read-write CD-ROM", { disks: [{ ...PV.disks[0]!, devtype: "cdrom" }] }, /disks\[0\]\.access.*read-only/],
    ["a vdev with a colon", { disks: [{ ...PV.disks[0]!, vdev: "xvda:cdrom" }] }, /disks\[0\]\.vdev/],
    ["two disks on one vdev", { disks: [PV.disks[0]!, PV.disks[0]!] }, /disks\[1\]\.vdev.*twice/],
    ["a bridge with a comma", { vifs: [{ bridge: "br0,mac=x", mac: null, model: null, rate: null }] }, /vifs\[0\]\.bridge/],
    ["a rate xl rejects", { vifs: [{ bridge: "xenbr0", mac: null, model: null, rate: "10 Mb/s" }] }, /vifs\[0\]\.rate/],
    ["a malformed MAC", { vifs: [{ bridge: "xenbr0", mac: "00:16:3e", model: null, rate: null }] }, /vifs\[0\]\.mac/],
    ["vcpus above maxVcpus", { vcpus: 5 }, /vcpus.*maxvcpus < vcpus/],
    ["memory above maxMemory", { memoryMiB: 512 }, /memoryMiB/],
    ["a fractional memory size", { memoryMiB: 127.5 }, /memoryMiB.*integer/],
    ["a pin of a vCPU that does not exist", { pins: [{ vcpu: 4, hard: "1", soft: "all" }] }, /pins\[0\]\.vcpu.*maxVcpus is 4/],
    ["a pin that is not a CPU list", { pins: [{ vcpu: 0, hard: "3-1", soft: "all" }] }, /pins\[0\]\.hard/],
    ["a pin to no CPU at all", { pins: [{ vcpu: 0, hard: "all", soft: "1,^1" }] }, /pins\[0\]\.soft/],
    ["a weight of 0", { scheduler: { weight: 0, cap: 0 } }, /scheduler\.weight/],
    ["a bootloader on HVM", { type: "hvm", boot: { kind: "bootloader", bootloader: "pygrub", bootloaderArgs: [] } }, /boot\.bootloader.*PV and PVH/],
    ["PV firmware other than pvgrub", { boot: { kind: "firmware", firmware: "bios", bootOrder: "c" } }, /boot\.firmware.*pvgrub/],
    ["HVM settings on a PV domain", { hvm: { serial: "pty", vnc: false } }, /hvm.*pv domain/],
    ["an empty name", { name: "" }, /name.*empty/],
  ])("throws XlRenderError naming the field for %s", (_, patch, message) => {
    const render = (): string => renderXlCfg(with_(patch));
    expect(render).toThrow(XlRenderError);
    expect(render).toThrow(message);
  });

  it("names the domain in the error", () => {
    try {
      renderXlCfg(with_({ boot: { kind: "kernel", kernel: "/k", ramdisk: null, cmdline: "a\nb" } }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(XlRenderError);
      expect((e as XlRenderError).field).toBe("boot.cmdline");
      expect((e as XlRenderError).domain).toBe("web-1");
      expect((e as Error).message).toMatch(/^domain "web-1": /);
    }
  });
});

describe("shutdown action spelling", () => {
  it.each<[ShutdownAction, string]>([
    ["destroy", "destroy"],
    ["restart", "restart"],
    ["rename_restart", "rename-restart"],
    ["preserve", "preserve"],
    ["coredump_destroy", "coredump-destroy"],
    ["coredump_restart", "coredump-restart"],
    ["soft_reset", "soft-reset"],
  ])("maps libxl's %s to xl.cfg's %s and back", (model, xl) => {
    expect(xlCfgShutdownAction(model)).toBe(xl);
    expect(shutdownActionFromXlCfg(xl)).toBe(model);
  });

  it("knows no xl.cfg action spelled the libxl way", () => {
    expect(shutdownActionFromXlCfg("rename_restart")).toBeNull();
  });
});

describe("parseXlCfg", () => {
  it("GIVEN any renderable spec WHEN rendered and parsed back THEN it equals the spec's xl.cfg view", () => {
    fc.assert(
      fc.property(domainSpec, (spec) => {
        const back = parseXlCfg(renderXlCfg(spec));
        if (!back.ok) throw new Error(JSON.stringify(back.issues));
        expect(back.value).toEqual(xlCfgView(spec));
      }),
      { numRuns: 300 },
    );
  });

  it.each<[Capture, string]>([
    ["xen-4.17", "pv1.cfg"],
    ["xen-4.17-capture2", "pv1.cfg"],
    ["xen-4.17", "pv1-cfg.out"],
    ["xen-4.17-capture2", "pv1-cfg.out"],
  ])("reads the lab's hand-written %s/%s with xl's defaults and legacy disk syntax", (capture, file) => {
    const r = parseXlCfg(fixture(capture, file));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toEqual({
      name: "pv1",
      type: "pv",
      vcpus: 2,
      maxVcpus: 2,
      memoryMiB: 128,
      maxMemoryMiB: 256,
      boot: { kind: "kernel", kernel: "/root/guest/vmlinuz", ramdisk: "/root/guest/initrd.gz", cmdline: "console=hvc0" },
      disks: [{ vdev: "xvda", target: "/dev/vg0/pv1-disk", format: "raw", access: "rw", devtype: "disk" }],
      vifs: [{ bridge: "xenbr0", mac: null, model: null, rate: null }],
      onPoweroff: "destroy",
      onReboot: "restart",
      onCrash: "destroy",
      scheduler: { weight: 256, cap: 0 },
      cpupool: null,
      pins: [],
      cpuid: null,
      hvm: null,
    });
  });

  it.each<[Capture, string]>([
    ["xen-4.17", "pvh1.cfg"],
    ["xen-4.17-capture2", "pvh1-rdtscp.cfg"],
  ])("reads the PVH config %s/%s without cpuid", (capture, file) => {
    expect(parseXlCfg(fixture(capture, file))).toMatchObject({ ok: true, value: { name: "pvh1", type: "pvh", cpuid: null, onCrash: "preserve" } });
  });

  it("reads the xen-4.17 HVM config (console=ttyS0, no cpuid)", () => {
    expect(parseXlCfg(fixture("xen-4.17", "hvm1.cfg"))).toMatchObject({
      ok: true,
      value: { type: "hvm", cpuid: null, onReboot: "restart", hvm: { serial: "pty", vnc: false }, boot: { cmdline: "console=ttyS0" } },
    });
  });

  it("reads the PVH config with a trailing comment and libxl's defaults for what it omits", () => {
    const r = parseXlCfg(fixture("xen-4.17-capture2", "pvh1.cfg"));
    expect(r.ok && r.value).toMatchObject({
      name: "pvh1",
      type: "pvh",
      vcpus: 1,
      maxVcpus: 1,
      memoryMiB: 128,
      maxMemoryMiB: 128,
      onCrash: "preserve",
      onPoweroff: "destroy",
      cpuid: "host,rdtscp=0",
      disks: [],
      vifs: [],
    });
  });

  it("reads the HVM config: extra as cmdline, vnc off, serial, two on_* actions", () => {
    const r = parseXlCfg(fixture("xen-4.17-capture2", "hvm1.cfg"));
    expect(r.ok && r.value).toMatchObject({
      name: "hvm1",
      type: "hvm",
      boot: { kind: "kernel", kernel: "/root/guest/vmlinuz", ramdisk: "/root/guest/initrd.gz", cmdline: "console=hvc0 8250.nr_uarts=0" },
      hvm: { serial: "pty", vnc: false },
      onReboot: "preserve",
      onCrash: "preserve",
    });
  });

  it("applies xl's rules: last assignment wins, cmdline beats extra, octal and hex numbers", () => {
    const r = parseXlCfg('name="a"; name="b"\nkernel="/k"\nextra="x"\ncmdline="y"\nmemory=0x100\nmaxmem=0400\n');
    expect(r.ok && r.value).toMatchObject({ name: "b", memoryMiB: 256, maxMemoryMiB: 256, boot: { cmdline: "y" } });
  });

  it("reports every problem with its line: bad escape, unknown action, list where a string belongs", () => {
    const r = parseXlCfg('name = "a\\qb"\nkernel = "/k"\non_crash = "explode"\ntype = [ "pv" ]\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      { path: "line 1", message: expect.stringMatching(/escape \\q/) },
      { path: "line 4 (type)", message: "type must be a single value, not a list" },
      { path: "line 3 (on_crash)", message: 'unknown on_crash action "explode"' },
    ]);
  });

  it("reports a missing name", () => {
    const r = parseXlCfg('kernel = "/k"\n');
    expect(!r.ok && r.issues).toEqual([{ path: "name", message: "name is mandatory in an xl.cfg" }]);
  });
});

const oracle = xluOracle();
const STRING_KEYS = ["name", "type", "kernel", "ramdisk", "cmdline", "bootloader", "firmware", "boot", "pool", "cpuid", "serial", "on_poweroff", "on_reboot", "on_crash"];
const NUMBER_KEYS = ["memory", "maxmem", "vcpus", "maxvcpus", "cpu_weight", "cap", "vnc"];

describe.skipIf(oracle === null)("renderXlCfg against Xen's own parser (libxlutil 4.17)", () => {
  const dir = mkdtempSync(join(tmpdir(), "xl-render-"));
  let n = 0;

  it("GIVEN any renderable spec WHEN libxlutil reads the file THEN every value is what the spec declared", () => {
    fc.assert(
      fc.property(domainSpec, (spec) => {
        const file = join(dir, `d${n++}.cfg`);
        writeFileSync(file, renderXlCfg(spec));
        const got = runOracle(oracle!, file, [...STRING_KEYS, ...NUMBER_KEYS, "disk", "vif", "cpus", "cpus_soft", "bootloader_args"]);
        expect(got.parseError).toBeUndefined();
        const keys = got.keys!;
        const str = (k: string): string | null => {
          const v = keys[k];
          return v && "string" in v ? v.string : null;
        };
        const list = (k: string): (string | null)[] | null => {
          const v = keys[k];
          return v && "list" in v ? v.list : null;
        };
        const view = xlCfgView(spec);
        expect(str("name")).toBe(spec.name);
        expect(keys["memory"]).toMatchObject({ long: spec.memoryMiB });
        expect(keys["maxvcpus"]).toMatchObject({ long: spec.maxVcpus });
        expect(keys["cpu_weight"]).toMatchObject({ long: spec.scheduler.weight });
        expect(str("pool")).toBe(spec.cpupool);
        expect(str("cpuid")).toBe(spec.cpuid);
        if (spec.boot.kind === "kernel") {
          expect(str("kernel")).toBe(spec.boot.kernel);
          expect(str("ramdisk")).toBe(spec.boot.ramdisk);
          expect(str("cmdline")).toBe(spec.boot.cmdline);
        } else if (spec.boot.kind === "bootloader") {
          expect(str("bootloader")).toBe(spec.boot.bootloader);
          expect(list("bootloader_args") ?? []).toEqual(spec.boot.bootloaderArgs);
        } else {
          expect(str("firmware")).toBe(spec.boot.firmware);
        }
        const disks = keys["disk"];
        if (spec.disks.length === 0) expect(disks).toBeNull();
        else {
          expect(disks && "disks" in disks && disks.disks).toEqual(
            spec.disks.map((d) => ({
              pdev_path: d.target,
              vdev: d.vdev,
              format: d.format,
              readwrite: d.access === "rw" ? 1 : 0,
              is_cdrom: d.devtype === "cdrom" ? 1 : 0,
            })),
          );
        }
        if (spec.vifs.length > 0) {
          expect(list("vif")).toEqual(spec.vifs.map((v, i) => renderVifTokens(v, `vifs[${i}]`).join(",")));
          const rates = keys["vif"] && "rates" in keys["vif"] ? keys["vif"].rates : [];
          spec.vifs.forEach((v, i) => {
            const mine = v.rate === null ? null : parseVifRate(v.rate);
            expect(rates?.[i]).toEqual(mine === null ? null : { bytes_per_interval: mine.bytesPerInterval, interval_usecs: mine.intervalUsecs });
          });
        }
        const hard = list("cpus");
        for (const p of view.pins) if (p.hard !== "all") expect(hard?.[p.vcpu]).toBe(p.hard);
        expect(str("on_crash")).toBe(xlCfgShutdownAction(spec.onCrash));
      }),
      { numRuns: 120 },
    );
  });
});
