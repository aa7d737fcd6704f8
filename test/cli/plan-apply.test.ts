/**
 * `cdktf-xen plan` and `apply` keep Terraform's plan/apply contract, shown with the real built
 * CLI against a real sshd whose sessions run the FAKE Xen toolstack: plain `plan` exits 0 on
 * changes and `--detailed-exitcode` 2; `apply` asks for `yes` on a terminal and refuses
 * without one unless `--auto-approve`; `plan -out FILE` saves a plan that `apply FILE` carries
 * out exactly, or refuses when a host or the declaration changed since; `--lock-timeout`,
 * `--parallelism`; heartbeats during a long `xl create`; provisioner entry points hidden from
 * `--help`.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { App, Size, TerraformStack, XenDomain, XenHost, XenStoragePool, XenVolume, DomainType } from "../../src/index.js";
import type { HostConnection } from "../../src/model/spec.js";
import { acquireHostLock } from "../../src/ssh/lock.js";
import { ensureBuilt, runCli, runCliOnTerminal } from "../helpers/cli.js";
import { FAKE_VG, hostPathsInUse } from "../helpers/fake-xen/index.js";
import { fakeHostProps, startFakeXenRig, type FakeXenRig } from "../helpers/fake-xen/rig.js";
import { STACK_HOST_ID, synthFakeStack, type StackDomain } from "../helpers/fake-xen/stack.js";

const busy = hostPathsInUse();
if (busy !== null) console.warn(`skipping the plan/apply contract tests against the fake Xen host: ${busy}`);

const WEB: StackDomain[] = [{ name: "web-1" }, { name: "web-2", memoryMiB: 128 }];
const PROVISIONER_COMMANDS = ["apply-host", "destroy-domain", "prune-host", "destroy-volume"];

describe("cdktf-xen --help", () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it("GIVEN the top-level help THEN it lists plan and apply but not the provisioner entry points, which still run and explain themselves", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^\s+plan \[options\]/m);
    expect(help.stdout).toMatch(/^\s+apply \[options\]/m);
    for (const c of PROVISIONER_COMMANDS) expect(help.stdout).not.toContain(c);
    for (const c of PROVISIONER_COMMANDS) {
      const own = await runCli([c, "--help"]);
      expect([own.code, own.stdout]).toEqual([0, expect.stringContaining("Provisioner entry point")]);
    }
  });

  it("GIVEN a --parallelism of 0 or a --lock-timeout that is not a duration THEN exit 1 with the accepted form, before reading any stack", async () => {
    const p = await runCli(["plan", "/nonexistent", "--parallelism", "0"]);
    expect([p.code, p.stderr]).toEqual([1, expect.stringContaining("a whole number of hosts, at least 1.")]);
    const l = await runCli(["apply", "/nonexistent", "-lock-timeout=soon"]);
    expect([l.code, l.stderr]).toEqual([1, expect.stringContaining("a duration such as 0s, 30s, 5m or 1h30m.")]);
  });
});

/** A stack of `n` hosts, all reached at the one fake dom0, each with one domain. */
function synthHosts(outdir: string, connection: HostConnection, n: number): string {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "many");
  for (let i = 0; i < n; i++) {
    const host = new XenHost(stack, `xen-${i}`, fakeHostProps(connection));
    const pool = new XenStoragePool(stack, `vg-${i}`, { host, lvmVolumeGroup: FAKE_VG });
    const root = new XenVolume(stack, `d${i}-root`, { pool, size: Size.mebibytes(64) });
    new XenDomain(stack, `d${i}`, {
      host, name: `d${i}`, type: DomainType.PV, vcpus: 1, maxVcpus: 1,
      memory: Size.mebibytes(64), maxMemory: Size.mebibytes(64),
      kernel: "/var/lib/xen/boot/vmlinuz-guest", disks: [{ volume: root, vdev: "xvda" }],
    });
  }
  app.synth();
  return join(outdir, "stacks", "many");
}

describe.skipIf(busy !== null)("cdktf-xen plan|apply: Terraform's plan/apply contract against the fake Xen host", { timeout: 120_000 }, () => {
  let rig: FakeXenRig;
  let outRoot: string;
  let n = 0;
  const synth = (domains: readonly StackDomain[], outdir = join(outRoot, `out-${++n}`)): string => synthFakeStack(outdir, rig.connection(), domains);

  beforeAll(async () => {
    ensureBuilt();
    rig = await startFakeXenRig();
    outRoot = mkdtempSync(join(tmpdir(), "cdktf-xen-plan-apply-"));
  }, 180_000);
  afterAll(async () => {
    await rig?.stop();
    if (outRoot !== undefined) rmSync(outRoot, { recursive: true, force: true });
  });
  beforeEach(() => {
    rig.fake.reset();
  });

  it("GIVEN changes WHEN planned without --detailed-exitcode THEN exit 0 as terraform plan; with it THEN 2; in sync THEN 0 both ways", async () => {
    const dir = synth(WEB);
    const plain = await runCli(["plan", dir]);
    expect([plain.code, plain.stderr]).toEqual([0, ""]);
    expect(plain.stdout).toContain("Plan: 8 to create.");
    expect((await runCli(["plan", dir, "-detailed-exitcode"])).code).toBe(2);
    expect((await runCli(["apply", dir, "-auto-approve"])).code).toBe(0);
    expect((await runCli(["plan", dir])).code).toBe(0);
    expect((await runCli(["plan", dir, "--detailed-exitcode"])).code).toBe(0);
  });

  it("GIVEN changes and no terminal on stdin WHEN applied without --auto-approve THEN exit 1 after showing the plan, the error says how to approve, and nothing changed on dom0", async () => {
    const dir = synth(WEB);
    const mark = rig.fake.mark();
    const r = await runCli(["apply", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Plan: 8 to create.");
    expect(r.stderr).toBe(
      "Error: cdktf-xen apply needs your approval and standard input is not a terminal, so nothing was applied: " +
        "apply changes hosts only after a person types `yes`, or with --auto-approve\n" +
        `Fix: review the plan, then run \`cdktf-xen apply ${dir} --auto-approve\`; or save it with \`cdktf-xen plan ${dir} -out FILE\` and run \`cdktf-xen apply FILE\`\n`,
    );
    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
  });

  it("GIVEN --json WHEN applied without --auto-approve THEN exit 1 (no place to ask) and nothing changed", async () => {
    const mark = rig.fake.mark();
    const r = await runCli(["apply", synth(WEB), "--json"]);
    expect([r.code, r.stdout]).toEqual([1, ""]);
    expect(r.stderr).toContain("Error: cdktf-xen apply --json needs --auto-approve");
    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
  });

  it("GIVEN a terminal WHEN the person answers anything but yes THEN the apply is cancelled, exit 1, nothing changed", async () => {
    const dir = synth(WEB);
    const mark = rig.fake.mark();
    const r = await runCliOnTerminal(["apply", dir], "y");
    expect(r.asked).toBe(true);
    expect(r.output).toContain("Plan: 8 to create.");
    expect(r.output).toContain("Only 'yes' will be accepted to approve.");
    expect(r.output).toContain("Apply cancelled: nothing was changed.");
    expect(r.code).toBe(1);
    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
  });

  it("GIVEN a terminal WHEN the person answers yes THEN exactly the plan shown is applied, exit 0", async () => {
    const dir = synth(WEB);
    const r = await runCliOnTerminal(["apply", dir], "yes");
    expect(r.asked).toBe(true);
    expect(r.code, r.output).toBe(0);
    expect(r.output.indexOf("Plan: 8 to create.")).toBeLessThan(r.output.indexOf("Enter a value:"));
    expect(r.output).toContain(`host ${STACK_HOST_ID}: applied 8 action(s)`);
    expect(rig.fake.state().domains.map((d) => d.name)).toEqual(["web-1", "web-2"]);
  });

  it("GIVEN a terminal and --auto-approve THEN nothing is asked", async () => {
    const r = await runCliOnTerminal(["apply", synth(WEB), "--auto-approve"], "no");
    expect([r.asked, r.code]).toEqual([false, 0]);
  });

  it("GIVEN plan -out FILE WHEN applied from the file without a terminal THEN exactly that plan runs with no prompt, and the file holds a hash per host of what was read and declared", async () => {
    const dir = synth(WEB);
    const file = join(outRoot, `plan-${n}.json`);
    const plan = await runCli(["plan", dir, "-out", file]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`Saved the plan to ${file}. To carry out exactly this plan: cdktf-xen apply ${file}`);
    expect(rig.fake.changingCallsSince(0)).toEqual([]);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { format: string; selected: string[]; hosts: { hostId: string; declarationHash: string; liveHash: string; plan: { summary: { create: number } } }[] };
    expect(saved.format).toBe("cdktf-xen-plan");
    expect(saved.selected).toEqual([STACK_HOST_ID]);
    expect(saved.hosts.map((h) => [h.hostId, h.declarationHash.length, h.liveHash.length, h.plan.summary.create])).toEqual([[STACK_HOST_ID, 64, 64, 8]]);

    const apply = await runCli(["apply", file]);
    expect(apply.stderr).toBe("");
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain(`host ${STACK_HOST_ID}: applied 8 action(s)`);
    expect((await runCli(["plan", dir, "--detailed-exitcode"])).code).toBe(0);
    // A used plan no longer holds: what it read is gone.
    const reused = await runCli(["apply", file]);
    expect(reused.code).toBe(1);
    expect(reused.stderr).toContain(`Error: the saved plan ${file} is stale, so nothing was applied: host ${STACK_HOST_ID}: what it runs changed`);
  });

  it("GIVEN a saved plan WHEN the host drifts before the apply THEN apply FILE refuses with the host, why and the fix, and changes nothing", async () => {
    const dir = synth(WEB);
    expect((await runCli(["apply", dir, "--auto-approve"])).code).toBe(0);
    const grown = synth([{ name: "web-1", memoryMiB: 320 }, WEB[1]!]);
    const file = join(outRoot, `plan-${n}.json`);
    expect((await runCli(["plan", grown, "--out", file])).code).toBe(0);
    // Someone runs `xl mem-set web-2 100m` behind the plan's back.
    await rig.fake.update((s) => {
      s.domains.find((d) => d.name === "web-2")!.targetMemKiB = 100 * 1024;
    });
    const mark = rig.fake.mark();
    const r = await runCli(["apply", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^Error: the saved plan ${file} is stale, so nothing was applied: host ${STACK_HOST_ID}: what it runs changed \\(its live state hash is [0-9a-f]{12}, the plan read [0-9a-f]{12}\\)\\n`),
    );
    expect(r.stderr).toContain(`Fix: plan again (cdktf-xen plan ${grown} -out ${file}), review it, and apply the new plan`);
    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
    expect(rig.fake.domain("web-1")!.targetMemKiB).toBe(256 * 1024);
  });

  it("GIVEN a saved plan WHEN the stack is synthesized again with another declaration THEN apply FILE refuses and changes nothing", async () => {
    const outdir = join(outRoot, `out-${++n}`);
    const dir = synth(WEB, outdir);
    const file = join(outRoot, `plan-${n}.json`);
    expect((await runCli(["plan", dir, "-out=" + file])).code).toBe(0);
    synth([{ name: "web-1", memoryMiB: 192 }, WEB[1]!], outdir);
    const mark = rig.fake.mark();
    const r = await runCli(["apply", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error: the saved plan ${file} is stale, so nothing was applied: host ${STACK_HOST_ID}: its declaration in cdk.tf.json changed (cdktf synth ran again)`);
    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
    expect(rig.fake.state().domains).toEqual([]);
  });

  it("GIVEN a saved plan WHEN applied with --host, or the file is not a plan THEN exit 1 says why and what to pass", async () => {
    const dir = synth(WEB);
    const file = join(outRoot, `plan-${n}.json`);
    expect((await runCli(["plan", dir, "-out", file])).code).toBe(0);
    const withHost = await runCli(["apply", file, "--host", STACK_HOST_ID]);
    expect([withHost.code, withHost.stderr]).toEqual([1, expect.stringContaining("Error: --host cannot be used with a saved plan")]);
    const notPlan = await runCli(["apply", join(dir, "cdk.tf.json")]);
    expect([notPlan.code, notPlan.stderr]).toEqual([1, expect.stringContaining("is not a saved cdktf-xen plan")]);
  });

  it("GIVEN another applier holds the host lock WHEN applied with --lock-timeout 1s THEN it gives up after about a second, naming the holder, and changes nothing", async () => {
    const dir = synth(WEB);
    const holder = rig.transport(STACK_HOST_ID);
    const lock = await acquireHostLock(holder, { holder: { pid: 4242, hostname: "ci-runner-7", user: "deploy", startedAt: new Date().toISOString(), command: "cdktf deploy" } });
    try {
      const started = Date.now();
      const r = await runCli(["apply", dir, "--auto-approve", "--lock-timeout", "1s"]);
      const took = Date.now() - started;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("host lock still busy after 1 s");
      expect(r.stderr).toContain("ci-runner-7");
      expect(took).toBeLessThan(15_000);
      expect(rig.fake.state().domains).toEqual([]);
    } finally {
      await lock.release();
      await holder.close();
    }
  });

  it("GIVEN three hosts WHEN planned with --parallelism 1 THEN their reads never overlap; with the default THEN they run at once", async () => {
    const dir = synthHosts(join(outRoot, `out-${++n}`), rig.connection(), 3);
    await rig.fake.inject({ match: ["xl", "info"], delayMs: 700 });
    const infos = (since: number) => rig.fake.callsSince(since).filter((c) => c.argv.join(" ") === "xl info");
    const overlaps = (calls: { start: number; end: number | null }[]): boolean =>
      calls.some((a, i) => calls.some((b, j) => i !== j && a.start < b.end! && b.start < a.end!));

    const serial = rig.fake.mark();
    expect((await runCli(["plan", dir, "--parallelism", "1"])).code).toBe(0);
    expect(infos(serial)).toHaveLength(3);
    expect(overlaps(infos(serial))).toBe(false);

    const parallel = rig.fake.mark();
    expect((await runCli(["plan", dir])).code).toBe(0);
    expect(infos(parallel)).toHaveLength(3);
    expect(overlaps(infos(parallel))).toBe(true);
  });

  it("GIVEN xl create takes 12 s on dom0 WHEN applied THEN a heartbeat line says what it waits for, how long and its limit, as a plain line", async () => {
    const dir = synth([{ name: "web-1" }]);
    await rig.fake.inject({ match: ["xl", "create"], delayMs: 12_000, times: 1 });
    const r = await runCli(["apply", dir, "--auto-approve"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    const begin = lines.indexOf(`  ${STACK_HOST_ID}: domain web-1: xl create /etc/xen/cdktf-xen/web-1.cfg`);
    expect(begin).toBeGreaterThan(-1);
    expect(lines[begin + 1]).toBe(`  ${STACK_HOST_ID}: domain web-1: waiting for xl create… 10s of 300s`);
    expect(lines[begin + 2]).toMatch(new RegExp(`^  ${STACK_HOST_ID}: done in 1[2-9]\\.\\ds$`));
    expect(r.stdout).not.toMatch(/\x1b|\r/);
  });
});
