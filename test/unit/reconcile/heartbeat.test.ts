/**
 * Heartbeats of long remote steps, driven by a fake clock: no real waiting. The lines are
 * plain text (Terraform captures provisioner output without a terminal).
 */
import { describe, expect, it } from "vitest";
import { heartbeatLine, startHeartbeat, withHeartbeat, type HeartbeatClock } from "../../../src/reconcile/heartbeat.js";
import { DEFAULT_STEP_TIMEOUTS, stepsFor } from "../../../src/reconcile/steps.js";
import type { RestartDomainAction } from "../../../src/diff/plan.js";

/** A clock whose time moves only when the test says so. */
function manualClock(): HeartbeatClock & { advance(ms: number): void; timers(): number } {
  let now = 1_000_000;
  const timers = new Set<{ at: number; every: number; fn: () => void }>();
  return {
    now: () => now,
    every(ms, fn) {
      const t = { at: now + ms, every: ms, fn };
      timers.add(t);
      return () => timers.delete(t);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers].filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (due === undefined) break;
        now = due.at;
        due.at += due.every;
        due.fn();
      }
      now = end;
    },
    timers: () => timers.size,
  };
}

const WAIT = { subject: "host/x: domain web-1", what: "waiting for shutdown", limitSec: 120 };

describe("heartbeats", () => {
  it.each([
    [10_000, "  host/x: domain web-1: waiting for shutdown… 10s of 120s"],
    [30_400, "  host/x: domain web-1: waiting for shutdown… 30s of 120s"],
    [120_000, "  host/x: domain web-1: waiting for shutdown… 120s of 120s"],
    [130_000, "  host/x: domain web-1: waiting for shutdown… 130s (past the 120s limit)"],
  ])("GIVEN %i ms waited THEN the line says what, the elapsed seconds and the limit: %s", (elapsed, line) => {
    expect(heartbeatLine(WAIT, elapsed)).toBe(line);
  });

  it("GIVEN a step that runs 35 s WHEN the clock advances THEN one line every 10 s, none after the stop", () => {
    const clock = manualClock();
    const lines: string[] = [];
    const beat = startHeartbeat((l) => lines.push(l), WAIT, { clock });
    clock.advance(9_999);
    expect(lines).toEqual([]);
    clock.advance(25_001);
    expect(lines).toEqual([10, 20, 30].map((s) => `  host/x: domain web-1: waiting for shutdown… ${s}s of 120s`));
    beat.stop();
    beat.stop();
    clock.advance(60_000);
    expect(lines).toHaveLength(3);
    expect(clock.timers()).toBe(0);
  });

  it("GIVEN an interval of 15 s WHEN 46 s pass THEN lines at 15, 30 and 45 s", () => {
    const clock = manualClock();
    const lines: string[] = [];
    startHeartbeat((l) => lines.push(l), WAIT, { clock, intervalMs: 15_000 });
    clock.advance(46_000);
    expect(lines.map((l) => /… (\d+)s/.exec(l)![1])).toEqual(["15", "30", "45"]);
  });

  it("GIVEN withHeartbeat WHEN the work fails THEN the timer is stopped and the error passes through", async () => {
    const clock = manualClock();
    const lines: string[] = [];
    await expect(
      withHeartbeat((l) => lines.push(l), WAIT, { clock }, async () => {
        clock.advance(10_000);
        throw new Error("xl said no");
      }),
    ).rejects.toThrow("xl said no");
    expect(lines).toHaveLength(1);
    expect(clock.timers()).toBe(0);
  });

  it("GIVEN a restart THEN its stop step counts towards the graceful shutdown timeout and its start towards xl create's", () => {
    const action = { kind: "restart-domain", class: "restart", domain: "web-1", configPath: "/etc/xen/cdktf-xen/web-1.cfg" } as unknown as RestartDomainAction;
    const [stop, start] = stepsFor(action, DEFAULT_STEP_TIMEOUTS);
    expect(stop!.wait).toEqual({ what: "waiting for shutdown", limitSec: 120 });
    expect(start!.wait).toEqual({ what: "waiting for xl create", limitSec: 300 });
  });
});
