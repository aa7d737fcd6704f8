/**
 * Heartbeats of real long-running remote commands over a real sshd (the FAKE Xen toolstack on
 * its PATH), on the real clock with a short interval: a guest slow to shut down during a
 * restart, and during a destroy. (The CLI's own heartbeat at the default 10 s during a slow
 * `xl create` is in test/cli/plan-apply.test.ts.)
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { destroyDomain } from "../../src/reconcile/destroy.js";
import { applyHost } from "../../src/reconcile/reconciler.js";
import type { Ssh2Transport } from "../../src/ssh/ssh2-transport.js";
import { hostPathsInUse } from "../helpers/fake-xen/index.js";
import { FAKE_HOST_ID, fakeDomain, fakeHostSpec, fakeRootVolume, startFakeXenRig, type FakeXenRig } from "../helpers/fake-xen/rig.js";

const busy = hostPathsInUse();
if (busy !== null) console.warn(`skipping the heartbeat tests against the fake Xen host: ${busy}`);

const BEAT = /^ {2}stack\/fake-xen-a: domain web-1: waiting for shutdown… (\d+)s of 30s$/;

describe.skipIf(busy !== null)("heartbeats over a real sshd and the fake Xen toolstack", { timeout: 90_000 }, () => {
  let rig: FakeXenRig;
  let t: Ssh2Transport;

  beforeAll(async () => {
    rig = await startFakeXenRig({ shutdownMs: 4_500 });
  });
  afterAll(async () => {
    await rig?.stop();
  });
  beforeEach(async () => {
    rig.fake.reset();
    t = rig.transport();
    await applyHost(t, fakeHostSpec([fakeDomain("web-1", { updatePolicy: "restart" })], [fakeRootVolume("web-1")]));
  });
  afterEach(async () => {
    await t.close();
  });

  it("GIVEN a guest that takes 4.5 s to shut down WHEN a restart-class change is applied THEN heartbeat lines count the seconds towards the shutdown timeout, between the step's start and end lines", async () => {
    const lines: string[] = [];
    const spec = fakeHostSpec([fakeDomain("web-1", { updatePolicy: "restart", maxVcpus: 6 })], [fakeRootVolume("web-1")]);
    const report = await applyHost(t, spec, {
      log: (l) => lines.push(l),
      timeouts: { createSec: 300, shutdownSec: 30, commandSec: 120 },
      heartbeat: { intervalMs: 1_000 },
    });
    expect(report.applied.map((a) => a.kind), JSON.stringify(report.plan.actions.map((a) => [a.kind, a.class]))).toContain("restart-domain");
    const start = lines.indexOf(`  ${FAKE_HOST_ID}: domain web-1: stop web-1 (graceful, then forced after 30s)`);
    expect(start).toBeGreaterThan(-1);
    const beats = lines.slice(start + 1).filter((l) => BEAT.test(l));
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(beats.map((l) => Number(BEAT.exec(l)![1])).slice(0, 3)).toEqual([1, 2, 3]);
    // The next line after the heartbeats ends the step; none comes after it.
    const afterBeats = lines[start + 1 + beats.length]!;
    expect(afterBeats).toMatch(/^ {2}stack\/fake-xen-a: done in \d+\.\ds$/);
    expect(lines.slice(start + 2 + beats.length).some((l) => BEAT.test(l))).toBe(false);
  });

  it("GIVEN a guest that takes 4.5 s to shut down WHEN destroy-domain stops it THEN heartbeat lines say so until it is gone", async () => {
    const lines: string[] = [];
    const outcome = await destroyDomain(t, "web-1", { log: (l) => lines.push(l), shutdownSec: 30, heartbeat: { intervalMs: 1_000 } });
    expect(outcome).toBe("stopped-and-removed");
    expect(lines.filter((l) => BEAT.test(l)).length).toBeGreaterThanOrEqual(3);
    expect(lines.every((l) => BEAT.test(l))).toBe(true);
  });
});
