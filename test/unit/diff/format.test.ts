/**
 * The plan for people (text) and for programs (JSON): symbols, grouping, colour only when
 * asked, the summary sentence, and a JSON document whose every field docs/plan-schema.md
 * describes.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadLiveDirectory } from "../../../src/cli/diff-command.js";
import { diffHost } from "../../../src/diff/diff.js";
import { formatPlan, formatPlanJson, formatPlans, planDocument, PLAN_FORMAT_VERSION, summaryLine } from "../../../src/diff/format.js";
import { makePlan, type Plan } from "../../../src/diff/plan.js";
import type { LiveHost } from "../../../src/xl/live.js";
import { renderXlCfg } from "../../../src/xl/render.js";
import { arbScenario, hostSpec, POOL, pvDomain, rootVolume } from "./support.js";

let live: LiveHost;
let plan: Plan;

beforeAll(async () => {
  const captured = await loadLiveDirectory("test/fixtures/diff/capture2-pv1", [POOL]);
  live = {
    ...captured,
    configFiles: [
      { name: "pv1", path: "/etc/xen/cdktf-xen/pv1.cfg", content: renderXlCfg(pvDomain()) },
      { name: "gone", path: "/etc/xen/cdktf-xen/gone.cfg", content: 'name = "gone"\n' },
    ],
    autostart: ["pv1"],
  };
  plan = diffHost(
    hostSpec(
      [
        pvDomain({ memoryMiB: 200, disks: [], onCrash: "preserve", updatePolicy: "restart" }),
        pvDomain({ name: "web-1", autostart: true }),
        pvDomain({ name: "db-1", disks: [], vifs: [{ bridge: "xenbr7", mac: null, model: null, rate: null }] }),
      ],
      [rootVolume("pv1", 128), rootVolume("web-1", 1024)],
    ),
    live,
  );
});

describe("formatPlan", () => {
  it("GIVEN a plan WHEN printed without colour THEN it has no escape sequences and every action has its symbol", () => {
    const text = formatPlan(plan);
    expect(text).not.toContain("\u001b[");
    const lines = text.split("\n");
    expect(lines[0]).toBe("host stack/xen-a");
    expect(lines).toContain("    + create 1024 MiB raw volume at /dev/vg0/web-1-disk");
    expect(lines).toContain("    ! size: 256 MiB → 128 MiB (refused: shrink)");
    expect(lines).toContain("    ⟳ restart (xl shutdown, then xl create)");
    expect(lines).toContain("        onCrash: destroy → preserve");
    expect(lines).toContain("    + xl create /etc/xen/cdktf-xen/web-1.cfg");
    expect(lines).toContain("    ! vif 0: bridge xenbr7 does not exist on dom0");
    expect(lines).toContain("    # no longer declared (not running): left for Terraform's destroy");
    expect(lines).toContain("    - autostart link /etc/xen/auto/pv1.cfg");
    expect(lines.filter((l) => l.startsWith("        fix: "))).toHaveLength(2);
    expect(lines.at(-2)).toBe("Plan: 5 to create, 1 to change in place, 1 to remove, 1 restart, 2 refused, 1 notice.");
  });

  it("GIVEN a plan THEN subjects are grouped: volumes by pool and name, then domains by name", () => {
    const subjects = formatPlan(plan)
      .split("\n")
      .filter((l) => /^ {2}\S/.test(l))
      .map((l) => l.trim());
    expect(subjects).toEqual(["volume vg0/pv1-disk", "volume vg0/web-1-disk", "domain db-1", "domain gone", "domain pv1", "domain web-1"]);
  });

  it("GIVEN a pending change THEN it is marked pending, not as a change to make", () => {
    const text = formatPlan(diffHost(hostSpec([pvDomain({ onCrash: "preserve" })], [rootVolume("pv1")]), live));
    expect(text).toContain("    … pending until the next boot\n        onCrash: destroy → preserve\n");
    expect(text).toContain("Plan: 1 to change in place, 1 to remove, 1 pending, 1 notice.");
  });

  it("GIVEN colour asked for THEN each symbol is coloured by its class and every escape is reset", () => {
    const text = formatPlan(plan, { color: true });
    expect(text).toContain("\u001b[32m+ create 1024 MiB raw volume");
    expect(text).toContain("\u001b[1;31m! size:");
    expect(text).toContain("\u001b[35m⟳ restart");
    expect(text).toContain("\u001b[31m- autostart link");
    const opened = text.match(/\u001b\[(?!0m)[0-9;]*m/g) ?? [];
    const reset = text.match(/\u001b\[0m/g) ?? [];
    expect(opened.length).toBeGreaterThan(10);
    expect(reset.length).toBe(opened.length);
  });

  it("GIVEN a host that matches THEN one sentence says so", () => {
    expect(formatPlan(makePlan("h", []))).toBe("No changes. The host matches its declared state.\n");
  });

  it("GIVEN several hosts THEN one block each and one summary for all", () => {
    const text = formatPlans([plan, makePlan("other", [])]);
    expect(text.match(/^host /gm)).toHaveLength(1);
    expect(text.trimEnd().split("\n").at(-1)).toBe(summaryLine(plan.summary));
  });
});

describe("summaryLine", () => {
  it.each([
    [{ create: 1, live: 3, move: 0, delete: 0, restart: 1, pending: 0, refused: 1, report: 0 }, "Plan: 1 to create, 3 to change in place, 1 restart, 1 refused."],
    [{ create: 0, live: 0, move: 0, delete: 2, restart: 2, pending: 0, refused: 0, report: 2 }, "Plan: 2 to remove, 2 restarts, 2 notices."],
    [{ create: 0, live: 1, move: 2, delete: 0, restart: 0, pending: 0, refused: 1, report: 0 }, "Plan: 1 to change in place, 2 to move, 1 refused."],
    [{ create: 0, live: 0, move: 1, delete: 0, restart: 0, pending: 0, refused: 0, report: 0 }, "Plan: 1 to move."],
    [{ create: 0, live: 0, move: 0, delete: 0, restart: 0, pending: 1, refused: 0, report: 1 }, "Nothing to apply: 1 pending, 1 notice."],
    [{ create: 0, live: 0, move: 0, delete: 0, restart: 0, pending: 0, refused: 0, report: 0 }, "No changes. The host matches its declared state."],
  ])("GIVEN %o THEN %s", (summary, line) => {
    expect(summaryLine(summary)).toBe(line);
  });
});

describe("formatPlanJson", () => {
  it("GIVEN a plan THEN the JSON document has the format version, the summary and every action in execution order, each marked executable or not", () => {
    const doc = JSON.parse(formatPlanJson(plan)) as ReturnType<typeof planDocument>;
    expect(doc.formatVersion).toBe(PLAN_FORMAT_VERSION);
    expect(doc.host).toBe("stack/xen-a");
    expect(doc.hasChanges).toBe(true);
    expect(doc.summary).toEqual(plan.summary);
    expect(doc.actions.map((a) => a.kind)).toEqual(plan.actions.map((a) => a.kind));
    expect(doc.actions.filter((a) => !a.executable).map((a) => a.class).sort()).toEqual(["refused", "refused", "report"]);
    expect(JSON.parse(JSON.stringify(planDocument(plan)))).toEqual(doc);
  });

  it("GIVEN any plan THEN every field of every action, and every action kind, is described in docs/plan-schema.md", () => {
    const doc = readFileSync("docs/plan-schema.md", "utf8");
    const fields = new Set<string>();
    const kinds = new Set<string>();
    const collect = (p: Plan): void => {
      for (const a of planDocument(p).actions) {
        kinds.add(a.kind);
        for (const [key, value] of Object.entries(a)) {
          fields.add(key);
          if (key === "changes") for (const c of value as object[]) for (const k of Object.keys(c)) fields.add(k);
        }
      }
    };
    collect(plan);
    fc.assert(
      fc.property(arbScenario(), ({ spec, live: l }) => collect(diffHost(spec, l))),
      { numRuns: 500, seed: 7 },
    );
    for (const f of ["formatVersion", "host", "hasChanges", "summary", "actions", ...fields]) expect(doc).toContain(`\`${f}\``);
    for (const k of kinds) expect(doc).toContain(`\`${k}\``);
  });
});
