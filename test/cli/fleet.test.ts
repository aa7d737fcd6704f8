/**
 * `cdktf-xen --version`, `plan <stack-dir>` and `apply <stack-dir>` as child processes (the
 * built bin/cdktf-xen.js), on a stack synthesized for real with our constructs, against a real
 * sshd whose sessions run the FAKE Xen toolstack.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ensureBuilt, REPO_ROOT, runCli } from "../helpers/cli.js";
import { FAKE_VG, hostPathsInUse, missingLvCreateStderr } from "../helpers/fake-xen/index.js";
import { startFakeXenRig, type FakeXenRig } from "../helpers/fake-xen/rig.js";
import { STACK_HOST_ID, synthFakeStack, type StackDomain } from "../helpers/fake-xen/stack.js";

const busy = hostPathsInUse();
if (busy !== null) console.warn(`skipping the CLI tests against the fake Xen host: ${busy}`);

const WEB: StackDomain[] = [
  { name: "web-1", pins: { 0: "2" } },
  { name: "web-2", memoryMiB: 128 },
];

describe("cdktf-xen --version", () => {
  beforeAll(() => {
    ensureBuilt();
  }, 120_000);

  it("prints package.json's version and exits 0", async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    const r = await runCli(["--version"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, `${pkg.version}\n`, ""]);
  });
});

describe.skipIf(busy !== null)("cdktf-xen plan|apply <stack-dir> against the fake Xen host", { timeout: 120_000 }, () => {
  let rig: FakeXenRig;
  let outRoot: string;
  let n = 0;
  const synth = (domains: readonly StackDomain[], connection = rig.connection()): string =>
    synthFakeStack(join(outRoot, `out-${++n}`), connection, domains);

  beforeAll(async () => {
    ensureBuilt();
    rig = await startFakeXenRig();
    outRoot = mkdtempSync(join(tmpdir(), "cdktf-xen-cli-test-"));
  }, 180_000);
  afterAll(async () => {
    await rig?.stop();
    if (outRoot !== undefined) rmSync(outRoot, { recursive: true, force: true });
  });
  beforeEach(() => {
    rig.fake.reset();
  });

  it("GIVEN a new stack WHEN planned with --detailed-exitcode THEN exit 2 lists the creates; WHEN applied with --auto-approve THEN exit 0; planned again THEN exit 0 with no changes", async () => {
    const dir = synth(WEB);

    const plan = await runCli(["plan", dir, "--detailed-exitcode"]);
    expect(plan.stderr).toBe("");
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(`host ${STACK_HOST_ID}`);
    for (const name of ["web-1", "web-2"]) {
      expect(plan.stdout).toContain(`+ create 256 MiB raw volume at /dev/${FAKE_VG}/${name}-root`);
      expect(plan.stdout).toContain(`+ config file /etc/xen/cdktf-xen/${name}.cfg`);
      expect(plan.stdout).toContain(`+ xl create /etc/xen/cdktf-xen/${name}.cfg`);
      expect(plan.stdout).toContain(`+ autostart link /etc/xen/auto/${name}.cfg → /etc/xen/cdktf-xen/${name}.cfg`);
    }
    expect(plan.stdout.trimEnd().split("\n").at(-1)).toBe("Plan: 8 to create.");
    // plan only reads.
    expect(rig.fake.changingCallsSince(0)).toEqual([]);

    const apply = await runCli(["apply", dir, "--auto-approve"]);
    expect(apply.stderr).toBe("");
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain(`host ${STACK_HOST_ID}: applied 8 action(s)`);
    expect(rig.fake.state().domains.map((d) => [d.name, d.targetMemKiB / 1024, d.hard[0]])).toEqual([
      ["web-1", 256, "2"],
      ["web-2", 128, "all"],
    ]);

    const again = await runCli(["plan", dir, "--detailed-exitcode"]);
    expect([again.code, again.stdout]).toEqual([0, "No changes. The host matches its declared state.\n"]);
    // Nothing to change: nothing to approve, even without a terminal.
    const reapply = await runCli(["apply", dir]);
    expect(reapply.code).toBe(0);
    expect(reapply.stdout).toContain(`host ${STACK_HOST_ID}: already up to date`);
  });

  it("GIVEN --json WHEN planned THEN the output is one JSON document: formatVersion and one plan per host (docs/plan-schema.md's top level)", async () => {
    const dir = synth(WEB);
    const plan = await runCli(["plan", dir, "--json", "--detailed-exitcode"]);
    expect(plan.code).toBe(2);
    const doc = JSON.parse(plan.stdout) as { formatVersion: number; hosts: Record<string, unknown>[] };
    expect(Object.keys(doc).sort()).toEqual(["formatVersion", "hosts"]);
    expect(doc.formatVersion).toBe(1);
    expect(doc.hosts).toHaveLength(1);
    const host = doc.hosts[0]!;
    expect(Object.keys(host).sort()).toEqual(["actions", "formatVersion", "hasChanges", "host", "summary"]);
    expect(host).toMatchObject({ formatVersion: 1, host: STACK_HOST_ID, hasChanges: true, summary: { create: 8, live: 0, refused: 0 } });
    const actions = host.actions as { kind: string; class: string; executable: boolean }[];
    expect(actions.map((a) => a.kind)).toEqual([
      "create-volume",
      "create-volume",
      "write-config",
      "write-config",
      "create-domain",
      "create-domain",
      "link-autostart",
      "link-autostart",
    ]);
    expect(actions.every((a) => a.class === "create" && a.executable)).toBe(true);

    const apply = await runCli(["apply", dir, "--json", "--auto-approve"]);
    expect(apply.code).toBe(0);
    const applied = JSON.parse(apply.stdout) as { hosts: { applied: number; after: { hasChanges: boolean } }[] };
    expect(applied.hosts.map((h) => [h.applied, h.after.hasChanges])).toEqual([[8, false]]);
  });

  it("GIVEN a volume declared smaller than it is WHEN planned THEN exit 2 (--detailed-exitcode) shows the refusal; WHEN applied THEN exit 1 and the error names host, step, cause and fix", async () => {
    expect((await runCli(["apply", synth(WEB), "--auto-approve"])).code).toBe(0);
    const shrunk = synth([{ ...WEB[0]!, diskMiB: 128 }, WEB[1]!]);
    const mark = rig.fake.mark();

    const plan = await runCli(["plan", shrunk, "--detailed-exitcode"]);
    expect(plan.stdout).toContain("! size: 256 MiB → 128 MiB (refused: shrink)");
    expect(plan.code).toBe(2);

    const apply = await runCli(["apply", shrunk, "--auto-approve"]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain(`Error: the plan refuses 1 change(s), so nothing was applied [host ${STACK_HOST_ID}, step "`);
    expect(apply.stderr).toContain("volume vg/web-1-root: Volume web-1-root is 256 MiB and is declared 128 MiB");
    expect(apply.stderr).toContain("Fix: volume vg/web-1-root: Declare at least 256 MiB");
    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
  });

  it("GIVEN xl create fails with exit 3 WHEN applied THEN exit 1 and the error names host, domain, step, cause and fix; applied again THEN exit 0", async () => {
    const dir = synth(WEB);
    await rig.fake.inject({
      match: ["xl", "create"],
      arg: "web-2",
      rc: 3,
      stderr: missingLvCreateStderr("/etc/xen/cdktf-xen/web-2.cfg", `/dev/${FAKE_VG}/web-2-root`),
      times: 1,
    });

    const failed = await runCli(["apply", dir, "--auto-approve"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      `Error: applying the plan failed after 5 step(s) [host ${STACK_HOST_ID}, domain web-2, step "xl create /etc/xen/cdktf-xen/web-2.cfg"]: ` +
        `Disk vdev=xvda failed to stat: /dev/${FAKE_VG}/web-2-root: No such file or directory`,
    );
    expect(failed.stderr).toContain(`Fix: create /dev/${FAKE_VG}/web-2-root (declare it as a XenVolume) or correct the disk's target`);

    const again = await runCli(["apply", dir, "--auto-approve"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`host ${STACK_HOST_ID}: applied 3 action(s)`);
    expect((await runCli(["plan", dir, "--detailed-exitcode"])).code).toBe(0);
  });

  it("GIVEN a stack pinning another host key WHEN planned THEN exit 1 and the error names host, step, cause and fix; nothing ran on dom0", async () => {
    const dir = synth(WEB, rig.connection({ hostKey: `SHA256:${"A".repeat(43)}` }));
    const plan = await runCli(["plan", dir]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(new RegExp(`^Error: .*\\[host ${STACK_HOST_ID} \\(127\\.0\\.0\\.1:${rig.sshd.port}\\), step "read live state"\\]: `));
    expect(plan.stderr).toContain(rig.sshd.hostKeys.ed25519.fingerprint);
    expect(plan.stderr).toContain("Fix: ");
    expect(rig.fake.calls()).toEqual([]);
  });

  it("GIVEN a stack directory without cdk.tf.json WHEN planned THEN exit 1 says what, why and how to fix it", async () => {
    const plan = await runCli(["plan", outRoot]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toBe(
      `Error: cannot read ${join(outRoot, "cdk.tf.json")}: the file does not exist\nFix: run \`cdktf synth\` first and pass the stack directory (cdktf.out/stacks/NAME)\n`,
    );
  });
});
