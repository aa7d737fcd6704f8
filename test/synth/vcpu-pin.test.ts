import { describe, expect, it } from "vitest";
import { CpuSet, DomainType, Size, XenDomain, XenVcpuPin, type XenHostProps } from "../../src/index.js";
import type { TerraformStack } from "../../src/cdktf.js";
import { allResources, newHost, newStack, problems, problemsOf, synth } from "./support.js";

function domainOn(stack: TerraformStack, hostProps: Partial<XenHostProps> = {}, maxVcpus = 4): XenDomain {
  return new XenDomain(stack, "web", {
    host: newHost(stack, "xen-a", hostProps),
    type: DomainType.PV,
    vcpus: 2,
    maxVcpus,
    memory: Size.mebibytes(256),
    kernel: "/k",
  });
}

describe("XenVcpuPin", () => {
  it("expands ranges into one canonical pin per vCPU, sorted, in the domain's spec", () => {
    const stack = newStack();
    const d = domainOn(stack, { cpus: 8 });
    new XenVcpuPin(stack, "pins", { domain: d, pins: { "2-3": "7,4-6", 0: "2", 1: CpuSet.of(3) }, soft: { 1: "0-1" } });
    expect(d.toSpec().pins).toEqual([
      { vcpu: 0, hard: "2", soft: "all" },
      { vcpu: 1, hard: "3", soft: "0-1" },
      { vcpu: 2, hard: "4-7", soft: "all" },
      { vcpu: 3, hard: "4-7", soft: "all" },
    ]);
    expect(problems(stack)).toEqual([]);
  });

  it("has no resource of its own: a pin change only changes the domain's configuration", () => {
    const stack = newStack();
    const d = domainOn(stack);
    const before = allResources(synth(stack)).length;
    new XenVcpuPin(stack, "pins", { domain: d, pins: { 0: "1" } });
    expect(allResources(synth(stack))).toHaveLength(before);
  });

  it("leaves out vCPUs pinned to all/all, the default", () => {
    const stack = newStack();
    const d = domainOn(stack);
    new XenVcpuPin(stack, "pins", { domain: d, pins: { 0: "all", 1: "1" } });
    expect(d.toSpec().pins).toEqual([{ vcpu: 1, hard: "1", soft: "all" }]);
  });

  describe("validation", () => {
    it("reports a pin on a vCPU the domain does not have, on the pin", () => {
      const stack = newStack();
      const pin = new XenVcpuPin(stack, "pins", { domain: domainOn(stack, {}, 2), pins: { "1-3": "0" } });
      expect(problemsOf(stack, pin)).toEqual([
        expect.stringMatching(/^domains\[web\]\.pins\[1\]\.vcpu: pin for vCPU 2, but the domain has maxVcpus 2 \(vCPUs 0–1\): pin an existing vCPU or raise maxVcpus/),
      ]);
    });

    it("reports a pCPU the host does not have, on the pin", () => {
      const stack = newStack();
      const d = domainOn(stack, { cpus: 4 });
      const pin = new XenVcpuPin(stack, "pins", { domain: d, pins: { 0: "1", 1: "6" } });
      expect(problemsOf(stack, pin)).toEqual([
        expect.stringMatching(/^domains\[web\]\.pins\[1\]\.hard: hard affinity "6" names pCPU 6, but the host has only pCPUs 0–3: pin to pCPUs below 4/),
      ]);
      expect(problemsOf(stack, d.host)).toEqual([expect.stringMatching(/^domains: 1 vCPU pin in 1 domain \(web\) name pCPUs this host does not have/)]);
    });

    it("reports two pin constructs pinning one vCPU on the second, naming the first", () => {
      const stack = newStack();
      const d = domainOn(stack);
      const first = new XenVcpuPin(stack, "first", { domain: d, pins: { "0-1": "0" } });
      const second = new XenVcpuPin(stack, "second", { domain: d, soft: { 1: "1" } });
      expect(problemsOf(stack, first)).toEqual([]);
      expect(problemsOf(stack, second)).toEqual([
        "vCPU 1 of domain web is also pinned by s/first (two declarations of one vCPU's affinity would fight over it): declare each vCPU's affinity in one XenVcpuPin",
      ]);
    });

    it("reports overlapping keys within one pin construct", () => {
      const stack = newStack();
      const pin = new XenVcpuPin(stack, "pins", { domain: domainOn(stack), pins: { "0-2": "0", 2: "1" } });
      expect(problemsOf(stack, pin)).toEqual([expect.stringMatching(/^pins keys "2" and "0-2" both cover vCPU 2|^pins keys "0-2" and "2" both cover vCPU 2/)]);
    });

    it("reports a CPU list that does not parse and a key that is not a vCPU, with the accepted syntax", () => {
      const stack = newStack();
      const pin = new XenVcpuPin(stack, "pins", { domain: domainOn(stack), pins: { 0: "2-x", first: "1" } });
      const found = problemsOf(stack, pin);
      expect(found).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^pins\["0"\]: CPU list "2-x" is not valid: .*write a comma-separated list as xl does/),
          expect.stringMatching(/^pins key "first" is not a vCPU number or range: use a vCPU number \(0\) or an inclusive range \("2-3"\)/),
        ]),
      );
    });

    it("reports a pin construct that pins nothing", () => {
      const stack = newStack();
      const pin = new XenVcpuPin(stack, "pins", { domain: domainOn(stack) });
      expect(problemsOf(stack, pin)).toEqual([expect.stringMatching(/^neither pins nor soft is given/)]);
    });
  });
});
