import { describe, expect, it } from "vitest";
import { assertHostAddress, hostAddressIssue, isDnsName, isIpv4Literal, isIpv6Literal } from "../../../src/model/address.js";
import { XenModelError } from "../../../src/model/errors.js";

describe("host addresses: a DNS name, an IPv4 or an IPv6 literal, nothing else", () => {
  it.each([
    ["an IPv4 address", "10.0.0.11"],
    ["IPv4 zero and broadcast octets", "0.0.0.0"],
    ["the top of IPv4", "255.255.255.255"],
    ["loopback", "127.0.0.1"],
    ["a one-label name", "localhost"],
    ["a DNS name", "xen-a.example.org"],
    ["a name in upper case", "XEN-A.Example.ORG"],
    ["a name with digit labels and a letter TLD", "10.0.0.11.nip.io"],
    ["a name starting with a digit", "1xen.example"],
    ["a 63-character label", `${"a".repeat(63)}.example`],
    ["a 253-character name", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`],
    ["IPv6 loopback", "::1"],
    ["the unspecified IPv6 address", "::"],
    ["a full IPv6 address", "2001:0db8:0000:0000:0000:ff00:0042:8329"],
    ["a compressed IPv6 address", "2001:db8::ff00:42:8329"],
    ["a trailing ::", "fd00::"],
    ["an IPv4-mapped IPv6 address", "::ffff:10.0.0.1"],
    ["an embedded IPv4 after six groups", "64:ff9b:0:0:0:0:10.0.0.1"],
    ["IPv6 in upper case", "FD00::AB"],
  ])("GIVEN %s (%j) THEN it is accepted", (_, address) => {
    expect(hostAddressIssue(address)).toBeUndefined();
    expect(assertHostAddress(address, "address")).toBe(address);
  });

  it.each([
    ["command substitution", "10.9.0.12$(touch${IFS}/tmp/x)", /contains "\$", "\(", "\{", "\}", "\/"/],
    ["a pipe", "a|b", /contains "\|"/],
    ["backticks", "a`id`", /contains "`"/],
    ["an ssh option", "-oProxyCommand=touch /tmp/x", /contains "=", " ", "\/"/],
    ["a leading '-'", "-oProxyCommand", /starts with '-', which ssh would read as an option/],
    ["a semicolon", "web;touch x", /contains ";", " "/],
    ["a space", "10.0.0.1 10.0.0.2", /contains " "/],
    ["a newline", "host\nrm", /contains "\\n"/],
    ["NUL", "host\u0000", /contains "\\u0000"/],
    ["a user@ prefix", "root@host", /contains "@"/],
    ["a port suffix", "10.0.0.1:22", /has ':' but is not an IPv6 address/],
    ["brackets", "[::1]", /contains "\[", "\]"/],
    ["an IPv6 zone id", "fe80::1%eth0", /contains "%"/],
    ["two '::'", "1::2::3", /not an IPv6 address/],
    ["nine IPv6 groups", "1:2:3:4:5:6:7:8:9", /not an IPv6 address/],
    ["an IPv6 group of five digits", "12345::1", /not an IPv6 address/],
    ["an embedded IPv4 before '::'", "1.2.3.4::", /not an IPv6 address/],
    ["a leading zero in an IPv4 octet", "010.0.0.1", /without leading zeros \(inet_aton reads 010 as octal 8\)/],
    ["an octet above 255", "10.0.0.256", /four octets from 0 to 255/],
    ["an abbreviated IPv4 number", "10.1", /abbreviated IPv4 number/],
    ["a bare number", "167772161", /abbreviated IPv4 number/],
    ["a trailing dot", "xen-a.example.", /ends with '\.'/],
    ["an empty label", "xen..example", /empty label/],
    ["a label starting with '-'", "xen.-a.example", /label "-a" starts or ends with '-'/],
    ["a label ending with '-'", "xen-.example", /label "xen-" starts or ends with '-'/],
    ["a 64-character label", `${"a".repeat(64)}.example`, /longer than DNS's 63 characters/],
    ["a 254-character name", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}`, /above DNS's limit of 253/],
    ["an underscore (not in a host name)", "xen_a.example", /contains "_"/],
    ["non-ASCII", "xén.example", /contains "é"/],
    ["a glob", "*", /contains "\*"/],
    ["the empty string", "", /it is empty/],
  ])("GIVEN %s (%j) THEN it is refused, saying why", (_, address, why) => {
    expect(hostAddressIssue(address)).toMatch(why);
    expect(() => assertHostAddress(address, "migration address", "xen-b")).toThrow(XenModelError);
    expect(() => assertHostAddress(address, "migration address", "xen-b")).toThrow(/^xen-b: migration address .* is not a host name or IP address \(.*\): give a DNS name .* or an IPv4 or IPv6 address/s);
  });

  it("GIVEN a value that is not a string THEN it is refused without throwing a TypeError", () => {
    expect(hostAddressIssue(null)).toBe("it is null, not a string");
    expect(hostAddressIssue(42)).toBe("it is number, not a string");
  });

  it("GIVEN the three forms THEN each predicate accepts only its own", () => {
    expect([isIpv4Literal("10.0.0.1"), isIpv6Literal("10.0.0.1"), isDnsName("10.0.0.1")]).toEqual([true, false, false]);
    expect([isIpv4Literal("fd00::1"), isIpv6Literal("fd00::1"), isDnsName("fd00::1")]).toEqual([false, true, false]);
    expect([isIpv4Literal("xen-a"), isIpv6Literal("xen-a"), isDnsName("xen-a")]).toEqual([false, false, true]);
    // "abc" is both a DNS label and hex, but not eight groups: a name, not an address.
    expect([isIpv6Literal("abc"), isDnsName("abc")]).toEqual([false, true]);
  });
});
