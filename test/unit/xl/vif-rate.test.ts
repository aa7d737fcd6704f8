import { describe, expect, it } from "vitest";
import { XlRenderError } from "../../../src/xl/errors.js";
import { parseVifRate, renderVifTokens, vifRateProblem } from "../../../src/xl/vif-spec.js";
import { validateDomainSpec } from "../../../src/model/validate.js";
import { PV } from "./arbitraries.js";
import { RATE_TABLE } from "./vif-rate-table.js";

const vif = (rate: string) => ({ bridge: "xenbr0", mac: null, model: null, rate });

describe("the vif rate grammar (xl.cfg(5), libxlu_vif.c)", () => {
  it.each(RATE_TABLE.filter((r) => r.cdktf === "accepts"))(
    "GIVEN $rate ($note) THEN cdktf-xen reads the bytes per interval and interval libxl stores",
    ({ rate, xl }) => {
      expect(parseVifRate(rate)).toEqual(xl);
    },
  );

  it.each(RATE_TABLE.filter((r) => r.xl === "rejects"))("GIVEN $rate ($note) THEN xl rejects it, and so does the parser", ({ rate }) => {
    expect(parseVifRate(rate)).toBeNull();
  });

  it.each(RATE_TABLE)("GIVEN $rate ($note) THEN the plan's validation and the renderer give the same verdict: $cdktf", ({ rate, cdktf }) => {
    const spec = { ...PV, vifs: [vif(rate)] };
    const planIssues = validateDomainSpec(spec).filter((i) => i.path.endsWith(".vifs[0].rate"));
    const render = (): string[] => renderVifTokens(vif(rate), "vifs[0]");
    if (cdktf === "accepts") {
      expect(vifRateProblem(rate)).toBeUndefined();
      expect(planIssues).toEqual([]);
      expect(render()).toContain(`rate=${rate}`);
    } else {
      expect(vifRateProblem(rate)).toMatch(/^rate ".*" (is not a rate xl accepts|has a leading zero, which xl reads as octal|is less than one byte per interval)/s);
      expect(planIssues.map((i) => i.message)).toEqual([vifRateProblem(rate)]);
      expect(render).toThrow(XlRenderError);
      expect(render).toThrow(/vifs\[0\]\.rate/);
    }
  });
});
