/**
 * SAFETY of moves through the native provider, with the REAL Terraform 1.11.4 binary and two
 * `xen_host` resources against a real sshd running the FAKE Xen toolstack.
 *
 * Both hosts reach the same fake dom0 (the fake keeps its managed files in this machine's real
 * /etc/xen, so two fake hosts in one test would share them anyway): that is enough to give
 * xen-b's plan exactly the dangerous situation — web-1 now declared on xen-b, not running there,
 * and xen-a holding cdktf-xen's config file for it. Without the peers, xen-b's diff would
 * `xl create` it (a second copy of a guest from its disks). With them, xen-b's plan refuses the
 * move with the reason and fix, its apply refuses as well, and nothing is created; with the
 * disk in a shared pool the plan is an in-place update with the move warning. A real move is
 * the two-host lab's (test/e2e/provider-migrate.test.ts).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TerraformStack } from "../../../src/cdktf.js";
import { LifecycleResource, Size, XenDomain, XenHost, XenStoragePool, XenVolume } from "../../../src/index.js";
import { installProvider } from "../../../src/provider/xen/install.js";
import { FAKE_VG, hostPathsInUse } from "../../helpers/fake-xen/index.js";
import { fakeHostProps, startFakeXenRig, type FakeXenRig } from "../../helpers/fake-xen/rig.js";
import { TerraformWorkspace, terraformGate } from "../../terraform/support.js";

const run = promisify(execFile);
const busy = hostPathsInUse();
const gate = terraformGate();
const entry = join(import.meta.dirname, "..", "..", "..", "dist", "src", "provider", "main.js");
const built = existsSync(entry);
if (!built) console.warn(`skipping the provider move tests: ${entry} is missing (npm run build)`);

describe.skipIf(busy !== null || gate.skip || !built)(`xen-b's plan of a domain xen-a holds, through real Terraform (fake Xen host)${gate.note}`, { timeout: 180_000 }, () => {
  let rig: FakeXenRig;
  let ws: TerraformWorkspace;

  const program = (on: "xen-a" | "xen-b", shared = false) => (stack: TerraformStack) => {
    const c = rig.connection();
    const hosts = new Map<string, XenStoragePool>();
    for (const id of ["xen-a", "xen-b"]) {
      const host = new XenHost(stack, id, {
        ...fakeHostProps(c),
        lifecycleResource: LifecycleResource.PROVIDER,
      });
      hosts.set(id, new XenStoragePool(stack, `${id}-vg`, { host, name: "vg", lvmVolumeGroup: FAKE_VG, shared }));
    }
    const pool = hosts.get(on)!;
    const root = new XenVolume(stack, "web-1-root", { pool, name: "web-1-root", size: Size.mebibytes(256) });
    new XenDomain(stack, "web-1", {
      host: pool.host,
      type: "pv",
      vcpus: 1,
      memory: Size.mebibytes(256),
      kernel: "/var/lib/xen/boot/vmlinuz-guest",
      cmdline: "console=hvc0 root=/dev/xvda",
      disks: [{ volume: root, vdev: "xvda" }],
    });
  };

  const tf = async (...args: string[]): Promise<{ code: number; out: string }> => {
    try {
      const { stdout, stderr } = await run("terraform", args, { cwd: ws.dir, env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" } });
      return { code: 0, out: `${stdout}${stderr}` };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? -1, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
    }
  };
  const plan = () => tf("plan", "-input=false", "-no-color", "-detailed-exitcode");
  const apply = () => tf("apply", "-input=false", "-no-color", "-auto-approve");

  beforeAll(async () => {
    rig = await startFakeXenRig();
    ws = new TerraformWorkspace();
    installProvider({ pluginsDir: join(ws.dir, "terraform.d", "plugins"), entry });
    ws.synth(program("xen-a"));
    await ws.init();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it("GIVEN web-1 deployed on xen-a THEN it runs, with its config file", async () => {
    const r = await apply();
    expect(r.code, r.out).toBe(0);
    expect(rig.fake.domain("web-1")).toBeDefined();
  });

  it("GIVEN web-1 now declared on xen-b, stopped, xen-a holding its config file, the disk NOT on shared storage WHEN planned THEN xen-b's plan is an error naming web-1 with the reason and fix; the apply refuses too; nothing is created", async () => {
    // Stopped behind Terraform's back: only the config file on xen-a says where it lives.
    await rig.fake.update((s) => {
      s.domains = s.domains.filter((d) => d.name !== "web-1");
    });
    expect(existsSync("/etc/xen/cdktf-xen/web-1.cfg"), "xen-a's config file of web-1 (another test using the fake's paths?)").toBe(true);
    ws.synth(program("xen-b"));
    const mark = rig.fake.mark();
    const p = await plan();
    expect(p.code, p.out).toBe(1);
    expect(p.out).toMatch(/Error: domain web-1: moving it from \S+\/xen-a to \S+\/xen-b is refused \(disk\); nothing is started on \S+\/xen-b/);
    expect(p.out).toMatch(/not on shared storage/);
    expect(p.out).toMatch(/Fix: Put the volume in a pool declared shared: true/);
    const a = await apply();
    expect(a.code, a.out).not.toBe(0);
    expect(a.out).toMatch(/domain web-1: moving it from \S+\/xen-a to \S+\/xen-b is refused/);
    const changing = rig.fake.changingCallsSince(mark);
    expect(changing.filter((c) => /^xl (create|restore|migrate)/.test(c))).toEqual([]);
    expect(rig.fake.domain("web-1")).toBeUndefined();
  });

  it("GIVEN the same with the pool declared shared on both hosts WHEN planned THEN xen-b is an in-place update with the move warning, nothing replaced or created by the plan", async () => {
    ws.synth(program("xen-b", true));
    const mark = rig.fake.mark();
    const p = await plan();
    expect(p.code, p.out).toBe(2);
    expect(p.out).toMatch(/Warning: domain web-1: moves from \S+\/xen-a to \S+\/xen-b \(not running: started on \S+\/xen-b\)/);
    expect(p.out).toMatch(/~ update in-place/);
    expect(p.out).not.toMatch(/must be replaced|will be created|will be destroyed/);
    expect(rig.fake.changingCallsSince(mark)).toEqual([]);
  });
});
