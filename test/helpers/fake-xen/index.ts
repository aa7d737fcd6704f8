/**
 * A FAKE Xen 4.17 dom0 toolstack for integration tests and benchmarks of the reconciler and
 * the CLI: `xl`, `lvs`, `lvcreate`, `lvextend`, `lvremove` and `vgs` as executables in a
 * per-instance directory, all backed by fake-xen.mjs, which keeps the fake dom0's state
 * (domains, LVs, faults to inject) in a JSON file and logs every call. A real sshd (the
 * harness of ../sshd.ts) finds them first on its sessions' PATH through `SetEnv PATH=…`
 * ({@link FakeXen.sshdConfig}), so the reconciler's real remote scripts run against the fake
 * exactly as they would against a dom0: through the login shell, `sh -s`, `timeout`, `flock`.
 *
 * The real xl runs only on the QEMU lab host (test/e2e). Everything here says "fake".
 *
 * What the fake does NOT replace: the files cdktf-xen manages on dom0 are real files on THIS
 * machine — config files in /etc/xen/cdktf-xen, autostart links in /etc/xen/auto, lock files in
 * /run/cdktf-xen — and the fake's LVs appear as /dev/VG/LV links (the reconciler tests volume
 * paths with `[ -e ]`). {@link hostPathsInUse} says whether those paths are free to use (tests
 * skip otherwise); {@link FakeXen.reset} empties them between tests and {@link FakeXen.stop}
 * removes what the fake created.
 *
 * Free of vitest so that bench/ can use it too.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AUTOSTART_DIR, MANAGED_CONFIG_DIR } from "../../../src/xl/live.js";
import { RUN_DIR } from "../../../src/reconcile/batch.js";

/** The fake's volume group unless a test names others. Unusual on purpose: /dev/VG is created on this machine. */
export const FAKE_VG = "cdktfxenfakevg";

/** The executables the fake provides. */
export const FAKE_TOOLS = ["xl", "lvs", "lvcreate", "lvextend", "lvremove", "vgs"] as const;

/** Lock files cdktf-xen itself leaves in /run/cdktf-xen; anything else there means someone else uses it. */
const OWN_RUN_FILES = new Set(["lock", "lock.holder", "exec.lock", "migrate"]);

/** Settings of the fake host. */
export interface FakeHostOptions {
  /** pCPUs (`xl info` nr_cpus). @default 8 */
  readonly nrCpus?: number;
  /** `xl info` total_memory, MiB. @default 16384 */
  readonly totalMemoryMiB?: number;
  /** Domain-0's memory, MiB. @default 1024 */
  readonly dom0MemMiB?: number;
  /** `xl info` xen_scheduler. @default "credit2" */
  readonly scheduler?: string;
  /** Volume groups and their sizes in MiB. @default { [FAKE_VG]: 262144 } */
  readonly volumeGroups?: Readonly<Record<string, number>>;
  /** How long a cooperative guest takes to shut down after `xl shutdown -w`, ms. @default 150 */
  readonly shutdownMs?: number;
}

/** A domain as the fake keeps it (sizes in KiB like libxl; per-vCPU affinities as xl prints them). */
export interface FakeDomain {
  name: string;
  domid: number;
  uuid: string;
  type: "pv" | "pvh" | "hvm";
  maxMemKiB: number;
  targetMemKiB: number;
  maxVcpus: number;
  /** vCPUs online. */
  online: number;
  hard: string[];
  soft: string[];
  cfgHard: string[] | null;
  cfgSoft: string[] | null;
  weight: number;
  cap: number;
  pool: string | null;
  kernel: string | null;
  ramdisk: string | null;
  cmdline: string | null;
  bootloader: string | null;
  bootloaderArgs: string[];
  hvm: { firmware: string | null; boot: string; serial: string | null; vnc: boolean } | null;
  disks: { vdev: string; target: string; format: string; access: "rw" | "ro"; devtype: "disk" | "cdrom" }[];
  nics: { devid: number; bridge: string; mac: string; model: string | null; rate: string | null }[];
  onPoweroff: string;
  onReboot: string;
  onCrash: string;
  flags: string;
  createdAt: number;
  /** Fixed CPU seconds (`xl list` Time column); growing with uptime when unset. */
  cpuTime?: number;
  /** How the guest behaves. */
  guest: { ignoresShutdown: boolean };
}

/** A logical volume of the fake LVM. */
export interface FakeLv {
  vg: string;
  name: string;
  sizeBytes: number;
}

/**
 * A fault the fake injects into the first calls whose argv starts with `match` (and, when
 * `arg` is set, has an argument containing it): first wait `delayMs`, then hang (until
 * killed), fail with `rc`/`stderr`, or run normally.
 */
export interface FakeFault {
  readonly match: readonly string[];
  /** @default - any arguments */
  readonly arg?: string;
  /** @default - no delay */
  readonly delayMs?: number;
  /** @default false */
  readonly hang?: boolean;
  /** Fail with this exit status instead of running. @default - run normally */
  readonly rc?: number;
  /** @default "" */
  readonly stderr?: string;
  /** @default "" */
  readonly stdout?: string;
  /** Calls it applies to. @default - every matching call */
  times?: number;
}

/** The whole fake dom0. */
export interface FakeXenState {
  host: {
    hostname: string;
    nrCpus: number;
    totalMemoryMiB: number;
    dom0MemMiB: number;
    scheduler: string;
    bootedAt: number;
    shutdownMs: number;
    /** Fixed CPU seconds of Domain-0; growing with uptime when unset. */
    dom0CpuTime?: number;
  };
  nextDomid: number;
  domains: FakeDomain[];
  vgs: Record<string, { sizeMiB: number; extentMiB: number }>;
  lvs: FakeLv[];
  /** Bridges the fake's `xl` accepts (the snapshot reads the real /sys/class/net, which has none here). */
  bridges: string[];
  faults: FakeFault[];
}

/** One call of a fake tool. */
export interface FakeCall {
  readonly id: string;
  /** Tool and arguments: `["xl", "mem-set", "web-1", "256m"]`. */
  readonly argv: readonly string[];
  /** Epoch ms. */
  readonly start: number;
  /** Epoch ms; null while running, or when the call was killed with SIGKILL. */
  readonly end: number | null;
  readonly rc: number | null;
  readonly signal: string | null;
}

/** xl subcommands and LVM tools that only read. */
const READ_ONLY_XL = new Set(["info", "list", "vcpu-list", "cpupool-list", "domid", "domname", "sched-credit"]);

/** Whether a call changes the (fake) host: everything but listings. */
export function isChangingCall(argv: readonly string[]): boolean {
  const [tool, sub] = argv;
  if (tool === "lvs" || tool === "vgs") return false;
  if (tool === "xl") {
    if (READ_ONLY_XL.has(sub ?? "")) return false;
    if (sub === "sched-credit2") return argv.includes("-w") || argv.includes("-c");
  }
  return true;
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "cdktf-xen") return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("fake-xen: cannot find the cdktf-xen repository root");
    dir = up;
  }
}

/** fake-xen.mjs in the source tree (also when this module runs compiled from dist/). */
export const FAKE_XEN_SCRIPT = join(repoRoot(), "test", "helpers", "fake-xen", "fake-xen.mjs");

function dirHasEntries(path: string, ignore: ReadonlySet<string> = new Set()): string[] {
  try {
    return readdirSync(path).filter((e) => !ignore.has(e));
  } catch {
    return [];
  }
}

/**
 * Why the dom0 paths cdktf-xen writes cannot be used on this machine, or null when they can:
 * /etc/xen/cdktf-xen and /etc/xen/auto must be absent or empty, /run/cdktf-xen must hold
 * nothing but cdktf-xen's own lock files, and /dev/VG must not exist.
 */
export function hostPathsInUse(volumeGroups: readonly string[] = [FAKE_VG]): string | null {
  for (const dir of [MANAGED_CONFIG_DIR, AUTOSTART_DIR]) {
    const entries = dirHasEntries(dir);
    if (entries.length > 0) return `${dir} already holds ${entries.slice(0, 3).join(", ")}: this machine looks like a real dom0; the fake-Xen tests would overwrite it`;
  }
  const foreign = dirHasEntries(RUN_DIR, OWN_RUN_FILES);
  if (foreign.length > 0) return `${RUN_DIR} holds ${foreign.join(", ")}, which cdktf-xen did not make`;
  for (const vg of volumeGroups) if (existsSync(`/dev/${vg}`)) return `/dev/${vg} exists: the fake's volume group would shadow a real one`;
  return null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function initialState(options: FakeHostOptions): FakeXenState {
  const vgs = options.volumeGroups ?? { [FAKE_VG]: 262_144 };
  return {
    host: {
      hostname: "fake-xen",
      nrCpus: options.nrCpus ?? 8,
      totalMemoryMiB: options.totalMemoryMiB ?? 16_384,
      dom0MemMiB: options.dom0MemMiB ?? 1024,
      scheduler: options.scheduler ?? "credit2",
      bootedAt: Date.now() - 3_600_000,
      shutdownMs: options.shutdownMs ?? 150,
    },
    nextDomid: 1,
    domains: [],
    vgs: Object.fromEntries(Object.entries(vgs).map(([vg, sizeMiB]) => [vg, { sizeMiB, extentMiB: 4 }])),
    lvs: [],
    bridges: ["xenbr0"],
    faults: [],
  };
}

/** A fake dom0 toolstack in a temporary directory. */
export class FakeXen {
  /** Temporary directory: state.json, calls.jsonl, bin/. */
  readonly dir: string;
  /** Directory of the fake executables, to put first on PATH. */
  readonly binDir: string;
  readonly statePath: string;
  readonly logPath: string;
  #options: FakeHostOptions;
  #created: string[] = [];
  #stopped = false;

  private constructor(dir: string, options: FakeHostOptions) {
    this.dir = dir;
    this.binDir = join(dir, "bin");
    this.statePath = join(dir, "state.json");
    this.logPath = join(dir, "calls.jsonl");
    this.#options = options;
  }

  /**
   * Creates the fake: executables, a fresh state, an empty log. Call {@link hostPathsInUse}
   * first; this throws if it says the paths are in use.
   */
  static async start(options: FakeHostOptions = {}): Promise<FakeXen> {
    const vgs = Object.keys(options.volumeGroups ?? { [FAKE_VG]: 0 });
    const busy = hostPathsInUse(vgs);
    if (busy !== null) throw new Error(`fake-xen: ${busy}`);
    const fake = new FakeXen(await mkdtemp(join(tmpdir(), "cdktf-xen-fake-xen-")), options);
    // Remember what did not exist, to remove exactly that at stop().
    for (const p of ["/etc/xen", MANAGED_CONFIG_DIR, AUTOSTART_DIR, RUN_DIR, ...vgs.map((vg) => `/dev/${vg}`)]) {
      if (!existsSync(p)) fake.#created.push(p);
    }
    mkdirSync(fake.binDir);
    for (const tool of FAKE_TOOLS) {
      writeFileSync(
        join(fake.binDir, tool),
        `#!/bin/sh\n# FAKE ${tool} (cdktf-xen test double, not Xen/LVM): see test/helpers/fake-xen/\nexec ${process.execPath} ${FAKE_XEN_SCRIPT} ${fake.dir} ${tool} "$@"\n`,
        { mode: 0o755 },
      );
    }
    fake.reset();
    return fake;
  }

  /** sshd_config lines putting the fake first on the PATH of every session. */
  sshdConfig(): string[] {
    return [`SetEnv PATH=${this.binDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`];
  }

  /**
   * A fresh fake dom0 (no domains, no LVs, no faults), an empty call log, and empty
   * /etc/xen/cdktf-xen, /etc/xen/auto and /dev/VG directories.
   */
  reset(options: FakeHostOptions = this.#options): void {
    this.#options = options;
    for (const dir of [MANAGED_CONFIG_DIR, AUTOSTART_DIR]) {
      for (const e of dirHasEntries(dir)) rmSync(join(dir, e), { force: true, recursive: true });
    }
    for (const vg of Object.keys(this.stateOrNull()?.vgs ?? {})) rmSync(`/dev/${vg}`, { recursive: true, force: true });
    rmSync(join(this.dir, "devices"), { recursive: true, force: true });
    this.killMonitors();
    writeFileSync(this.statePath, JSON.stringify(initialState(options), null, 1));
    writeFileSync(this.logPath, "");
  }

  private stateOrNull(): FakeXenState | null {
    try {
      return this.state();
    } catch {
      return null;
    }
  }

  /** The fake dom0's state now. */
  state(): FakeXenState {
    return JSON.parse(readFileSync(this.statePath, "utf8")) as FakeXenState;
  }

  /** Changes the state under the fake's own lock (the protocol of fake-xen.mjs). */
  async update(fn: (state: FakeXenState) => void): Promise<void> {
    const lock = join(this.dir, "state.lock");
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        mkdirSync(lock);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        if (Date.now() > deadline) throw new Error("fake-xen: state lock busy for 30 s");
        await sleep(5);
      }
    }
    try {
      const state = this.state();
      fn(state);
      const tmp = `${this.statePath}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(state, null, 1));
      renameSync(tmp, this.statePath);
    } finally {
      rmdirSync(lock);
    }
  }

  /** Adds a fault (see {@link FakeFault}). */
  async inject(fault: FakeFault): Promise<void> {
    await this.update((s) => {
      s.faults.push({ ...fault, match: [...fault.match] });
    });
  }

  /** Removes every fault. */
  async clearFaults(): Promise<void> {
    await this.update((s) => {
      s.faults = [];
    });
  }

  /** A domain of the fake, or undefined. */
  domain(name: string): FakeDomain | undefined {
    return this.state().domains.find((d) => d.name === name);
  }

  /** Every call so far, in start order. */
  calls(): FakeCall[] {
    const starts = new Map<string, { argv: string[]; t: number }>();
    const ends = new Map<string, { t: number; rc: number; signal: string | null }>();
    for (const line of readFileSync(this.logPath, "utf8").split("\n")) {
      if (line === "") continue;
      const ev = JSON.parse(line) as { ev: string; id: string; t: number; argv?: string[]; rc?: number; signal?: string | null };
      if (ev.ev === "start") starts.set(ev.id, { argv: ev.argv ?? [], t: ev.t });
      else ends.set(ev.id, { t: ev.t, rc: ev.rc ?? -1, signal: ev.signal ?? null });
    }
    return [...starts.entries()]
      .map(([id, s]) => {
        const e = ends.get(id);
        return { id, argv: s.argv, start: s.t, end: e?.t ?? null, rc: e?.rc ?? null, signal: e?.signal ?? null };
      })
      .sort((a, b) => a.start - b.start);
  }

  /** A position in the call log, for {@link FakeXen.callsSince}. */
  mark(): number {
    return this.calls().length;
  }

  /** Calls after `mark`. */
  callsSince(mark: number): FakeCall[] {
    return this.calls().slice(mark);
  }

  /** Calls after `mark` that change the host (see {@link isChangingCall}), as `argv.join(" ")`. */
  changingCallsSince(mark: number): string[] {
    return this.callsSince(mark)
      .filter((c) => isChangingCall(c.argv))
      .map((c) => c.argv.join(" "));
  }

  private killMonitors(): void {
    const dir = join(this.dir, "monitors");
    for (const entry of dirHasEntries(dir)) {
      const pid = Number(entry);
      try {
        // Only a process that is still our fake's monitor.
        if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(FAKE_XEN_SCRIPT)) process.kill(pid, "SIGTERM");
      } catch {
        // gone
      }
      rmSync(join(dir, entry), { force: true });
    }
  }

  /**
   * Ends the fake's daemonised monitors, removes its directory, and removes the dom0 paths
   * that did not exist before {@link FakeXen.start} (emptied if they did). Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const vgs = Object.keys(this.stateOrNull()?.vgs ?? {});
    this.killMonitors();
    for (const dir of [MANAGED_CONFIG_DIR, AUTOSTART_DIR]) {
      for (const e of dirHasEntries(dir)) rmSync(join(dir, e), { force: true, recursive: true });
    }
    for (const vg of vgs) rmSync(`/dev/${vg}`, { recursive: true, force: true });
    // Deepest first, so /etc/xen goes after its subdirectories; a directory someone else
    // filled meanwhile is left alone (rmdir fails on a non-empty directory).
    for (const p of [...this.#created].sort((a, b) => b.length - a.length)) {
      try {
        if (p === RUN_DIR) {
          for (const f of OWN_RUN_FILES) rmSync(join(p, f), { force: true, recursive: true });
        }
        if (existsSync(p) && statSync(p).isDirectory()) rmdirSync(p);
      } catch {
        // not empty: not only ours
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * `xl create`'s stderr when a disk's backing device is missing: the capture in
 * fixtures/xen-4.17-capture2/xl-err-create-missing-lv-rc.err with its config path and LV path
 * replaced (exit status 3 on the lab host).
 */
export function missingLvCreateStderr(configPath: string, target: string, vdev = "xvda"): string {
  return readFileSync(join(SHARED_FIXTURES, "xen-4.17-capture2", "xl-err-create-missing-lv-rc.err"), "utf8")
    .replace("/tmp/bad1.cfg", configPath)
    .replace("/dev/vg0/nope", target)
    .replace("vdev=xvda", `vdev=${vdev}`);
}

/** The lab's captures of real Xen 4.17 output (see LAB-NOTES.md). */
export const SHARED_FIXTURES = fileURLToPath(new URL("../../fixtures", import.meta.url));
