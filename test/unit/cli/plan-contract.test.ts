/**
 * The pure parts of `cdktf-xen plan`/`apply`'s Terraform contract: durations as -lock-timeout
 * takes them, Terraform's single-dash spellings, the parallelism limit, and when a saved plan
 * is stale.
 */
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../../src/cli/duration.js";
import { mapLimit } from "../../../src/cli/limit.js";
import { terraformSpellings } from "../../../src/cli/main.js";
import { savedPlan, stalePlanReasons, type SavedHost } from "../../../src/cli/saved-plan.js";
import { askApproval } from "../../../src/cli/confirm.js";
import { makePlan } from "../../../src/diff/plan.js";

describe("--lock-timeout durations", () => {
  it.each([
    ["0", 0],
    ["0s", 0],
    ["1500ms", 1500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["2.5s", 2500],
  ])("GIVEN %s THEN it is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "5", "5x", "m5", "-1s", "5 m"])("GIVEN %j THEN it is refused with the accepted spelling", (text) => {
    expect(() => parseDuration(text)).toThrow(/is not a duration: .*\nFix: write it like 0s, 30s, 5m or 1h30m/);
  });
});

describe("Terraform's single-dash spellings", () => {
  it("GIVEN -out=FILE, -auto-approve, -detailed-exitcode, -parallelism=N, -lock-timeout=D THEN they read as the double-dash options", () => {
    expect(terraformSpellings(["plan", ".", "-out=p.plan", "-detailed-exitcode", "-parallelism=3"])).toEqual(["plan", ".", "--out=p.plan", "--detailed-exitcode", "--parallelism=3"]);
    expect(terraformSpellings(["apply", "-auto-approve", "-lock-timeout", "30s", "p.plan"])).toEqual(["apply", "--auto-approve", "--lock-timeout", "30s", "p.plan"]);
  });

  it("GIVEN short options, unknown single-dash words and anything after -- THEN they are left as they are", () => {
    expect(terraformSpellings(["plan", "-h", "-target=x", "--", "-out"])).toEqual(["plan", "-h", "-target=x", "--", "-out"]);
  });
});

describe("--parallelism", () => {
  it.each([1, 2, 10])("GIVEN a limit of %i WHEN 12 hosts run THEN never more than that run at once, and results keep the hosts' order", async (limit) => {
    let running = 0;
    let most = 0;
    const results = await mapLimit(
      Array.from({ length: 12 }, (_, i) => i),
      limit,
      async (i) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 2 + (i % 3)));
        running--;
        return i * 10;
      },
    );
    expect(most).toBe(limit);
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => i * 10));
  });

  it("GIVEN a limit of 0 THEN it is refused", async () => {
    await expect(mapLimit([1], 0, async (x) => x)).rejects.toThrow(RangeError);
  });
});

describe("a saved plan is stale", () => {
  const plan = makePlan("s/a", []);
  const host = (hostId: string, over: Partial<SavedHost> = {}): SavedHost => ({ hostId, declarationHash: `d-${hostId}`, liveHash: `l-${hostId}`, plan: makePlan(hostId, []), ...over });
  const saved = savedPlan("/tmp/stack", ["s/a"], [host("s/a", { plan }), host("s/b")]);
  const current = (over: Record<string, Partial<{ declarationHash: string | null; liveHash: string | null }>> = {}) =>
    ["s/a", "s/b"].map((id) => ({ hostId: id, declarationHash: `d-${id}`, liveHash: `l-${id}`, plan: makePlan(id, []), ...over[id] }));

  it("GIVEN every host as it was THEN the plan holds", () => {
    expect(stalePlanReasons(saved, current())).toEqual([]);
  });

  it("GIVEN a host's live state, another's declaration changed THEN each is named", () => {
    expect(stalePlanReasons(saved, current({ "s/a": { liveHash: "l-other" }, "s/b": { declarationHash: "d-other" } }))).toEqual([
      "host s/a: what it runs changed (its live state hash is l-other, the plan read l-s/a)",
      "host s/b: its declaration in cdk.tf.json changed (cdktf synth ran again)",
    ]);
  });

  it("GIVEN a host removed from the stack and one added THEN both are named", () => {
    const now = [current()[0]!, { hostId: "s/c", declarationHash: "d-c", liveHash: "l-c", plan: makePlan("s/c", []) }];
    expect(stalePlanReasons(saved, now)).toEqual([
      "host s/b is no longer declared in the stack",
      "host s/c is declared in the stack now but was not when the plan was made",
    ]);
  });

  it("GIVEN equal hashes but another plan THEN it is stale too", () => {
    const other = makePlan("s/a", [{ kind: "report-inactive-domain", class: "report", domain: "x" } as never]);
    expect(stalePlanReasons(saved, [{ ...current()[0]!, plan: other }, current()[1]!])).toEqual(["host s/a: planning it again gives another plan"]);
  });
});

describe("approval", () => {
  it("GIVEN stdin that is not a terminal THEN apply is refused with what, why and both fixes", async () => {
    const notTty = { isTTY: false } as unknown as NodeJS.ReadStream;
    await expect(askApproval("stacks/fleet", notTty)).rejects.toThrow(
      /standard input is not a terminal, so nothing was applied: .*\nFix: .*cdktf-xen apply stacks\/fleet --auto-approve.*cdktf-xen plan stacks\/fleet -out FILE.*cdktf-xen apply FILE/,
    );
  });
});
