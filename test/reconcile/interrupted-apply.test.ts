/**
 * A `cdktf-xen apply` killed (SIGKILL, as by a CI runner's timeout or an OOM kill) while a
 * slow `xl create` runs on dom0, then run again: the second run waits for the first run's
 * orphaned batch (exec.lock), reads the host as it really is, and finishes the job without
 * doing anything twice. Real sshd, FAKE Xen toolstack, the built CLI as a child process.
 */
import { mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, runCli, spawnCli } from "../helpers/cli.js";
import { hostPathsInUse } from "../helpers/fake-xen/index.js";
import { startFakeXenRig, type FakeXenRig } from "../helpers/fake-xen/rig.js";
import { STACK_HOST_ID, synthFakeStack } from "../helpers/fake-xen/stack.js";
import { processAlive, waitUntil } from "../helpers/sshd.js";

const busy = hostPathsInUse();
if (busy !== null) console.warn(`skipping the interrupted-apply test against the fake Xen host: ${busy}`);

describe.skipIf(busy !== null)("an apply killed in the middle of xl create", { timeout: 120_000 }, () => {
  let rig: FakeXenRig;
  let outRoot: string;

  beforeAll(async () => {
    ensureBuilt();
    rig = await startFakeXenRig();
    outRoot = mkdtempSync(join(tmpdir(), "cdktf-xen-interrupted-test-"));
  }, 180_000);
  afterAll(async () => {
    await rig?.stop();
    if (outRoot !== undefined) rmSync(outRoot, { recursive: true, force: true });
  });

  it("GIVEN the CLI is SIGKILLed while xl create runs WHEN apply runs again THEN it converges: one xl create, autostart linked, nothing left to do", async () => {
    const dir = synthFakeStack(outRoot, rig.connection(), [{ name: "web-1" }, { name: "web-2" }]);
    await rig.fake.inject({ match: ["xl", "create"], arg: "web-1", delayMs: 4_000, times: 1 });

    const child = spawnCli(["apply", dir, "--auto-approve"]);
    const createRunning = (): boolean => rig.fake.calls().some((c) => c.argv.join(" ") === "xl create /etc/xen/cdktf-xen/web-1.cfg" && c.end === null);
    expect(await waitUntil(createRunning, 60_000)).toBe(true);
    child.kill("SIGKILL");
    const killedAt = Date.now();
    await waitUntil(() => !processAlive(child.pid!), 5_000);
    // The orphaned batch goes on with the step that was running when its client died.
    expect(rig.fake.domain("web-1")).toBeUndefined();

    const rerun = await runCli(["apply", dir, "--auto-approve"]);

    expect(rerun.stderr).toBe("");
    expect(rerun.code).toBe(0);
    const creates = rig.fake.calls().filter((c) => c.argv[0] === "xl" && c.argv[1] === "create");
    expect(creates.map((c) => [c.argv[2], c.rc])).toEqual([
      ["/etc/xen/cdktf-xen/web-1.cfg", 0],
      ["/etc/xen/cdktf-xen/web-2.cfg", 0],
    ]);
    // The second run read the host only after the orphaned xl create had finished (exec.lock).
    const reads = rig.fake.calls().filter((c) => c.start > killedAt && c.argv.join(" ") === "xl list -l");
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((c) => c.start >= creates[0]!.end!)).toBe(true);
    expect(rig.fake.state().domains.map((d) => d.name)).toEqual(["web-1", "web-2"]);
    for (const name of ["web-1", "web-2"]) expect(readlinkSync(`/etc/xen/auto/${name}.cfg`)).toBe(`/etc/xen/cdktf-xen/${name}.cfg`);
    const plan = await runCli(["plan", dir]);
    expect([plan.code, plan.stdout]).toEqual([0, "No changes. The host matches its declared state.\n"]);
    expect(rerun.stdout).toContain(`host ${STACK_HOST_ID}: applied`);
  });
});
