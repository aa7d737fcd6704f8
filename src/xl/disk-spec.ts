/**
 * Disk specification strings (the items of xl.cfg's `disk = [ … ]` and the argument of
 * `xl block-attach`), as written by cdktf-xen and as read by libxlu's disk lexer
 * (tools/libs/util/libxlu_disk_l.l). cdktf-xen always writes the key=value form with `target=`
 * last, because `target=` takes the whole rest of the string, commas included.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/misc/xl-disk-configuration.txt
 */
import type { DiskAccess, DiskFormat } from "../model/spec.js";
import { vdevProblem } from "../model/names.js";
import { xlStringProblem } from "./cfg-syntax.js";
import { XlRenderError } from "./errors.js";
import { type ParseIssue, type ParseResult, failed, parsed } from "./result.js";

/** What a disk spec string says, in the model's vocabulary. */
export interface XlDiskView {
  /** Virtual device in the guest (`xvda`). */
  readonly vdev: string;
  /** Backing device or file in dom0 (libxl's `pdev_path`). */
  readonly target: string;
  readonly format: DiskFormat;
  readonly access: DiskAccess;
  readonly devtype: "disk" | "cdrom";
}

const FORMATS: readonly DiskFormat[] = ["raw", "qcow2", "qcow", "vhd", "qed"];

/** What is wrong with a target path, as a clause after the path ("contains …", "is not absolute"). */
function diskTargetIssue(target: string): { clause: string; fix: string } | undefined {
  const problem = typeof target === "string" ? xlStringProblem(target) : "it is not a string";
  if (problem !== null) return { clause: problem.replace(/^it /, ""), fix: "remove that character from the path" };
  if (!target.startsWith("/")) return { clause: "is not an absolute path", fix: "give the full path in dom0, e.g. /dev/vg0/web-1-root" };
  // libxlu strips one trailing comma from target=…, so the path would change.
  if (target.endsWith(",")) return { clause: "ends with a comma, which xl drops", fix: "rename the volume or file" };
  return undefined;
}

/**
 * Why `target` cannot be a disk's backing path, or undefined: an absolute dom0 path free of
 * control characters, not ending in `,` (libxlu drops it). The rule synth validation, the plan
 * and {@link renderDiskSpec} share.
 */
export function diskTargetProblem(target: string): string | undefined {
  const issue = diskTargetIssue(target);
  return issue === undefined ? undefined : `disk target path ${JSON.stringify(target)} ${issue.clause}: ${issue.fix}`;
}

/**
 * Renders one disk as `format=raw, vdev=xvda, access=rw, target=/dev/vg0/x` (plus
 * `devtype=cdrom` before `target` for a CD-ROM). The result still has to be quoted for
 * xl.cfg (render.ts does) or shell-quoted for `xl block-attach` (commands.ts does).
 *
 * @param field spec path used in errors, e.g. `disks[0]`.
 * @throws XlRenderError when a value would be misread by xl's disk parser.
 * @see https://xenbits.xen.org/docs/4.17-testing/misc/xl-disk-configuration.txt
 */
export function renderDiskSpec(disk: XlDiskView, field: string): string {
  const vdev = vdevProblem(disk.vdev);
  if (vdev !== undefined) {
    throw new XlRenderError(`${field}.vdev`, vdev.slice(0, vdev.indexOf(": ")), vdev.slice(vdev.indexOf(": ") + 2));
  }
  if (!FORMATS.includes(disk.format)) {
    throw new XlRenderError(`${field}.format`, `unknown disk format "${disk.format}"`, `use one of ${FORMATS.join(", ")}`);
  }
  if (disk.access !== "rw" && disk.access !== "ro") {
    throw new XlRenderError(`${field}.access`, `unknown access "${String(disk.access)}"`, 'use "rw" or "ro"');
  }
  if (disk.devtype !== "disk" && disk.devtype !== "cdrom") {
    throw new XlRenderError(`${field}.devtype`, `unknown devtype "${String(disk.devtype)}"`, 'use "disk" or "cdrom"');
  }
  if (disk.devtype === "cdrom" && disk.access === "rw") {
    // libxlu forces readwrite=0 for every CD-ROM, whatever access= says.
    throw new XlRenderError(`${field}.access`, "xl makes every CD-ROM read-only", 'declare access "ro" for a cdrom disk');
  }
  const target = diskTargetIssue(disk.target);
  if (target !== undefined) throw new XlRenderError(`${field}.target`, `"${disk.target}" ${target.clause}`, target.fix);
  const parts = [`format=${disk.format}`, `vdev=${disk.vdev}`, `access=${disk.access}`];
  if (disk.devtype === "cdrom") parts.push("devtype=cdrom");
  parts.push(`target=${disk.target}`);
  return parts.join(", ");
}

const FLAGS = new Set([
  "cdrom", "direct-io-safe", "discard", "no-discard", "colo", "no-colo", "trusted", "untrusted",
]);
const STRING_KEYS = new Set([
  "backend", "backendtype", "specification", "script", "colo-host", "colo-port", "colo-export",
  "active-disk", "hidden-disk",
]);
const LEGACY_FORMATS: Readonly<Record<string, DiskFormat>> = { raw: "raw", qcow: "qcow", qcow2: "qcow2", vhd: "vhd" };

/**
 * Reads a disk spec string the way libxlu does: key=value parameters, `target=` eating the
 * rest, the legacy positional form `phy:/dev/vg0/x,xvda,w`, `vdev:cdrom`, and libxl's
 * defaults (format raw; read-write unless a CD-ROM). `path` prefixes issue paths.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/misc/xl-disk-configuration.txt
 */
export function parseDiskSpec(spec: string, path = "disk"): ParseResult<XlDiskView> {
  const issues: ParseIssue[] = [];
  const err = (message: string): void => {
    issues.push({ path, message: `${message} in disk spec ${JSON.stringify(spec)}` });
  };
  let target: string | undefined;
  let vdev: string | undefined;
  let format: DiskFormat | "empty" | undefined;
  let access: DiskAccess | undefined;
  let cdrom = false;
  let hadPrefix = false;
  // Only the positional access parameter counts as "set" for the positional sequence (libxlu's access_set).
  let positionalAccess = false;

  const setFormat = (f: string): void => {
    const known = f === "" ? "raw" : FORMATS.includes(f as DiskFormat) ? (f as DiskFormat) : f === "empty" ? "empty" : undefined;
    if (known === undefined) return err(`unknown format "${f}"`);
    if (format !== undefined && format !== known) return err("format respecified");
    format = known;
  };
  const setAccess = (a: string): void => {
    if (a === "r" || a === "ro") access = "ro";
    else if (a === "rw" || a === "w" || a === "") access = "rw";
    else err(`unknown access "${a}"`);
  };
  // libxlu's savestring(): a second non-empty value for the same field is an error.
  const saveTarget = (t: string): void => {
    if (target !== undefined && target !== "") err("target respecified");
    else target = t;
  };
  const saveVdev = (v: string): void => {
    if (vdev !== undefined && vdev !== "") err("vdev respecified");
    else vdev = v;
  };
  const setVdevWithType = (s: string): boolean => {
    const colon = s.lastIndexOf(":");
    if (colon < 0) return false;
    saveVdev(s.slice(0, colon));
    const t = s.slice(colon + 1);
    if (t === "cdrom") cdrom = true;
    else if (t === "disk") cdrom = false;
    else err(`unknown deprecated type "${t}"`);
    return true;
  };

  let i = 0;
  while (i < spec.length && issues.length === 0) {
    const rest = spec.slice(i);
    const ws = /^[ \t\n]+/.exec(rest);
    if (ws) { i += ws[0].length; continue; }
    if (rest.startsWith("target=")) {
      saveTarget(rest.slice(7).replace(/,$/, ""));
      break;
    }
    const prefix = /^(raw|qcow2?|vhd|iscsi|e?nbd|drbd|tapdisk|tap2?|aio|ioemu|file|phy):/.exec(rest);
    if (prefix) {
      hadPrefix = true;
      const legacy = LEGACY_FORMATS[prefix[1]!];
      if (legacy !== undefined) setFormat(legacy);
      i += prefix[0].length;
      continue;
    }
    if (/^[a-z][a-z0-9]*:(?:[^a-z0-9]|$)/.test(rest)) {
      err(`unknown deprecated disk prefix "${rest.slice(0, rest.indexOf(":") + 1)}"`);
      break;
    }
    const comma = rest.indexOf(",");
    const token = comma < 0 ? rest : rest.slice(0, comma);
    const advance = comma < 0 ? rest.length : comma + 1;
    const kv = /^([a-z][-a-z0-9_]*)=(.*)$/s.exec(token);
    if (kv) {
      const [, key, value] = kv as unknown as [string, string, string];
      if (key === "format") setFormat(value);
      else if (key === "access") setAccess(value);
      else if (key === "vdev") saveVdev(value);
      else if (key === "devtype") {
        if (value === "cdrom") cdrom = true;
        else if (value === "disk") cdrom = false;
        else err(`unknown devtype "${value}"`);
      } else if (key === "grant_usage" && (value === "0" || value === "1")) {
        // accepted, not modelled
      } else if (!STRING_KEYS.has(key)) {
        err(`unknown parameter "${key}"`);
      }
      i += advance;
      continue;
    }
    if (FLAGS.has(token)) {
      if (token === "cdrom") cdrom = true;
      i += advance;
      continue;
    }
    if (token.includes("=")) {
      err("bad disk syntax");
      break;
    }
    // Positional parameters: target, format, vdev, access (libxlu_disk_l.l's last rule).
    if (target === undefined) {
      saveTarget(token);
    } else if (!hadPrefix && format === undefined) {
      if (target === "" && setVdevWithType(token)) format = "empty";
      else setFormat(token);
    } else if (vdev === undefined) {
      if (!setVdevWithType(token)) saveVdev(token);
    } else if (!positionalAccess) {
      positionalAccess = true;
      setAccess(token);
    } else {
      err("too many positional parameters");
    }
    i += advance;
  }

  if (issues.length > 0) return failed(issues);
  if (vdev === undefined || vdev === "") return failed([{ path, message: `no vdev in disk spec ${JSON.stringify(spec)}` }]);
  if (target === undefined || target === "" || format === "empty") {
    return failed([{ path, message: `empty disk (no target) in disk spec ${JSON.stringify(spec)}: not supported by cdktf-xen` }]);
  }
  return parsed({
    vdev,
    target,
    format: format ?? "raw",
    // libxlu makes every CD-ROM read-only, whatever access= says.
    access: cdrom ? "ro" : (access ?? "rw"),
    devtype: cdrom ? "cdrom" : "disk",
  });
}
