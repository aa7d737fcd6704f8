import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  autostartLink,
  autostartLinkPath,
  autostartUnlink,
  checkDomainName,
  fileRemove,
  lvcreate,
  lvextend,
  lvremove,
  managedConfigPath,
  mkdirManagedConfigDir,
  qemuImgCreate,
  qemuImgResize,
  rawFileCreate,
  rawFileGrow,
  removeManagedConfig,
  writeFileAtomic,
  xlBlockAttach,
  xlBlockDetach,
  xlCreate,
  xlDestroy,
  xlMemMax,
  xlMemSet,
  xlNetworkAttach,
  xlNetworkDetach,
  xlSchedCredit2,
  xlShutdownWait,
  xlVcpuPin,
  xlVcpuSet,
} from "../../../src/xl/commands.js";
import { XlArgumentError } from "../../../src/xl/errors.js";
import { shellCommand } from "../../../src/xl/shell.js";
import { sh } from "./helpers.js";

const DISK = { vdev: "xvdb", target: "/dev/vg0/web data", format: "raw", access: "rw", devtype: "disk", volume: "vg0/web data" } as const;

describe("xl and LVM argv builders", () => {
  it.each<[string, string[], string[]]>([
    ["xlCreate", xlCreate("/etc/xen/cdktf-xen/web-1.cfg"), ["xl", "create", "/etc/xen/cdktf-xen/web-1.cfg"]],
    ["xlShutdownWait", xlShutdownWait("web-1"), ["xl", "shutdown", "-w", "web-1"]],
    ["xlDestroy", xlDestroy("web-1"), ["xl", "destroy", "web-1"]],
    ["xlMemSet", xlMemSet("web-1", 96), ["xl", "mem-set", "web-1", "96m"]],
    ["xlMemMax", xlMemMax("web-1", 300), ["xl", "mem-max", "web-1", "300m"]],
    ["xlVcpuSet", xlVcpuSet("web-1", 2), ["xl", "vcpu-set", "web-1", "2"]],
    ["xlVcpuPin", xlVcpuPin("web-1", 1, "all", "0"), ["xl", "vcpu-pin", "web-1", "1", "all", "0"]],
    ["xlSchedCredit2", xlSchedCredit2("web-1", 512, 50), ["xl", "sched-credit2", "-d", "web-1", "-w", "512", "-c", "50"]],
    ["xlBlockAttach", xlBlockAttach("web-1", DISK), ["xl", "block-attach", "web-1", "format=raw, vdev=xvdb, access=rw, target=/dev/vg0/web data"]],
    ["xlBlockDetach", xlBlockDetach("web-1", "xvdb"), ["xl", "block-detach", "web-1", "xvdb"]],
    [
      "xlNetworkAttach",
      xlNetworkAttach("web-1", { bridge: "xenbr0", mac: "00:16:3E:00:00:01", model: null, rate: "10Mb/s" }),
      ["xl", "network-attach", "web-1", "bridge=xenbr0", "mac=00:16:3e:00:00:01", "rate=10Mb/s"],
    ],
    ["xlNetworkDetach by devid", xlNetworkDetach("web-1", 1), ["xl", "network-detach", "web-1", "1"]],
    ["xlNetworkDetach by mac", xlNetworkDetach("web-1", "00:16:3e:00:00:01"), ["xl", "network-detach", "web-1", "00:16:3e:00:00:01"]],
    ["lvcreate", lvcreate("vg0", "web-1-root", 20480), ["lvcreate", "-y", "-L", "20480m", "-n", "web-1-root", "vg0"]],
    ["lvextend", lvextend("vg0", "web-1-root", 30720), ["lvextend", "-L", "30720m", "vg0/web-1-root"]],
    ["lvremove", lvremove("vg0", "web-1-root"), ["lvremove", "-y", "vg0/web-1-root"]],
    ["qemuImgCreate", qemuImgCreate("/srv/xen/a.qcow2", 1024), ["qemu-img", "create", "-f", "qcow2", "/srv/xen/a.qcow2", "1024M"]],
    ["qemuImgResize", qemuImgResize("/srv/xen/a.qcow2", 2048), ["qemu-img", "resize", "-f", "qcow2", "/srv/xen/a.qcow2", "2048M"]],
    ["fileRemove", fileRemove("/srv/xen/a.img"), ["rm", "-f", "--", "/srv/xen/a.img"]],
    ["mkdirManagedConfigDir", mkdirManagedConfigDir(), ["mkdir", "-p", "--", "/etc/xen/cdktf-xen"]],
    ["removeManagedConfig", removeManagedConfig("web-1"), ["rm", "-f", "--", "/etc/xen/cdktf-xen/web-1.cfg"]],
    ["autostartUnlink", autostartUnlink("web-1"), ["rm", "-f", "--", "/etc/xen/auto/web-1.cfg"]],
  ])("%s builds the argv xl(1)/lvm(8) expect", (_, argv, expected) => {
    expect(argv).toEqual(expected);
  });

  it("GIVEN a hostile domain name WHEN the argv is joined for the shell THEN the program gets it as one argument", () => {
    const name = "we'b $(id) `x`; *";
    for (const argv of [xlDestroy(name), xlMemSet(name, 64), xlBlockAttach(name, DISK)]) {
      const r = sh(shellCommand(["printf", "%s\\0", ...argv]));
      expect(r.stdout.toString("utf8").split("\0").slice(0, -1)).toEqual(argv);
    }
  });

  it.each<[string, () => unknown, RegExp]>([
    ["an all-digit name (xl takes it as a domid)", () => xlDestroy("123"), /domain id/],
    ["a name starting with '-' (an option)", () => xlDestroy("-f"), /option/],
    ["an empty name", () => xlShutdownWait(""), /empty/],
    ["a name with '/'", () => managedConfigPath("a/b"), /'\/'/],
    ["a name with a newline", () => xlDestroy("a\nb"), /control character/],
    ["a size of 0 MiB", () => lvcreate("vg0", "x", 0), /positive whole number/],
    ["a fractional size", () => xlMemSet("web", 1.5), /positive whole number/],
    ["a VG starting with '-'", () => lvcreate("-vg", "x", 1), /LVM name/],
    ["an LV name LVM reserves", () => lvcreate("vg0", "x_tmeta", 1), /reserves/],
    ["a relative image path", () => qemuImgCreate("a.qcow2", 1), /absolute path/],
    ["a cap out of range", () => xlSchedCredit2("web", 256, -1), /cap/],
    ["a CPU list with shell syntax", () => xlVcpuPin("web", 0, "1;reboot", "all"), /CPU list/],
    ["a MAC that is not one", () => xlNetworkDetach("web", "eth0"), /MAC/],
    ["a disk xl would misread", () => xlBlockAttach("web", { ...DISK, target: "/x," }), /comma/],
    ["a vif bridge with a comma", () => xlNetworkAttach("web", { bridge: "a,b", mac: null, model: null, rate: null }), /bridge/],
  ])("refuses %s with XlArgumentError", (_, build, message) => {
    expect(build).toThrow(XlArgumentError);
    expect(build).toThrow(message);
  });

  it("accepts ordinary domain names", () => {
    for (const n of ["web-1", "db.prod", "a b", "pv1", "x_1", "日本"]) expect(checkDomainName(n)).toBe(n);
  });

  it("names the managed paths after the domain", () => {
    expect(managedConfigPath("web-1")).toBe("/etc/xen/cdktf-xen/web-1.cfg");
    expect(autostartLinkPath("web-1")).toBe("/etc/xen/auto/web-1.cfg");
    expect(autostartLink("web-1")).toBe(
      "sh -c 'mkdir -p -- /etc/xen/auto && ln -sf -- /etc/xen/cdktf-xen/web-1.cfg /etc/xen/auto/web-1.cfg'",
    );
  });
});

describe("writeFileAtomic", () => {
  const dir = mkdtempSync(join(tmpdir(), "xl-write-"));

  it("GIVEN any content WHEN the command runs in sh THEN the file holds exactly that content, mode 0644, no temp file left", () => {
    let n = 0;
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (raw) => {
        const content = Buffer.from(raw, "utf8").toString("utf8"); // what UTF-8 can carry
        const path = join(dir, `sub dir/f'${n++} $x.cfg`);
        const r = sh(writeFileAtomic(path, content));
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(readFileSync(path, "utf8")).toBe(content);
        expect(statSync(path).mode & 0o777).toBe(0o644);
      }),
      { numRuns: 40 },
    );
    expect(readdirSync(join(dir, "sub dir")).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("removes its temp file when the rename fails (a fake mv that always fails)", () => {
    const bin = mkdtempSync(join(tmpdir(), "xl-fake-mv-"));
    writeFileSync(join(bin, "mv"), "#!/bin/sh\necho 'fake mv: refusing' >&2\nexit 1\n", { mode: 0o755 });
    const target = join(dir, "rename-fails");
    sh(`mkdir -p '${target}'`);
    const r = sh(writeFileAtomic(join(target, "web-1.cfg"), "content"), [], { ...process.env, PATH: `${bin}:${process.env["PATH"]}` });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/fake mv: refusing/);
    expect(readdirSync(target)).toEqual([]);
  });

  it("replaces an existing file, including text that would end a here-doc or a quote", () => {
    const path = join(dir, "web-1.cfg");
    writeFileSync(path, "old");
    const content = "EOF\n'\"\n$(touch /tmp/pwned)\n`id`\n\\\n# managed by cdktf-xen — edits are overwritten\n";
    expect(sh(writeFileAtomic(path, content)).status).toBe(0);
    expect(readFileSync(path, "utf8")).toBe(content);
  });

  it("refuses to replace a directory, leaving no temp file anywhere", () => {
    const target = join(dir, "is-a-dir");
    sh(`mkdir -p '${target}/inner'`);
    const r = sh(writeFileAtomic(target, "x"));
    expect(r.status).toBe(21);
    expect(r.stderr).toMatch(/is a directory/);
    expect(readdirSync(dir).filter((f) => f.startsWith(".is-a-dir"))).toEqual([]);
    expect(readdirSync(target)).toEqual(["inner"]);
  });
});

describe("raw dir-pool images", () => {
  const dir = mkdtempSync(join(tmpdir(), "xl-raw-"));

  it("creates a sparse file of the size, then grows it, and never shrinks or overwrites", () => {
    const path = join(dir, "web 1.img");
    expect(sh(rawFileCreate(path, 2)).status).toBe(0);
    expect(statSync(path).size).toBe(2 * 1024 * 1024);

    const again = sh(rawFileCreate(path, 1));
    expect(again.status).toBe(17);
    expect(again.stderr).toMatch(/already exists/);
    expect(statSync(path).size).toBe(2 * 1024 * 1024);

    expect(sh(rawFileGrow(path, 3)).status).toBe(0);
    expect(statSync(path).size).toBe(3 * 1024 * 1024);

    const shrink = sh(rawFileGrow(path, 1));
    expect(shrink.status).toBe(18);
    expect(shrink.stderr).toMatch(/refusing to shrink/);
    expect(statSync(path).size).toBe(3 * 1024 * 1024);
  });
});
