import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ShellQuoteError } from "../../../src/xl/errors.js";
import { shellCommand, shellQuote } from "../../../src/xl/shell.js";
import { sh } from "./helpers.js";

/** What `printf '%s\0' ARGS` prints when ARGS reach the program unchanged. */
function nulJoined(args: readonly string[]): Buffer {
  return Buffer.concat(args.map((a) => Buffer.from(`${a}\0`, "utf8")));
}

/** Runs printf through a real /bin/sh with every argument quoted by shellQuote. */
function roundTrip(args: readonly string[]): Buffer {
  const r = sh(`printf '%s\\0' ${args.map(shellQuote).join(" ")}`);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

const HOSTILE: readonly [string, string][] = [
  ["command substitution", "$(touch /tmp/cdktf-xen-pwned)"],
  ["backticks", "`id`"],
  ["semicolon", "a; rm -rf /"],
  ["newline", "line1\nline2"],
  ["carriage return", "a\rb"],
  ["single quote", "it's"],
  ["only single quotes", "'''"],
  ["double quote", 'say "hi"'],
  ["glob", "*"],
  ["glob in path", "/etc/*.cfg"],
  ["question mark glob", "?"],
  ["brackets", "[a-z]"],
  ["leading dash", "-rf"],
  ["double dash", "--"],
  ["dollar variable", "$HOME"],
  ["parameter expansion", "${PATH:-x}"],
  ["arithmetic", "$((1+1))"],
  ["backslash", "a\\b\\"],
  ["tab", "a\tb"],
  ["pipe and redirect", "a | cat > /tmp/x"],
  ["ampersand", "a & b"],
  ["tilde", "~root"],
  ["hash", "#not a comment"],
  ["equals first", "FOO=bar"],
  ["non-ASCII", "héllo wörld — 日本語 🚀"],
  ["empty", ""],
  ["spaces only", "   "],
  ["history bang", "!!"],
  ["braces", "{a,b}"],
];

describe("shellQuote", () => {
  it.each(HOSTILE)("passes %s through /bin/sh byte for byte", (_, value) => {
    expect(roundTrip([value])).toEqual(nulJoined([value]));
  });

  it("passes every hostile string at once, as separate arguments", () => {
    const values = HOSTILE.map(([, v]) => v);
    expect(roundTrip(values)).toEqual(nulJoined(values));
  });

  it("quotes the empty string as ''", () => {
    expect(shellQuote("")).toBe("''");
  });

  it("leaves plain words bare so logs stay readable", () => {
    expect(shellQuote("mem-set")).toBe("mem-set");
    expect(shellQuote("/etc/xen/cdktf-xen/web-1.cfg")).toBe("/etc/xen/cdktf-xen/web-1.cfg");
    expect(shellQuote("a=b")).toBe("'a=b'");
  });

  it("throws ShellQuoteError for a NUL byte, which no argv can carry", () => {
    expect(() => shellQuote("a\0b")).toThrow(ShellQuoteError);
    expect(() => shellQuote("a\0b")).toThrow(/NUL/);
  });

  it("GIVEN any strings without NUL WHEN quoted and run by /bin/sh THEN printf receives them unchanged", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary" }).map((s) => s.replace(/\0/g, "")), { minLength: 1, maxLength: 8 }), (args) => {
        expect(roundTrip(args)).toEqual(nulJoined(args));
      }),
      { numRuns: 150 },
    );
  });

  it("GIVEN strings built from shell metacharacters WHEN quoted THEN sh runs nothing and prints them back", () => {
    const meta = fc.constantFrom(..."'\"\\$`;|&<>(){}[]*?!#~= \t\n-".split(""), "$(", "${", "'\\''", "é");
    fc.assert(
      fc.property(fc.array(fc.array(meta, { maxLength: 12 }).map((a) => a.join("")), { minLength: 1, maxLength: 6 }), (args) => {
        expect(roundTrip(args)).toEqual(nulJoined(args));
      }),
      { numRuns: 150 },
    );
  });
});

describe("shellCommand", () => {
  it("joins an argv into one command line the shell splits back into the same argv", () => {
    const argv = ["printf", "%s\\0", "a b", "it's", "$(x)"];
    const r = sh(shellCommand(argv));
    expect(r.stdout).toEqual(nulJoined(["a b", "it's", "$(x)"]));
  });

  it("quotes a program named like a shell keyword so it is not parsed as syntax", () => {
    expect(shellCommand(["if", "x"])).toBe("'if' x");
    expect(shellCommand(["xl", "list"])).toBe("xl list");
  });

  it("refuses an empty argv", () => {
    expect(() => shellCommand([])).toThrow(/program/);
  });

  it("throws ShellQuoteError when any argument holds NUL", () => {
    expect(() => shellCommand(["xl", "destroy", "a\0"])).toThrow(ShellQuoteError);
  });
});
