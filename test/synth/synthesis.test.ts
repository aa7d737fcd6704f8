import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { App, TerraformStack } from "../../src/cdktf.js";
import { escapeTemplate, unescapeTemplate } from "../../src/constructs/template-escape.js";
import { FleetStack } from "../../examples/fleet/stack.js";
import { newHost, newStack, problems } from "./support.js";

const tmp = mkdtempSync(join(tmpdir(), "cdktf-xen-synth-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every file under `dir`, with its content. */
function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p.slice(dir.length), readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return out;
}

/**
 * How Terraform's template scanner reads a JSON string: `$${`/`%%{` are literal `${`/`%{`,
 * and an unescaped `${` or `%{` starts an interpolation or directive — which escaped data must
 * never contain. Returns the literal text, or null when a live sequence appears.
 */
function terraformLiteral(s: string): string | null {
  let out = "";
  for (let i = 0; i < s.length; ) {
    const three = s.slice(i, i + 3);
    if (three === "$${" || three === "%%{") {
      out += three.slice(1);
      i += 3;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === "${" || two === "%{") return null;
    out += s[i];
    i += 1;
  }
  return out;
}

describe("synthesis", () => {
  it("is byte-identical when an unchanged program is synthesized again", () => {
    const run = (name: string): Map<string, string> => {
      const outdir = join(tmp, name);
      const app = new App({ outdir });
      new FleetStack(app, "fleet");
      app.synth();
      return filesUnder(outdir);
    };
    const first = run("first");
    const second = run("second");
    expect([...first.keys()].sort()).toEqual([...second.keys()].sort());
    for (const [path, content] of first) expect(second.get(path), path).toBe(content);
    expect(first.get("/stacks/fleet/cdk.tf.json")?.length).toBeGreaterThan(1000);
  });

  it("writes no private key material and no passphrase, only the key's path and the variable's name", () => {
    const keyDir = mkdtempSync(join(tmp, "key-"));
    const keyPath = join(keyDir, "id_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "test-passphrase-42", "-C", "cdktf-xen-test", "-f", keyPath]);
    const keyText = readFileSync(keyPath, "utf8");
    const keyBody = keyText.split("\n").filter((l) => l !== "" && !l.startsWith("-----"));
    expect(keyBody.length).toBeGreaterThan(0);
    writeFileSync(join(keyDir, "passphrase.env"), "test-passphrase-42");

    const outdir = join(tmp, "keyed");
    const app = new App({ outdir });
    const stack = new TerraformStack(app, "s");
    newHost(stack, "xen-a", { privateKeyPath: keyPath, passphraseEnv: "XEN_KEY_PASSPHRASE" });
    process.env.XEN_KEY_PASSPHRASE = "test-passphrase-42";
    try {
      app.synth();
    } finally {
      delete process.env.XEN_KEY_PASSPHRASE;
    }
    const all = [...filesUnder(outdir).values()].join("\n");
    expect(all).toContain(keyPath);
    expect(all).toContain("XEN_KEY_PASSPHRASE");
    expect(all).not.toContain("PRIVATE KEY");
    expect(all).not.toContain("test-passphrase-42");
    for (const line of keyBody) expect(all).not.toContain(line);
  });

  it("refuses a private key pasted where its path belongs", () => {
    const stack = newStack();
    newHost(stack, "xen-a", { privateKeyPath: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----" });
    expect(problems(stack)).toEqual([expect.stringMatching(/^\[s\/xen-a\] privateKeyPath holds key material, not a path .*: pass a path/)]);
  });

  describe("template escaping", () => {
    it("reads back as the original text in Terraform's template syntax, never as an interpolation", () => {
      fc.assert(
        fc.property(fc.string({ unit: fc.constantFrom("$", "%", "{", "}", "a", "\\", " ") }), (s) => {
          const escaped = escapeTemplate(s);
          expect(terraformLiteral(escaped)).toBe(s);
          expect(unescapeTemplate(escaped)).toBe(s);
        }),
        { numRuns: 2000 },
      );
    });

    it.each([
      ["${var}", "$${var}"],
      ["%{if x}", "%%{if x}"],
      ["$${already}", "$$${already}"],
      ["$$", "$$"],
      ["cost $5 {x}", "cost $5 {x}"],
    ])("writes %j as %j", (raw, escaped) => {
      expect(escapeTemplate(raw)).toBe(escaped);
      expect(unescapeTemplate(escaped)).toBe(raw);
    });
  });
});
