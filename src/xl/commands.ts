/**
 * Builders of every command the reconciler runs on dom0. Each returns an argv (`string[]`, to
 * be joined with `shellCommand`) or, where a pipeline or a guard is needed, a complete command
 * line `sh -c '…'` whose script is assembled only from {@link shellQuote}d values. Arguments are
 * validated first: a domain name that xl would read as an option or a domid, an LVM name LVM
 * would refuse, a relative path, a size that is not a whole number of MiB all throw
 * {@link XlArgumentError} before anything reaches a shell.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html
 */
import type { DiskSpec, VifSpec } from "../model/spec.js";
import { canonicalCpuList } from "./cpulist.js";
import { renderDiskSpec } from "./disk-spec.js";
import { XlArgumentError, XlRenderError } from "./errors.js";
import { AUTOSTART_DIR, MANAGED_CONFIG_DIR, autostartPath, configFilePath } from "./live.js";
import { shellCommand, shellQuote } from "./shell.js";
import { renderVifTokens } from "./vif-spec.js";

/**
 * Checks a domain name before it is passed to xl or used as a file name: not empty, not all
 * digits (xl would take it as a domid), no leading `-` (an option), no `/` (a path), no control
 * characters.
 *
 * @throws XlArgumentError describing the problem.
 */
export function checkDomainName(name: string): string {
  const bad = (why: string, fix = "rename the domain"): never => {
    throw new XlArgumentError("domain name", name, why, fix);
  };
  if (name === "") bad("it is empty");
  if (/^\d+$/.test(name)) bad("xl reads an all-digit name as a domain id");
  if (name.startsWith("-")) bad("xl reads a leading '-' as an option");
  if (name.includes("/")) bad("it is used as a file name and cannot contain '/'");
  if (name === "." || name === "..") bad("it is used as a file name");
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) bad("it contains a control character");
  return name;
}

function checkMiB(field: string, mib: number): string {
  if (!Number.isSafeInteger(mib) || mib <= 0) {
    throw new XlArgumentError(field, mib, "not a positive whole number of MiB", "declare the size in whole MiB");
  }
  return String(mib);
}

function checkCount(field: string, n: number, min: number, max: number): string {
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new XlArgumentError(field, n, `not an integer in ${min}..${max}`, `use an integer between ${min} and ${max}`);
  }
  return String(n);
}

/** LVM's name rules (lvm(8), VALID NAMES), stricter where LVM reserves names. */
function checkLvmName(field: string, name: string): string {
  if (!/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/.test(name) || name === "." || name === "..") {
    throw new XlArgumentError(field, name, "not a valid LVM name (A-Z a-z 0-9 + _ . -, no leading '-', at most 127 characters)", "rename it");
  }
  if (/^(snapshot|pvmove)$/.test(name) || /_(cdata|cmeta|corig|mlog|mimage|pmspare|rimage|rmeta|tdata|tmeta|vorigin|vdata)/.test(name)) {
    throw new XlArgumentError(field, name, "LVM reserves this name", "rename it");
  }
  return name;
}

/** An absolute dom0 path that survives shells and line-oriented listings (no NUL, no line break). */
function checkPath(field: string, path: string): string {
  // eslint-disable-next-line no-control-regex
  if (!path.startsWith("/") || /[\x00-\x1f\x7f]/.test(path)) {
    throw new XlArgumentError(field, path, "not an absolute path free of control characters", "give an absolute path such as /srv/xen/web-1.img");
  }
  return path;
}

function checkCpuList(field: string, list: string): string {
  const canon = canonicalCpuList(list);
  if (canon === null || canon === "none") {
    throw new XlArgumentError(field, list, "not a CPU list", 'write "all" or CPUs and ranges such as "2" or "0-3,6"');
  }
  return list;
}

/** Path of a managed domain's config file: `/etc/xen/cdktf-xen/NAME.cfg`. */
export function managedConfigPath(name: string): string {
  return configFilePath(checkDomainName(name));
}

/** Path of a domain's autostart link: `/etc/xen/auto/NAME.cfg`. */
export function autostartLinkPath(name: string): string {
  return autostartPath(checkDomainName(name));
}

/**
 * `xl create CFG`. Not `-q`: with it xl did not return on the lab host (LAB-NOTES pitfall 5).
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (create)
 */
export function xlCreate(cfgPath: string): string[] {
  return ["xl", "create", checkPath("cfgPath", cfgPath)];
}

/**
 * `xl shutdown -w NAME`: graceful, waits until the domain is gone. It can wait forever when the
 * guest ignores the request, so the caller runs it under a timeout and then {@link xlDestroy}.
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (shutdown)
 */
export function xlShutdownWait(name: string): string[] {
  return ["xl", "shutdown", "-w", checkDomainName(name)];
}

/**
 * `xl shutdown NAME`: asks the guest to power off and returns at once; the caller polls and
 * asks again (a guest still booting drops the request).
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (shutdown)
 */
export function xlShutdown(name: string): string[] {
  return ["xl", "shutdown", checkDomainName(name)];
}

/** `xl destroy NAME`: immediate stop. @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (destroy) */
export function xlDestroy(name: string): string[] {
  return ["xl", "destroy", checkDomainName(name)];
}

/** `xl mem-set NAME <MiB>m`: live balloon target, at most maxmem. @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (mem-set) */
export function xlMemSet(name: string, mib: number): string[] {
  return ["xl", "mem-set", checkDomainName(name), `${checkMiB("memoryMiB", mib)}m`];
}

/** `xl mem-max NAME <MiB>m`: live static maximum. @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (mem-max) */
export function xlMemMax(name: string, mib: number): string[] {
  return ["xl", "mem-max", checkDomainName(name), `${checkMiB("maxMemoryMiB", mib)}m`];
}

/** `xl vcpu-set NAME N`: online vCPUs, at most maxvcpus. @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (vcpu-set) */
export function xlVcpuSet(name: string, vcpus: number): string[] {
  return ["xl", "vcpu-set", checkDomainName(name), checkCount("vcpus", vcpus, 1, 4096)];
}

/**
 * `xl vcpu-pin NAME VCPU HARD SOFT`: hard and soft affinity of one vCPU (`all` to unpin).
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (vcpu-pin)
 */
export function xlVcpuPin(name: string, vcpu: number, hard: string, soft: string): string[] {
  return ["xl", "vcpu-pin", checkDomainName(name), checkCount("vcpu", vcpu, 0, 4095), checkCpuList("hard", hard), checkCpuList("soft", soft)];
}

/** `xl sched-credit2 -d NAME -w WEIGHT -c CAP`. @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (sched-credit2) */
export function xlSchedCredit2(name: string, weight: number, cap: number): string[] {
  return ["xl", "sched-credit2", "-d", checkDomainName(name), "-w", checkCount("weight", weight, 1, 65535), "-c", checkCount("cap", cap, 0, 65535)];
}

function rethrowAsArgument<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof XlRenderError) throw new XlArgumentError(e.field, undefined, e.why, e.fix);
    throw e;
  }
}

/**
 * `xl block-attach NAME 'format=…, vdev=…, access=…, target=…'`: hot-plugs a disk, with the
 * same disk spec string the config file holds.
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (block-attach)
 */
export function xlBlockAttach(name: string, disk: DiskSpec): string[] {
  return ["xl", "block-attach", checkDomainName(name), rethrowAsArgument(() => renderDiskSpec(disk, "disk"))];
}

/** `xl block-detach NAME VDEV`. @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (block-detach) */
export function xlBlockDetach(name: string, vdev: string): string[] {
  if (!/^[A-Za-z0-9]+$/.test(vdev)) throw new XlArgumentError("vdev", vdev, "not a virtual device name", "use a name such as xvdb");
  return ["xl", "block-detach", checkDomainName(name), vdev];
}

/**
 * `xl network-attach NAME bridge=… [mac=…] [model=…] [rate=…]`: xl reads each `key=value` as
 * its own argument.
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (network-attach)
 */
export function xlNetworkAttach(name: string, vif: VifSpec): string[] {
  return ["xl", "network-attach", checkDomainName(name), ...rethrowAsArgument(() => renderVifTokens(vif, "vif"))];
}

/** `xl network-detach NAME DEVID|MAC`. @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (network-detach) */
export function xlNetworkDetach(name: string, devidOrMac: number | string): string[] {
  const id = typeof devidOrMac === "number" ? checkCount("devid", devidOrMac, 0, 65535) : devidOrMac;
  if (typeof devidOrMac === "string" && !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(devidOrMac)) {
    throw new XlArgumentError("mac", devidOrMac, "not a MAC address", "give the vif's devid or its MAC address");
  }
  return ["xl", "network-detach", checkDomainName(name), id];
}

/**
 * `lvcreate -y -L <MiB>m -n NAME VG`. `-y` answers LVM's "wipe signature?" prompt, which would
 * otherwise hang a non-interactive session.
 * @see https://man7.org/linux/man-pages/man8/lvcreate.8.html
 */
export function lvcreate(vg: string, name: string, mib: number): string[] {
  return ["lvcreate", "-y", "-L", `${checkMiB("sizeMiB", mib)}m`, "-n", checkLvmName("name", name), checkLvmName("vg", vg)];
}

/** `lvextend -L <MiB>m VG/NAME` (LVM refuses to shrink with lvextend). @see https://man7.org/linux/man-pages/man8/lvextend.8.html */
export function lvextend(vg: string, name: string, mib: number): string[] {
  return ["lvextend", "-L", `${checkMiB("sizeMiB", mib)}m`, `${checkLvmName("vg", vg)}/${checkLvmName("name", name)}`];
}

/** `lvremove -y VG/NAME`. @see https://man7.org/linux/man-pages/man8/lvremove.8.html */
export function lvremove(vg: string, name: string): string[] {
  return ["lvremove", "-y", `${checkLvmName("vg", vg)}/${checkLvmName("name", name)}`];
}

/** Wraps a script so that whatever the remote login shell is, POSIX sh runs it. */
function sh(script: string): string {
  return shellCommand(["sh", "-c", script]);
}

/**
 * Creates a sparse raw image of `mib` MiB, refusing (exit 17) if the file exists: `truncate`
 * on an existing file would resize it, possibly down.
 * @see https://man7.org/linux/man-pages/man1/truncate.1.html
 */
export function rawFileCreate(path: string, mib: number): string {
  const p = shellQuote(checkPath("path", path));
  const bytes = Number(checkMiB("sizeMiB", mib)) * 1024 * 1024;
  return sh(`if [ -e ${p} ]; then echo ${shellQuote(`${path} already exists`)} >&2; exit 17; fi; truncate -s ${bytes} -- ${p}`);
}

/**
 * Grows a raw image to `mib` MiB; refuses (exit 18) when that would shrink it, because a
 * shrink destroys data at the end of the disk.
 * @see https://man7.org/linux/man-pages/man1/truncate.1.html
 */
export function rawFileGrow(path: string, mib: number): string {
  const p = shellQuote(checkPath("path", path));
  const bytes = Number(checkMiB("sizeMiB", mib)) * 1024 * 1024;
  return sh(
    `cur=$(stat -c %s -- ${p}) || exit 1; if [ "$cur" -gt ${bytes} ]; then echo ${shellQuote(`refusing to shrink ${path}`)} >&2; exit 18; fi; truncate -s ${bytes} -- ${p}`,
  );
}

/** `qemu-img create -f qcow2 PATH <MiB>M`. @see https://www.qemu.org/docs/master/tools/qemu-img.html */
export function qemuImgCreate(path: string, mib: number): string[] {
  return ["qemu-img", "create", "-f", "qcow2", checkPath("path", path), `${checkMiB("sizeMiB", mib)}M`];
}

/** `qemu-img resize -f qcow2 PATH <MiB>M` (qemu-img refuses to shrink without --shrink). @see https://www.qemu.org/docs/master/tools/qemu-img.html */
export function qemuImgResize(path: string, mib: number): string[] {
  return ["qemu-img", "resize", "-f", "qcow2", checkPath("path", path), `${checkMiB("sizeMiB", mib)}M`];
}

/** `rm -f -- PATH`: deletes a dir-pool volume file (only for retention `delete`). */
export function fileRemove(path: string): string[] {
  return ["rm", "-f", "--", checkPath("path", path)];
}

/**
 * Replaces a file atomically: the content travels base64-encoded inside the command (no
 * stdin, no here-doc, so nothing in it can end a quote or a delimiter), is written to a
 * temporary file in the same directory, flushed to disk, made 0644, then renamed over `path`
 * with `mv -f`, which is atomic within one filesystem. The temporary file is removed on failure.
 *
 * @returns a complete `sh -c '…'` command line.
 */
export function writeFileAtomic(path: string, content: string): string {
  checkPath("path", path);
  const slash = path.lastIndexOf("/");
  const dir = slash === 0 ? "/" : path.slice(0, slash);
  const base = path.slice(slash + 1);
  if (base === "" || base === "." || base === "..") {
    throw new XlArgumentError("path", path, "does not name a file", "give the file's full path");
  }
  const b64 = Buffer.from(content, "utf8").toString("base64");
  const tmpl = shellQuote(`${dir === "/" ? "" : dir}/.${base}.XXXXXX`);
  return sh(
    [
      "set -e",
      // mv onto a directory would move the file into it instead of replacing it.
      `if [ -d ${shellQuote(path)} ]; then echo ${shellQuote(`${path} is a directory`)} >&2; exit 21; fi`,
      `mkdir -p -- ${shellQuote(dir)}`,
      `tmp=$(mktemp ${tmpl})`,
      `trap 'rm -f -- "$tmp"' EXIT`,
      `printf '%s' ${shellQuote(b64)} | base64 -d > "$tmp"`,
      `chmod 0644 "$tmp"`,
      // fsync the data before the rename makes it visible; `sync FILE` is coreutils >= 8.24.
      `sync -- "$tmp" 2>/dev/null || sync`,
      `mv -f -- "$tmp" ${shellQuote(path)}`,
      "trap - EXIT",
    ].join("\n"),
  );
}

/** `mkdir -p -- /etc/xen/cdktf-xen`. */
export function mkdirManagedConfigDir(): string[] {
  return ["mkdir", "-p", "--", MANAGED_CONFIG_DIR];
}

/** `rm -f -- /etc/xen/cdktf-xen/NAME.cfg`. */
export function removeManagedConfig(name: string): string[] {
  return ["rm", "-f", "--", managedConfigPath(name)];
}

/**
 * Links `/etc/xen/auto/NAME.cfg` to the managed config, so xendomains starts the domain at
 * dom0 boot; creates /etc/xen/auto if needed and replaces an existing link.
 *
 * @returns a complete `sh -c '…'` command line.
 */
export function autostartLink(name: string): string {
  return sh(
    `mkdir -p -- ${shellQuote(AUTOSTART_DIR)} && ln -sf -- ${shellQuote(managedConfigPath(name))} ${shellQuote(autostartLinkPath(name))}`,
  );
}

/** `rm -f -- /etc/xen/auto/NAME.cfg`. */
export function autostartUnlink(name: string): string[] {
  return ["rm", "-f", "--", autostartLinkPath(name)];
}
