/**
 * Name rules for what cdktf-xen puts on a host: domain names, volume (LV or file) names,
 * volume groups, vdevs, bridges and MAC addresses.
 *
 * Each `…Problem` function returns undefined for an acceptable value, or one sentence that
 * quotes the value, says what is wrong and what is allowed — ready to show a platform engineer.
 */
import { invalidName } from "./errors.js";
import { textProblem } from "./text.js";

/**
 * The longest domain name cdktf-xen accepts.
 *
 * Xen itself barely limits names (they live in xenstore), but a name here also becomes a file
 * name (`/etc/xen/cdktf-xen/NAME.cfg`, `/var/log/xen/console/guest-NAME--incoming.log` during
 * a migration) and usually the guest's hostname. 64 stays within a file name's 255 bytes with
 * every prefix and suffix xl adds, is about a DNS label (63), and keeps `xl list` readable.
 */
export const MAX_DOMAIN_NAME_LENGTH = 64;

/**
 * Domain names: a letter or digit, then letters, digits, `.`, `_`, `-`.
 *
 * Narrower than xl on purpose: the name is written into xl.cfg, used as a file name on dom0
 * and passed as one word to `xl` through an SSH shell. This set needs no quoting in any of
 * them, cannot start an option (`-`), and cannot be a path (`/`, `..`-only names).
 */
const DOMAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Suffixes `xl migrate` gives a domain while it moves (`NAME--incoming` on the target,
 * `NAME--migratedaway` on the source after a failure): a domain declared with one of them
 * would collide with another domain's migration.
 */
const MIGRATION_SUFFIXES = ["--incoming", "--migratedaway"] as const;

/**
 * Why `name` cannot be a domain name, or undefined when it can.
 *
 * Refused: the empty name; `Domain-0` (dom0's name, in any letter case, which no guest may
 * take); a name of digits only (`xl` reads it as a domain id); characters outside
 * `[A-Za-z0-9._-]` or a first character that is not a letter or digit; more than
 * {@link MAX_DOMAIN_NAME_LENGTH} characters; a name ending in `--incoming` or `--migratedaway`.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html (name)
 */
export function domainNameProblem(name: string): string | undefined {
  const issue = domainNameIssue(name);
  return issue === undefined ? undefined : `${issue.what}: ${issue.fix}`;
}

/**
 * Throws when `name` is not a valid domain name (see {@link domainNameProblem}).
 * @param where where the name came from (a construct path), for the message
 * @throws XenModelError
 */
export function assertDomainName(name: string, where?: string): void {
  const issue = domainNameIssue(name);
  if (issue !== undefined) throw invalidName(issue.what, issue.fix, where);
}

function domainNameIssue(name: string): { what: string; fix: string } | undefined {
  const shown = JSON.stringify(name);
  const allowed = "use letters, digits, '.', '_' and '-', starting with a letter or digit";
  if (typeof name !== "string" || name === "") return { what: "domain name is empty", fix: allowed };
  if (name.toLowerCase() === "domain-0") {
    return { what: `domain name ${shown} is dom0's name, which no guest can take`, fix: "choose another name" };
  }
  if (/^\d+$/.test(name)) {
    return { what: `domain name ${shown} is all digits, which xl reads as a domain id`, fix: `add a letter (e.g. "vm-${name}")` };
  }
  if (name.length > MAX_DOMAIN_NAME_LENGTH) {
    return {
      what: `domain name ${shown} is ${String(name.length)} characters long, above the limit of ${String(MAX_DOMAIN_NAME_LENGTH)}`,
      fix: "shorten it",
    };
  }
  if (!DOMAIN_NAME.test(name)) {
    return { what: `domain name ${shown} ${describeBadChars(name, /[A-Za-z0-9._-]/)}`, fix: allowed };
  }
  for (const suffix of MIGRATION_SUFFIXES) {
    if (name.endsWith(suffix)) {
      return {
        what: `domain name ${shown} ends in "${suffix}", which xl migrate gives a domain while it moves`,
        fix: "choose a name without it",
      };
    }
  }
  return undefined;
}

/**
 * A valid domain name derived from a construct id: lower case, every run of characters
 * outside `[a-z0-9._-]` becomes one `-` (accents are dropped first), leading and trailing `-`/`.`/`_` are trimmed,
 * digits-only names get a `vm-` prefix, and the result is cut to
 * {@link MAX_DOMAIN_NAME_LENGTH}. `"Web Server #1"` → `web-server-1`; `"42"` → `vm-42`.
 *
 * Deterministic, so the name stays the same across synths; two ids may map to one name, which
 * the host validator reports as a duplicate.
 */
export function domainNameFromId(id: string): string {
  let name = id
    // Letters with accents keep their base letter ("Ünïcode" -> "unicode").
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/-{2,}/g, "-");
  name = trimEnds(name);
  if (name === "") return "vm";
  if (/^\d+$/.test(name) || name === "domain-0") name = `vm-${name}`;
  name = trimEnds(name.slice(0, MAX_DOMAIN_NAME_LENGTH));
  return name;
}

function trimEnds(s: string): string {
  return s.replace(/^[-._]+/, "").replace(/[-._]+$/, "");
}

/** LVM's limit on an LV or VG name (NAME_LEN 128, including the terminating NUL). */
export const MAX_VOLUME_NAME_LENGTH = 127;

/** Substrings LVM reserves for its internal sub-volumes. */
const LVM_RESERVED_PARTS = [
  "_cdata",
  "_cmeta",
  "_corig",
  "_iorig",
  "_mlog",
  "_mimage",
  "_pmspare",
  "_rimage",
  "_rmeta",
  "_tdata",
  "_tmeta",
  "_vdata",
  "_vdo",
  "_vorigin",
] as const;

/**
 * Why `name` cannot be a volume name, or undefined when it can. The rule is LVM's for an LV
 * (and it is also a safe file name in a directory pool): characters `[A-Za-z0-9+_.-]`, not
 * starting with `-`, not `.` or `..`, at most {@link MAX_VOLUME_NAME_LENGTH} characters, not
 * `snapshot`/`pvmove` and not containing a part LVM reserves (`_rimage`, `_tmeta`, …).
 *
 * @see https://man7.org/linux/man-pages/man8/lvm.8.html (VALID NAMES)
 */
export function volumeNameProblem(name: string): string | undefined {
  return lvmNameProblem("volume name", name, true);
}

/** Why `name` cannot be an LVM volume group name (same characters as a volume), or undefined. */
export function volumeGroupProblem(name: string): string | undefined {
  return lvmNameProblem("volume group name", name, false);
}

function lvmNameProblem(kind: string, name: string, isLv: boolean): string | undefined {
  const shown = JSON.stringify(name);
  const allowed = "use letters, digits, '+', '_', '.' and '-', not starting with '-'";
  if (typeof name !== "string" || name === "") return `${kind} is empty: ${allowed}`;
  if (name === "." || name === "..") return `${kind} ${shown} is a directory name: ${allowed}`;
  if (name.length > MAX_VOLUME_NAME_LENGTH) {
    return `${kind} ${shown} is ${String(name.length)} characters long, above LVM's limit of ${String(MAX_VOLUME_NAME_LENGTH)}: shorten it`;
  }
  if (!/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(name)) {
    return `${kind} ${shown} ${describeBadChars(name, /[A-Za-z0-9+_.-]/)}: ${allowed}`;
  }
  if (isLv) {
    if (name === "snapshot" || name === "pvmove") {
      return `${kind} ${shown} is reserved by LVM: choose another name`;
    }
    const part = LVM_RESERVED_PARTS.find((p) => name.includes(p));
    if (part !== undefined) {
      return `${kind} ${shown} contains "${part}", which LVM reserves for its internal volumes: choose another name`;
    }
  }
  return undefined;
}

/**
 * Why `vdev` cannot be a virtual disk device, or undefined when it can: `xvd` followed by
 * letters (`xvda`, `xvdaa`), `hd` and one letter (`hda`, emulated IDE), or `sd` followed by
 * letters (`sda`, emulated SCSI).
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xen-vbd-interface.7.html
 */
export function vdevProblem(vdev: string): string | undefined {
  if (typeof vdev === "string" && /^(?:xvd[a-z]+|hd[a-z]|sd[a-z]+)$/.test(vdev)) return undefined;
  return `virtual device ${JSON.stringify(vdev)} is not a disk name xl accepts here: use xvd followed by letters (xvda, xvdb, …), or hda–hdz / sda… for emulated HVM disks`;
}

/** Linux's IFNAMSIZ is 16 including the terminating NUL. */
export const MAX_BRIDGE_NAME_LENGTH = 15;

/**
 * Why `bridge` cannot be a bridge name, or undefined when it can: 1–15 characters (Linux's
 * IFNAMSIZ) of ASCII letters, digits, `_`, `.` and `-`, starting with a letter, digit or `_`.
 *
 * Narrower than Linux (which takes anything but `/`, `:`, whitespace and NUL) on purpose: the
 * name is an argument of dom0 tools (`ip link`, `brctl`, the vif-bridge hotplug script, a shell
 * script) and an item of xl's comma-split vif spec, so it can hold no option (`-h`), no shell
 * syntax (`$(id)`, `*`), no `,`/`=` and nothing a tool might re-encode (non-ASCII). This rule is
 * the one `cdktf synth`, the plan and xl rendering (xl/vif-spec.ts) use.
 */
export function bridgeProblem(bridge: string): string | undefined {
  const shown = JSON.stringify(bridge);
  if (typeof bridge !== "string" || bridge === "") return "bridge name is empty: give the dom0 bridge to join, e.g. xenbr0";
  if (bridge.length > MAX_BRIDGE_NAME_LENGTH) {
    return `bridge name ${shown} is ${String(bridge.length)} characters long, above Linux's limit of ${String(MAX_BRIDGE_NAME_LENGTH)}: use the dom0 bridge's real name`;
  }
  if (bridge === "." || bridge === "..") return `bridge name ${shown} is not a valid interface name: use the dom0 bridge's name, e.g. xenbr0`;
  const bad = [...new Set([...bridge].filter((c) => !/[A-Za-z0-9_.-]/.test(c)))];
  if (bad.length > 0) {
    return `bridge name ${shown} contains ${bad.map((c) => JSON.stringify(c)).join(", ")}: a bridge name is ASCII letters, digits, '_', '.' and '-' (interface names cannot hold whitespace, '/', ':', and xl.cfg cannot hold ',', '=', quotes or '\\' in a bridge)`;
  }
  if (!/^[A-Za-z0-9_]/.test(bridge)) {
    return `bridge name ${shown} starts with ${JSON.stringify(bridge[0])}, which dom0 tools would read as an option or a hidden name: start it with a letter, digit or '_' (e.g. xenbr0)`;
  }
  return undefined;
}

/**
 * Why `mac` cannot be a guest MAC address, or undefined when it can: six two-digit hex
 * octets separated by `:`, unicast (the lowest bit of the first octet clear) and not all
 * zeros. Xen's own prefix is `00:16:3e`.
 */
export function macProblem(mac: string): string | undefined {
  const shown = JSON.stringify(mac);
  if (typeof mac !== "string" || !/^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/.test(mac)) {
    return `MAC address ${shown} is not six two-digit hex octets separated by ':': write e.g. 00:16:3e:12:34:56`;
  }
  const first = parseInt(mac.slice(0, 2), 16);
  if ((first & 1) === 1) {
    return `MAC address ${shown} is a multicast address (the first octet is odd): use a unicast one, e.g. 00:16:3e:…`;
  }
  if (/^(?:00:){5}00$/.test(mac)) return `MAC address ${shown} is all zeros: use a real address, e.g. 00:16:3e:…`;
  return undefined;
}

/** The longest cpupool name cdktf-xen accepts (Xen keeps it in xenstore; 64 keeps `xl cpupool-list` readable). */
export const MAX_CPUPOOL_NAME_LENGTH = 64;

/**
 * Why `name` cannot be a cpupool name, or undefined when it can: 1–64 ASCII letters, digits,
 * `_`, `.` and `-`, starting with a letter, digit or `_` (Xen's own is `Pool-0`). The name is
 * an argument of `xl cpupool-*` commands, where a leading `-` is an option (`--ignore-host`).
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html (pool)
 */
export function cpupoolNameProblem(name: string): string | undefined {
  const shown = JSON.stringify(name);
  const allowed = "use ASCII letters, digits, '_', '.' and '-', starting with a letter, digit or '_' (e.g. Pool-0)";
  if (typeof name !== "string" || name === "") return `cpupool is an empty string: use null for the default pool (Pool-0), or the pool's name`;
  if (name.length > MAX_CPUPOOL_NAME_LENGTH) {
    return `cpupool name ${shown} is ${String(name.length)} characters long, above the limit of ${String(MAX_CPUPOOL_NAME_LENGTH)}: shorten it`;
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
    return `cpupool name ${shown} ${describeBadChars(name, /[A-Za-z0-9_.-]/)}, which xl would misread: ${allowed}`;
  }
  return undefined;
}

/**
 * Why `name` cannot be a storage pool name, or undefined when it can. Disks name volumes as
 * `pool/volume`, and the name becomes part of file names (captured snapshots), so it follows
 * the volume rule's characters: `[A-Za-z0-9+_.-]`, not starting with `-`, not `.` or `..`,
 * at most {@link MAX_VOLUME_NAME_LENGTH} characters.
 */
export function storagePoolNameProblem(name: string): string | undefined {
  const shown = JSON.stringify(name);
  if (typeof name !== "string" || name === "") return `pool name ${shown} is empty, but disks name volumes as pool/volume: give the pool a name without '/'`;
  if (name.includes("/")) return `pool name ${shown} contains '/', but disks name volumes as pool/volume: give the pool a name without '/'`;
  if (name === "." || name === ".." || name.length > MAX_VOLUME_NAME_LENGTH || !/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(name)) {
    const why = name === "." || name === ".." ? "is a directory name" : name.length > MAX_VOLUME_NAME_LENGTH ? `is ${String(name.length)} characters long, above ${String(MAX_VOLUME_NAME_LENGTH)}` : describeBadChars(name, /[A-Za-z0-9+_.-]/);
    return `pool name ${shown} ${why}: use letters, digits, '+', '_', '.' and '-', not starting with '-'`;
  }
  return undefined;
}

/** The longest login name cdktf-xen accepts (Linux's useradd limit). */
export const MAX_LOGIN_NAME_LENGTH = 32;

/**
 * Why `user` cannot be a dom0 login name, or undefined when it can: 1–32 ASCII letters,
 * digits, `_`, `.` and `-`, not starting with `-` or `.` (POSIX portable user names). It is an
 * argument of ssh (`-l USER` on the migration hop, `USER@HOST` in printed fixes).
 */
export function loginNameProblem(user: string): string | undefined {
  if (typeof user === "string" && user.length <= MAX_LOGIN_NAME_LENGTH && /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(user)) return undefined;
  return `user ${JSON.stringify(user)} is not a valid login name (1–${String(MAX_LOGIN_NAME_LENGTH)} ASCII letters, digits, '_', '.', '-', not starting with '-' or '.'): give the dom0 account to log in as, e.g. "root"`;
}

/** Why `name` is not a POSIX environment variable name (`[A-Za-z_][A-Za-z0-9_]*`), or undefined. */
export function envNameProblem(name: string): string | undefined {
  if (typeof name === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
  return "is not the name of an environment variable (letters, digits and '_', not starting with a digit)";
}

/**
 * Why `path` cannot be a path cdktf-xen is given (a key file or known_hosts file on the machine
 * running the CLI, an image on dom0), or undefined: not empty, not only spaces, and free of
 * control characters ({@link textProblem}). `absolute` also asks for a leading `/`.
 */
export function pathProblem(path: string, absolute: boolean): string | undefined {
  if (typeof path !== "string" || path.trim() === "") return "is empty";
  const text = textProblem(path);
  if (text !== null) return text.replace(/^it /, "");
  if (absolute && !path.startsWith("/")) return "is not absolute";
  return undefined;
}

/**
 * Why `path` cannot be a key file on a dom0 for the migration hop (`XenHost.migration.identityFile`),
 * or undefined: an absolute path ({@link pathProblem}) without whitespace or quotes — it is an
 * argument of the `ssh -i PATH` that `xl migrate` runs through `sh -c` on the source dom0.
 */
export function identityFileProblem(path: string): string | undefined {
  const p = pathProblem(path, true);
  if (p !== undefined) return p;
  if (/[\s'"]/.test(path)) return "holds whitespace or quotes";
  return undefined;
}

/** "contains '#'" or "starts with '-'", for the character-set messages. */
function describeBadChars(name: string, allowed: RegExp): string {
  const bad = [...new Set([...name].filter((c) => !allowed.test(c)))];
  if (bad.length > 0) return `contains ${bad.map((c) => JSON.stringify(c)).join(", ")}`;
  return `starts with ${JSON.stringify(name[0] ?? "")}`;
}
