/**
 * Host-key verification: a pinned `SHA256:…` fingerprint or an OpenSSH known_hosts file.
 * Checking is never optional: {@link resolveHostKeyPolicy} refuses a connection that names
 * neither.
 *
 * Why our own known_hosts reader: the npm registry offers no maintained known_hosts parser
 * (the package lists hold none; `sshpk` parses keys and fingerprints but not known_hosts),
 * and the format is small: `[marker] hosts keytype base64 [comment]`, hosts being a
 * comma-separated pattern list (`*`, `?`, `!negation`, `[host]:port`) or one hashed name
 * `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. This reader follows OpenSSH's `sshd(8)`
 * "SSH_KNOWN_HOSTS FILE FORMAT" section and `hostfile.c`/`match.c`.
 *
 * Everything here except {@link loadHostKeyPolicy} is pure; the tests compare it with files
 * written by real `ssh-keygen -H` and `ssh-keyscan`-style lines.
 *
 * @see https://man.openbsd.org/sshd.8#SSH_KNOWN_HOSTS_FILE_FORMAT
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  HostKeyMismatchError,
  HostKeyRevokedError,
  HostKeyUnknownError,
  TransportConfigError,
  type TransportError,
  type TransportErrorContext,
} from "./errors.js";
import { hostAddressIssue, showValue } from "../model/address.js";
import { textProblem } from "../model/text.js";
import { shellCommand, shellQuote } from "../xl/shell.js";
import { expandHome } from "./paths.js";

/** `SHA256:` + unpadded base64 of the SHA-256 of the key blob, exactly as `ssh-keygen -lf` prints it. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, …), or null if malformed. */
export function keyTypeOf(keyBlob: Buffer): string | null {
  if (keyBlob.length < 4) return null;
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > keyBlob.length) return null;
  const type = keyBlob.subarray(4, 4 + len).toString("latin1");
  return /^[\x21-\x7e]+$/.test(type) ? type : null;
}

/** A parse result: the value, or a message saying what is wrong. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

const SHA256_FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/;

/**
 * Checks a pinned fingerprint's shape and normalizes it (a trailing `=` some tools print is
 * dropped). Only SHA-256 fingerprints are accepted: MD5 ones are too weak to pin.
 */
export function parseFingerprint(text: string): Parsed<string> {
  const trimmed = text.trim();
  const m = SHA256_FINGERPRINT.exec(trimmed);
  if (m !== null) return { ok: true, value: `SHA256:${m[1]}` };
  if (/^(MD5:)?([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(trimmed)) {
    return {
      ok: false,
      message: `"${trimmed}" is an MD5 fingerprint; pin the SHA-256 one that \`ssh-keygen -lf <key>.pub\` prints ("SHA256:" and 43 base64 characters)`,
    };
  }
  return {
    ok: false,
    message: `"${trimmed}" is not a SHA-256 key fingerprint; expected "SHA256:" and 43 base64 characters, as \`ssh-keygen -lf <key>.pub\` prints`,
  };
}

/** How a known_hosts line names its hosts. */
export type KnownHostsHosts =
  | { readonly kind: "patterns"; readonly patterns: readonly string[] }
  | { readonly kind: "hashed"; readonly salt: Buffer; readonly hash: Buffer };

/** One usable line of a known_hosts file. */
export interface KnownHostsEntry {
  /** 1-based line number. */
  readonly line: number;
  /** `@cert-authority` / `@revoked`, or null for a plain host key. */
  readonly marker: "cert-authority" | "revoked" | null;
  readonly hosts: KnownHostsHosts;
  readonly keyType: string;
  /** The decoded public key blob. */
  readonly key: Buffer;
}

/** A line that was skipped, and why. */
export interface KnownHostsIssue {
  readonly line: number;
  readonly message: string;
}

/** A parsed known_hosts file: usable entries, and the lines skipped (OpenSSH skips them too). */
export interface KnownHosts {
  readonly entries: readonly KnownHostsEntry[];
  readonly issues: readonly KnownHostsIssue[];
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses the text of a known_hosts file. Never throws: bad lines become issues. */
export function parseKnownHosts(text: string): KnownHosts {
  const entries: KnownHostsEntry[] = [];
  const issues: KnownHostsIssue[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostsEntry["marker"] = null;
    if (fields[0]!.startsWith("@")) {
      const m = fields.shift()!;
      if (m === "@cert-authority") marker = "cert-authority";
      else if (m === "@revoked") marker = "revoked";
      else {
        issues.push({ line, message: `unknown marker ${m} (only @cert-authority and @revoked exist)` });
        return;
      }
    }
    if (fields.length < 3) {
      issues.push({ line, message: "expected: [marker] hostnames keytype base64-key [comment]" });
      return;
    }
    const [hostField, keyType, keyText] = fields as [string, string, string];
    const hosts = parseHostsField(hostField);
    if (!hosts.ok) {
      issues.push({ line, message: hosts.message });
      return;
    }
    if (!BASE64.test(keyText)) {
      issues.push({ line, message: `key of type ${keyType} is not base64` });
      return;
    }
    const key = Buffer.from(keyText, "base64");
    const embedded = keyTypeOf(key);
    if (embedded !== keyType) {
      issues.push({
        line,
        message: `key type field says ${keyType} but the key itself is ${embedded ?? "malformed"}`,
      });
      return;
    }
    entries.push({ line, marker, hosts: hosts.value, keyType, key });
  });
  return { entries, issues };
}

function parseHostsField(field: string): Parsed<KnownHostsHosts> {
  if (field.startsWith("|")) {
    const parts = field.split("|");
    // ["", "1", salt, hash]
    if (parts.length !== 4 || parts[1] !== "1") {
      return { ok: false, message: `hashed host "${field}" is not of the form |1|salt|hash` };
    }
    const [, , saltText, hashText] = parts as [string, string, string, string];
    if (!BASE64.test(saltText) || !BASE64.test(hashText)) {
      return { ok: false, message: "hashed host has non-base64 salt or hash" };
    }
    const salt = Buffer.from(saltText, "base64");
    const hash = Buffer.from(hashText, "base64");
    // HMAC-SHA1: 20-byte digest; OpenSSH also uses a 20-byte salt.
    if (hash.length !== 20 || salt.length === 0) {
      return { ok: false, message: "hashed host's hash is not a 20-byte HMAC-SHA1" };
    }
    return { ok: true, value: { kind: "hashed", salt, hash } };
  }
  const patterns = field.split(",").filter((p) => p !== "");
  if (patterns.length === 0) return { ok: false, message: "empty host list" };
  return { ok: true, value: { kind: "patterns", patterns } };
}

/** The name known_hosts uses for a host: `address` on port 22, `[address]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** OpenSSH's `match_pattern`: `*` and `?` wildcards, case-insensitive for host names. */
function globMatches(name: string, pattern: string): boolean {
  const source = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, "i").test(name);
}

/**
 * Whether an entry's host field names `hostName` (as built by {@link knownHostsName}).
 * Pattern lists follow OpenSSH's `match_hostname`: a matching `!pattern` rejects the line
 * even when another pattern matches.
 */
export function entryMatchesHost(entry: KnownHostsEntry, hostName: string): boolean {
  const hosts = entry.hosts;
  if (hosts.kind === "hashed") {
    const digest = createHmac("sha1", hosts.salt).update(hostName).digest();
    return digest.length === hosts.hash.length && timingSafeEqual(digest, hosts.hash);
  }
  let matched = false;
  for (const pattern of hosts.patterns) {
    if (pattern.startsWith("!")) {
      if (globMatches(hostName, pattern.slice(1))) return false;
    } else if (globMatches(hostName, pattern)) {
      matched = true;
    }
  }
  return matched;
}

/** The outcome of checking a presented host key. */
export type HostKeyVerdict =
  | { readonly kind: "accepted"; readonly fingerprint: string; readonly keyType: string; readonly via: string }
  | { readonly kind: "unknown"; readonly fingerprint: string; readonly keyType: string; readonly certAuthorityLines: readonly number[] }
  | {
      readonly kind: "mismatch";
      readonly fingerprint: string;
      readonly keyType: string;
      /** Accepted fingerprints, each with where it came from. */
      readonly expected: readonly { readonly fingerprint: string; readonly keyType: string | null; readonly source: string }[];
    }
  | { readonly kind: "revoked"; readonly fingerprint: string; readonly keyType: string; readonly line: number };

/** Checks a presented key blob against a pinned fingerprint. */
export function checkPinned(pinned: string, keyBlob: Buffer): HostKeyVerdict {
  const fingerprint = fingerprintOf(keyBlob);
  const keyType = keyTypeOf(keyBlob) ?? "unknown";
  if (fingerprint === pinned) return { kind: "accepted", fingerprint, keyType, via: "pinned hostKey" };
  return { kind: "mismatch", fingerprint, keyType, expected: [{ fingerprint: pinned, keyType: null, source: "pinned hostKey" }] };
}

/**
 * Checks a presented key blob against known_hosts, for `hostName`:
 * 1. a key marked `@revoked` on any line is refused, whatever host the line names
 *    (a revoked key must never be accepted);
 * 2. a plain line for this host with this key accepts it;
 * 3. plain lines for this host with other keys only: mismatch (the key changed);
 * 4. no plain line for this host: unknown (`@cert-authority` lines are reported, not used:
 *    ssh2 does not verify host certificates).
 */
export function checkKnownHosts(knownHosts: KnownHosts, hostName: string, keyBlob: Buffer, source: string): HostKeyVerdict {
  const fingerprint = fingerprintOf(keyBlob);
  const keyType = keyTypeOf(keyBlob) ?? "unknown";
  const revoked = knownHosts.entries.find((e) => e.marker === "revoked" && e.key.equals(keyBlob));
  if (revoked !== undefined) return { kind: "revoked", fingerprint, keyType, line: revoked.line };
  const forHost = knownHosts.entries.filter((e) => e.marker === null && entryMatchesHost(e, hostName));
  const match = forHost.find((e) => e.key.equals(keyBlob));
  if (match !== undefined) return { kind: "accepted", fingerprint, keyType, via: `${source}:${match.line}` };
  if (forHost.length > 0) {
    return {
      kind: "mismatch",
      fingerprint,
      keyType,
      expected: forHost.map((e) => ({ fingerprint: fingerprintOf(e.key), keyType: e.keyType, source: `${source}:${e.line}` })),
    };
  }
  const certAuthorityLines = knownHosts.entries
    .filter((e) => e.marker === "cert-authority" && entryMatchesHost(e, hostName))
    .map((e) => e.line);
  return { kind: "unknown", fingerprint, keyType, certAuthorityLines };
}

/** ssh2's default host-key algorithms (ssh2 1.17 `DEFAULT_SERVER_HOST_KEY`), in its order. */
export const DEFAULT_HOST_KEY_ALGORITHMS: readonly string[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

/** The signature algorithms that verify a host key of `keyType` (an RSA key signs with SHA-2 on OpenSSH ≥ 8.8). */
export function algorithmsForKeyType(keyType: string): readonly string[] {
  return keyType === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [keyType];
}

/**
 * Host-key algorithms to offer, with the types known_hosts lists for this host first (as
 * OpenSSH's client does): a host known only by its RSA key is then asked for that key, not
 * refused for presenting an Ed25519 key we never saw.
 */
export function hostKeyAlgorithmsFor(knownHosts: KnownHosts, hostName: string): string[] {
  const preferred: string[] = [];
  for (const e of knownHosts.entries) {
    if (e.marker !== null || !entryMatchesHost(e, hostName)) continue;
    for (const alg of algorithmsForKeyType(e.keyType)) {
      if (DEFAULT_HOST_KEY_ALGORITHMS.includes(alg) && !preferred.includes(alg)) preferred.push(alg);
    }
  }
  return [...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))];
}

/** What a host's key is checked against, once read. */
export type HostKeyPolicy =
  | { readonly kind: "pinned"; readonly fingerprint: string }
  | { readonly kind: "known-hosts"; readonly path: string; readonly knownHosts: KnownHosts }
  | {
      readonly kind: "both";
      readonly fingerprint: string;
      readonly path: string;
      readonly knownHosts: KnownHosts;
    };

/** The host-key fields of a {@link HostConnection}. */
export interface HostKeySettings {
  readonly hostKey: string | null;
  readonly knownHostsFile: string | null;
}

/**
 * Builds the policy from the connection's settings and the known_hosts text (already read).
 * Neither set: refused (no way to switch checking off). Both set: the key must satisfy both.
 */
export function resolveHostKeyPolicy(
  settings: HostKeySettings,
  knownHostsText: string | null,
  context: TransportErrorContext,
): HostKeyPolicy {
  let fingerprint: string | null = null;
  if (settings.hostKey !== null) {
    const parsed = parseFingerprint(settings.hostKey);
    if (!parsed.ok) {
      throw new TransportConfigError(context, {
        what: "invalid pinned host key",
        why: parsed.message,
        fix: "set hostKey to the output of `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on dom0 (the SHA256:… field)",
      });
    }
    fingerprint = parsed.value;
  }
  if (settings.knownHostsFile === null) {
    if (fingerprint === null) {
      throw new TransportConfigError(context, {
        what: "no host key to verify against",
        why: "the connection sets neither hostKey nor knownHostsFile, and host keys are always verified",
        fix: 'pin the host key (hostKey: "SHA256:…" from `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on dom0) or name a known_hosts file (knownHostsFile: "~/.ssh/known_hosts")',
      });
    }
    return { kind: "pinned", fingerprint };
  }
  const knownHosts = parseKnownHosts(knownHostsText ?? "");
  const path = settings.knownHostsFile;
  return fingerprint === null ? { kind: "known-hosts", path, knownHosts } : { kind: "both", fingerprint, path, knownHosts };
}

/** Reads the known_hosts file (if any) and resolves the policy; unreadable files are config errors. */
export async function loadHostKeyPolicy(settings: HostKeySettings, context: TransportErrorContext): Promise<HostKeyPolicy> {
  let text: string | null = null;
  if (settings.knownHostsFile !== null) {
    const path = expandHome(settings.knownHostsFile);
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      throw new TransportConfigError(context, {
        what: "cannot read the known_hosts file",
        why: `${path}: ${err instanceof Error ? err.message : String(err)}`,
        fix: `${keyscanFix("create it with", ["-p", String(context.port)], context.address, path)} after checking the fingerprints on dom0, or pin hostKey instead`,
        cause: err,
      });
    }
    return resolveHostKeyPolicy({ ...settings, knownHostsFile: path }, text, context);
  }
  return resolveHostKeyPolicy(settings, null, context);
}

/** Host-key algorithms to offer under a policy (known types first for known_hosts). */
export function hostKeyAlgorithmsForPolicy(policy: HostKeyPolicy, hostName: string): string[] {
  return policy.kind === "pinned" ? [...DEFAULT_HOST_KEY_ALGORITHMS] : hostKeyAlgorithmsFor(policy.knownHosts, hostName);
}

/** Checks a presented key under a policy. With both a pin and known_hosts, the first refusal wins. */
export function checkHostKey(policy: HostKeyPolicy, hostName: string, keyBlob: Buffer): HostKeyVerdict {
  switch (policy.kind) {
    case "pinned":
      return checkPinned(policy.fingerprint, keyBlob);
    case "known-hosts":
      return checkKnownHosts(policy.knownHosts, hostName, keyBlob, policy.path);
    case "both": {
      const pinned = checkPinned(policy.fingerprint, keyBlob);
      if (pinned.kind !== "accepted") return pinned;
      return checkKnownHosts(policy.knownHosts, hostName, keyBlob, policy.path);
    }
    default:
      return assertNever(policy);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}

/**
 * A printed `ssh-keyscan … ADDRESS >> PATH` for a person to paste, every value quoted with the
 * quoting of the remote commands ({@link shellCommand}). An address that is not a DNS name or
 * an IP literal (one that did not come through synth) is never put into a command: the fix
 * then says to correct it first.
 */
function keyscanFix(lead: string, flags: readonly string[], address: string, path: string): string {
  const issue = hostAddressIssue(address);
  if (issue !== undefined) {
    return `${lead.replace(/:$/, "")} once the host's address ${showValue(address)} is a DNS name or IP address (${issue})`;
  }
  const pathIssue = textProblem(path);
  if (pathIssue !== null) return `${lead.replace(/:$/, "")} once the known_hosts path ${showValue(path)} is a plain path (${pathIssue})`;
  return `${lead} \`${shellCommand(["ssh-keyscan", ...flags, address])} >> ${shellQuote(path)}\``;
}

/** `ssh-keyscan -t` name and dom0 host-key file stem for a key type. */
function keyNames(keyType: string): { scan: string; file: string } {
  if (keyType === "ssh-ed25519") return { scan: "ed25519", file: "ssh_host_ed25519_key" };
  if (keyType === "ssh-rsa") return { scan: "rsa", file: "ssh_host_rsa_key" };
  if (keyType.startsWith("ecdsa-")) return { scan: "ecdsa", file: "ssh_host_ecdsa_key" };
  return { scan: keyType, file: `ssh_host_<type>_key` };
}

function skippedLinesNote(policy: HostKeyPolicy): string {
  if (policy.kind === "pinned" || policy.knownHosts.issues.length === 0) return "";
  const shown = policy.knownHosts.issues.slice(0, 3).map((i) => `line ${i.line}: ${i.message}`).join("; ");
  const more = policy.knownHosts.issues.length > 3 ? ` and ${policy.knownHosts.issues.length - 3} more` : "";
  return ` (${policy.path} has lines that were skipped: ${shown}${more})`;
}

/**
 * The typed error for a refused key: unknown (with the fingerprint and the exact ways to
 * trust it), mismatch (loudly: possible man-in-the-middle), revoked. Null when accepted.
 */
export function hostKeyError(
  verdict: HostKeyVerdict,
  policy: HostKeyPolicy,
  context: TransportErrorContext,
): TransportError | null {
  const hostName = knownHostsName(context.address, context.port);
  const names = verdict.kind === "accepted" ? null : keyNames(verdict.keyType);
  switch (verdict.kind) {
    case "accepted":
      return null;
    case "unknown": {
      const path = policy.kind === "pinned" ? "~/.ssh/known_hosts" : policy.path;
      const portFlag = context.port === 22 ? [] : ["-p", String(context.port)];
      const ca =
        verdict.certAuthorityLines.length > 0
          ? `; @cert-authority line(s) ${verdict.certAuthorityLines.join(", ")} name this host, but host certificates are not supported (ssh2 cannot verify them), so those lines were skipped`
          : "";
      return new HostKeyUnknownError(context, {
        what: "host key not trusted",
        why: `the server presented ${verdict.keyType} key ${verdict.fingerprint}, and ${path} lists no key for ${hostName}${ca}${skippedLinesNote(policy)}`,
        fix: `check the fingerprint on dom0 itself (\`ssh-keygen -lf /etc/ssh/${names!.file}.pub\`), then either pin it in the host's connection: hostKey: "${verdict.fingerprint}", or ${keyscanFix("add it to known_hosts:", [...portFlag, "-t", names!.scan], context.address, path)}`,
        presentedFingerprint: verdict.fingerprint,
        presentedKeyType: verdict.keyType,
      });
    }
    case "mismatch": {
      const expected = verdict.expected
        .map((e) => `${e.keyType === null ? "" : `${e.keyType} `}${e.fingerprint} (${e.source})`)
        .join(", ");
      const fixTarget =
        policy.kind === "pinned"
          ? "update hostKey"
          : hostAddressIssue(context.address) === undefined && textProblem(policy.path) === null
            ? `remove the old line with \`${shellCommand(["ssh-keygen", "-R", hostName, "-f", policy.path])}\` and add the new key`
            : `remove the old line for ${JSON.stringify(hostName)} from ${JSON.stringify(policy.path)} and add the new key`;
      return new HostKeyMismatchError(context, {
        what: "HOST KEY MISMATCH: REMOTE HOST IDENTIFICATION HAS CHANGED, POSSIBLE MAN-IN-THE-MIDDLE ATTACK",
        why: `the server presented ${verdict.keyType} key ${verdict.fingerprint}, but expected ${expected}; nothing was sent to this server${skippedLinesNote(policy)}`,
        fix: `do not proceed until you know why the key changed: compare with \`ssh-keygen -lf /etc/ssh/${names!.file}.pub\` on dom0's console; only if dom0 was reinstalled or its keys were rotated (or you pinned another of its key types), ${fixTarget}`,
        presentedFingerprint: verdict.fingerprint,
        presentedKeyType: verdict.keyType,
        expectedFingerprints: verdict.expected.map((e) => e.fingerprint),
      });
    }
    case "revoked":
      return new HostKeyRevokedError(context, {
        what: "host key REVOKED",
        why: `the server presented ${verdict.keyType} key ${verdict.fingerprint}, which ${policy.kind === "pinned" ? "known_hosts" : policy.path}:${verdict.line} marks @revoked`,
        fix: "treat the host as compromised until its keys are replaced; then trust the new key (pin it or add it to known_hosts)",
        presentedFingerprint: verdict.fingerprint,
      });
    default:
      return assertNever(verdict);
  }
}
