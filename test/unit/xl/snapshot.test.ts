import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PoolSpec } from "../../../src/model/spec.js";
import type { LiveDomain } from "../../../src/xl/live.js";
import { renderXlCfg } from "../../../src/xl/render.js";
import { parseSnapshot, parseSnapshotSections, snapshotCommand, snapshotScript } from "../../../src/xl/snapshot.js";
import { PV } from "./arbitraries.js";
import { fixture, fixturePath, sh } from "./helpers.js";

const C2 = "xen-4.17-capture2" as const;
const POOLS: PoolSpec[] = [
  { kind: "lvm", name: "vg0", volumeGroup: "vg0", shared: false },
  { kind: "lvm", name: "fast", volumeGroup: "vg0", shared: false },
];

/** One section in the snapshot grammar, as the script prints it. */
function section(name: string, stdout: string, rc = 0, stderr = "", nonce = "snapshot"): string {
  const m = `#cdktf-xen:${nonce}#`;
  return `${m} BEGIN ${name}\n${stdout}\n${m} STDERR ${name}\n${stderr}\n${m} END ${name} ${rc}\n`;
}

function header(nonce = "snapshot"): string {
  return `#cdktf-xen:${nonce}# SNAPSHOT 1\n`;
}

/** A snapshot assembled from the capture2 host while pv1 ran (domid 10). */
function assembled(overrides: Record<string, string> = {}): string {
  const parts: Record<string, string> = {
    info: section("info", fixture(C2, "xl-info.out")),
    list: section("list", fixture(C2, "xl-list.out")),
    "list-l": section("list-l", fixture(C2, "xl-list-l.out")),
    "vcpu-list": section("vcpu-list", fixture(C2, "xl-vcpu-list.out")),
    "sched-credit2": section("sched-credit2", fixture(C2, "xl-sched-credit2.out")),
    "cpupool-list": section("cpupool-list", fixture(C2, "xl-cpupool-list.out")),
    "lvs:vg0": section("lvs:vg0", fixture(C2, "lvs-json.out")),
    "cfg:pv1.cfg": section("cfg:pv1.cfg", Buffer.from(fixture(C2, "pv1.cfg")).toString("base64")),
    autostart: section("autostart", "pv1.cfg\t/etc/xen/cdktf-xen/pv1.cfg\nold.cfg\t/etc/xen/old.cfg\nREADME\t\n"),
    bridges: section("bridges", "xenbr0\n"),
    ...overrides,
  };
  return header() + Object.values(parts).join("");
}

const PV1: LiveDomain = {
  name: "pv1",
  domid: 10,
  uuid: "37d9ab52-273b-4233-8f80-521e0ead4c12",
  state: "blocked",
  type: "pv",
  memoryMiB: 128,
  targetMemoryMiB: 128,
  maxMemoryMiB: 256,
  vcpus: 2,
  maxVcpus: 2,
  kernel: "/root/guest/vmlinuz",
  ramdisk: "/root/guest/initrd.gz",
  cmdline: "console=hvc0",
  bootloader: null,
  disks: [{ vdev: "xvda", target: "/dev/vg0/pv1-disk", format: "raw", access: "rw", devtype: "disk" }],
  vifs: [{ devid: 0, bridge: "xenbr0", mac: "00:16:3e:0c:db:72", model: null, rate: null }],
  onPoweroff: "destroy",
  onReboot: "restart",
  onCrash: "destroy",
  scheduler: { weight: 256, cap: 0 },
  cpupool: null,
  vcpuList: [
    { vcpu: 0, cpu: 1, online: true, hard: "all", soft: "all" },
    { vcpu: 1, cpu: 0, online: true, hard: "all", soft: "all" },
  ],
};

describe("parseSnapshot over a snapshot assembled from real xl 4.17 outputs", () => {
  it("builds the live host: pv1 merged from list, list -l, vcpu-list and sched-credit2; Domain-0 left out", () => {
    const r = parseSnapshot(assembled(), POOLS);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.value).toEqual({
      info: { nrCpus: 2, totalMemoryMiB: 3071, freeMemoryMiB: 2014, scheduler: "credit2", xenVersion: "4.17.7", virtCaps: ["pv", "hvm", "hap", "gnttab-v1", "gnttab-v2"] },
      domains: [PV1],
      volumes: [
        { pool: "vg0", name: "pv1-disk", path: "/dev/vg0/pv1-disk", sizeBytes: 268435456 },
        { pool: "fast", name: "pv1-disk", path: "/dev/vg0/pv1-disk", sizeBytes: 268435456 },
      ],
      configFiles: [{ name: "pv1", path: "/etc/xen/cdktf-xen/pv1.cfg", content: fixture(C2, "pv1.cfg") }],
      autostart: ["pv1"],
      bridges: ["xenbr0"],
    });
  });

  it("takes the live weight, cap and cpupool from sched-credit2 over the stored config", () => {
    const sched = "Cpupool Pool-0: ratelimit=1000us\nName ID Weight  Cap\nDomain-0 0 256 0\nCpupool fast: ratelimit=1000us\nName ID Weight  Cap\npv1 10 512 50\n";
    const r = parseSnapshot(assembled({ "sched-credit2": section("sched-credit2", sched) }), POOLS);
    expect(r.ok && r.value.domains[0]).toMatchObject({ scheduler: { weight: 512, cap: 50 }, cpupool: "fast" });
  });

  it("reads an idle host (Domain-0 only, no managed files)", () => {
    const r = parseSnapshot(
      assembled({
        list: section("list", fixture(C2, "xl-list-dom0-only.out")),
        "list-l": section("list-l", fixture(C2, "xl-list-l-dom0-only.out")),
        "vcpu-list": section("vcpu-list", fixture(C2, "xl-vcpu-list.out").split("\n").slice(0, 3).join("\n")),
        "sched-credit2": section("sched-credit2", fixture(C2, "xl-sched-credit2-dom0-only.out")),
        "cfg:pv1.cfg": "",
        autostart: section("autostart", ""),
      }),
      POOLS,
    );
    expect(r.ok && r.value).toMatchObject({ domains: [], configFiles: [], autostart: [] });
  });

  it.each<[string, Record<string, string>, RegExp, string]>([
    ["xl list -l failed", { "list-l": section("list-l", "", 1, "libxl: error: something broke\n") }, /something broke/, "section list-l"],
    ["a VG that does not exist", { "lvs:vg0": section("lvs:vg0", "", 5, '  Volume group "vg0" not found\n') }, /Volume group "vg0" not found/, "section lvs:vg0"],
    ["xl not installed", { info: section("info", "", 127, "sh: 1: xl: not found\n") }, /program not found/, "section info"],
    ["a section missing", { bridges: "" }, /missing/, "section bridges"],
    ["pv1 vanished between list and list -l", { "list-l": section("list-l", fixture(C2, "xl-list-l-dom0-only.out")) }, /not in `xl list -l`/, "domain pv1 (id 10)"],
    ["unreadable xl list", { list: section("list", "garbage\n") }, /not an xl list row/, "section list: line 1"],
  ])("reports %s as an issue with its section", (_, overrides, message, path) => {
    const r = parseSnapshot(assembled(overrides), POOLS);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it("reports output that was cut short", () => {
    const text = assembled();
    const r = parseSnapshot(text.slice(0, text.indexOf("END bridges")), POOLS);
    expect(!r.ok && r.issues).toContainEqual({ path: "section bridges", message: expect.stringMatching(/cut short/) });
  });

  it("refuses output without the header, or with another nonce than the one asked for", () => {
    expect(parseSnapshotSections("hello\n")).toMatchObject({ ok: false, issues: [{ message: expect.stringMatching(/no SNAPSHOT header/) }] });
    expect(parseSnapshotSections(assembled(), "other")).toMatchObject({ ok: false, issues: [{ message: expect.stringMatching(/nonce/) }] });
    expect(parseSnapshot(assembled(), POOLS, { nonce: "other" })).toMatchObject({ ok: false });
  });

  it("uses the header's nonce when the caller gives none", () => {
    const text = assembled().replaceAll("#cdktf-xen:snapshot#", "#cdktf-xen:abc123#");
    expect(parseSnapshot(text, POOLS)).toMatchObject({ ok: true, value: { domains: [{ name: "pv1" }] } });
  });

  it("keeps section bodies byte-exact, including a missing final newline and an empty body", () => {
    const out = header() + section("a", "x") + section("b", "") + section("c", "l1\n\nl3\n", 0, "warn");
    const r = parseSnapshotSections(out);
    expect(r.ok && Object.fromEntries(r.value)).toEqual({
      a: { stdout: "x", stderr: "", rc: 0 },
      b: { stdout: "", stderr: "", rc: 0 },
      c: { stdout: "l1\n\nl3\n", stderr: "warn", rc: 0 },
    });
  });
});

/** A scratch host: fake xl/lvs/qemu-img that cat the fixtures and record their argv. */
function fakeHost(opts: { failListLong?: boolean; hostileDomain?: string } = {}) {
  const root = mkdtempSync(join(tmpdir(), "xl-snapshot-"));
  const bin = join(root, "bin");
  const log = join(root, "calls.log");
  mkdirSync(bin);
  const fix = (f: string) => fixturePath(C2, f);
  const hostile = opts.hostileDomain ? `printf '%s\\n' ${JSON.stringify(opts.hostileDomain.replace(/'/g, ""))}` : ":";
  writeFileSync(
    join(bin, "xl"),
    `#!/bin/sh
# fake xl: replays xl 4.17 outputs captured on the lab host
printf 'xl %s\\n' "$*" >> '${log}'
case "$*" in
  info) cat '${fix("xl-info.out")}' ;;
  list) cat '${fix("xl-list.out")}'; ${hostile} ;;
  "list -l") ${opts.failListLong ? `cat '${fix("xl-err-list-l-nosuchdom.err")}' >&2; exit 1` : `cat '${fix("xl-list-l.out")}'`} ;;
  vcpu-list) cat '${fix("xl-vcpu-list.out")}' ;;
  sched-credit2) cat '${fix("xl-sched-credit2.out")}' ;;
  cpupool-list) cat '${fix("xl-cpupool-list.out")}' ;;
  *) echo "fake xl: unexpected: $*" >&2; exit 99 ;;
esac
`,
    { mode: 0o755 },
  );
  writeFileSync(join(bin, "lvs"), `#!/bin/sh\n# fake lvs\nprintf 'lvs %s\\n' "$*" >> '${log}'\ncat '${fix("lvs-json.out")}'\n`, { mode: 0o755 });
  writeFileSync(
    join(bin, "qemu-img"),
    `#!/bin/sh\n# fake qemu-img\nprintf 'qemu-img %s\\n' "$*" >> '${log}'\necho "image: $3"\necho 'file format: qcow2'\necho 'virtual size: 1 GiB (1073741824 bytes)'\n`,
    { mode: 0o755 },
  );

  const configDir = join(root, "etc", "cdktf-xen");
  const autostartDir = join(root, "etc", "auto");
  const netDir = join(root, "net");
  const pool = join(root, "pool dir");
  for (const d of [configDir, autostartDir, join(netDir, "xenbr0", "bridge"), join(netDir, "eth0"), join(pool, "subdir")]) mkdirSync(d, { recursive: true });
  const hostileCfg = renderXlCfg({ ...PV, name: "pv1", boot: { kind: "kernel", kernel: "/k", ramdisk: null, cmdline: "x #cdktf-xen:snapshot# END list 0 $(id) é" } });
  writeFileSync(join(configDir, "pv1.cfg"), hostileCfg);
  writeFileSync(join(configDir, "web 2.cfg"), "name = 'web 2'\n");
  writeFileSync(join(configDir, "notes.txt"), "ignored\n");
  symlinkSync(join(configDir, "pv1.cfg"), join(autostartDir, "pv1.cfg"));
  symlinkSync("/etc/xen/elsewhere.cfg", join(autostartDir, "foreign.cfg"));
  writeFileSync(join(pool, "raw disk.img"), Buffer.alloc(4096));
  writeFileSync(join(pool, "img.qcow2"), Buffer.concat([Buffer.from("QFI\xfb", "latin1"), Buffer.alloc(508)]));
  writeFileSync(join(pool, ".hidden"), "x");

  const pools: PoolSpec[] = [
    { kind: "lvm", name: "vg0", volumeGroup: "vg0", shared: false },
    { kind: "dir", name: "files", path: pool, shared: false },
    { kind: "dir", name: "not-yet", path: join(root, "missing"), shared: false },
  ];
  const env = { ...process.env, PATH: `${bin}:${process.env["PATH"]}` };
  return { root, log, pools, env, configDir, autostartDir, netDir, pool, hostileCfg };
}

describe("snapshotScript run by /bin/sh against a fake host", () => {
  it("runs every read in one script and parses into the live host", () => {
    const h = fakeHost();
    const options = { nonce: "T3st", configDir: h.configDir, autostartDir: h.autostartDir, netDir: h.netDir };
    const r = sh(snapshotScript(h.pools, options), [], h.env);
    expect(r.status).toBe(0);
    expect(readFileSync(h.log, "utf8").split("\n").filter(Boolean)).toEqual([
      "xl info",
      "xl list",
      "xl list -l",
      "xl vcpu-list",
      "xl sched-credit2",
      "xl cpupool-list",
      "lvs --reportformat json --units b --nosuffix -o lv_name,vg_name,lv_size vg0",
      `qemu-img info -U ${h.pool}/img.qcow2`,
    ]);
    const parsed = parseSnapshot(r.stdout.toString("utf8"), h.pools, options);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const live = parsed.value;
    expect(live.domains).toEqual([PV1]);
    expect(live.volumes).toEqual([
      { pool: "vg0", name: "pv1-disk", path: "/dev/vg0/pv1-disk", sizeBytes: 268435456 },
      { pool: "files", name: "img.qcow2", path: `${h.pool}/img.qcow2`, sizeBytes: 1073741824 },
      { pool: "files", name: "raw disk.img", path: `${h.pool}/raw disk.img`, sizeBytes: 4096 },
    ]);
    expect(live.configFiles).toEqual([
      { name: "pv1", path: `${h.configDir}/pv1.cfg`, content: h.hostileCfg },
      { name: "web 2", path: `${h.configDir}/web 2.cfg`, content: "name = 'web 2'\n" },
    ]);
    expect(live.autostart).toEqual(["pv1"]);
    expect(live.bridges).toEqual(["xenbr0"]);
  });

  it("runs the same way as one `sh -c` command line, as an SSH exec request sends it", () => {
    const h = fakeHost();
    const options = { configDir: h.configDir, autostartDir: h.autostartDir, netDir: h.netDir };
    const r = sh(snapshotCommand(h.pools, options), [], h.env);
    expect(r.status).toBe(0);
    expect(parseSnapshot(r.stdout.toString("utf8"), h.pools, options)).toMatchObject({ ok: true });
  });

  it("carries on past a failing command and reports it with xl's own message", () => {
    const h = fakeHost({ failListLong: true });
    const options = { configDir: h.configDir, autostartDir: h.autostartDir, netDir: h.netDir };
    const r = sh(snapshotScript(h.pools, options), [], h.env);
    expect(readFileSync(h.log, "utf8")).toContain("xl cpupool-list");
    const parsed = parseSnapshot(r.stdout.toString("utf8"), h.pools, options);
    expect(!parsed.ok && parsed.issues).toEqual([
      { path: "section list-l", message: expect.stringMatching(/domain "nosuchdom" does not exist: nosuchdom is an invalid domain identifier/) },
    ]);
  });

  it("is not fooled by a domain named like a marker: markers carry the script's nonce", () => {
    const h = fakeHost({ hostileDomain: "#cdktf-xen:snapshot# END list 0" });
    const options = { nonce: "R4nd0m", configDir: h.configDir, autostartDir: h.autostartDir, netDir: h.netDir };
    const r = sh(snapshotScript(h.pools, options), [], h.env);
    const sections = parseSnapshotSections(r.stdout.toString("utf8"), "R4nd0m");
    expect(sections.ok && sections.value.get("list")!.stdout).toContain("#cdktf-xen:snapshot# END list 0");
    for (const parsed of [parseSnapshot(r.stdout.toString("utf8"), h.pools, options), parseSnapshot(r.stdout.toString("utf8"), h.pools, { ...options, nonce: undefined })]) {
      expect(!parsed.ok && parsed.issues).toEqual([{ path: "section list: line 4", message: expect.stringMatching(/not an xl list row/) }]);
    }
  });

  it("quotes pool paths: a dir pool path with shell syntax is only ever a path", () => {
    const script = snapshotScript([{ kind: "dir", name: "x", path: "/srv/$(reboot)/'; rm -rf /", shared: false }]);
    expect(script).toContain(`_cx_run dir:0 _cx_dir '/srv/$(reboot)/'\\''; rm -rf /'`);
  });
});
