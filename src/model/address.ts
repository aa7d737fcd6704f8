/**
 * The grammar of a host address (`XenHost.address`, `XenHost.migration.address`): a DNS name,
 * an IPv4 literal or an IPv6 literal, nothing else.
 *
 * Why so strict: an address does not only reach cdktf-xen's own SSH connection (where it is
 * never shell syntax). Xen 4.17's `xl migrate` pastes the target's address unquoted into
 * `exec ssh … HOST xl migrate-receive` and runs that line with `sh -c` on the source dom0
 * (tools/xl/xl_migrate.c), and ssh itself reads a leading `-` as an option. The three forms
 * below contain only letters, digits, `.`, `-` (never first) and `:`, which mean nothing to
 * sh or to ssh's option parser.
 *
 * - **DNS name**: RFC 1123 host name labels (letters, digits, `-`; neither first nor last),
 *   1–63 characters each, at most 253 in all, no trailing dot. The last label may not be all
 *   digits (RFC 1123 §2.1, RFC 3696 §2), so `10.1` or `1.2.3.256` are neither names nor
 *   addresses — resolvers read such strings as (abbreviated) IPv4 numbers.
 * - **IPv4**: four decimal octets 0–255 separated by `.`, without leading zeros: `010.0.0.1`
 *   is refused because inet_aton(3), which getaddrinfo and ssh use, reads it as octal (8.0.0.1),
 *   while a reader of the program sees 10.0.0.1.
 * - **IPv6**: RFC 4291 §2.2 text forms — eight groups of 1–4 hex digits, one `::` for a run of
 *   zero groups, and a trailing embedded IPv4 (`::ffff:10.0.0.1`). No brackets (ssh takes the
 *   bare form) and no zone id (`fe80::1%eth0`): a zone id names an interface of the machine
 *   that dials, which differs between the operator's machine and a source dom0, and `%` is one
 *   more character to reach a shell line.
 *
 * Pure: no resolution, no I/O.
 */
import { XenModelError } from "./errors.js";

/** RFC 1035/1123: the longest DNS name in its text form (without a trailing dot). */
export const MAX_DNS_NAME_LENGTH = 253;

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const OCTET = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/** Whether `value` is a dotted-quad IPv4 address without leading zeros. */
export function isIpv4Literal(value: string): boolean {
  const parts = value.split(".");
  return parts.length === 4 && parts.every((p) => OCTET.test(p));
}

/** Whether `value` is an IPv6 address in one of RFC 4291's text forms (no brackets, no zone id). */
export function isIpv6Literal(value: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(value)) return false;
  const halves = value.split("::");
  if (halves.length > 2) return false;
  const groupsOf = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const all = [...head, ...tail];
  // An embedded IPv4 address can only be the last thing written ("::1.2.3.4", not "1.2.3.4::").
  const lastWritten = halves.length === 1 || tail.length > 0;
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!;
    if (lastWritten && i === all.length - 1 && g.includes(".")) {
      // An embedded IPv4 address stands for the last two groups.
      if (!isIpv4Literal(g)) return false;
      count += 2;
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  // With "::" at least one group is elided; without it all eight are written.
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** Whether `value` is an RFC 1123 host name (see the module comment). */
export function isDnsName(value: string): boolean {
  if (value.length === 0 || value.length > MAX_DNS_NAME_LENGTH) return false;
  const labels = value.split(".");
  if (!labels.every((l) => LABEL.test(l))) return false;
  return !/^[0-9]+$/.test(labels[labels.length - 1]!);
}

/**
 * Why `value` is not a host address (a DNS name, an IPv4 or an IPv6 literal), or undefined
 * when it is one. The reason is a clause for "… is not a host name or IP address (REASON)".
 */
export function hostAddressIssue(value: unknown): string | undefined {
  if (typeof value !== "string") return `it is ${value === null ? "null" : typeof value}, not a string`;
  if (value === "") return "it is empty";
  if (isIpv4Literal(value) || isIpv6Literal(value) || isDnsName(value)) return undefined;
  const bad = [...new Set([...value].filter((c) => !/[A-Za-z0-9.:-]/.test(c)))];
  if (bad.length > 0) {
    return `it contains ${bad.slice(0, 5).map((c) => JSON.stringify(c)).join(", ")}${bad.length > 5 ? ", …" : ""}; a DNS name or IP address has only letters, digits, '.', '-' and ':'`;
  }
  if (value.startsWith("-")) return "it starts with '-', which ssh would read as an option";
  if (value.includes(":")) {
    return "it has ':' but is not an IPv6 address (8 groups of 1–4 hex digits, one '::' at most; no port, no brackets, no zone id)";
  }
  if (/^[0-9.]+$/.test(value)) {
    return isIpv4Shaped(value)
      ? "it is not an IPv4 address: four octets from 0 to 255, written without leading zeros (inet_aton reads 010 as octal 8)"
      : "it is all digits and dots but not four octets; resolvers read such a string as an abbreviated IPv4 number";
  }
  if (value.length > MAX_DNS_NAME_LENGTH) return `it is ${String(value.length)} characters long, above DNS's limit of ${String(MAX_DNS_NAME_LENGTH)}`;
  if (value.endsWith(".")) return "it ends with '.'; write the name without the trailing dot";
  const labels = value.split(".");
  if (labels.some((l) => l === "")) return "it has an empty label ('..' or a leading '.')";
  const long = labels.find((l) => l.length > 63);
  if (long !== undefined) return `its label ${JSON.stringify(long.slice(0, 20) + "…")} is longer than DNS's 63 characters`;
  const hyphen = labels.find((l) => l.startsWith("-") || l.endsWith("-"));
  if (hyphen !== undefined) return `its label ${JSON.stringify(hyphen)} starts or ends with '-'`;
  return "its last label is all digits, so it is neither a DNS name nor an IPv4 address";
}

function isIpv4Shaped(value: string): boolean {
  return value.split(".").length === 4 && value.split(".").every((p) => /^[0-9]{1,3}$/.test(p));
}

/** `value` as quoted in a message: JSON (control characters escaped), cut at 80 characters. */
export function showValue(value: unknown): string {
  const s = typeof value === "string" ? value : String(value);
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

/** The fix every address message gives. */
export const HOST_ADDRESS_SYNTAX =
  'give a DNS name (letters, digits and "-" in dot-separated labels, e.g. xen-a.example.org) or an IPv4 or IPv6 address (e.g. 10.0.0.11, fd00::11)';

/**
 * Throws when `value` is not a host address: the check at the edges where an address reaches
 * a command another program builds (xl migrate's ssh line, a cold copy's ssh, a printed fix),
 * for values that did not come through `cdktf synth` (a hand-edited cdk.tf.json, a provisioner input).
 *
 * @param field what the address is, e.g. `migration.address` of a host
 * @param where where the value came from (a host id), for the message
 * @throws XenModelError
 */
export function assertHostAddress(value: unknown, field: string, where?: string): string {
  const issue = hostAddressIssue(value);
  if (issue === undefined) return value as string;
  throw new XenModelError({
    what: `${field} ${showValue(value)} is not a host name or IP address`,
    where,
    why: `${issue}; it would reach a command line built by another program (xl migrate's ssh on dom0, ssh, ssh-keyscan)`,
    fix: HOST_ADDRESS_SYNTAX,
  });
}
