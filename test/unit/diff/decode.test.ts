/**
 * Decoding the diff's JSON inputs: what JSON.stringify wrote reads back unchanged; anything
 * else is reported field by field, all at once, with its JSON path.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeHostSpec, decodeLiveHost } from "../../../src/diff/decode.js";
import { liveHostFromSpec } from "../../../src/diff/simulate.js";
import { arbHostSpec, arbScenario } from "./support.js";

describe("decodeHostSpec", () => {
  it("GIVEN any valid spec written as JSON THEN it decodes to the same spec", () => {
    fc.assert(
      fc.property(arbHostSpec(), (spec) => {
        expect(decodeHostSpec(JSON.parse(JSON.stringify(spec)))).toEqual({ ok: true, value: spec });
      }),
      { numRuns: 300 },
    );
  });

  it("GIVEN several wrong fields THEN every one is reported with its path", () => {
    const r = decodeHostSpec({
      version: 2,
      host: "h",
      pools: [{ kind: "zfs", name: "p" }],
      volumes: [{ name: "v", pool: "p", sizeMiB: 0, format: "raw", retention: "retain" }],
      domains: [{ name: "d" }],
      extra: true,
    });
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : r.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(["$.version", "$.pools[0].kind", "$.volumes[0].sizeMiB", "$.domains[0].type", "$.domains[0].boot", "$.extra"]),
    );
    const messages = r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages).toContain('$.pools[0].kind: expected one of "lvm", "dir", got "zfs"');
    expect(messages).toContain("$.domains[0].vcpus: missing field");
  });

  it("GIVEN a boot of an unknown kind THEN the kind is named", () => {
    const r = decodeHostSpec({ version: 1, host: "h", pools: [], volumes: [], domains: [{ boot: { kind: "pxe" } }] });
    expect(r.ok ? [] : r.issues.map((i) => i.message)).toContain('expected one of "kernel", "bootloader", "firmware", got "pxe"');
  });

  it("GIVEN not an object at all THEN one issue at $", () => {
    expect(decodeHostSpec([])).toEqual({ ok: false, issues: [{ path: "$", message: "expected an object, got a list" }] });
  });
});

describe("decodeLiveHost", () => {
  it("GIVEN any live host written as JSON THEN it decodes to the same live host", () => {
    fc.assert(
      fc.property(arbScenario(), ({ live }) => {
        expect(decodeLiveHost(JSON.parse(JSON.stringify(live)))).toEqual({ ok: true, value: live });
      }),
      { numRuns: 300 },
    );
  });

  it("GIVEN a vCPU with a fractional CPU number THEN its path is given", () => {
    fc.assert(
      fc.property(arbHostSpec(), (spec) => {
        const live = liveHostFromSpec(spec);
        if (live.domains.length === 0) return;
        const bad = JSON.parse(JSON.stringify(live)) as { domains: { vcpuList: { cpu: unknown }[] }[] };
        bad.domains[0]!.vcpuList[0]!.cpu = 0.5;
        const r = decodeLiveHost(bad);
        expect(r.ok ? [] : r.issues).toEqual([{ path: "$.domains[0].vcpuList[0].cpu", message: "expected a whole number ≥ 0, got 0.5" }]);
      }),
      { numRuns: 50 },
    );
  });
});
