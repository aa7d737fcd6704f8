/**
 * The FAKE Xen toolstack the reconcile and CLI tests run against prints what the lab's real
 * Xen 4.17 printed: its outputs for the lab's captured state are compared with the captures
 * in /work/shared/fixtures byte for byte (CPU times, which move, are compared digit-for-digit
 * in layout only; the fake names itself `fake-xen` in `xl info`), and cdktf-xen's own parsers
 * read them. If these fail, the integration tests prove nothing about real hosts.
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseXlList } from "../../src/xl/list.js";
import { parseXlListLong } from "../../src/xl/list-long.js";
import { parseXlVcpuList } from "../../src/xl/vcpu-list.js";
import { parseXlSchedCredit2 } from "../../src/xl/sched.js";
import { parseXlInfo } from "../../src/xl/info.js";
import { parseLvsJson } from "../../src/xl/lvs.js";
import { lvsArgv } from "../../src/xl/snapshot.js";
import { classifyXlError } from "../../src/xl/errors.js";
import { FAKE_TOOLS, FakeXen, SHARED_FIXTURES, hostPathsInUse, isChangingCall } from "../helpers/fake-xen/index.js";
import { waitUntil } from "../helpers/sshd.js";

const execFileP = promisify(execFile);
const CAPTURE2 = join(SHARED_FIXTURES, "xen-4.17-capture2");
const CAPTURE1 = join(SHARED_FIXTURES, "xen-4.17");
const capture = (dir: string, file: string): string => readFileSync(join(dir, file), "utf8");

/** Layout only: every digit becomes 9 (widths and everything else must still match). */
const layout = (text: string): string => text.replace(/\d/g, "9");

const busy = hostPathsInUse(["vg0"]);
if (busy !== null) console.warn(`skipping the fake-Xen fidelity tests: ${busy}`);

describe.skipIf(busy !== null)("the fake Xen toolstack", { timeout: 60_000 }, () => {
  let fake: FakeXen;

  async function run(tool: string, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const file = (FAKE_TOOLS as readonly string[]).includes(tool) ? join(fake.binDir, tool) : tool;
      const { stdout, stderr } = await execFileP(file, args);
      return { stdout, stderr, code: 0 };
    } catch (e) {
      const x = e as { stdout: string; stderr: string; code: number };
      return { stdout: x.stdout, stderr: x.stderr, code: x.code };
    }
  }

  /** The lab's capture-2 host: 2 pCPUs, 3071 MiB, pv1 (domid 10) created from its pv1.cfg. */
  async function captureTwoHost(): Promise<void> {
    fake.reset({ nrCpus: 2, totalMemoryMiB: 3071, volumeGroups: { vg0: 4092 } });
    expect((await run("lvcreate", "-y", "-L", "256M", "-n", "pv1-disk", "vg0")).code).toBe(0);
    await fake.update((s) => {
      s.nextDomid = 10;
      s.host.dom0CpuTime = 1283.1;
    });
    const created = await run("xl", "create", join(CAPTURE2, "pv1.cfg"));
    expect(created.stderr).toBe(`Parsing config from ${join(CAPTURE2, "pv1.cfg")}\n`);
    expect(created.code).toBe(0);
    await fake.update((s) => {
      const pv1 = s.domains[0]!;
      pv1.uuid = "37d9ab52-273b-4233-8f80-521e0ead4c12";
      pv1.nics[0]!.mac = "00:16:3e:0c:db:72";
      pv1.cpuTime = 9.4;
    });
  }

  beforeAll(async () => {
    fake = await FakeXen.start({ volumeGroups: { vg0: 4092 } });
  });
  afterAll(async () => {
    await fake?.stop();
  });
  beforeEach(async () => {
    await captureTwoHost();
  });

  it("prints `xl list` as Xen 4.17 does, tabs in the header included", async () => {
    const { stdout } = await run("xl", "list");
    expect(layout(stdout)).toBe(layout(capture(CAPTURE2, "xl-list.out")));
    expect(stdout.split("\n").slice(0, 2).join("\n")).toBe(capture(CAPTURE2, "xl-list.out").split("\n").slice(0, 2).join("\n"));
    expect(parseXlList(stdout).ok).toBe(true);
  });

  it("prints `xl list -l` as libxl's JSON, byte for byte, for the captured pv1", async () => {
    const { stdout } = await run("xl", "list", "-l");
    expect(stdout).toBe(capture(CAPTURE2, "xl-list-l.out"));
    const parsed = parseXlListLong(stdout);
    expect(parsed.ok && parsed.value.map((d) => [d.name, d.targetMemoryMiB, d.maxMemoryMiB])).toEqual([
      ["Domain-0", 1048575 / 1024, 1024],
      ["pv1", 128, 256],
    ]);
  });

  it("prints `xl vcpu-list`, `xl sched-credit2` and `xl cpupool-list` in the captured layouts", async () => {
    const vcpus = (await run("xl", "vcpu-list")).stdout;
    expect(layout(vcpus)).toBe(layout(capture(CAPTURE2, "xl-vcpu-list.out")));
    expect(parseXlVcpuList(vcpus).ok).toBe(true);
    const sched = (await run("xl", "sched-credit2")).stdout;
    expect(sched).toBe(capture(CAPTURE2, "xl-sched-credit2.out"));
    expect(parseXlSchedCredit2(sched).ok).toBe(true);
    expect((await run("xl", "sched-credit2", "-d", "pv1")).stdout).toBe(capture(CAPTURE2, "xl-sched-credit2-pv1.out"));
    // Captured with Domain-0 alone (the domain count includes Domain-0).
    await run("xl", "destroy", "pv1");
    expect((await run("xl", "cpupool-list")).stdout).toBe(capture(CAPTURE2, "xl-cpupool-list.out"));
    expect((await run("xl", "sched-credit2")).stdout).toBe(capture(CAPTURE2, "xl-sched-credit2-dom0-only.out"));
    expect((await run("xl", "list", "-l")).stdout).toBe(capture(CAPTURE2, "xl-list-l-dom0-only.out"));
  });

  it("prints pins and offline vCPUs as the lab's vcpu-list did after `vcpu-pin` and `vcpu-set`", async () => {
    expect((await run("xl", "vcpu-pin", "pv1", "0", "1")).code).toBe(0);
    expect((await run("xl", "vcpu-pin", "pv1", "1", "all", "0")).code).toBe(0);
    expect((await run("xl", "vcpu-set", "pv1", "1")).code).toBe(0);
    // The first capture's pv1 had domid 1 and 20-odd CPU seconds per vCPU.
    await fake.update((s) => {
      s.domains[0]!.domid = 1;
      s.domains[0]!.cpuTime = 46;
    });
    const out = (await run("xl", "vcpu-list", "pv1")).stdout;
    expect(layout(out)).toBe(layout(capture(CAPTURE1, "xl-vcpu-list-after-set1.out")));
    const parsed = parseXlVcpuList(out);
    expect(parsed.ok && parsed.value.map((v) => [v.vcpu, v.online, v.hard, v.soft])).toEqual([
      [0, true, "1", "all"],
      [1, false, "all", "0"],
    ]);
  });

  it("prints `xl info` with the capture's keys and layout, naming itself fake-xen", async () => {
    const out = (await run("xl", "info")).stdout;
    expect(layout(out.replace("fake-xen", "xenhost"))).toBe(layout(capture(CAPTURE2, "xl-info.out")));
    expect(parseXlInfo(out).ok).toBe(true);
  });

  it("prints LVM's JSON report and lvcreate's message as Debian 12's LVM does", async () => {
    // Captured before pv1 ran: with pv1 running, blkback holds the LV open (attr -wi-ao----).
    expect((await run("lvs", "--noheadings", "-o", "lv_attr", "vg0/pv1-disk")).stdout).toBe("  -wi-ao----\n");
    await run("xl", "destroy", "pv1");
    expect((await run("lvs", "--reportformat", "json")).stdout).toBe(capture(CAPTURE2, "lvs-json.out"));
    const exact = await run(...(lvsArgv("vg0") as [string, ...string[]]));
    const parsed = parseLvsJson(exact.stdout);
    expect(parsed.ok && parsed.value).toEqual([{ vg: "vg0", name: "pv1-disk", sizeBytes: 256 * 1024 * 1024 }]);
    await run("lvremove", "-y", "vg0/pv1-disk");
    expect((await run("lvcreate", "-y", "-L", "256M", "-n", "pv1-disk", "vg0")).stdout).toBe(capture(CAPTURE1, "lvcreate-pv1.out"));
  });

  it.each([
    ["xl-err-list-l-nosuchdom", ["list", "-l", "nosuchdom"], 1],
    ["xl-err-destroy-nosuchdom", ["destroy", "nosuchdom"], 1],
    ["xl-err-shutdown-nosuchdom", ["shutdown", "nosuchdom"], 1],
    ["xl-vcpu-set-3-over-host", ["vcpu-set", "pv1", "3"], 1],
    ["xl-vcpu-set-3-ignore-host-over-max", ["vcpu-set", "--ignore-host", "pv1", "3"], 1],
    ["xl-mem-set-over-maxmem", ["mem-set", "pv1", "512m"], 1],
  ])("fails like the capture %s (stderr and exit status)", async (name, argv, rc) => {
    const r = await run("xl", ...argv);
    expect(r.code).toBe(rc);
    expect(r.stderr).toBe(capture(CAPTURE2, `${name}.err`));
  });

  it("fails `xl create` of a config whose LV is missing with exit 3 and the captured libxl messages", async () => {
    const r = await run("xl", "create", join(CAPTURE2, "pv1.cfg"));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Domain with name "pv1" already exists.');
    await run("xl", "destroy", "pv1");
    await run("lvremove", "-y", "vg0/pv1-disk");
    const missing = await run("xl", "create", join(CAPTURE2, "pv1.cfg"));
    expect(missing.code).toBe(3);
    const expected = capture(CAPTURE2, "xl-err-create-missing-lv-rc.err")
      .replace("/tmp/bad1.cfg", join(CAPTURE2, "pv1.cfg"))
      .replace("/dev/vg0/nope", "/dev/vg0/pv1-disk");
    expect(missing.stderr.replace(/Domain \d+:/g, "Domain N:")).toBe(expected.replace(/Domain \d+:/g, "Domain N:"));
    expect(classifyXlError({ rc: missing.code, stderr: missing.stderr }).kind).toBe("disk-target-missing");
  });

  it("logs every call with its argv and exit status, and tells changing calls from reads", async () => {
    const mark = fake.mark();
    await run("xl", "list");
    await run("xl", "mem-set", "pv1", "200m");
    await run("xl", "mem-set", "pv1", "9000m");
    const calls = fake.callsSince(mark);
    expect(calls.map((c) => [c.argv.join(" "), c.rc])).toEqual([
      ["xl list", 0],
      ["xl mem-set pv1 200m", 0],
      ["xl mem-set pv1 9000m", 1],
    ]);
    expect(fake.changingCallsSince(mark)).toEqual(["xl mem-set pv1 200m", "xl mem-set pv1 9000m"]);
    expect(fake.domain("pv1")?.targetMemKiB).toBe(200 * 1024);
    expect(isChangingCall(["xl", "sched-credit2"])).toBe(false);
    expect(isChangingCall(["xl", "sched-credit2", "-d", "pv1", "-w", "512", "-c", "0"])).toBe(true);
  });

  it("leaves, like xl create, a daemon per domain that keeps an inherited exec.lock descriptor until the domain is gone", async () => {
    const lock = join(fake.dir, "exec.lock");
    const locked = async (): Promise<boolean> => (await run("flock", "-n", lock, "true")).code !== 0;
    const create = `exec 9>${lock}; flock 9; ${join(fake.binDir, "xl")} create ${join(CAPTURE2, "pvh1.cfg")}`;
    await run("sh", "-c", `${create} 9>&-`);
    expect(await locked()).toBe(false);
    await run("xl", "destroy", "pvh1");
    // Without `9>&-` the daemon holds the lock, as on the lab host: what cdktf-xen's batch avoids.
    await run("sh", "-c", create);
    expect(await locked()).toBe(true);
    await run("xl", "destroy", "pvh1");
    expect(await waitUntil(() => execFileSync("sh", ["-c", `flock -n ${lock} true && echo free || true`], { encoding: "utf8" }).trim() === "free", 5_000)).toBe(true);
  });

  it("injects faults: a failure with a given status and stderr, a delay, a hang killed by timeout", async () => {
    await fake.inject({ match: ["xl", "mem-set"], rc: 7, stderr: "injected\n", times: 1 });
    const failed = await run("xl", "mem-set", "pv1", "200m");
    expect([failed.code, failed.stderr]).toEqual([7, "injected\n"]);
    expect((await run("xl", "mem-set", "pv1", "200m")).code).toBe(0);
    await fake.inject({ match: ["xl", "destroy"], hang: true });
    const hung = await run("timeout", "1", join(fake.binDir, "xl"), "destroy", "pv1");
    expect(hung.code).toBe(124);
    expect(fake.domain("pv1")).toBeDefined();
    expect(fake.calls().at(-1)).toMatchObject({ argv: ["xl", "destroy", "pv1"], rc: 143, signal: "TERM" });
  });
});
