import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { classifyXlError, XlError, type XlErrorKind } from "../../../src/xl/errors.js";
import { type Capture, fixture, fixtureIndex, fixturePath } from "./helpers.js";

describe("classifyXlError over the captured stderr of failed commands", () => {
  it.each<[Capture, string, XlErrorKind, RegExp, string | undefined]>([
    ["xen-4.17", "xl-destroy-nonexistent", "unknown-domain", /^nosuchdom is an invalid domain identifier \(rc=-6\)$/, "nosuchdom"],
    ["xen-4.17", "xl-list-l-nonexistent", "unknown-domain", /invalid domain identifier/, "nosuchdom"],
    ["xen-4.17", "xl-shutdown-nonexistent", "unknown-domain", /invalid domain identifier/, "nosuchdom"],
    ["xen-4.17", "xl-mem-set-over-max", "memory-over-max", /^memory_dynamic_max must be less than or equal to memory_static_max$/, undefined],
    ["xen-4.17", "xl-vcpu-set-3-over-max", "vcpu-overcommit", /You are overcommmitting!/, undefined],
    ["xen-4.17-capture2", "xl-err-destroy-nosuchdom", "unknown-domain", /invalid domain identifier/, "nosuchdom"],
    ["xen-4.17-capture2", "xl-err-list-l-nosuchdom", "unknown-domain", /invalid domain identifier/, "nosuchdom"],
    ["xen-4.17-capture2", "xl-err-shutdown-nosuchdom", "unknown-domain", /invalid domain identifier/, "nosuchdom"],
    ["xen-4.17-capture2", "xl-err-create-dup-name-rc", "domain-exists", /^Domain with name "pv1" already exists\.$/, "pv1"],
    ["xen-4.17-capture2", "xl-err-create-missing-lv-rc", "disk-target-missing", /failed to stat: \/dev\/vg0\/nope: No such file or directory$/, undefined],
    ["xen-4.17-capture2", "xl-mem-set-over-maxmem", "memory-over-max", /memory_dynamic_max/, undefined],
    ["xen-4.17-capture2", "xl-vcpu-set-3-over-host", "vcpu-overcommit", /overcommmitting/, undefined],
    ["xen-4.17-capture2", "xl-vcpu-set-3-ignore-host-over-max", "vcpu-over-max", /^Requested 3 VCPUs, however maxcpus is 2!/, undefined],
  ])("%s/%s is %s", (capture, name, kind, why, domain) => {
    const rc = fixtureIndex(capture).get(name)!.rc;
    const e = classifyXlError({ rc, stderr: fixture(capture, `${name}.err`), host: "xen-a" });
    expect(e).toBeInstanceOf(XlError);
    expect(e.kind).toBe(kind);
    expect(e.rc).toBe(rc);
    expect(e.why).toMatch(why);
    expect(e.fix.length).toBeGreaterThan(10);
    expect(e.where).toBe(domain ? `host xen-a, domain "${domain}"` : "host xen-a");
    expect(e.message).toContain(e.why);
  });

  it.each<Capture>(["xen-4.17", "xen-4.17-capture2"])("recognises every failed xl command captured in %s", (capture) => {
    for (const [name, { rc, command }] of fixtureIndex(capture)) {
      if (rc === 0 || !command.startsWith("xl ") || !existsSync(fixturePath(capture, `${name}.err`))) continue;
      const e = classifyXlError({ rc, stderr: fixture(capture, `${name}.err`) });
      expect(e.kind, name).not.toBe("unknown");
    }
  });

  it("names the cause, not the follow-up lines, when xl create fails", () => {
    const e = classifyXlError({ rc: 3, stderr: fixture("xen-4.17-capture2", "xl-err-create-missing-lv-rc.err"), argv: ["xl", "create", "/tmp/bad1.cfg"] });
    expect(e.what).toBe("`xl create /tmp/bad1.cfg` failed (exit 3): the backing device of disk xvda is missing: /dev/vg0/nope");
    expect(e.fix).toMatch(/\/dev\/vg0\/nope/);
  });

  it("reports vcpu-over-max with the ceiling to respect", () => {
    const e = classifyXlError({ rc: 1, stderr: fixture("xen-4.17-capture2", "xl-vcpu-set-3-ignore-host-over-max.err") });
    expect(e.what).toMatch(/3 vCPUs requested but the domain was built with maxvcpus 2/);
    expect(e.fix).toMatch(/vcpus <= 2/);
  });

  it("recognises libxlutil's config parse error (as printed by libxlutil 4.17 here)", () => {
    const e = classifyXlError({ rc: 1, stderr: "Parsing config from /etc/xen/cdktf-xen/a.cfg\n/etc/xen/cdktf-xen/a.cfg:7: config parsing error near `\"\\x41z\"': invalid digit after backslash hexnumerical character escape in quoted string\nFailed to parse config: Invalid argument\n" });
    expect(e.kind).toBe("config-parse");
    expect(e.what).toMatch(/a\.cfg at line 7/);
  });

  it("recognises a missing bridge (the vif hotplug message of LAB-NOTES)", () => {
    const e = classifyXlError({ rc: 1, stderr: "libxl: error: libxl_exec.c:117:libxl_report_child_exitstatus: /etc/xen/scripts/vif-bridge online [-1] exited with error status 1\nCould not find bridge device xenbr9\n" });
    expect(e.kind).toBe("bridge-missing");
    expect(e.what).toMatch(/"xenbr9"/);
  });

  it("says command-not-found for exit status 127", () => {
    const e = classifyXlError({ rc: 127, stderr: "sh: 1: xl: not found\n", argv: ["xl", "info"] });
    expect(e.kind).toBe("command-not-found");
    expect(e.why).toBe("sh: 1: xl: not found");
  });

  it("falls back to unknown with the first meaningful stderr line, skipping xl's progress lines", () => {
    const e = classifyXlError({ rc: 1, stderr: "Parsing config from /x.cfg\nsomething odd happened\n" });
    expect(e.kind).toBe("unknown");
    expect(e.why).toBe("something odd happened");
    expect(classifyXlError({ rc: 2, stderr: "" }).why).toBe("(no message on stderr)");
  });

  it.each<Capture>(["xen-4.17", "xen-4.17-capture2"])("treats the stderr of every successful xl command in %s as progress noise", (capture) => {
    let seen = 0;
    for (const [name, { rc, command }] of fixtureIndex(capture)) {
      if (rc !== 0 || !/(^|; |time )xl /.test(command) || !existsSync(fixturePath(capture, `${name}.err`))) continue;
      if (/console/.test(name)) continue; // `script` wrote those, not xl
      seen++;
      expect(classifyXlError({ rc: 1, stderr: fixture(capture, `${name}.err`) }).why, name).toBe("(no message on stderr)");
    }
    expect(seen).toBeGreaterThan(5);
  });
});
