/**
 * The diff's laws, over thousands of generated hosts: minimality, determinism (also under
 * reordering of the inputs) and idempotence (apply the plan with the simulator, diff again:
 * nothing left to execute).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffHost } from "../../../src/diff/diff.js";
import { isExecutable, type Action } from "../../../src/diff/plan.js";
import { applyPlan, liveDomainFromSpec, liveHostFromSpec } from "../../../src/diff/simulate.js";
import type { DomainSpec } from "../../../src/model/spec.js";
import { validateHostSpec } from "../../../src/model/validate.js";
import type { LiveDomain } from "../../../src/xl/live.js";
import { renderXlCfg } from "../../../src/xl/render.js";
import { arbHostSpec, arbScenario, shuffle } from "./support.js";

const RUNS = 2000;

/** Kind and subject: what identifies a non-executable action across two plans. */
function identity(a: Action): string {
  return `${a.kind} ${"volume" in a ? `${a.volume.pool}/${a.volume.name}` : a.domain} ${"devid" in a ? a.devid : ""}`;
}

/** What the diff compares of a running domain: identity, run-time counters and MACs Xen picked left out. */
function compared(d: LiveDomain, spec: DomainSpec): object {
  const bootCompared = spec.boot.kind === "kernel" || (spec.boot.kind === "firmware" && spec.type === "hvm");
  return {
    ...d,
    domid: 0,
    uuid: null,
    state: "running",
    memoryMiB: 0,
    kernel: bootCompared ? d.kernel : null,
    ramdisk: bootCompared ? d.ramdisk : null,
    cmdline: spec.boot.kind === "kernel" ? d.cmdline : null,
    vifs: d.vifs.map((v) => ({ ...v, mac: spec.vifs[v.devid]?.mac === null ? null : v.mac })),
    vcpuList: d.vcpuList.map((v) => ({ ...v, cpu: null })),
  };
}

describe("diff laws", () => {
  it("generates only valid specs (otherwise the laws below would test the error path)", () => {
    fc.assert(
      fc.property(arbHostSpec(), (spec) => {
        expect(validateHostSpec(spec)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it("GIVEN a host that runs exactly its spec WHEN diffed THEN the plan is empty (minimality)", () => {
    fc.assert(
      fc.property(arbHostSpec(), (spec) => {
        const plan = diffHost(spec, liveHostFromSpec(spec));
        expect(plan.actions).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it("GIVEN the same inputs twice, or reordered WHEN diffed THEN the plans are deep-equal (determinism)", () => {
    fc.assert(
      fc.property(arbScenario(), fc.integer({ min: 1, max: 2 ** 31 - 1 }), ({ spec, live }, seed) => {
        const plan = diffHost(spec, live);
        expect(diffHost(spec, live)).toEqual(plan);
        const shuffledSpec = {
          ...spec,
          pools: shuffle(spec.pools, seed),
          volumes: shuffle(spec.volumes, seed + 1),
          domains: shuffle(spec.domains, seed + 2),
        };
        const shuffledLive = {
          ...live,
          domains: shuffle(live.domains, seed + 3),
          volumes: shuffle(live.volumes, seed + 4),
          configFiles: shuffle(live.configFiles, seed + 5),
          autostart: shuffle(live.autostart, seed + 6),
          bridges: shuffle(live.bridges, seed + 7),
        };
        expect(diffHost(shuffledSpec, shuffledLive)).toEqual(plan);
      }),
      { numRuns: RUNS },
    );
  });

  it(
    "GIVEN any drifted host WHEN its plan is applied and the host diffed again THEN nothing is left to execute, " +
      "and what remains (pending, refused, report) was already in the first plan (idempotence)",
    () => {
      fc.assert(
        fc.property(arbScenario(), ({ spec, live }) => {
          const first = diffHost(spec, live);
          const after = applyPlan(live, first);
          const second = diffHost(spec, after);
          expect(second.actions.filter(isExecutable)).toEqual([]);
          const before = new Set(first.actions.map(identity));
          for (const a of second.actions) expect(before.has(identity(a))).toBe(true);
          for (const a of second.actions) {
            if (a.kind !== "pending-restart") continue;
            const earlier = first.actions.find((b) => b.kind === "pending-restart" && b.domain === a.domain);
            // Settings only the config file records are reported once: the rewrite was their record.
            expect(earlier?.kind === "pending-restart" ? earlier.changes : []).toEqual(expect.arrayContaining([...a.changes]));
          }
          // A third round changes nothing more.
          expect(diffHost(spec, applyPlan(after, second))).toEqual(second);
        }),
        { numRuns: RUNS },
      );
    },
  );

  it(
    "GIVEN any drifted host WHEN its plan is applied THEN every declared domain the plan neither refuses, defers nor reports on " +
      "runs exactly its spec, from its rendered config file, with its autostart link as declared (convergence)",
    () => {
      fc.assert(
        fc.property(arbScenario(), ({ spec, live }) => {
          const first = diffHost(spec, live);
          const after = applyPlan(live, first);
          for (const d of spec.domains) {
            if (first.actions.some((a) => !("volume" in a) && a.domain === d.name && !isExecutable(a))) continue;
            const running = after.domains.find((x) => x.name === d.name);
            expect(running).toBeDefined();
            expect(compared(running!, d)).toEqual(compared(liveDomainFromSpec(d, 0, after.info.nrCpus), d));
            expect(after.configFiles.find((c) => c.name === d.name)?.content).toBe(renderXlCfg(d));
            expect(after.autostart.includes(d.name)).toBe(d.autostart);
          }
        }),
        { numRuns: RUNS },
      );
    },
  );

  it("GIVEN generated scenarios THEN every action kind shows up in some plan (the laws are not vacuous)", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(arbScenario(), ({ spec, live }) => {
        for (const a of diffHost(spec, live).actions) seen.add(a.kind);
      }),
      { numRuns: RUNS, seed: 42 },
    );
    expect([...seen].sort()).toEqual(
      [
        "block-attach",
        "block-detach",
        "create-domain",
        "create-volume",
        "grow-volume",
        "link-autostart",
        "mem-set",
        "network-attach",
        "network-detach",
        "pending-restart",
        "refuse-missing-bridge",
        "refuse-name-conflict",
        "refuse-scheduler",
        "refuse-volume-shrink",
        "report-inactive-domain",
        "report-undeclared-domain",
        "report-unmanaged-domain",
        "restart-domain",
        "sched-credit2",
        "unlink-autostart",
        "vcpu-pin",
        "vcpu-set",
        "write-config",
      ].sort(),
    );
  });
});
