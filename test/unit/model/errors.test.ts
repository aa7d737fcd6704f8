import { describe, expect, it } from "vitest";
import { XenModelError, invalidName, lossySizeConversion } from "../../../src/model/errors.js";

describe("XenModelError", () => {
  it("renders what, then the fix, when no location is known", () => {
    const e = new XenModelError({ what: "size 1 B is not a whole number of KiB", fix: "read it with toBytes()" });
    expect(e.message).toBe("size 1 B is not a whole number of KiB: read it with toBytes()");
    expect(e.name).toBe("XenModelError");
    expect(e).toBeInstanceOf(Error);
    expect(e.where).toBeUndefined();
  });

  it("renders the location first and the reason in parentheses when given", () => {
    const e = new XenModelError({ what: "bad", where: "stack/web-1", why: "because", fix: "do this" });
    expect(e.message).toBe("stack/web-1: bad (because): do this");
    expect([e.what, e.where, e.why, e.fix]).toEqual(["bad", "stack/web-1", "because", "do this"]);
  });

  it("keeps what, why and fix when located with at()", () => {
    const e = lossySizeConversion("1536 KiB", "MiB", 1.5, "use toKibibytes()").at("stack/web-1");
    expect(e.message).toBe(
      "stack/web-1: size 1536 KiB is not a whole number of MiB (it is 1.5 MiB) (cdktf-xen never rounds sizes silently): use toKibibytes()",
    );
  });

  it("renders a name error as the refused name, then what is allowed", () => {
    expect(invalidName('domain name "" is empty', "use letters", "stack/web").message).toBe(
      'stack/web: domain name "" is empty: use letters',
    );
  });
});
