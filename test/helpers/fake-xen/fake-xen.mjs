// FAKE Xen 4.17 dom0 toolstack for cdktf-xen's integration tests. This is NOT Xen.
//
// One program behind the fake executables `xl`, `lvs`, `lvcreate`, `lvextend`, `lvremove`
// and `vgs` that test/helpers/fake-xen/index.ts writes into a per-test directory and puts
// first on the PATH of a real sshd's sessions. Invoked as
//   node fake-xen.mjs STATE_DIR TOOL ARGS...
// it keeps the dom0's state in STATE_DIR/state.json (domains, logical volumes, faults to
// inject), appends every call (argv, start, end, exit status) to STATE_DIR/calls.jsonl, and
// prints what Xen 4.17's xl and Debian 12's LVM print, in their exact formats (the shapes of
// /work/shared/fixtures/xen-4.17*/; test/reconcile/fake-xen-fidelity.test.ts checks them byte for byte).
//
// It parses the xl.cfg files it is given with its own small reader (not cdktf-xen's), so a
// config that cdktf-xen renders wrongly is read the way xl would read it, not the way
// cdktf-xen meant it. Plain JavaScript with no imports outside node:, so that it runs without
// a build step.
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  fstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const [stateDir, tool, ...args] = process.argv.slice(2);
const STATE = join(stateDir ?? ".", "state.json");
const LOG = join(stateDir ?? ".", "calls.jsonl");
const KiB = 1024;
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Plumbing: output that never throws on a closed pipe, the call log, the state file and its lock

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function writeAll(fd, text) {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if (e.code === "EAGAIN") {
        sleepSync(2);
        continue;
      }
      // EPIPE: whoever read our output is gone (a killed CLI); carry on like a real tool
      // that ignores SIGPIPE would not, but the state change must still happen or not
      // happen exactly as the test planned.
      return;
    }
  }
}
const out = (s) => writeAll(1, s);
const err = (s) => writeAll(2, s);

const callId = `${process.pid}-${Date.now()}-${randomBytes(3).toString("hex")}`;
function logEvent(event) {
  try {
    appendFileSync(LOG, `${JSON.stringify(event)}\n`);
  } catch {
    // the test's directory is gone: nobody reads the log any more
  }
}

let ended = false;
function finish(rc, signal = null) {
  if (!ended) {
    ended = true;
    logEvent({ ev: "end", id: callId, t: Date.now(), rc, signal });
  }
  process.exit(rc);
}
for (const [sig, n] of [["SIGTERM", 15], ["SIGINT", 2], ["SIGHUP", 1]]) {
  process.on(sig, () => finish(128 + n, sig.slice(3)));
}

function withLock(fn) {
  const lock = join(stateDir, "state.lock");
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      try {
        // A holder killed while holding it (SIGKILL) leaves the directory: steal it when old.
        if (Date.now() - statSync(lock).mtimeMs > 5_000) rmdirSync(lock);
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) {
        err("FAKE xen: timed out waiting for the fake's state lock\n");
        finish(99);
      }
      sleepSync(3);
    }
  }
  try {
    return fn();
  } finally {
    try {
      rmdirSync(lock);
    } catch {
      // stolen after a very long hold; nothing to do
    }
  }
}

function readState() {
  return JSON.parse(readFileSync(STATE, "utf8"));
}

function writeState(state) {
  const tmp = `${STATE}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 1));
  renameSync(tmp, STATE);
}

/** Runs `fn(state)` under the lock and saves the state it leaves. */
function mutate(fn) {
  return withLock(() => {
    const state = readState();
    const result = fn(state);
    writeState(state);
    return result;
  });
}

// ---------------------------------------------------------------------------------------------
// Faults a test injects: slow, hanging or failing commands (state.faults)

/**
 * The first fault whose `match` is a prefix of this call's argv and whose `arg` (if any) is a
 * substring of one of its arguments; a fault with `times` is used up after that many calls.
 */
function takeFault() {
  const argv = [tool, ...args];
  const matches = (f) =>
    f.match.every((m, k) => argv[k] === m) &&
    (f.arg === undefined || args.some((a) => a.includes(f.arg))) &&
    (f.times === undefined || f.times > 0);
  // Most calls match no fault: do not take the lock (or rewrite the state) for them.
  if (!(readState().faults ?? []).some(matches)) return null;
  return mutate((state) => {
    const faults = state.faults ?? [];
    const i = faults.findIndex(matches);
    if (i < 0) return null;
    const f = faults[i];
    if (f.times !== undefined) f.times -= 1;
    return f;
  });
}

function applyFault(f) {
  if (f === null) return;
  if (f.delayMs) sleepSync(f.delayMs);
  if (f.hang) {
    // Until `timeout` (or the test) kills us.
    setInterval(() => undefined, 60_000);
    throw new Hang();
  }
  if (f.rc !== undefined) {
    if (f.stdout) out(f.stdout);
    if (f.stderr) err(f.stderr);
    finish(f.rc);
  }
}

class Hang extends Error {}

// ---------------------------------------------------------------------------------------------
// CPU lists and sizes

function parseCpuList(text, nrCpus) {
  if (text === "all") return Array.from({ length: nrCpus }, (_, i) => i);
  const set = new Set();
  for (const part of text.split(",")) {
    const neg = part.startsWith("^");
    const m = /^(\d+)(?:-(\d+))?$/.exec(neg ? part.slice(1) : part);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b >= nrCpus) return null;
    for (let c = a; c <= b; c++) (neg ? set.delete(c) : set.add(c));
  }
  return [...set].sort((x, y) => x - y);
}

/** xl's print_bitmap: `all` when every CPU is set, else merged ranges. */
function formatCpus(cpus, nrCpus) {
  if (cpus.length === nrCpus) return "all";
  if (cpus.length === 0) return "none";
  const parts = [];
  let start = cpus[0];
  let prev = cpus[0];
  for (const c of [...cpus.slice(1), -1]) {
    if (c === prev + 1) {
      prev = c;
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = c;
    prev = c;
  }
  return parts.join(",");
}

/** `256m`, `1g`, `524288` (KiB, xl's default unit), `256M` (LVM) -> bytes. */
function parseSize(text, defaultUnit) {
  const m = /^(\d+(?:\.\d+)?)([bBkKmMgGtT]?)$/.exec(text);
  if (!m) return null;
  const unit = (m[2] || defaultUnit).toLowerCase();
  const mult = { b: 1, k: KiB, m: MiB, g: 1024 * MiB, t: 1024 * 1024 * MiB }[unit];
  return Math.round(Number(m[1]) * mult);
}

// ---------------------------------------------------------------------------------------------
// An independent reader of the xl.cfg subset (xl.cfg(5) SYNTAX): KEY = VALUE, "…"/'…' strings
// with backslash escapes, numbers, [ lists ], # comments, ; or newline separators.

function parseCfg(text) {
  const settings = new Map();
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n) {
      if (text[i] === " " || text[i] === "\t" || text[i] === "\r") i++;
      else if (text[i] === "#") while (i < n && text[i] !== "\n") i++;
      else break;
    }
  };
  const fail = (why) => {
    const line = text.slice(0, i).split("\n").length;
    throw new CfgError(line, why);
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '"' || c === "'") {
      i++;
      let s = "";
      while (i < n && text[i] !== c) {
        if (text[i] === "\n") fail("newline in string");
        if (text[i] === "\\") {
          const e = text[i + 1];
          const map = { '"': '"', "'": "'", "\\": "\\", n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v" };
          if (!(e in map)) fail(`bad escape \\${e}`);
          s += map[e];
          i += 2;
        } else s += text[i++];
      }
      if (i >= n) fail("unterminated string");
      i++;
      return s;
    }
    if (c === "[") {
      i++;
      const items = [];
      for (;;) {
        while (i < n && /[\s]/.test(text[i])) i++;
        ws();
        if (text[i] === "]") {
          i++;
          return items;
        }
        items.push(value());
        while (i < n && /[\s]/.test(text[i])) i++;
        ws();
        if (text[i] === ",") i++;
        else if (text[i] !== "]") fail("expected , or ]");
      }
    }
    const m = /^(0x[0-9a-fA-F]+|\d+(?:\.\d+)?)/.exec(text.slice(i));
    if (!m) fail(`unexpected ${JSON.stringify(text.slice(i, i + 10))}`);
    i += m[0].length;
    return m[0];
  };
  for (;;) {
    ws();
    while (i < n && (text[i] === "\n" || text[i] === ";")) {
      i++;
      ws();
    }
    if (i >= n) break;
    const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i));
    if (!m) fail("expected a setting name");
    i += m[0].length;
    ws();
    if (text[i] !== "=") fail("expected =");
    i++;
    settings.set(m[0], value());
    ws();
    if (i < n && text[i] !== "\n" && text[i] !== ";") fail("junk after value");
  }
  return settings;
}

class CfgError extends Error {
  constructor(line, why) {
    super(why);
    this.line = line;
  }
}

/** xl-disk-configuration(5): `key=value, …` or the positional `[fmt:]target,vdev,access`. */
function parseDisk(text) {
  const disk = { vdev: null, target: null, format: "raw", access: "rw", devtype: "disk" };
  const positional = [];
  for (const raw of text.split(",")) {
    const tok = raw.trim();
    const kv = /^(target|vdev|format|access|devtype|backendtype|script)=(.*)$/.exec(tok);
    if (kv) {
      if (kv[1] === "target") disk.target = text.slice(text.indexOf("target=") + 7).trim();
      else if (kv[1] === "access") disk.access = /^(w|rw)$/.test(kv[2]) ? "rw" : "ro";
      else if (kv[1] === "devtype") disk.devtype = kv[2];
      else if (kv[1] === "vdev") disk.vdev = kv[2];
      else if (kv[1] === "format") disk.format = kv[2];
      if (kv[1] === "target") break;
    } else if (tok === "cdrom") disk.devtype = "cdrom";
    else if (tok !== "") positional.push(tok);
  }
  if (disk.target === null && positional.length > 0) {
    let t = positional[0];
    const pre = /^(phy|file|raw|qcow2|qcow|vhd|qed|tap|aio):(.*)$/.exec(t);
    if (pre) {
      if (!["phy", "file", "tap", "aio"].includes(pre[1])) disk.format = pre[1];
      t = pre[2];
    }
    disk.target = t;
    if (positional[1] !== undefined) {
      const [v, kind] = positional[1].split(":");
      disk.vdev = v;
      if (kind === "cdrom") disk.devtype = "cdrom";
    }
    if (positional[2] !== undefined) disk.access = /^(w|rw)$/.test(positional[2]) ? "rw" : "ro";
  }
  if (disk.devtype === "cdrom") disk.access = "ro";
  return disk;
}

/** A vif spec `bridge=…,mac=…,model=…,rate=…` (one string, or argv tokens for network-attach). */
function parseVif(tokens, devid) {
  const nic = { devid, bridge: "xenbr0", mac: null, model: null, rate: null };
  for (const tok of tokens) {
    const m = /^(bridge|mac|model|rate)=(.*)$/.exec(tok.trim());
    if (m) nic[m[1]] = m[2];
  }
  nic.mac = (nic.mac ?? `00:16:3e:${[...randomBytes(3)].map((b) => (b & 0x7f).toString(16).padStart(2, "0")).join(":")}`).toLowerCase();
  return nic;
}

/** `10Mb/s[@50ms]` -> libxl's bytes per interval and interval (xl's parse_vif_rate). */
function vifRate(rate) {
  if (rate === null) return null;
  const m = /^(\d+)([KMG]?)([bB])\/s(?:@(\d+)([mu]?)s)?$/.exec(rate);
  if (!m) return null;
  const mult = { "": 1, K: 1e3, M: 1e6, G: 1e9 }[m[2]];
  const bytesPerSec = (Number(m[1]) * mult) / (m[3] === "b" ? 8 : 1);
  const usecs = m[4] === undefined ? 50_000 : Number(m[4]) * (m[5] === "m" ? 1000 : m[5] === "u" ? 1 : 1_000_000);
  return { bytes: Math.floor((bytesPerSec * usecs) / 1e6), usecs };
}

const SHUTDOWN = {
  destroy: "destroy",
  restart: "restart",
  "rename-restart": "restart_rename",
  preserve: "preserve",
  "coredump-destroy": "coredump_destroy",
  "coredump-restart": "coredump_restart",
  "soft-reset": "soft_reset",
};

// ---------------------------------------------------------------------------------------------
// The host and its domains

function host(state) {
  return state.host;
}

function dom0(state) {
  const h = host(state);
  const vcpus = Math.min(2, h.nrCpus);
  return {
    name: "Domain-0",
    domid: 0,
    dom0: true,
    type: "pv",
    maxMemKiB: h.dom0MemMiB * KiB,
    targetMemKiB: h.dom0MemMiB * KiB - 1,
    currentMiB: h.dom0MemMiB,
    maxVcpus: vcpus,
    online: vcpus,
    hard: Array.from({ length: vcpus }, () => "all"),
    soft: Array.from({ length: vcpus }, () => "all"),
    weight: 256,
    cap: 0,
    createdAt: h.bootedAt,
    cpuTime: h.dom0CpuTime,
    flags: "r-----",
  };
}

function allDomains(state) {
  return [dom0(state), ...state.domains.slice().sort((a, b) => a.domid - b.domid)];
}

function findDomain(state, ref) {
  return allDomains(state).find((d) => d.name === ref || String(d.domid) === ref) ?? null;
}

function invalidDomain(ref) {
  err(`${ref} is an invalid domain identifier (rc=-6)\n`);
  finish(1);
}

/** CPU time: fixed when the test set `cpuTime` (to compare layouts with captures), else growing. */
function cpuSeconds(d) {
  if (typeof d.cpuTime === "number") return d.cpuTime;
  return Math.max(0, (Date.now() - d.createdAt) / 1000) * (d.dom0 ? 0.6 : 0.02);
}

function currentMiB(d) {
  return d.dom0 ? d.currentMiB : Math.floor(d.targetMemKiB / KiB);
}

function freeMemoryMiB(state) {
  const h = host(state);
  return h.totalMemoryMiB - h.dom0MemMiB - state.domains.reduce((s, d) => s + Math.ceil(d.maxMemKiB / KiB), 0) - 33;
}

// --- output formats, from xl's printf formats (tools/xl/xl_list.c, xl_vcpu.c, xl_sched.c, xl_cpupool.c)

const f1 = (x, w) => x.toFixed(1).padStart(w);

function xlList(state, domains, verbose) {
  let s = "Name                                        ID   Mem VCPUs\tState\tTime(s)";
  s += verbose ? "   UUID                            Reason-Code\tSecurity Label\n" : "\n";
  for (const d of domains) {
    s += `${d.name.padEnd(40)} ${String(d.domid).padStart(5)} ${String(currentMiB(d)).padStart(5)} ${String(d.online).padStart(5)}     ${d.flags}  ${f1(cpuSeconds(d), 8)}`;
    if (verbose) s += ` ${d.uuid ?? "00000000-0000-0000-0000-000000000000"}        -                -`;
    s += "\n";
  }
  return s;
}

function xlVcpuList(state, domains) {
  const nr = host(state).nrCpus;
  let s = `${"Name".padEnd(32)} ${"ID".padStart(5)} ${"VCPU".padStart(5)} ${"CPU".padStart(5)} ${"State".padStart(5)} ${"Time(s)".padStart(9)} Affinity (Hard / Soft)\n`;
  for (const d of domains) {
    for (let v = 0; v < d.maxVcpus; v++) {
      const online = v < d.online;
      const hardCpus = parseCpuList(d.hard[v] ?? "all", nr) ?? [];
      const cpu = online ? String(hardCpus[(d.domid + v) % Math.max(1, hardCpus.length)] ?? 0) : "-";
      const st = online ? (d.dom0 && v === 0 ? "r--" : "-b-") : "--p";
      const t = cpuSeconds(d) / d.maxVcpus;
      s += `${d.name.padEnd(32)} ${String(d.domid).padStart(5)} ${String(v).padStart(5)}${cpu.padStart(5)}   ${st} ${f1(t, 9)}  ${d.hard[v] ?? "all"} / ${d.soft[v] ?? "all"}\n`;
    }
  }
  return s;
}

function xlSchedCredit2(state, domains, withPool) {
  let s = withPool ? "Cpupool Pool-0: ratelimit=1000us\n" : "";
  s += `${"Name".padEnd(33)} ${"ID".padStart(4)} ${"Weight".padStart(6)} ${"Cap".padStart(4)}\n`;
  for (const d of domains) {
    s += `${d.name.padEnd(33)} ${String(d.domid).padStart(4)} ${String(d.weight).padStart(6)} ${String(d.cap).padStart(4)}\n`;
  }
  return s;
}

function xlCpupoolList(state, withCpus) {
  const nr = host(state).nrCpus;
  if (withCpus) return `${"Name".padEnd(19)}CPU list\n${"Pool-0".padEnd(19)}${formatCpus(Array.from({ length: nr }, (_, i) => i), nr + 1)}\n`;
  return `${"Name".padEnd(19)}CPUs   Sched     Active   Domain count\n${"Pool-0".padEnd(19)}${String(nr).padStart(3)} ${"credit2".padStart(9)}       y          ${allDomains(state).length}\n`;
}

function xlInfo(state) {
  const h = host(state);
  const rows = [
    ["host", h.hostname],
    ["release", "6.1.0-56-amd64"],
    ["version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)"],
    ["machine", "x86_64"],
    ["nr_cpus", h.nrCpus],
    ["max_cpu_id", h.nrCpus - 1],
    ["nr_nodes", 1],
    ["cores_per_socket", h.nrCpus],
    ["threads_per_core", 1],
    ["cpu_mhz", "2096.015"],
    ["hw_caps", "1fcbf3fd:f6d8320b:ec500800:00000077:00000005:01884329:0000020c:00000000"],
    ["virt_caps", "pv hvm hap gnttab-v1 gnttab-v2"],
    ["total_memory", h.totalMemoryMiB],
    ["free_memory", freeMemoryMiB(state)],
    ["sharing_freed_memory", 0],
    ["sharing_used_memory", 0],
    ["outstanding_claims", 0],
    ["free_cpus", 0],
    ["xen_major", 4],
    ["xen_minor", 17],
    ["xen_extra", ".7"],
    ["xen_version", "4.17.7"],
    ["xen_caps", "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 "],
    ["xen_scheduler", h.scheduler],
    ["xen_pagesize", 4096],
    ["platform_params", "virt_start=0xffff800000000000"],
    ["xen_changeset", ""],
    ["xen_commandline", "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=2 smap=0 smep=0 loglvl=all guest_loglvl=all noreboot "],
    ["cc_compiler", "x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1) 12.2.0"],
    ["cc_compile_by", "pkg-xen-devel"],
    ["cc_compile_domain", "lists.alioth.debian.org"],
    ["cc_compile_date", "Wed Nov  4 16:52:28 UTC 2026"],
    ["build_id", "151b373fd64b321593bf987fd923cd10dabadac4"],
    ["xend_config_format", 4],
  ];
  return rows.map(([k, v]) => `${k.padEnd(23)}: ${v}\n`).join("");
}

/** yajl's beautified output as libxl prints it: 4 spaces, `{\n\n}` for empty objects and arrays. */
function yajl(value, indent = "") {
  const inner = `${indent}    `;
  if (Array.isArray(value)) {
    if (value.length === 0) return `[\n\n${indent}]`;
    return `[\n${value.map((v) => `${inner}${yajl(v, inner)}`).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (keys.length === 0) return `{\n\n${indent}}`;
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${yajl(value[k], inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

function cpuBits(list, nr) {
  return parseCpuList(list, nr) ?? [];
}

/** libxl_domain_config of a domain, with libxl's habit of leaving out fields at their default. */
function domainConfig(state, d) {
  const nr = host(state).nrCpus;
  if (d.dom0) {
    return {
      domid: 0,
      config: {
        c_info: { type: "pv", name: "Domain-0" },
        b_info: {
          max_memkb: d.maxMemKiB,
          target_memkb: d.targetMemKiB,
          sched_params: { sched: "credit2", weight: d.weight, cap: d.cap },
          "type.pv": {},
          arch_arm: {},
          arch_x86: {},
        },
      },
    };
  }
  const typeBlock = {};
  if (d.type === "hvm") {
    if (d.hvm.firmware !== null) typeBlock.firmware = d.hvm.firmware;
    typeBlock.boot = d.hvm.boot;
    if (d.hvm.serial !== null) typeBlock.serial = d.hvm.serial;
    typeBlock.vnc = { enable: d.hvm.vnc ? "True" : "False" };
  }
  const bInfo = {
    max_vcpus: d.maxVcpus,
    avail_vcpus: Array.from({ length: d.online }, (_, i) => i),
    vcpu_hard_affinity: d.cfgHard === null ? undefined : d.cfgHard.map((c) => cpuBits(c, nr)),
    vcpu_soft_affinity: d.cfgSoft === null ? undefined : d.cfgSoft.map((c) => cpuBits(c, nr)),
    max_memkb: d.maxMemKiB,
    target_memkb: d.targetMemKiB,
    video_memkb: 0,
    sched_params: { sched: "credit2", weight: d.weight, cap: d.cap },
    claim_mode: "True",
    kernel: d.kernel ?? undefined,
    cmdline: d.cmdline ?? undefined,
    ramdisk: d.ramdisk ?? undefined,
    bootloader: d.bootloader ?? undefined,
    bootloader_args: d.bootloaderArgs.length > 0 ? d.bootloaderArgs : undefined,
    [`type.${d.type}`]: typeBlock,
    arch_arm: {},
    arch_x86: { msr_relaxed: "False" },
  };
  const config = {
    c_info: {
      type: d.type,
      name: d.name,
      domid: 4294967295,
      uuid: d.uuid,
      run_hotplug_scripts: "True",
      pool_name: d.pool ?? undefined,
    },
    b_info: bInfo,
    disks:
      d.disks.length === 0
        ? undefined
        : d.disks.map((k) => ({
            pdev_path: k.target,
            vdev: k.vdev,
            format: k.format,
            readwrite: k.access === "rw" ? 1 : undefined,
            is_cdrom: k.devtype === "cdrom" ? 1 : undefined,
            colo_restore_enable: "False",
          })),
    nics:
      d.nics.length === 0
        ? undefined
        : d.nics.map((v) => {
            const r = vifRate(v.rate);
            return {
              devid: v.devid,
              mac: v.mac,
              bridge: v.bridge,
              model: v.model ?? undefined,
              nictype: "vif",
              rate_bytes_per_interval: r?.bytes,
              rate_interval_usecs: r?.usecs,
            };
          }),
    on_poweroff: d.onPoweroff === "destroy" ? undefined : d.onPoweroff,
    on_reboot: d.onReboot,
    on_crash: d.onCrash === "destroy" ? undefined : d.onCrash,
    on_soft_reset: "soft_reset",
  };
  return { domid: d.domid, config };
}

// ---------------------------------------------------------------------------------------------
// LVM

function lvsOf(state, vg) {
  return state.lvs.filter((lv) => lv.vg === vg).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function lvPath(lv) {
  return `/dev/${lv.vg}/${lv.name}`;
}

function lvOpen(state, lv) {
  return state.domains.some((d) => d.disks.some((k) => k.target === lvPath(lv)));
}

function lvmSize(bytes, units, nosuffix) {
  if (units === "b") return nosuffix ? String(bytes) : `${bytes}B`;
  const m = bytes / MiB;
  if (m >= 1024) return `${(m / 1024).toFixed(2)}g`;
  return `${m.toFixed(2)}m`;
}

function vgMissing(vg) {
  err(`  Volume group "${vg}" not found\n  Cannot process volume group ${vg}\n`);
  finish(5);
}

/** Creates /dev/VG/LV as a link to a file in the state directory, as udev makes /dev/VG/LV -> ../dm-N. */
function linkDevice(lv) {
  const dir = `/dev/${lv.vg}`;
  mkdirSync(dir, { recursive: true });
  const backing = join(stateDir, "devices", `${lv.vg}--${lv.name}`);
  mkdirSync(join(stateDir, "devices"), { recursive: true });
  writeFileSync(backing, "");
  try {
    unlinkSync(lvPath(lv));
  } catch {
    // not there yet
  }
  symlinkSync(backing, lvPath(lv));
}

function unlinkDevice(lv) {
  try {
    unlinkSync(lvPath(lv));
  } catch {
    // already gone
  }
  rmSync(join(stateDir, "devices", `${lv.vg}--${lv.name}`), { force: true });
}

function extentRound(bytes, state, vg) {
  const ext = (state.vgs[vg]?.extentMiB ?? 4) * MiB;
  return Math.ceil(bytes / ext) * ext;
}

function runLvs() {
  let json = false;
  let units = null;
  let nosuffix = false;
  let noheadings = false;
  let fields = ["lv_name", "vg_name", "lv_attr", "lv_size", "pool_lv", "origin", "data_percent", "metadata_percent", "move_pv", "mirror_log", "copy_percent", "convert_lv"];
  const targets = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--reportformat") json = args[++i] === "json";
    else if (a === "--units") units = args[++i];
    else if (a === "--nosuffix") nosuffix = true;
    else if (a === "--noheadings") noheadings = true;
    else if (a === "-o" || a === "--options") fields = args[++i].split(",");
    else targets.push(a);
  }
  const state = readState();
  let lvs = state.lvs.slice();
  for (const t of targets) {
    const [vg, name] = t.split("/");
    if (state.vgs[vg] === undefined) vgMissing(vg);
    if (name !== undefined && !lvs.some((lv) => lv.vg === vg && lv.name === name)) {
      err(`  Failed to find logical volume "${vg}/${name}"\n`);
      finish(5);
    }
  }
  if (targets.length > 0) {
    lvs = lvs.filter((lv) => targets.some((t) => (t.includes("/") ? t === `${lv.vg}/${lv.name}` : t === lv.vg)));
  }
  lvs.sort((a, b) => (a.vg + "/" + a.name < b.vg + "/" + b.name ? -1 : 1));
  const value = (lv, f) => {
    switch (f) {
      case "lv_name":
        return lv.name;
      case "vg_name":
        return lv.vg;
      case "lv_attr":
        return lvOpen(state, lv) ? "-wi-ao----" : "-wi-a-----";
      case "lv_size":
        return lvmSize(lv.sizeBytes, units, nosuffix);
      case "lv_path":
        return lvPath(lv);
      default:
        return "";
    }
  };
  if (json) {
    const rows = lvs.map((lv) => `                  {${fields.map((f) => `${JSON.stringify(f)}:${JSON.stringify(value(lv, f))}`).join(", ")}}`);
    out(`  {\n      "report": [\n          {\n              "lv": [\n${rows.join(",\n")}${rows.length > 0 ? "\n" : ""}              ]\n          }\n      ]\n  }\n`);
  } else {
    if (!noheadings) out(`  ${fields.map((f) => f.replace(/^lv_/, "").toUpperCase()).join(" ")}\n`);
    for (const lv of lvs) out(`  ${fields.map((f) => value(lv, f)).join(" ")}\n`);
  }
  finish(0);
}

function runVgs() {
  const state = readState();
  const targets = args.filter((a) => !a.startsWith("-"));
  for (const vg of targets) if (state.vgs[vg] === undefined) vgMissing(vg);
  out("  VG  #PV #LV #SN Attr   VSize  VFree \n");
  for (const [vg, info] of Object.entries(state.vgs)) {
    if (targets.length > 0 && !targets.includes(vg)) continue;
    const used = lvsOf(state, vg).reduce((s, lv) => s + lv.sizeBytes, 0);
    out(`  ${vg}   1 ${String(lvsOf(state, vg).length).padStart(3)}   0 wz--n- ${lvmSize(info.sizeMiB * MiB, null, false)} ${lvmSize(info.sizeMiB * MiB - used, null, false)}\n`);
  }
  finish(0);
}

function option(flag) {
  const i = args.indexOf(flag);
  return i < 0 ? null : args[i + 1];
}

function runLvcreate() {
  const size = parseSize(option("-L") ?? "", "m");
  const name = option("-n");
  const vg = args.filter((a, i) => !a.startsWith("-") && !["-L", "-n"].includes(args[i - 1])).pop();
  if (size === null || name === null || vg === undefined) {
    err("  FAKE lvcreate: only `lvcreate -y -L SIZE -n NAME VG` is emulated\n");
    finish(3);
  }
  const result = mutate((state) => {
    if (state.vgs[vg] === undefined) return "novg";
    if (state.lvs.some((lv) => lv.vg === vg && lv.name === name)) return "exists";
    const lv = { vg, name, sizeBytes: extentRound(size, state, vg) };
    state.lvs.push(lv);
    linkDevice(lv);
    return "ok";
  });
  if (result === "novg") vgMissing(vg);
  if (result === "exists") {
    err(`  Logical Volume "${name}" already exists in volume group "${vg}"\n`);
    finish(5);
  }
  out(`  Logical volume "${name}" created.\n`);
  finish(0);
}

function runLvextend() {
  const size = parseSize(option("-L") ?? "", "m");
  const ref = args[args.length - 1];
  const [vg, name] = ref.split("/");
  const result = mutate((state) => {
    const lv = state.lvs.find((l) => l.vg === vg && l.name === name);
    if (lv === undefined) return { kind: "missing" };
    const wanted = extentRound(size, state, vg);
    if (wanted <= lv.sizeBytes) return { kind: "small", from: lv.sizeBytes, to: wanted };
    const from = lv.sizeBytes;
    lv.sizeBytes = wanted;
    return { kind: "ok", from, to: wanted };
  });
  const ext = (b) => `${(b / MiB).toFixed(2)} MiB (${b / (4 * MiB)} extents)`;
  if (result.kind === "missing") {
    err(`  Failed to find logical volume "${vg}/${name}"\n`);
    finish(5);
  }
  if (result.kind === "small") {
    err(`  New size given (${result.to / (4 * MiB)} extents) not larger than existing size (${result.from / (4 * MiB)} extents)\n`);
    finish(3);
  }
  out(`  Size of logical volume ${vg}/${name} changed from ${ext(result.from)} to ${ext(result.to)}.\n  Logical volume ${vg}/${name} successfully resized.\n`);
  finish(0);
}

function runLvremove() {
  const ref = args.filter((a) => !a.startsWith("-")).pop() ?? "";
  const [vg, name] = ref.split("/");
  const result = mutate((state) => {
    const i = state.lvs.findIndex((l) => l.vg === vg && l.name === name);
    if (i < 0) return "missing";
    if (lvOpen(state, state.lvs[i])) return "open";
    unlinkDevice(state.lvs[i]);
    state.lvs.splice(i, 1);
    return "ok";
  });
  if (result === "missing") {
    err(`  Failed to find logical volume "${vg}/${name}"\n`);
    finish(5);
  }
  if (result === "open") {
    err(`  Logical volume ${vg}/${name} in use.\n`);
    finish(5);
  }
  out(`  Logical volume "${name}" successfully removed.\n`);
  finish(0);
}

// ---------------------------------------------------------------------------------------------
// xl

function cfgString(s, key) {
  const v = s.get(key);
  return typeof v === "string" ? v : null;
}

function cfgList(s, key) {
  const v = s.get(key);
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

/** A domain built from an xl.cfg, as `xl create` would. Throws CfgError. */
function domainFromCfg(text, state) {
  const s = parseCfg(text);
  const nr = host(state).nrCpus;
  const name = cfgString(s, "name");
  if (name === null) throw new CfgError(1, "name is mandatory");
  const num = (k) => (s.has(k) ? Number(s.get(k)) : null);
  const memory = num("memory") ?? num("maxmem") ?? 32;
  const maxmem = num("maxmem") ?? memory;
  const vcpus = num("vcpus") ?? 1;
  const maxVcpus = num("maxvcpus") ?? vcpus;
  const cpus = s.get("cpus");
  const cpusSoft = s.get("cpus_soft");
  const perVcpu = (v) =>
    v === undefined ? null : Array.from({ length: maxVcpus }, (_, i) => (Array.isArray(v) ? (v[i] ?? "all") : v));
  const cfgHard = perVcpu(cpus);
  const cfgSoft = perVcpu(cpusSoft);
  const canon = (list) => {
    const bits = parseCpuList(list, nr);
    if (bits === null) throw new CfgError(1, `invalid cpu list ${list}`);
    return formatCpus(bits, nr);
  };
  const type = cfgString(s, "type") ?? "pv";
  const cmdline =
    cfgString(s, "cmdline") ??
    ((root, extra) => (root !== null && extra !== null ? `root=${root} ${extra}` : root !== null ? `root=${root}` : extra))(
      cfgString(s, "root"),
      cfgString(s, "extra"),
    );
  const action = (k, d) => {
    const v = cfgString(s, k);
    return v === null ? d : (SHUTDOWN[v] ?? d);
  };
  return {
    name,
    type,
    uuid: randomUUID(),
    maxMemKiB: maxmem * KiB,
    targetMemKiB: memory * KiB,
    maxVcpus,
    online: vcpus,
    hard: Array.from({ length: maxVcpus }, (_, i) => canon(cfgHard?.[i] ?? "all")),
    soft: Array.from({ length: maxVcpus }, (_, i) => canon(cfgSoft?.[i] ?? "all")),
    cfgHard,
    cfgSoft,
    weight: num("cpu_weight") ?? 256,
    cap: num("cap") ?? 0,
    pool: cfgString(s, "pool"),
    kernel: cfgString(s, "kernel"),
    ramdisk: cfgString(s, "ramdisk"),
    cmdline,
    bootloader: cfgString(s, "bootloader"),
    bootloaderArgs: cfgList(s, "bootloader_args"),
    hvm: type === "hvm" ? { firmware: cfgString(s, "firmware"), boot: cfgString(s, "boot") ?? "cda", serial: cfgString(s, "serial"), vnc: (num("vnc") ?? 1) !== 0 } : null,
    disks: cfgList(s, "disk").map(parseDisk),
    nics: cfgList(s, "vif").map((v, i) => parseVif(v.split(","), i)),
    onPoweroff: action("on_poweroff", "destroy"),
    onReboot: action("on_reboot", "restart"),
    onCrash: action("on_crash", "destroy"),
    flags: "-b----",
    guest: { ignoresShutdown: false },
  };
}

function diskMissing(state, target) {
  const lv = state.lvs.find((l) => lvPath(l) === target);
  if (lv !== undefined) return false;
  if (/^\/dev\/[^/]+\/[^/]+$/.test(target) && state.vgs[target.split("/")[2]] !== undefined) return true;
  return !existsSync(target);
}

/** libxl's report of a missing disk target, from fixtures/xen-4.17-capture2/xl-err-create-missing-lv-rc.err. */
function missingDiskStderr(domid, vdev, target) {
  return (
    `libxl: error: libxl_device.c:455:libxl__device_disk_set_backend: Disk vdev=${vdev} failed to stat: ${target}: No such file or directory\n` +
    `libxl: error: libxl_create.c:1318:initiate_domain_create: Domain ${domid}:Unable to set disk defaults for disk 0\n` +
    `libxl: error: libxl_domain.c:1183:libxl__destroy_domid: Domain ${domid}:Non-existant domain\n` +
    `libxl: error: libxl_domain.c:1137:domain_destroy_callback: Domain ${domid}:Unable to destroy guest\n` +
    `libxl: error: libxl_domain.c:1064:domain_destroy_cb: Domain ${domid}:Destruction of domain failed\n`
  );
}

function xlCreate() {
  const cfg = args.filter((a) => !a.startsWith("-"))[0];
  if (cfg === undefined) {
    err("FAKE xl: `xl create` needs a config file\n");
    finish(2);
  }
  err(`Parsing config from ${cfg}\n`);
  let text;
  try {
    text = readFileSync(cfg, "utf8");
  } catch (e) {
    err(`Failed to read config file: ${cfg}: ${e.code === "ENOENT" ? "No such file or directory" : e.message}\n`);
    finish(1);
  }
  // The fault's delay (a slow create) has passed by now; the domain appears at the end, as
  // with the real xl, which returns once the domain is built.
  const result = mutate((state) => {
    let d;
    try {
      d = domainFromCfg(text, state);
    } catch (e) {
      if (e instanceof CfgError) return { kind: "parse", line: e.line, why: e.message };
      throw e;
    }
    const domid = state.nextDomid++;
    if (state.domains.some((x) => x.name === d.name)) return { kind: "dup", domid, name: d.name };
    const missing = d.disks.find((k) => k.devtype !== "cdrom" && diskMissing(state, k.target));
    if (missing !== undefined) return { kind: "disk", domid, disk: missing };
    const bridge = d.nics.find((v) => !state.bridges.includes(v.bridge));
    if (bridge !== undefined) return { kind: "bridge", domid, bridge: bridge.bridge };
    if (Math.ceil(d.maxMemKiB / KiB) > freeMemoryMiB(state)) return { kind: "memory", domid };
    d.domid = domid;
    d.createdAt = Date.now();
    state.domains.push(d);
    return { kind: "ok", domid, name: d.name };
  });
  switch (result.kind) {
    case "parse":
      err(`${cfg}:${result.line}: config parsing error near \`${result.why}': syntax error\nFailed to parse config: Invalid argument\n`);
      finish(1);
      break;
    case "dup":
      err(
        `libxl: error: libxl_domain.c:81:libxl__domain_rename: Domain ${result.domid}:Domain with name "${result.name}" already exists.\n` +
          `libxl: error: libxl_create.c:1296:initiate_domain_create: Domain ${result.domid}:cannot make domain: -6\n` +
          `libxl: error: libxl_domain.c:1183:libxl__destroy_domid: Domain ${result.domid}:Non-existant domain\n` +
          `libxl: error: libxl_domain.c:1137:domain_destroy_callback: Domain ${result.domid}:Unable to destroy guest\n` +
          `libxl: error: libxl_domain.c:1064:domain_destroy_cb: Domain ${result.domid}:Destruction of domain failed\n`,
      );
      finish(3);
      break;
    case "disk":
      err(missingDiskStderr(result.domid, result.disk.vdev, result.disk.target));
      finish(3);
      break;
    case "bridge":
      err(
        `libxl: error: libxl_exec.c:117:libxl_report_child_exitstatus: /etc/xen/scripts/vif-bridge online [-1] exited with error status 1\n` +
          `libxl: error: libxl_device.c:1286:device_hotplug_child_death_cb: script: Could not find bridge device ${result.bridge}\n` +
          `libxl: error: libxl_create.c:1896:domcreate_attach_devices: Domain ${result.domid}:unable to add vif devices\n`,
      );
      finish(3);
      break;
    case "memory":
      err(`libxl: error: libxl_mem.c:1068:libxl__fill_dom0_memory_info: Domain ${result.domid}:not enough memory\n`);
      finish(3);
      break;
    default:
      startMonitor(result.domid);
      finish(0);
  }
}

/**
 * Real `xl create` leaves a daemonised `xl` per domain (it handles on_poweroff/on_reboot):
 * its stdio go to /dev/null but it keeps the other descriptors it inherited. The fake does the
 * same with fd 9 when that is cdktf-xen's exec.lock, so a batch script that forgot to close it
 * (`9>&-`) keeps the lock for as long as the domain lives, as on a real dom0. A monitor that
 * inherits nothing has no effect a test can observe, so none is started then (a hundred idle
 * Node processes would only slow the machine down).
 */
function startMonitor(domid) {
  try {
    fstatSync(9);
    if (!readlinkSync("/proc/self/fd/9").endsWith("/exec.lock")) return;
  } catch {
    return; // fd 9 closed, as cdktf-xen's batch does with 9>&-
  }
  const stdio = Array.from({ length: 9 }, () => "ignore");
  stdio.push(9);
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), stateDir, "__monitor", String(domid)], {
    detached: true,
    stdio,
  });
  mkdirSync(join(stateDir, "monitors"), { recursive: true });
  writeFileSync(join(stateDir, "monitors", String(child.pid)), String(domid));
  child.unref();
}

/** The daemonised monitor: lives while its domain does (bounded, so it never outlives a test run). */
function monitor() {
  const domid = Number(args[0]);
  const started = Date.now();
  const timer = setInterval(() => {
    let alive = false;
    try {
      alive = readState().domains.some((d) => d.domid === domid);
    } catch {
      alive = false;
    }
    if (!alive || Date.now() - started > 15 * 60_000) {
      clearInterval(timer);
      rmSync(join(stateDir, "monitors", String(process.pid)), { force: true });
      process.exit(0);
    }
  }, 200);
}

function xlShutdown() {
  const wait = args.includes("-w");
  const ref = args.filter((a) => !a.startsWith("-"))[0];
  const state = readState();
  const d = findDomain(state, ref);
  if (d === null || d.dom0) invalidDomain(ref);
  err(`Shutting down domain ${d.domid}\n`);
  if (!wait) {
    if (!d.guest.ignoresShutdown) removeDomainLater(d.domid);
    finish(0);
  }
  err("Waiting for 1 domains\n");
  if (d.guest.ignoresShutdown) {
    // A guest without /sbin/poweroff: `xl shutdown -w` waits for ever (LAB-NOTES pitfall 4).
    setInterval(() => undefined, 60_000);
    throw new Hang();
  }
  sleepSync(host(state).shutdownMs);
  mutate((s) => {
    s.domains = s.domains.filter((x) => x.domid !== d.domid);
  });
  err(`Domain ${d.domid} has been shut down, reason code 0\n`);
  finish(0);
}

function removeDomainLater(domid) {
  const delay = readState().host.shutdownMs;
  sleepSync(delay);
  mutate((s) => {
    s.domains = s.domains.filter((x) => x.domid !== domid);
  });
}

function xlDestroy() {
  const ref = args[0];
  const found = mutate((state) => {
    const d = findDomain(state, ref);
    if (d === null || d.dom0) return false;
    state.domains = state.domains.filter((x) => x.domid !== d.domid);
    return true;
  });
  if (!found) invalidDomain(ref);
  finish(0);
}

/** Runs `fn(domain, state)` on the named domU under the lock; unknown names fail as xl does. */
function onDomain(ref, fn) {
  const r = mutate((state) => {
    const d = state.domains.find((x) => x.name === ref || String(x.domid) === ref);
    if (d === undefined) return { missing: true };
    return { missing: false, value: fn(d, state) };
  });
  if (r.missing) invalidDomain(ref);
  return r.value;
}

function xlMemSet() {
  const [ref, size] = args;
  const bytes = parseSize(size, "k");
  const r = onDomain(ref, (d) => {
    if (Math.floor(bytes / KiB) > d.maxMemKiB) return { ok: false, domid: d.domid };
    d.targetMemKiB = Math.floor(bytes / KiB);
    return { ok: true };
  });
  if (!r.ok) {
    err(
      `libxl: error: libxl_mem.c:278:libxl_set_memory_target: Domain ${r.domid}:memory_dynamic_max must be less than or equal to memory_static_max\n\ncannot set domid ${r.domid} dynamic max memory to : ${size}\n`,
    );
    finish(1);
  }
  finish(0);
}

function xlMemMax() {
  const [ref, size] = args;
  const bytes = parseSize(size, "k");
  onDomain(ref, (d) => {
    d.maxMemKiB = Math.floor(bytes / KiB);
  });
  finish(0);
}

function xlVcpuSet() {
  const ignoreHost = args.includes("--ignore-host") || args.includes("-i");
  const [ref, countText] = args.filter((a) => !a.startsWith("-"));
  const count = Number(countText);
  const nr = host(readState()).nrCpus;
  if (count > nr && !ignoreHost) {
    err(`You are overcommmitting! You have ${nr} physical CPUs and want ${count} vCPUs! Aborting, use --ignore-host to continue\n`);
    finish(1);
  }
  const r = onDomain(ref, (d) => {
    if (count > d.maxVcpus) return { ok: false, domid: d.domid, max: d.maxVcpus };
    d.online = count;
    return { ok: true };
  });
  if (!r.ok) {
    err(
      `libxl: error: libxl_domain.c:1869:libxl_set_vcpuonline: Domain ${r.domid}:Requested ${count} VCPUs, however maxcpus is ${r.max}!: Function not implemented\nlibxl_set_vcpuonline failed domid=${r.domid} max_vcpus=${count}, rc: -3\n`,
    );
    finish(1);
  }
  finish(0);
}

function xlVcpuPin() {
  const [ref, vcpuText, hardText, softText = "all"] = args;
  const nr = host(readState()).nrCpus;
  const hard = hardText === "-" ? null : parseCpuList(hardText, nr);
  const soft = parseCpuList(softText, nr);
  if ((hardText !== "-" && hard === null) || soft === null) {
    err(`Invalid CPU specification\n`);
    finish(1);
  }
  const r = onDomain(ref, (d) => {
    const vcpus = vcpuText === "all" ? Array.from({ length: d.maxVcpus }, (_, i) => i) : [Number(vcpuText)];
    if (vcpus.some((v) => !(v >= 0 && v < d.maxVcpus))) return false;
    for (const v of vcpus) {
      if (hard !== null) d.hard[v] = formatCpus(hard, nr);
      d.soft[v] = formatCpus(soft, nr);
    }
    return true;
  });
  if (!r) {
    err(`libxl: error: libxl_sched.c:62:libxl_set_vcpuaffinity: Domain ?:Failed to set vcpu affinity: Invalid argument\nSetting affinity failed on vcpu \`${vcpuText}'.\n`);
    finish(1);
  }
  finish(0);
}

function xlSchedCredit2Cmd() {
  const dom = option("-d");
  const weight = option("-w");
  const cap = option("-c");
  const state = readState();
  if (dom === null) {
    out(xlSchedCredit2(state, allDomains(state), true));
    finish(0);
  }
  if (weight === null && cap === null) {
    const d = findDomain(state, dom);
    if (d === null) invalidDomain(dom);
    out(xlSchedCredit2(state, [d], false));
    finish(0);
  }
  onDomain(dom, (d) => {
    if (weight !== null) d.weight = Number(weight);
    if (cap !== null) d.cap = Number(cap);
  });
  finish(0);
}

function xlBlockAttach() {
  const [ref, ...spec] = args;
  const disk = parseDisk(spec.join(","));
  const r = onDomain(ref, (d, state) => {
    if (disk.devtype !== "cdrom" && diskMissing(state, disk.target)) return { ok: false, domid: d.domid };
    if (d.disks.some((k) => k.vdev === disk.vdev)) return { ok: false, dup: true, domid: d.domid };
    d.disks.push(disk);
    return { ok: true };
  });
  if (!r.ok) {
    err(
      r.dup
        ? `libxl: error: libxl_device.c:1409:device_addrm_aocomplete: unable to add device\n`
        : `libxl: error: libxl_device.c:455:libxl__device_disk_set_backend: Disk vdev=${disk.vdev} failed to stat: ${disk.target}: No such file or directory\n`,
    );
    finish(1);
  }
  finish(0);
}

function xlBlockDetach() {
  const [ref, vdev] = args;
  const ok = onDomain(ref, (d) => {
    const before = d.disks.length;
    d.disks = d.disks.filter((k) => k.vdev !== vdev);
    return d.disks.length < before;
  });
  if (!ok) {
    err(`Error: Device ${vdev} not connected.\n`);
    finish(1);
  }
  finish(0);
}

function xlNetworkAttach() {
  const [ref, ...tokens] = args;
  const r = onDomain(ref, (d, state) => {
    const devid = d.nics.reduce((m, v) => Math.max(m, v.devid + 1), 0);
    const nic = parseVif(tokens, devid);
    if (!state.bridges.includes(nic.bridge)) return { ok: false, bridge: nic.bridge };
    d.nics.push(nic);
    return { ok: true };
  });
  if (!r.ok) {
    err(`libxl: error: libxl_device.c:1286:device_hotplug_child_death_cb: script: Could not find bridge device ${r.bridge}\n`);
    finish(1);
  }
  finish(0);
}

function xlNetworkDetach() {
  const [ref, id] = args;
  const ok = onDomain(ref, (d) => {
    const before = d.nics.length;
    d.nics = d.nics.filter((v) => String(v.devid) !== id && v.mac !== id.toLowerCase());
    return d.nics.length < before;
  });
  if (!ok) {
    err(`Error: No NIC ${id} for domain ${ref}\n`);
    finish(1);
  }
  finish(0);
}

function selectDomains(state, refs) {
  if (refs.length === 0) return allDomains(state);
  return refs.map((r) => findDomain(state, r) ?? invalidDomain(r));
}

function runXl() {
  const [sub, ...rest] = args;
  args.splice(0, args.length, ...rest);
  const state = () => readState();
  switch (sub) {
    case "info":
      out(xlInfo(state()));
      return finish(0);
    case "list": {
      const s = state();
      const long = args.includes("-l") || args.includes("--long");
      const verbose = args.includes("-v") || args.includes("--verbose");
      const domains = selectDomains(s, args.filter((a) => !a.startsWith("-")));
      if (long) out(`${yajl(domains.map((d) => domainConfig(s, d)))}\n\n`);
      else out(xlList(s, domains, verbose));
      return finish(0);
    }
    case "vcpu-list": {
      const s = state();
      out(xlVcpuList(s, selectDomains(s, args)));
      return finish(0);
    }
    case "sched-credit2":
      return xlSchedCredit2Cmd();
    case "sched-credit":
      // No cpupool schedules with credit on this host: xl prints nothing (LAB-NOTES).
      return finish(0);
    case "cpupool-list":
      out(xlCpupoolList(state(), args.includes("-c")));
      return finish(0);
    case "domid": {
      const d = findDomain(state(), args[0]);
      if (d === null) invalidDomain(args[0]);
      out(`${d.domid}\n`);
      return finish(0);
    }
    case "domname": {
      const d = findDomain(state(), args[0]);
      if (d === null) invalidDomain(args[0]);
      out(`${d.name}\n`);
      return finish(0);
    }
    case "create":
      return xlCreate();
    case "shutdown":
      return xlShutdown();
    case "destroy":
      return xlDestroy();
    case "mem-set":
      return xlMemSet();
    case "mem-max":
      return xlMemMax();
    case "vcpu-set":
      return xlVcpuSet();
    case "vcpu-pin":
      return xlVcpuPin();
    case "block-attach":
      return xlBlockAttach();
    case "block-detach":
      return xlBlockDetach();
    case "network-attach":
      return xlNetworkAttach();
    case "network-detach":
      return xlNetworkDetach();
    default:
      err(`FAKE xl (cdktf-xen test double): subcommand "${sub}" is not emulated\n`);
      return finish(2);
  }
}

// ---------------------------------------------------------------------------------------------

function main() {
  if (tool === "__monitor") return monitor();
  logEvent({ ev: "start", id: callId, t: Date.now(), argv: [tool, ...args] });
  try {
    applyFault(takeFault());
    switch (tool) {
      case "xl":
        return runXl();
      case "lvs":
        return runLvs();
      case "vgs":
        return runVgs();
      case "lvcreate":
        return runLvcreate();
      case "lvextend":
        return runLvextend();
      case "lvremove":
        return runLvremove();
      default:
        err(`FAKE xen: unknown tool ${tool}\n`);
        return finish(127);
    }
  } catch (e) {
    if (e instanceof Hang) return undefined;
    err(`FAKE xen: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    return finish(70);
  }
}

main();
