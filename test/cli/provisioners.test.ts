/**
 * The provisioner entry points (`apply-host`, `destroy-domain`, `destroy-volume`) as
 * Terraform's local-exec runs them: a child process in the stack directory, the resource's
 * recorded input in CDKTF_XEN_INPUT (and the planned hash in CDKTF_XEN_EXPECT), against a real
 * sshd whose sessions run the FAKE Xen toolstack. Inputs are taken from the synthesized
 * cdk.tf.json, as `jsonencode(self.input)` would give them.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ensureBuilt, runCli, runCliOnTerminal } from "../helpers/cli.js";
import { FAKE_VG, hostPathsInUse } from "../helpers/fake-xen/index.js";
import { startFakeXenRig, type FakeXenRig } from "../helpers/fake-xen/rig.js";
import { STACK_HOST_ID, stackResource, synthFakeStack, type StackDomain } from "../helpers/fake-xen/stack.js";

const busy = hostPathsInUse();
if (busy !== null) console.warn(`skipping the provisioner tests against the fake Xen host: ${busy}`);

describe.skipIf(busy !== null)("provisioner entry points against the fake Xen host", { timeout: 120_000 }, () => {
  let rig: FakeXenRig;
  let outRoot: string;
  let n = 0;
  const synth = (domains: readonly StackDomain[]): string => synthFakeStack(join(outRoot, `out-${++n}`), rig.connection(), domains);

  /** Runs a provisioner command the way Terraform's local-exec does: in the stack directory. */
  const provision = (command: string, stackDir: string, env: Record<string, string>) => runCli([command], { cwd: stackDir, env });
  const hostEnv = (stackDir: string, expect?: string): Record<string, string> => {
    const host = stackResource(stackDir, "host");
    return { CDKTF_XEN_INPUT: JSON.stringify(host.input), CDKTF_XEN_EXPECT: expect ?? String(host.triggers.spec_hash) };
  };

  beforeAll(async () => {
    ensureBuilt();
    rig = await startFakeXenRig();
    outRoot = mkdtempSync(join(tmpdir(), "cdktf-xen-provisioner-test-"));
  }, 180_000);
  afterAll(async () => {
    await rig?.stop();
    if (outRoot !== undefined) rmSync(outRoot, { recursive: true, force: true });
  });
  beforeEach(() => {
    rig.fake.reset();
  });

  it("GIVEN the host resource's input and planned hash WHEN apply-host runs in the stack directory THEN the host is reconciled; run again it already matches", async () => {
    const dir = synth([{ name: "web-1" }]);

    const first = await provision("apply-host", dir, hostEnv(dir));
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`cdktf-xen: reconciling host ${STACK_HOST_ID} (127.0.0.1:${rig.sshd.port})`);
    expect(first.stdout).toContain(`cdktf-xen: applied 4 action(s) on host ${STACK_HOST_ID}`);
    expect(rig.fake.domain("web-1")).toBeDefined();

    const second = await provision("apply-host", dir, hostEnv(dir));
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`cdktf-xen: host ${STACK_HOST_ID} already matches its declaration.`);
  });

  it("GIVEN a terminal WHEN apply-host runs with changes to make THEN it never asks for approval: Terraform already did", async () => {
    const dir = synth([{ name: "web-1" }]);
    const r = await runCliOnTerminal(["apply-host"], "no", { cwd: dir, env: hostEnv(dir) });
    expect(r.asked).toBe(false);
    expect(r.output).not.toContain("Enter a value");
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`cdktf-xen: applied 4 action(s) on host ${STACK_HOST_ID}`);
  });

  it("GIVEN a CDKTF_XEN_EXPECT that is not the stack's hash WHEN apply-host runs THEN exit 1 with StackChangedError naming host, step, cause and fix, and dom0 is not touched", async () => {
    const dir = synth([{ name: "web-1" }]);
    const r = await provision("apply-host", dir, hostEnv(dir, "0123456789abcdef0123456789abcdef"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^Error: cdk\\.tf\\.json changed since Terraform planned this apply \\[host ${STACK_HOST_ID}, step "check cdk\\.tf\\.json against Terraform's plan"\\]: ` +
          "the host's declared state hashes to [0-9a-f]{12}…, Terraform planned 0123456789ab…\\n" +
          "Fix: run `cdktf synth` \\(or `cdktf deploy`, which synthesizes\\) and plan again\\n$",
      ),
    );
    expect(rig.fake.calls()).toEqual([]);
  });

  it("GIVEN a CDKTF_XEN_INPUT that is not a resource input WHEN a provisioner runs THEN exit 1 says what, why and the fix", async () => {
    const dir = synth([{ name: "web-1" }]);
    const notJson = await provision("apply-host", dir, { CDKTF_XEN_INPUT: "{nope" });
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toBe(
      "Error: CDKTF_XEN_INPUT is not a cdktf-xen resource input: it is not JSON\n" +
        "Fix: this command is run by the provisioners of a synthesized cdktf-xen stack; run `cdktf-xen plan <stack-dir>` or `apply <stack-dir>` by hand instead\n",
    );
    const wrongKind = await provision("destroy-domain", dir, { CDKTF_XEN_INPUT: JSON.stringify(stackResource(dir, "host").input) });
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toContain('it describes a "host" resource, not a "domain"');
    const otherHost = await provision("apply-host", dir, {
      CDKTF_XEN_INPUT: JSON.stringify({ ...stackResource(dir, "host").input, host: "elsewhere/xen-z" }),
    });
    expect(otherHost.code).toBe(1);
    expect(otherHost.stderr).toBe(
      "Error: host elsewhere/xen-z is not declared in ./cdk.tf.json: the stack file does not match the resource Terraform is creating\nFix: run `cdktf synth` and plan again\n",
    );
  });

  it("GIVEN an applied domain WHEN destroy-domain runs with its recorded input THEN it is stopped and its files removed; run again it is already gone", async () => {
    const dir = synth([{ name: "web-1" }]);
    expect((await provision("apply-host", dir, hostEnv(dir))).code).toBe(0);
    const env = { CDKTF_XEN_INPUT: JSON.stringify(stackResource(dir, "domain", "web-1").input) };

    const first = await provision("destroy-domain", dir, env);
    expect([first.code, first.stdout.trim()]).toEqual([
      0,
      `cdktf-xen: host ${STACK_HOST_ID}: stopped domain web-1 and removed its config file and autostart link`,
    ]);
    expect(rig.fake.domain("web-1")).toBeUndefined();
    expect(existsSync("/etc/xen/cdktf-xen/web-1.cfg")).toBe(false);

    const again = await provision("destroy-domain", dir, env);
    expect([again.code, again.stdout.trim()]).toEqual([0, `cdktf-xen: host ${STACK_HOST_ID}: domain web-1 is already gone`]);
  });

  it("GIVEN a recorded input with a stale port WHEN destroy-domain runs where the host is still declared THEN it uses the current connection from cdk.tf.json", async () => {
    const dir = synth([{ name: "web-1" }]);
    expect((await provision("apply-host", dir, hostEnv(dir))).code).toBe(0);
    const recorded = stackResource(dir, "domain", "web-1").input;
    const stale = { ...recorded, connection: { ...(recorded.connection as object), port: 1 } };

    const r = await provision("destroy-domain", dir, { CDKTF_XEN_INPUT: JSON.stringify(stale) });
    expect(r.code).toBe(0);
    expect(rig.fake.domain("web-1")).toBeUndefined();

    // Outside the stack directory only the recorded connection is known: it fails, saying where.
    const elsewhere = await provision("destroy-domain", outRoot, { CDKTF_XEN_INPUT: JSON.stringify(stale) });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(new RegExp(`^Error: .*\\[host ${STACK_HOST_ID} \\(127\\.0\\.0\\.1:1\\), step "take the host lock"\\]: .*Fix: `, "s"));
  });

  it("GIVEN volumes with retention retain and delete WHEN destroy-volume runs THEN the first is kept, the second deleted once its domain is gone", async () => {
    const dir = synth([{ name: "keep" }, { name: "drop", retention: "delete" }]);
    expect((await provision("apply-host", dir, hostEnv(dir))).code).toBe(0);
    const volumeEnv = (name: string) => ({ CDKTF_XEN_INPUT: JSON.stringify(stackResource(dir, "volume", `${name}-root`).input) });

    const kept = await provision("destroy-volume", dir, volumeEnv("keep"));
    expect([kept.code, kept.stdout]).toEqual([
      0,
      `keeping volume /dev/${FAKE_VG}/keep-root (retention: retain)\ncdktf-xen: host ${STACK_HOST_ID}: volume vg/keep-root kept (retention: retain)\n`,
    ]);
    expect(existsSync(`/dev/${FAKE_VG}/keep-root`)).toBe(true);

    // Its domain still runs from it: refused, with host, volume, step, cause and fix.
    const inUse = await provision("destroy-volume", dir, volumeEnv("drop"));
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toBe(
      `Error: could not delete volume /dev/${FAKE_VG}/drop-root [host ${STACK_HOST_ID}, volume vg/drop-root, step "delete volume"]: /dev/${FAKE_VG}/drop-root is in use by a running domain\n` +
        "Fix: destroy or detach the domain that uses it first (Terraform does this when the domain is destroyed in the same apply)\n",
    );

    expect((await provision("destroy-domain", dir, { CDKTF_XEN_INPUT: JSON.stringify(stackResource(dir, "domain", "drop").input) })).code).toBe(0);
    const deleted = await provision("destroy-volume", dir, volumeEnv("drop"));
    expect([deleted.code, deleted.stdout.trim()]).toEqual([0, `cdktf-xen: host ${STACK_HOST_ID}: volume vg/drop-root deleted (retention: delete)`]);
    expect(rig.fake.state().lvs.map((lv) => lv.name)).toEqual(["keep-root"]);
  });
});
