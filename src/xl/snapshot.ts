/**
 * One SSH round trip per host: {@link snapshotScript} is a POSIX sh script that runs every
 * read-only command the diff needs and prints each command's stdout, stderr and exit status
 * between marker lines; {@link parseSnapshot} turns that output into a {@link LiveHost}.
 *
 * Output grammar (M = `#cdktf-xen:NONCE#`):
 * ```
 * M SNAPSHOT 1
 * M BEGIN name          then the command's stdout, then a newline
 * M STDERR name         then its stderr, then a newline
 * M END name rc
 * ```
 * A marker only counts with the nonce of the first line, so text inside a section (a domain
 * named like a marker) cannot end it early; config files travel base64-encoded.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html
 */
import type { PoolSpec } from "../model/spec.js";
import { classifyXlError } from "./errors.js";
import { parseXlCpupoolList } from "./cpupool.js";
import { parseXlInfo } from "./info.js";
import { parseXlList } from "./list.js";
import { parseXlListLong } from "./list-long.js";
import { AUTOSTART_DIR, type LiveConfigFile, type LiveDomain, type LiveHost, type LiveVolume, MANAGED_CONFIG_DIR } from "./live.js";
import { parseLvsJson } from "./lvs.js";
import { type ParseIssue, type ParseResult, failed, parsed } from "./result.js";
import { parseXlSchedCredit2 } from "./sched.js";
import { shellCommand, shellQuote } from "./shell.js";
import { parseStatSizes } from "./stat.js";
import { parseXlVcpuList } from "./vcpu-list.js";

/** Version of the output grammar, printed on the first line. */
export const SNAPSHOT_VERSION = 1;

/** Nonce used when the caller gives none; tests and fixtures use it. */
export const DEFAULT_SNAPSHOT_NONCE = "snapshot";

/** Where the snapshot looks; tests point these at a scratch directory. */
export interface SnapshotOptions {
  /**
   * Letters/digits making the markers unguessable for the guests' names; the reconciler
   * passes a random one.
   * @default DEFAULT_SNAPSHOT_NONCE
   */
  readonly nonce?: string;
  /** @default MANAGED_CONFIG_DIR (/etc/xen/cdktf-xen) */
  readonly configDir?: string;
  /** @default AUTOSTART_DIR (/etc/xen/auto) */
  readonly autostartDir?: string;
  /** Directory of network interfaces; a bridge is one with a `bridge` subdirectory. @default "/sys/class/net" */
  readonly netDir?: string;
}

function resolve(options: SnapshotOptions): Required<SnapshotOptions> {
  return {
    nonce: options.nonce ?? DEFAULT_SNAPSHOT_NONCE,
    configDir: options.configDir ?? MANAGED_CONFIG_DIR,
    autostartDir: options.autostartDir ?? AUTOSTART_DIR,
    netDir: options.netDir ?? "/sys/class/net",
  };
}

/** The exact `lvs` invocation for one volume group: exact byte sizes, JSON. */
export function lvsArgv(vg: string): string[] {
  return ["lvs", "--reportformat", "json", "--units", "b", "--nosuffix", "-o", "lv_name,vg_name,lv_size", vg];
}

function marker(nonce: string): string {
  if (!/^[A-Za-z0-9]{1,64}$/.test(nonce)) throw new Error(`snapshot nonce must be 1-64 letters or digits, got ${JSON.stringify(nonce)}`);
  return `#cdktf-xen:${nonce}#`;
}

/** Volume groups of the LVM pools, each once, in first-declared order. */
function volumeGroups(pools: readonly PoolSpec[]): string[] {
  const vgs: string[] = [];
  for (const p of pools) if (p.kind === "lvm" && !vgs.includes(p.volumeGroup)) vgs.push(p.volumeGroup);
  return vgs;
}

/**
 * The batched read-only script for one host. Sections: `info` (xl info), `list`, `list-l`,
 * `vcpu-list`, `sched-credit2`, `cpupool-list`, `lvs:VG` per LVM volume group, `dir:I` (stat of
 * the files of the I-th pool, a dir pool) and `qcow2:I` (virtual sizes of its qcow2 images),
 * `cfg:FILE` per managed config file (base64), `autostart` (links in /etc/xen/auto with their
 * targets) and `bridges`.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html
 */
export function snapshotScript(pools: readonly PoolSpec[], options: SnapshotOptions = {}): string {
  const o = resolve(options);
  const m = shellQuote(marker(o.nonce));
  const lines = [
    "LC_ALL=C; export LC_ALL",
    `_cx_m=${m}`,
    "_cx_e=$(mktemp) || exit 70",
    `trap 'rm -f "$_cx_e"' EXIT`,
    `printf '%s SNAPSHOT %s\\n' "$_cx_m" ${SNAPSHOT_VERSION}`,
    "_cx_run() {",
    "  _cx_n=$1; shift",
    `  printf '%s BEGIN %s\\n' "$_cx_m" "$_cx_n"`,
    `  "$@" 2>"$_cx_e"; _cx_rc=$?`,
    `  printf '\\n%s STDERR %s\\n' "$_cx_m" "$_cx_n"`,
    `  cat "$_cx_e"`,
    `  printf '\\n%s END %s %s\\n' "$_cx_m" "$_cx_n" "$_cx_rc"`,
    "}",
    // Files of a dir pool: "SIZE PATH" per regular file; a missing directory is an empty pool.
    "_cx_dir() {",
    `  [ -d "$1" ] || return 0`,
    `  for _cx_f in "$1"/*; do [ -f "$_cx_f" ] || continue; stat -c '%s %n' -- "$_cx_f" || return; done`,
    "}",
    // qcow2 images (magic "QFI\\xfb"): "VIRTUAL-SIZE PATH", read with -U so a running guest's lock does not fail it.
    "_cx_qcow2() {",
    `  [ -d "$1" ] || return 0`,
    `  for _cx_f in "$1"/*; do`,
    `    [ -f "$_cx_f" ] || continue`,
    `    [ "$(head -c 3 -- "$_cx_f" 2>/dev/null)" = QFI ] || continue`,
    `    _cx_v=$(qemu-img info -U "$_cx_f" | sed -n 's/^virtual size: .*(\\([0-9]*\\) bytes).*/\\1/p') || return`,
    `    [ -n "$_cx_v" ] || { echo "no virtual size for $_cx_f" >&2; return 1; }`,
    `    printf '%s %s\\n' "$_cx_v" "$_cx_f"`,
    "  done",
    "}",
    `_cx_b64() { base64 < "$1"; }`,
    "_cx_auto() {",
    `  [ -d ${shellQuote(o.autostartDir)} ] || return 0`,
    `  for _cx_f in ${shellQuote(o.autostartDir)}/*; do`,
    `    [ -e "$_cx_f" ] || [ -L "$_cx_f" ] || continue`,
    `    printf '%s\\t%s\\n' "\${_cx_f##*/}" "$(readlink -- "$_cx_f")"`,
    "  done",
    "}",
    "_cx_bridges() {",
    `  for _cx_f in ${shellQuote(o.netDir)}/*/bridge; do`,
    `    [ -d "$_cx_f" ] || continue`,
    `    _cx_f=\${_cx_f%/bridge}; printf '%s\\n' "\${_cx_f##*/}"`,
    "  done",
    "}",
    "_cx_run info xl info",
    "_cx_run list xl list",
    "_cx_run list-l xl list -l",
    "_cx_run vcpu-list xl vcpu-list",
    "_cx_run sched-credit2 xl sched-credit2",
    "_cx_run cpupool-list xl cpupool-list",
  ];
  for (const vg of volumeGroups(pools)) {
    lines.push(`_cx_run ${shellQuote(`lvs:${vg}`)} ${shellCommand(lvsArgv(vg))}`);
  }
  pools.forEach((p, i) => {
    if (p.kind !== "dir") return;
    lines.push(`_cx_run dir:${i} _cx_dir ${shellQuote(p.path)}`);
    lines.push(`_cx_run qcow2:${i} _cx_qcow2 ${shellQuote(p.path)}`);
  });
  lines.push(
    `for _cx_c in ${shellQuote(o.configDir)}/*.cfg; do [ -f "$_cx_c" ] || continue; _cx_run "cfg:\${_cx_c##*/}" _cx_b64 "$_cx_c"; done`,
    "_cx_run autostart _cx_auto",
    "_cx_run bridges _cx_bridges",
  );
  return `${lines.join("\n")}\n`;
}

/** {@link snapshotScript} as one command line (`sh -c '…'`) for an SSH exec request. */
export function snapshotCommand(pools: readonly PoolSpec[], options: SnapshotOptions = {}): string {
  return shellCommand(["sh", "-c", snapshotScript(pools, options)]);
}

/** One section of snapshot output. */
export interface SnapshotSection {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status of the section's command. */
  readonly rc: number;
}

/**
 * Splits snapshot output into its sections by name. Issues: no header line, another nonce
 * than `nonce`, a section that does not end (the script was cut short), stray text.
 *
 * @param nonce the nonce given to {@link snapshotScript}, checked against the header.
 *   @default - the nonce the header line names (the script prints that line before anything
 *   else, so no command output can stand in for it)
 */
export function parseSnapshotSections(output: string, nonce?: string): ParseResult<ReadonlyMap<string, SnapshotSection>> {
  const lines = output.split("\n");
  const first = lines.findIndex((l) => l !== "");
  const head = first < 0 ? null : /^(#cdktf-xen:[A-Za-z0-9]{1,64}#) SNAPSHOT (\d+)$/.exec(lines[first]!);
  if (head === null) return failed([{ path: "line 1", message: "not cdktf-xen snapshot output (no SNAPSHOT header line)" }]);
  if (Number(head[2]) !== SNAPSHOT_VERSION) {
    return failed([{ path: `line ${first + 1}`, message: `snapshot format ${head[2]}, expected ${SNAPSHOT_VERSION}` }]);
  }
  const m = head[1]!;
  if (nonce !== undefined && m !== marker(nonce)) {
    return failed([{ path: `line ${first + 1}`, message: `snapshot nonce ${m} is not the one this script was built with (${marker(nonce)})` }]);
  }
  const issues: ParseIssue[] = [];
  const sections = new Map<string, SnapshotSection>();
  let i = first + 1;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line === "") { i++; continue; }
    if (!line.startsWith(`${m} BEGIN `)) {
      issues.push({ path: `line ${i + 1}`, message: `text outside any section: ${JSON.stringify(line.slice(0, 80))}` });
      i++;
      continue;
    }
    const name = line.slice(`${m} BEGIN `.length);
    const errAt = lines.indexOf(`${m} STDERR ${name}`, i + 1);
    const endAt = errAt < 0 ? -1 : lines.findIndex((l, k) => k > errAt && l.startsWith(`${m} END ${name} `));
    if (errAt < 0 || endAt < 0) {
      issues.push({ path: `section ${name}`, message: "section does not end: the snapshot output was cut short" });
      break;
    }
    const rcText = lines[endAt]!.slice(`${m} END ${name} `.length);
    if (!/^\d+$/.test(rcText)) issues.push({ path: `section ${name}`, message: `bad exit status "${rcText}"` });
    sections.set(name, {
      stdout: lines.slice(i + 1, errAt).join("\n"),
      stderr: lines.slice(errAt + 1, endAt).join("\n"),
      rc: Number(rcText),
    });
    i = endAt + 1;
  }
  return issues.length > 0 ? failed(issues) : parsed(sections);
}

/**
 * Builds a host's {@link LiveHost} from {@link snapshotScript}'s output.
 *
 * Per domain (Domain-0 excluded): `xl list` gives domid, current memory, online vCPUs and run
 * state; `xl list -l` the configuration (type, target/max memory, maxvcpus, boot, disks, vifs,
 * shutdown actions, cpupool); `xl vcpu-list` each vCPU's affinity; `xl sched-credit2` the live
 * weight/cap and the cpupool it runs in (these win over the stored configuration). A domain
 * that `xl list` shows but `xl list -l` or `xl vcpu-list` does not is an issue (it changed
 * while the snapshot ran; read again).
 *
 * Volumes: LVs of each LVM pool's VG (`/dev/VG/LV`); files of each dir pool, with the virtual
 * size for qcow2 images. Autostart: names whose link points at their managed config file.
 *
 * @param pools the host's declared pools, the same array given to {@link snapshotScript}.
 * @param options the options given to {@link snapshotScript}: its directories name the files;
 *   `nonce`, when given, is checked against the output's header (when omitted, the header's
 *   own nonce is used).
 */
export function parseSnapshot(output: string, pools: readonly PoolSpec[], options: SnapshotOptions = {}): ParseResult<LiveHost> {
  const o = resolve(options);
  const split = parseSnapshotSections(output, options.nonce);
  if (!split.ok) return split;
  const sections = split.value;
  const issues: ParseIssue[] = [];

  const section = (name: string): SnapshotSection | null => {
    const s = sections.get(name);
    if (s === undefined) {
      issues.push({ path: `section ${name}`, message: "missing from the snapshot output" });
      return null;
    }
    if (s.rc !== 0) {
      const e = classifyXlError({ rc: s.rc, stderr: s.stderr });
      issues.push({ path: `section ${name}`, message: `${e.what}: ${e.why}. Fix: ${e.fix}` });
      return null;
    }
    return s;
  };
  const sub = <T>(name: string, result: ParseResult<T> | null): T | null => {
    if (result === null) return null;
    if (result.ok) return result.value;
    issues.push(...result.issues.map((x) => ({ path: `section ${name}: ${x.path}`, message: x.message })));
    return null;
  };
  const run = <T>(name: string, parse: (text: string) => ParseResult<T>): T | null => {
    const s = section(name);
    return s === null ? null : sub(name, parse(s.stdout));
  };

  const info = run("info", parseXlInfo);
  const list = run("list", parseXlList);
  const listLong = run("list-l", parseXlListLong);
  const vcpus = run("vcpu-list", parseXlVcpuList);
  const sched = run("sched-credit2", parseXlSchedCredit2);
  run("cpupool-list", parseXlCpupoolList);

  const domains: LiveDomain[] = [];
  if (list && listLong && vcpus && sched) {
    for (const row of list) {
      if (row.domid === 0) continue;
      const where = `domain ${row.name} (id ${row.domid})`;
      const cfg = listLong.find((d) => d.domid === row.domid && d.name === row.name);
      if (cfg === undefined) {
        issues.push({ path: where, message: "in `xl list` but not in `xl list -l` (changed during the snapshot?); read again" });
        continue;
      }
      const vcpuList = vcpus
        .filter((v) => v.domid === row.domid)
        .sort((a, b) => a.vcpu - b.vcpu)
        .map((v) => ({ vcpu: v.vcpu, cpu: v.cpu, online: v.online, hard: v.hard, soft: v.soft }));
      if (vcpuList.length === 0) {
        issues.push({ path: where, message: "in `xl list` but not in `xl vcpu-list` (changed during the snapshot?); read again" });
        continue;
      }
      const s = sched.domains.find((d) => d.domid === row.domid);
      const pool = s?.cpupool ?? cfg.cpupool;
      domains.push({
        name: row.name,
        domid: row.domid,
        uuid: cfg.uuid,
        state: row.state,
        type: cfg.type,
        memoryMiB: row.memoryMiB,
        targetMemoryMiB: cfg.targetMemoryMiB,
        maxMemoryMiB: cfg.maxMemoryMiB,
        vcpus: row.vcpus,
        maxVcpus: cfg.maxVcpus,
        kernel: cfg.kernel,
        ramdisk: cfg.ramdisk,
        cmdline: cfg.cmdline,
        bootloader: cfg.bootloader,
        disks: cfg.disks,
        vifs: cfg.vifs,
        onPoweroff: cfg.onPoweroff,
        onReboot: cfg.onReboot,
        onCrash: cfg.onCrash,
        scheduler: s ? { weight: s.weight, cap: s.cap } : cfg.scheduler,
        // Pool-0 is the default pool, which the model spells null.
        cpupool: pool === null || pool === "Pool-0" ? null : pool,
        vcpuList,
      });
    }
  }

  const volumes: LiveVolume[] = [];
  const lvsByVg = new Map<string, ReturnType<typeof parseLvsJson>>();
  for (const vg of volumeGroups(pools)) {
    const s = section(`lvs:${vg}`);
    if (s !== null) lvsByVg.set(vg, parseLvsJson(s.stdout));
  }
  pools.forEach((pool, i) => {
    if (pool.kind === "lvm") {
      const r = lvsByVg.get(pool.volumeGroup);
      const lvs = r === undefined ? null : r.ok ? r.value : (sub(`lvs:${pool.volumeGroup}`, r), null);
      for (const lv of lvs ?? []) {
        if (lv.vg !== pool.volumeGroup) continue;
        volumes.push({ pool: pool.name, name: lv.name, path: `/dev/${lv.vg}/${lv.name}`, sizeBytes: lv.sizeBytes });
      }
    } else {
      const files = run(`dir:${i}`, parseStatSizes);
      const qcow2 = run(`qcow2:${i}`, parseStatSizes);
      for (const f of files ?? []) {
        const virtual = qcow2?.find((q) => q.path === f.path);
        volumes.push({
          pool: pool.name,
          name: f.path.slice(f.path.lastIndexOf("/") + 1),
          path: f.path,
          sizeBytes: virtual?.sizeBytes ?? f.sizeBytes,
        });
      }
    }
  });

  const configFiles: LiveConfigFile[] = [];
  for (const [name, s] of sections) {
    if (!name.startsWith("cfg:")) continue;
    const file = name.slice(4);
    if (section(name) === null) continue;
    const b64 = s.stdout.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
      issues.push({ path: `section ${name}`, message: "config file content is not base64" });
      continue;
    }
    configFiles.push({
      name: file.replace(/\.cfg$/, ""),
      path: `${o.configDir}/${file}`,
      content: Buffer.from(b64, "base64").toString("utf8"),
    });
  }
  configFiles.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const autostart: string[] = [];
  for (const line of (section("autostart")?.stdout ?? "").split("\n")) {
    if (line === "") continue;
    const tab = line.indexOf("\t");
    const link = tab < 0 ? line : line.slice(0, tab);
    const target = tab < 0 ? "" : line.slice(tab + 1);
    if (!link.endsWith(".cfg")) continue;
    // Only links cdktf-xen made count: foreign files in /etc/xen/auto are not managed state.
    if (target === `${o.configDir}/${link}`) autostart.push(link.slice(0, -4));
  }
  autostart.sort();

  const bridges = (section("bridges")?.stdout ?? "")
    .split("\n")
    .filter((b) => b !== "")
    .sort();

  if (issues.length > 0 || info === null) {
    return failed(issues.length > 0 ? issues : [{ path: "section info", message: "no host information" }]);
  }
  const { nrCpus, totalMemoryMiB, freeMemoryMiB, scheduler, xenVersion, virtCaps } = info;
  return parsed({
    info: { nrCpus, totalMemoryMiB, freeMemoryMiB, scheduler, xenVersion, virtCaps },
    domains,
    volumes,
    configFiles,
    autostart,
    bridges,
  });
}

/** Alias of {@link parseSnapshot} under the name live.ts's documentation uses. */
export const parseHostSnapshot = parseSnapshot;
