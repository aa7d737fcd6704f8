/**
 * Support for the migration end-to-end tests on the two-host lab (`npm run lab:up -- --hosts 2`):
 * programs with domains on xenA and xenB, an SSH agent holding the lab key (forwarded to the
 * source dom0 for the host-to-host hop), checks with plain OpenSSH, and a downtime probe.
 *
 * These tests run only when CDKTF_XEN_LAB2=1 and the two-host lab is up.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import {
  App,
  DomainType,
  LifecycleResource,
  LocalBackend,
  MigrationPolicy,
  RetentionPolicy,
  Size,
  TerraformStack,
  XenDomain,
  XenHost,
  type XenHostProps,
  XenStoragePool,
  XenVolume,
} from "../../src/index.js";
import { ROOT, installTestProvider, start, type Run } from "./support.js";

const execFileP = promisify(execFile);

/** One host of `.lab2/hosts.json`. */
export interface Lab2Host {
  readonly name: "xenA" | "xenB";
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly privateKeyPath: string;
  readonly hostKey: string;
  readonly knownHostsFile: string;
  readonly guestKernel: string;
  readonly guestRamdisk: string;
  readonly volumeGroup: string;
  readonly bridge: string;
  readonly migrationAddress: string;
  readonly migrationBridge: string;
  readonly sharedPath: string;
}

/** The two lab hosts, or undefined when these tests must not run. */
export function twoHostLab(): { readonly a: Lab2Host; readonly b: Lab2Host } | undefined {
  if (process.env.CDKTF_XEN_LAB2 !== "1") return undefined;
  const path = resolve(ROOT, process.env.CDKTF_XEN_LAB2_STATE ?? ".lab2/hosts.json");
  if (!existsSync(path)) throw new Error(`CDKTF_XEN_LAB2=1 but ${path} is missing: run \`npm run lab:up -- --hosts 2\` first`);
  const { hosts } = JSON.parse(readFileSync(path, "utf8")) as { hosts: Lab2Host[] };
  const a = hosts.find((h) => h.name === "xenA");
  const b = hosts.find((h) => h.name === "xenB");
  if (a === undefined || b === undefined) throw new Error(`${path} lacks xenA or xenB`);
  return { a, b };
}

/** A disk of a test domain: a volume in the shared (NFS dir) pool or the host's local LVM pool. */
export interface DiskDecl {
  readonly id: string;
  readonly pool: "shared" | "local";
  readonly sizeMiB: number;
  readonly retention?: "retain" | "delete";
}

/** A domain of a two-host test program. */
export interface MoveDomainDecl {
  readonly name: string;
  readonly host: "xenA" | "xenB";
  /** @default "pvh" */
  readonly type?: "pvh" | "pv";
  readonly migration?: MigrationPolicy;
  readonly disks: readonly DiskDecl[];
  /** @default the lab's xenbr0 */
  readonly bridge?: string;
}

/**
 * How a XenHost reaches one of the two lab hosts. xenA forwards the operator's agent when it
 * is the source of a move (the default); xenB uses its own lab-only migration key.
 */
export function lab2HostProps(h: Lab2Host): XenHostProps {
  return {
    address: h.address,
    port: h.port,
    user: h.user,
    privateKeyPath: h.privateKeyPath,
    hostKey: h.hostKey,
    migration: { address: h.migrationAddress, ...(h.name === "xenB" ? { identityFile: "/root/.ssh/id_ed25519" } : {}) },
  };
}

/**
 * Synthesizes a program with both hosts. xenA forwards the operator's agent when it is the
 * source (the default); xenB uses its own lab-only migration key (migration.identityFile), so
 * both ways of authenticating the hop are exercised. With `lifecycleResource` PROVIDER the
 * stack directory also gets the provider from dist/ (terraform.d/plugins).
 */
export function synthTwo(
  lab: { a: Lab2Host; b: Lab2Host },
  outdir: string,
  stackName: string,
  domains: readonly MoveDomainDecl[],
  lifecycleResource?: LifecycleResource,
): string {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, stackName);
  new LocalBackend(stack, { path: "terraform.tfstate" });
  const hosts = new Map<string, { host: XenHost; shared: XenStoragePool; local: XenStoragePool }>();
  for (const h of [lab.a, lab.b]) {
    const host = new XenHost(stack, h.name, { ...lab2HostProps(h), ...(lifecycleResource === undefined ? {} : { lifecycleResource }) });
    hosts.set(h.name, {
      host,
      shared: new XenStoragePool(stack, `${h.name}-shared`, { host, name: "shared", directory: h.sharedPath, shared: true }),
      local: new XenStoragePool(stack, `${h.name}-local`, { host, name: "local", lvmVolumeGroup: h.volumeGroup }),
    });
  }
  for (const d of domains) {
    const h = hosts.get(d.host)!;
    const pv = d.type === "pv";
    new XenDomain(stack, d.name, {
      host: h.host,
      type: pv ? DomainType.PV : DomainType.PVH,
      memory: Size.mebibytes(128),
      kernel: lab.a.guestKernel,
      ramdisk: lab.a.guestRamdisk,
      cmdline: "console=hvc0",
      // PVH under TCG crashes on RDTSCP without this (LAB-NOTES).
      ...(pv ? {} : { cpuid: "host,rdtscp=0" }),
      ...(d.migration !== undefined ? { migration: d.migration } : {}),
      disks: d.disks.map((disk, i) => ({
        volume: new XenVolume(stack, `${d.name}-${disk.id}`, {
          pool: disk.pool === "shared" ? h.shared : h.local,
          name: `${d.name}-${disk.id}`,
          size: Size.mebibytes(disk.sizeMiB),
          retention: disk.retention === "delete" ? RetentionPolicy.DELETE : RetentionPolicy.RETAIN,
        }),
        vdev: `xvd${String.fromCharCode(97 + i)}`,
      })),
      networks: [{ bridge: d.bridge ?? lab.a.bridge }],
    });
  }
  app.synth();
  const dir = join(outdir, "stacks", stackName);
  if (lifecycleResource === LifecycleResource.PROVIDER) installTestProvider(dir);
  return dir;
}

/** An ssh-agent for the run holding the lab key: what an operator's agent is. */
export class LabAgent {
  readonly socket: string;
  private pid = 0;

  constructor() {
    this.socket = join(mkdtempSync(join(tmpdir(), "cdktf-xen-agent-")), "agent.sock");
  }

  async start(key: string): Promise<void> {
    const { stdout } = await execFileP("ssh-agent", ["-a", this.socket, "-s"]);
    this.pid = Number(/SSH_AGENT_PID=(\d+)/.exec(stdout)![1]);
    await execFileP("ssh-add", [key], { env: { ...process.env, SSH_AUTH_SOCK: this.socket } });
  }

  stop(): void {
    if (this.pid > 0) process.kill(this.pid);
  }
}

/** Runs terraform in `dir` with the agent in the environment. */
export function terraformWithAgent(agent: LabAgent, dir: string, ...args: string[]): Promise<Run> {
  return start("terraform", args, dir, undefined, { SSH_AUTH_SOCK: agent.socket }).done;
}

/** `terraform init` (once per dir) then `apply -auto-approve` with extra args. */
export async function applyWithAgent(agent: LabAgent, dir: string, ...extra: string[]): Promise<Run> {
  if (!existsSync(join(dir, ".terraform"))) {
    const init = await terraformWithAgent(agent, dir, "init", "-input=false", "-no-color");
    if (init.code !== 0) throw new Error(`terraform init failed:\n${init.output}`);
  }
  return terraformWithAgent(agent, dir, "apply", "-input=false", "-auto-approve", "-no-color", ...extra);
}

/**
 * Waits (at most 10 minutes) until `name`'s migration job runs `xl migrate` on `source`, or
 * `running` (the apply that starts it) ends first; says which, with that apply's result.
 */
export async function awaitMigrationJob(source: Lab2Host, name: string, running: Promise<Run>): Promise<{ jobRuns: boolean; ended: Run | undefined }> {
  let ended: Run | undefined;
  void running.then((r) => (ended = r));
  const deadline = Date.now() + 600_000;
  let jobRuns = false;
  while (!jobRuns && ended === undefined && Date.now() < deadline) {
    jobRuns = (await sh(source, `test -f /run/cdktf-xen/migrate/${name}.pid && pgrep -f 'xl migrate' >/dev/null`)).code === 0;
    if (!jobRuns) await new Promise((r) => setTimeout(r, 1000));
  }
  return { jobRuns, ended };
}

function sshArgs(host: Lab2Host, command: string): string[] {
  return [
    "-i", host.privateKeyPath,
    "-p", String(host.port),
    "-o", "BatchMode=yes",
    "-o", "IdentitiesOnly=yes",
    "-o", `UserKnownHostsFile=${host.knownHostsFile}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "StrictHostKeyChecking=yes",
    "-o", "ConnectTimeout=20",
    "-o", "LogLevel=ERROR",
    `${host.user}@${host.address}`,
    command,
  ];
}

/** SHA-256 of the first 8 MiB of an LV of the host's volume group: what a copy must carry. */
export async function lvSum(host: Lab2Host, lv: string): Promise<string> {
  return (await dom0(host, `head -c 8388608 /dev/${host.volumeGroup}/${lv} | sha256sum`)).split(" ")[0]!;
}

/** Runs `command` in a host's dom0 with OpenSSH (host key pinned); never throws. */
export async function sh(host: Lab2Host, command: string, timeoutMs = 180_000): Promise<{ code: number; stdout: string; stderr: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { stdout, stderr } = await execFileP("ssh", sshArgs(host, command), { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: unknown; stdout?: string; stderr?: string };
      const code = typeof e.code === "number" ? e.code : -1;
      if (code === 255 && attempt === 1) continue;
      return { code, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
    }
  }
}

/** Like {@link sh}, throwing on a non-zero exit. */
export async function dom0(host: Lab2Host, command: string, timeoutMs = 180_000): Promise<string> {
  const r = await sh(host, command, timeoutMs);
  if (r.code !== 0) throw new Error(`${host.name}: \`${command}\` exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** `NAME:STATE:DOMID` of every guest `xl list` shows on a host. */
export async function guests(host: Lab2Host): Promise<Map<string, { state: string; domid: number }>> {
  const out = await dom0(host, "xl list");
  const map = new Map<string, { state: string; domid: number }>();
  for (const line of out.trim().split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== "Domain-0") map.set(f[0]!, { domid: Number(f[1]), state: f[4]! });
  }
  return map;
}

/** The uptime of the last `XENLAB-DOMU-UP` marker in a guest console log, if any. */
export async function lastUptime(host: Lab2Host, log: string): Promise<number | undefined> {
  const out = await sh(host, `tr -d '\\r' <${log} 2>/dev/null | grep -a '^XENLAB-DOMU-UP ' | tail -n 1`);
  const m = /uptime=(\d+)/.exec(out.stdout);
  return m ? Number(m[1]) : undefined;
}

/** Waits for a marker with uptime above `after` (a guest that rebooted never gets there). */
export async function uptimeAfter(host: Lab2Host, log: string, after: number, seconds = 240): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const u = await lastUptime(host, log);
    if (u !== undefined && u > after) return u;
    if (Date.now() > deadline) throw new Error(`${host.name}: no marker with uptime > ${after} in ${log} within ${seconds} s (last: ${String(u)})`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export const CONSOLE_DIR = "/var/log/xen/console";

/** The guest's IPv4 address on eth0 from its last console marker (`nets=eth0:10.0.2.16`). */
export async function guestAddress(host: Lab2Host, log: string): Promise<string | undefined> {
  const out = await sh(host, `tr -d '\\r' <${log} 2>/dev/null | grep -a '^XENLAB-DOMU-UP ' | tail -n 1`);
  const m = /nets=eth0:(\d+\.\d+\.\d+\.\d+)/.exec(out.stdout);
  return m ? m[1] : undefined;
}

/**
 * Pings the guest from both dom0s every 0.2 s while it moves (the guest keeps its address and
 * each host's xenbr0 reaches it while it runs there); every reply is timestamped on arrival by
 * this process's clock. The downtime is the time from the last reply on the source to the
 * first reply on the target. Ping costs dom0 next to nothing, unlike polling `xl list`, which
 * under TCG slows the migration it measures.
 */
export class DowntimeProbe {
  private readonly children: ChildProcess[] = [];
  private lastOnSource = 0;
  private firstOnTarget = 0;

  constructor(
    private readonly source: Lab2Host,
    private readonly target: Lab2Host,
    private readonly address: string,
  ) {}

  start(): void {
    const loop = `exec ping -n -i 0.2 -W 1 ${this.address}`;
    for (const [host, role] of [[this.source, "source"], [this.target, "target"]] as const) {
      const child = spawn("ssh", sshArgs(host, loop), { stdio: ["ignore", "pipe", "ignore"] });
      let partial = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        const now = Date.now();
        partial += chunk.toString("utf8");
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) {
          if (!/bytes from/.test(line)) continue;
          if (role === "source") this.lastOnSource = now;
          else if (this.firstOnTarget === 0 && this.lastOnSource !== 0) this.firstOnTarget = now;
        }
      });
      this.children.push(child);
    }
  }

  /** Stops the pings; the downtime in seconds, or undefined when a side never answered. */
  stop(): number | undefined {
    for (const c of this.children) c.kill();
    if (this.lastOnSource === 0 || this.firstOnTarget === 0) return undefined;
    return (this.firstOnTarget - this.lastOnSource) / 1000;
  }
}

/** Figures of one move, printed for the benchmark table. */
export interface MoveFigures {
  readonly label: string;
  readonly applySeconds: number;
  readonly moveSeconds: number | undefined;
  readonly migrateSeconds: number | undefined;
  readonly downtimeSeconds: number | undefined;
}

/** The `moved … live in X s (xl migrate Y s)` line the CLI printed during an apply. */
export function movedFigures(output: string, name: string): { moveSeconds: number; migrateSeconds: number } | undefined {
  const m = new RegExp(`domain ${name}: moved .* live in ([\\d.]+) s \\(xl migrate ([\\d.]+) s\\)`).exec(output);
  return m ? { moveSeconds: Number(m[1]), migrateSeconds: Number(m[2]) } : undefined;
}
