/**
 * The known_hosts reader and fingerprint checks, against files and fingerprints made by
 * the real OpenSSH tools (ssh-keygen -lf, -H, -F).
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostKeyMismatchError, HostKeyRevokedError, HostKeyUnknownError, TransportConfigError } from "../../src/ssh/errors.js";
import {
  checkHostKey,
  checkKnownHosts,
  entryMatchesHost,
  fingerprintOf,
  hostKeyAlgorithmsFor,
  hostKeyError,
  loadHostKeyPolicy,
  keyTypeOf,
  knownHostsName,
  parseFingerprint,
  parseKnownHosts,
  resolveHostKeyPolicy,
} from "../../src/ssh/host-key.js";
import { expandHome } from "../../src/ssh/paths.js";
import { generateKey, type GeneratedKey } from "../helpers/sshd.js";

const execFileP = promisify(execFile);
const blobOf = (key: GeneratedKey): Buffer => Buffer.from(key.publicKeyLine.split(/\s+/)[1]!, "base64");
const context = { hostId: "stack/xen-a", address: "10.0.0.11", port: 2222, step: null };

describe("host keys", { timeout: 60_000 }, () => {
  let dir: string;
  let ed: GeneratedKey;
  let rsa: GeneratedKey;
  let other: GeneratedKey;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cdktf-xen-hostkey-"));
    [ed, rsa, other] = await Promise.all([
      generateKey(join(dir, "ed"), { type: "ed25519" }),
      generateKey(join(dir, "rsa"), { type: "rsa" }),
      generateKey(join(dir, "other"), { type: "ed25519" }),
    ]);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe("fingerprints", () => {
    it("prints the same SHA256 fingerprint as ssh-keygen -lf for Ed25519 and RSA keys", () => {
      expect(fingerprintOf(blobOf(ed))).toBe(ed.fingerprint);
      expect(fingerprintOf(blobOf(rsa))).toBe(rsa.fingerprint);
      expect(keyTypeOf(blobOf(rsa))).toBe("ssh-rsa");
    });

    it("accepts a pinned SHA256 fingerprint and drops a trailing '=' some tools add", () => {
      expect(parseFingerprint(ed.fingerprint)).toEqual({ ok: true, value: ed.fingerprint });
      expect(parseFingerprint(`${ed.fingerprint}=`)).toEqual({ ok: true, value: ed.fingerprint });
    });

    it("refuses an MD5 fingerprint, saying to pin the SHA-256 one", () => {
      const r = parseFingerprint("MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48");
      expect(r.ok).toBe(false);
      expect(!r.ok && r.message).toContain("MD5");
    });

    it("refuses text that is no fingerprint", () => {
      expect(parseFingerprint("SHA256:short").ok).toBe(false);
      expect(parseFingerprint("ssh-ed25519 AAAA").ok).toBe(false);
    });
  });

  describe("known_hosts parsing", () => {
    it("names a host [address]:port off port 22 and bare on port 22", () => {
      expect(knownHostsName("10.0.0.11", 22)).toBe("10.0.0.11");
      expect(knownHostsName("10.0.0.11", 2222)).toBe("[10.0.0.11]:2222");
    });

    it("reads plain, listed, bracketed and marked lines and reports malformed ones with their line number", () => {
      const text = [
        "# comment",
        "",
        `xen-a,10.0.0.11 ${ed.publicKeyLine}`,
        `[10.0.0.11]:2222 ${rsa.publicKeyLine}`,
        `@revoked * ${other.publicKeyLine}`,
        `@cert-authority *.lab ${other.publicKeyLine}`,
        "@bogus host ssh-ed25519 AAAA",
        "onlyhost",
        `host ssh-rsa ${ed.publicKeyLine.split(" ")[1]}`,
        "host ssh-ed25519 !!!notbase64",
      ].join("\n");
      const parsed = parseKnownHosts(text);
      expect(parsed.entries.map((e) => [e.line, e.marker, e.keyType])).toEqual([
        [3, null, "ssh-ed25519"],
        [4, null, "ssh-rsa"],
        [5, "revoked", "ssh-ed25519"],
        [6, "cert-authority", "ssh-ed25519"],
      ]);
      expect(parsed.issues.map((i) => i.line)).toEqual([7, 8, 9, 10]);
      expect(parsed.issues[2]!.message).toContain("says ssh-rsa but the key itself is ssh-ed25519");
    });

    it("matches patterns as OpenSSH does: wildcards, case-insensitive names, and a matching !negation wins", () => {
      const [entry] = parseKnownHosts(`*.lab,!bad.lab,[10.0.0.?]:2222 ${ed.publicKeyLine}`).entries;
      expect(entryMatchesHost(entry!, "xen-a.lab")).toBe(true);
      expect(entryMatchesHost(entry!, "XEN-A.LAB")).toBe(true);
      expect(entryMatchesHost(entry!, "bad.lab")).toBe(false);
      expect(entryMatchesHost(entry!, "[10.0.0.7]:2222")).toBe(true);
      expect(entryMatchesHost(entry!, "10.0.0.7")).toBe(false);
      expect(entryMatchesHost(entry!, "[10.0.0.17]:2222")).toBe(false);
    });

    it("matches the same lines as `ssh-keygen -F` in a file hashed by `ssh-keygen -H`", async () => {
      const file = join(dir, "hashed_known_hosts");
      writeFileSync(
        file,
        [
          `xen-a ${ed.publicKeyLine}`,
          `[10.0.0.11]:2222 ${rsa.publicKeyLine}`,
          `10.0.0.11 ${other.publicKeyLine}`,
          `[10.0.0.11]:2222 ${ed.publicKeyLine}`,
          "",
        ].join("\n"),
      );
      await execFileP("ssh-keygen", ["-q", "-H", "-f", file]);
      const text = readFileSync(file, "utf8");
      expect(text).not.toContain("10.0.0.11");
      const parsed = parseKnownHosts(text);
      expect(parsed.issues).toEqual([]);
      expect(parsed.entries.every((e) => e.hosts.kind === "hashed")).toBe(true);
      for (const name of ["xen-a", "10.0.0.11", "[10.0.0.11]:2222", "xen-b"]) {
        const ours = parsed.entries.filter((e) => entryMatchesHost(e, name)).map((e) => e.line);
        const found = await execFileP("ssh-keygen", ["-F", name, "-f", file]).then(
          (r) => r.stdout,
          () => "", // exit 1: not found
        );
        const theirs = [...found.matchAll(/# Host .* found: line (\d+)/g)].map((m) => Number(m[1]));
        expect(ours, name).toEqual(theirs);
      }
    });
  });

  describe("verdicts", () => {
    const host = "[10.0.0.11]:2222";

    it("accepts the listed key, and reports a different listed key of this host as a mismatch", () => {
      const kh = parseKnownHosts(`${host} ${ed.publicKeyLine}\n`);
      expect(checkKnownHosts(kh, host, blobOf(ed), "kh").kind).toBe("accepted");
      const v = checkKnownHosts(kh, host, blobOf(other), "kh");
      expect(v).toMatchObject({ kind: "mismatch", fingerprint: other.fingerprint, expected: [{ fingerprint: ed.fingerprint, source: "kh:1" }] });
    });

    it("reports a host that known_hosts does not list as unknown, noting @cert-authority lines it skipped", () => {
      const kh = parseKnownHosts(`other ${ed.publicKeyLine}\n@cert-authority [10.0.0.*]:2222 ${rsa.publicKeyLine}\n`);
      expect(checkKnownHosts(kh, host, blobOf(ed), "kh")).toMatchObject({ kind: "unknown", certAuthorityLines: [2] });
    });

    it("refuses a key marked @revoked even when a plain line for the host lists it", () => {
      const kh = parseKnownHosts(`${host} ${ed.publicKeyLine}\n@revoked other-host ${ed.publicKeyLine}\n`);
      expect(checkKnownHosts(kh, host, blobOf(ed), "kh")).toMatchObject({ kind: "revoked", line: 2 });
    });

    it("offers the key types known_hosts lists for the host first, as OpenSSH does", () => {
      const kh = parseKnownHosts(`${host} ${rsa.publicKeyLine}\n`);
      expect(hostKeyAlgorithmsFor(kh, host).slice(0, 4)).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-ed25519"]);
      expect(hostKeyAlgorithmsFor(kh, "unlisted")[0]).toBe("ssh-ed25519");
    });

    it("with both a pin and known_hosts, requires the key to pass both", () => {
      const policy = resolveHostKeyPolicy({ hostKey: ed.fingerprint, knownHostsFile: "/kh" }, `${host} ${rsa.publicKeyLine}\n`, context);
      expect(checkHostKey(policy, host, blobOf(ed)).kind).toBe("mismatch");
      expect(checkHostKey(policy, host, blobOf(rsa)).kind).toBe("mismatch");
      const both = resolveHostKeyPolicy({ hostKey: ed.fingerprint, knownHostsFile: "/kh" }, `${host} ${ed.publicKeyLine}\n`, context);
      expect(checkHostKey(both, host, blobOf(ed)).kind).toBe("accepted");
    });
  });

  describe("policy and messages", () => {
    it("refuses a connection that names neither a pinned key nor a known_hosts file", () => {
      expect(() => resolveHostKeyPolicy({ hostKey: null, knownHostsFile: null }, null, context)).toThrow(TransportConfigError);
      expect(() => resolveHostKeyPolicy({ hostKey: null, knownHostsFile: null }, null, context)).toThrow(/always verified/);
    });

    it("refuses a malformed pinned key with the command that prints a good one", () => {
      expect(() => resolveHostKeyPolicy({ hostKey: "SHA256:nope", knownHostsFile: null }, null, context)).toThrow(/ssh-keygen -lf/);
    });

    it("tells, for an unknown key, the presented fingerprint and both ways to trust it", () => {
      const policy = resolveHostKeyPolicy({ hostKey: null, knownHostsFile: "/home/u/.ssh/known_hosts" }, "", context);
      const err = hostKeyError(checkHostKey(policy, "[10.0.0.11]:2222", blobOf(ed)), policy, context);
      expect(err).toBeInstanceOf(HostKeyUnknownError);
      expect(err!.message).toContain(ed.fingerprint);
      expect(err!.message).toContain(`hostKey: "${ed.fingerprint}"`);
      expect(err!.message).toContain("ssh-keyscan -p 2222 -t ed25519 10.0.0.11 >> /home/u/.ssh/known_hosts");
      expect(err!.message).toContain("stack/xen-a (10.0.0.11:2222)");
    });

    it("shouts about a changed key: possible man-in-the-middle, with both fingerprints", () => {
      const policy = resolveHostKeyPolicy({ hostKey: ed.fingerprint, knownHostsFile: null }, null, context);
      const err = hostKeyError(checkHostKey(policy, "[10.0.0.11]:2222", blobOf(other)), policy, context);
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      expect(err!.message).toContain("MAN-IN-THE-MIDDLE");
      expect(err!.message).toContain(ed.fingerprint);
      expect(err!.message).toContain(other.fingerprint);
    });

    it("names the revoking line for a revoked key", () => {
      const policy = resolveHostKeyPolicy({ hostKey: null, knownHostsFile: "/kh" }, `@revoked * ${ed.publicKeyLine}\n`, context);
      const err = hostKeyError(checkHostKey(policy, "x", blobOf(ed)), policy, context);
      expect(err).toBeInstanceOf(HostKeyRevokedError);
      expect(err!.message).toContain("/kh:1");
    });

    /** The backticked commands of a message, each run by sh in `dir`; what was created there. */
    function pasteFixes(message: string, dir: string): { commands: string[]; created: string[] } {
      const commands = message.split("`").filter((_, i) => i % 2 === 1).filter((c) => /^ssh-key(scan|gen) /.test(c));
      const before = new Set(readdirSync(dir));
      for (const cmd of commands) {
        // ssh-keyscan/ssh-keygen are replaced by `true`: only what the shell itself does counts.
        spawnSync("sh", ["-c", `ssh-keyscan() { :; }; ssh-keygen() { :; }; ${cmd}`], { cwd: dir, stdio: "ignore", timeout: 10_000 });
      }
      return { commands, created: readdirSync(dir).filter((e) => !before.has(e)) };
    }

    it.each([
      ["a known_hosts path with ';'", "web;touch pwned"],
      ["a known_hosts path with command substitution", "kh$(touch pwned)"],
      ["a known_hosts path with backticks and spaces", "my known `touch pwned` hosts"],
      ["a known_hosts path with a quote", "it's;touch pwned"],
    ])("GIVEN %s WHEN the printed ssh-keyscan/ssh-keygen fixes are pasted THEN the shell runs nothing else and writes only that file", (_, path) => {
      const dir = mkdtempSync(join(tmpdir(), "cdktf-xen-fix-"));
      try {
        const policy = resolveHostKeyPolicy({ hostKey: null, knownHostsFile: path }, "", context);
        const unknown = hostKeyError(checkHostKey(policy, "[10.0.0.11]:2222", blobOf(ed)), policy, context)!;
        const mismatch = hostKeyError(
          { kind: "mismatch", fingerprint: ed.fingerprint, keyType: "ssh-ed25519", expected: [{ fingerprint: other.fingerprint, keyType: "ssh-ed25519", source: `${path}:1` }] },
          policy,
          context,
        )!;
        const pasted = pasteFixes(`${unknown.message} ${mismatch.message}`, dir);
        expect(pasted.commands.length).toBeGreaterThanOrEqual(2);
        expect(pasted.created.filter((e) => e !== path)).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("GIVEN an address that did not come through synth WHEN a fix is printed THEN it holds no command with that address, and says to fix the address", () => {
      const bad = { ...context, address: "10.9.0.12;touch pwned" };
      const policy = resolveHostKeyPolicy({ hostKey: null, knownHostsFile: "/kh" }, "", bad);
      const err = hostKeyError(checkHostKey(policy, "x", blobOf(ed)), policy, bad)!;
      expect(err.fix).not.toMatch(/`ssh-keyscan/);
      expect(err.fix).toMatch(/once the host's address "10\.9\.0\.12;touch pwned" is a DNS name or IP address/);
    });

    it("GIVEN an unreadable known_hosts file with a hostile name THEN the ssh-keyscan fix quotes it", async () => {
      await expect(loadHostKeyPolicy({ hostKey: null, knownHostsFile: "/nonexistent/web;touch x" }, context)).rejects.toThrow(
        "`ssh-keyscan -p 2222 10.0.0.11 >> '/nonexistent/web;touch x'`",
      );
    });

    it("expands ~ in paths to the home directory", () => {
      expect(expandHome("~/.ssh/id", "/home/u")).toBe("/home/u/.ssh/id");
      expect(expandHome("~", "/home/u")).toBe("/home/u");
      expect(expandHome("/abs/~/x", "/home/u")).toBe("/abs/~/x");
    });
  });
});
