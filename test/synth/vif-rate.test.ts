import { describe, expect, it } from "vitest";
import { Size, XenDomain } from "../../src/index.js";
import { renderVifTokens } from "../../src/xl/vif-spec.js";
import { RATE_TABLE } from "../unit/xl/vif-rate-table.js";
import { newHost, newStack, problemsOf } from "./support.js";

describe("a vif rate at synth", () => {
  it.each(RATE_TABLE)("GIVEN networks[0].rate $rate ($note) THEN cdktf synth $cdktf it, as xl rendering does", ({ rate, cdktf }) => {
    const stack = newStack();
    const domain = new XenDomain(stack, "web", { host: newHost(stack), memory: Size.mebibytes(256), kernel: "/k", networks: [{ bridge: "xenbr0", rate }] });
    const rateProblems = problemsOf(stack, domain).filter((m) => m.includes(".vifs[0].rate"));
    let renders = true;
    try {
      renderVifTokens({ bridge: "xenbr0", mac: null, model: null, rate }, "vifs[0]");
    } catch {
      renders = false;
    }
    expect({ synth: rateProblems.length === 0 ? "accepts" : "refuses", render: renders ? "accepts" : "refuses" }).toEqual({ synth: cdktf, render: cdktf });
    if (cdktf === "refuses") expect(rateProblems).toEqual([expect.stringMatching(/^domains\[web\]\.vifs\[0\]\.rate: rate ".*"/s)]);
  });
});
