/**
 * The native provider through the REAL Terraform 1.11.4 binary (installed offline into the
 * workspace's terraform.d/plugins), against a real OpenSSH sshd on loopback whose sessions run
 * the FAKE Xen toolstack (test/helpers/fake-xen). What Terraform plans and what "dom0" runs.
 * The provider is launched from dist/ (npm test builds first).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TerraformStack } from "../../../src/cdktf.js";
import { LifecycleResource, Size, XenDomain, XenHost, XenStoragePool, XenVolume, UpdatePolicy } from "../../../src/index.js";
import { installProvider } from "../../../src/provider/xen/install.js";
import { FAKE_VG, hostPathsInUse } from "../../helpers/fake-xen/index.js";
import { fakeHostProps, startFakeXenRig, type FakeXenRig } from "../../helpers/fake-xen/rig.js";
import { TerraformWorkspace, terraformGate } from "../../terraform/support.js";

const run = promisify(execFile);
const busy = hostPathsInUse();
const gate = terraformGate();
const entry = join(import.meta.dirname, "..", "..", "..", "dist", "src", "provider", "main.js");
const built = existsSync(entry);
if (!built) console.warn(`skipping the provider tests: ${entry} is missing (npm run build)`);

interface Declared {
  readonly memoryMiB?: number;
  readonly kernel?: string;
  readonly withDomain?: boolean;
}

describe.skipIf(busy !== null || gate.skip || !built)(`the xen provider through real Terraform against the fake Xen host${gate.note}`, { timeout: 180_000 }, () => {
  let rig: FakeXenRig;
  let ws: TerraformWorkspace;

  const program = (d: Declared = {}) => (stack: TerraformStack) => {
    const c = rig.connection();
    const host = new XenHost(stack, "xen-a", {
      ...fakeHostProps(c),
      lifecycleResource: LifecycleResource.PROVIDER,
    });
    const pool = new XenStoragePool(stack, "vg", { host, lvmVolumeGroup: FAKE_VG });
    const root = new XenVolume(stack, "web-1-root", { pool, size: Size.mebibytes(256) });
    if (d.withDomain === false) return;
    new XenDomain(stack, "web-1", {
      host,
      type: "pv",
      vcpus: 2,
      maxVcpus: 4,
      memory: Size.mebibytes(d.memoryMiB ?? 256),
      maxMemory: Size.mebibytes(512),
      kernel: d.kernel ?? "/var/lib/xen/boot/vmlinuz-guest",
      cmdline: "console=hvc0 root=/dev/xvda",
      disks: [{ volume: root, vdev: "xvda" }],
      updatePolicy: UpdatePolicy.PENDING,
    });
  };

  /** `terraform plan -detailed-exitcode`: exit code and output. */
  const planExit = async (): Promise<{ code: number; out: string }> => {
    try {
      const { stdout } = await run("terraform", ["plan", "-input=false", "-no-color", "-detailed-exitcode"], { cwd: ws.dir, env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" } });
      return { code: 0, out: stdout };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? -1, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
    }
  };
  const applyNow = async (): Promise<string> => ws.terraform("apply", "-input=false", "-no-color", "-auto-approve");

  beforeAll(async () => {
    rig = await startFakeXenRig();
    ws = new TerraformWorkspace();
    installProvider({ pluginsDir: join(ws.dir, "terraform.d", "plugins"), entry });
    ws.synth(program());
    await ws.init();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it("creates the volume and boots the domain at the first apply, and reads back its domid and state", async () => {
    await applyNow();
    const d = rig.fake.domain("web-1");
    expect(d).toBeDefined();
    const state = await ws.state();
    const host = Object.values(state)[0] as { domain: Record<string, { domid: number; state: string; uuid: string }> };
    expect(host.domain["web-1"]?.domid).toBe(d!.domid);
    expect(host.domain["web-1"]?.uuid).toBe(d!.uuid);
    expect(["running", "blocked"]).toContain(host.domain["web-1"]?.state);
  });

  it("plans nothing for a host that matches its declaration (detailed exit code 0), over one SSH connection", async () => {
    const before = rig.sshd.connectionCount();
    const { code, out } = await planExit();
    expect(out).toContain("No changes");
    expect(code).toBe(0);
    expect(rig.sshd.connectionCount() - before).toBe(1);
  });

  it("plans a memory change as an in-place update of exactly memory_mib, applied with xl mem-set", async () => {
    ws.synth(program({ memoryMiB: 384 }));
    const actions = await ws.plan();
    expect(Object.values(actions)).toEqual([["update"]]);
    const { out } = await planExit();
    expect(out).toMatch(/~ memory_mib\s+= 256 -> 384/);
    expect(out).not.toMatch(/must be replaced/);
    const mark = rig.fake.mark();
    await ws.apply();
    expect(rig.fake.changingCallsSince(mark)).toEqual(["xl mem-set web-1 384m"]);
    expect((await planExit()).code).toBe(0);
  });

  it("shows memory changed by hand on dom0 as drift (exit 2) naming memory_mib", async () => {
    await rig.fake.update((s) => {
      const d = s.domains.find((x) => x.name === "web-1")!;
      d.targetMemKiB = 200 * 1024;
    });
    const { code, out } = await planExit();
    expect(code).toBe(2);
    expect(out).toMatch(/~ memory_mib\s+= 200 -> 384/);
    await applyNow();
    expect((await planExit()).code).toBe(0);
  });

  it("warns before apply that a kernel change waits for the next boot, and reboots nothing", async () => {
    ws.synth(program({ memoryMiB: 384, kernel: "/var/lib/xen/boot/vmlinuz-new" }));
    const { code, out } = await planExit();
    expect(code).toBe(2);
    expect(out).toMatch(/Warning: domain web-1: kernel takes effect at the next boot/);
    expect(out).toMatch(/~ kernel\s+= "\/var\/lib\/xen\/boot\/vmlinuz-guest" -> "\/var\/lib\/xen\/boot\/vmlinuz-new"/);
    const domid = rig.fake.domain("web-1")!.domid;
    const mark = rig.fake.mark();
    await applyNow();
    const calls = rig.fake.changingCallsSince(mark);
    expect(calls.filter((c) => /^xl (shutdown|destroy|create|reboot)/.test(c))).toEqual([]);
    expect(rig.fake.domain("web-1")!.domid).toBe(domid);
    const host = Object.values(await ws.state())[0] as { domain: Record<string, { pending_restart: string[] }> };
    expect(host.domain["web-1"]?.pending_restart).toEqual(["kernel"]);
    expect((await planExit()).code).toBe(0);
  });

  it("shuts down and removes a domain dropped from the program, after a warning that says so, and keeps its volume", async () => {
    ws.synth(program({ withDomain: false }));
    const { out } = await planExit();
    expect(out).toMatch(/domain web-1 will be shut down and removed/);
    await applyNow();
    expect(rig.fake.domain("web-1")).toBeUndefined();
    expect(rig.fake.state().lvs.map((l) => l.name)).toContain("web-1-root");
    expect((await planExit()).code).toBe(0);
  });
});
