/**
 * Support for the end-to-end tests: a cdktf-xen program synthesized into a stack directory that
 * persists across the steps of a scenario (so Terraform's state carries over), real Terraform
 * 1.11.4 applying it, the real CLI, and checks on the lab host's dom0 over SSH.
 *
 * These tests run only against a running lab host (`npm run lab:up`) and only when
 * CDKTF_XEN_LAB=1 (scripts/test.sh sets it after starting the lab).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  App,
  DomainType,
  LifecycleResource,
  LocalBackend,
  RetentionPolicy,
  Size,
  TerraformStack,
  XenDomain,
  XenHost,
  type XenHostProps,
  XenStoragePool,
  XenVcpuPin,
  XenVolume,
} from "../../src/index.js";
import { labStatePath, readLabHost, type LabHost } from "../../examples/quickstart/lab.js";
import { Ssh2Transport } from "../../src/ssh/ssh2-transport.js";
import { shellCommand } from "../../src/xl/shell.js";
import { installProvider } from "../../src/provider/xen/install.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const CLI = join(ROOT, "bin/cdktf-xen.js");

/** The lab host, or undefined when the e2e tests must not run. */
export function e2eLab(): LabHost | undefined {
  if (process.env.CDKTF_XEN_LAB !== "1") return undefined;
  const lab = readLabHost(labStatePath(process.env, join(ROOT, "examples/quickstart")));
  if (lab === undefined) throw new Error("CDKTF_XEN_LAB=1 but no lab state file: run `npm run lab:up` first");
  return lab;
}

/** One volume of a test program. */
export interface VolumeDecl {
  readonly id: string;
  readonly sizeMiB: number;
  readonly retention?: "retain" | "delete";
}

/** One domain of a test program. */
export interface DomainDecl {
  readonly name: string;
  readonly memoryMiB: number;
  readonly maxMemoryMiB: number;
  readonly vcpus: number;
  readonly maxVcpus: number;
  readonly pins?: Record<number, string>;
  /** Volume ids, attached as xvda, xvdb, … */
  readonly disks: readonly string[];
}

/** A whole test program: volumes and domains on the lab host. */
export interface Program {
  readonly volumes: readonly VolumeDecl[];
  readonly domains: readonly DomainDecl[];
}

/** How a XenHost reaches the lab host and what it knows of it. */
export function labHostProps(lab: LabHost): XenHostProps {
  return {
    address: lab.address,
    port: lab.port,
    user: lab.user,
    privateKeyPath: lab.privateKeyPath,
    ...(lab.hostKey !== undefined ? { hostKey: lab.hostKey } : { knownHostsFile: lab.knownHostsFile! }),
    cpus: lab.cpus,
    memory: Size.mebibytes(lab.memoryMiB),
    dom0Memory: Size.mebibytes(lab.dom0MemoryMiB),
  };
}

/**
 * Synthesizes `program` for `lab` into `outdir`; returns the stack directory. With
 * `lifecycleResource` PROVIDER the stack directory also gets the provider from dist/.
 */
export function synth(lab: LabHost, outdir: string, stackName: string, program: Program, lifecycleResource?: LifecycleResource): string {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, stackName);
  new LocalBackend(stack, { path: "terraform.tfstate" });
  const host = new XenHost(stack, "lab", {
    ...labHostProps(lab),
    ...(lifecycleResource === undefined ? {} : { lifecycleResource }),
  });
  const pool = new XenStoragePool(stack, "vg0", { host, lvmVolumeGroup: lab.volumeGroup });
  const volumes = new Map<string, XenVolume>();
  for (const v of program.volumes) {
    volumes.set(
      v.id,
      new XenVolume(stack, v.id, {
        pool,
        size: Size.mebibytes(v.sizeMiB),
        retention: v.retention === "delete" ? RetentionPolicy.DELETE : RetentionPolicy.RETAIN,
      }),
    );
  }
  for (const d of program.domains) {
    const domain = new XenDomain(stack, d.name, {
      host,
      type: DomainType.PV,
      vcpus: d.vcpus,
      maxVcpus: d.maxVcpus,
      memory: Size.mebibytes(d.memoryMiB),
      maxMemory: Size.mebibytes(d.maxMemoryMiB),
      kernel: lab.guestKernel,
      ...(lab.guestRamdisk !== undefined ? { ramdisk: lab.guestRamdisk } : {}),
      cmdline: "console=hvc0",
      disks: d.disks.map((id, i) => ({ volume: volumes.get(id)!, vdev: `xvd${String.fromCharCode(97 + i)}` })),
      networks: [{ bridge: lab.bridge }],
    });
    if (d.pins !== undefined) new XenVcpuPin(stack, `${d.name}-pins`, { domain, pins: d.pins });
  }
  app.synth();
  const dir = join(outdir, "stacks", stackName);
  if (lifecycleResource === LifecycleResource.PROVIDER) installTestProvider(dir);
  return dir;
}

/** Puts the provider built in dist/ where `terraform init` in the stack directory finds it. */
export function installTestProvider(stackDir: string): void {
  installProvider({ pluginsDir: join(stackDir, "terraform.d", "plugins"), entry: join(ROOT, "dist", "src", "provider", "main.js") });
}

/** Terraform's diagnostics as one line each: the box's `│ ` prefixes gone, wrapped lines joined. */
export function flat(output: string): string {
  return output.replace(/^[│╷╵] ?/gm, "").replace(/\n(?=\S)/g, " ").replace(/\s+/g, " ");
}

/** What a finished child process printed. */
export interface Run {
  readonly code: number | null;
  readonly output: string;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CDKTF_XEN_CLI: `node ${CLI}`,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_CLI_CONFIG_FILE: "/dev/null",
    NO_COLOR: "1",
    ...extra,
  };
}

/** Starts `cmd args` in `cwd`, output (stdout + stderr) collected; `onLine` sees each line. */
export function start(
  cmd: string,
  args: readonly string[],
  cwd: string,
  onLine?: (line: string) => void,
  extraEnv: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Run> } {
  mkdirSync(cwd, { recursive: true });
  const child = spawn(cmd, args, { cwd, env: env(extraEnv), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let partial = "";
  const take = (chunk: Buffer): void => {
    const text = chunk.toString("utf8");
    output += text;
    partial += text;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    if (onLine) for (const l of lines) onLine(l);
  };
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  const done = new Promise<Run>((res) => child.on("close", (code) => res({ code, output })));
  return { child, done };
}

/** Runs `terraform ARGS` in the stack directory. */
export function terraform(dir: string, ...args: string[]): Promise<Run> {
  return start("terraform", args, dir).done;
}

/** `terraform init` then `apply -auto-approve`, returning the apply. */
export async function tfApply(dir: string, ...extra: string[]): Promise<Run> {
  const init = await terraform(dir, "init", "-input=false", "-no-color");
  if (init.code !== 0) throw new Error(`terraform init failed:\n${init.output}`);
  return terraform(dir, "apply", "-input=false", "-auto-approve", "-no-color", ...extra);
}

/** Runs the real CLI. */
export function cli(cwd: string, ...args: string[]): Promise<Run> {
  return start("node", [CLI, ...args], cwd).done;
}

/** dom0 of the lab host, over the project's own transport. */
export class Dom0 {
  private readonly transport: Ssh2Transport;

  constructor(lab: LabHost) {
    this.transport = new Ssh2Transport({
      hostId: "lab",
      connection: {
        address: lab.address,
        port: lab.port,
        user: lab.user,
        privateKeyPath: lab.privateKeyPath,
        passphraseEnv: null,
        hostKey: lab.hostKey ?? null,
        knownHostsFile: lab.hostKey === undefined ? (lab.knownHostsFile ?? null) : null,
      },
    });
  }

  /** Runs argv on dom0; returns stdout, throws on a non-zero exit. */
  async run(...argv: string[]): Promise<string> {
    const r = await this.transport.exec(shellCommand(argv), { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`${argv.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** Runs a shell snippet on dom0; returns the whole result. */
  sh(script: string): Promise<{ stdout: string; stderr: string; code: number }> {
    return this.transport.exec(shellCommand(["sh", "-c", script]), { timeoutMs: 120_000 });
  }

  /** The domain's libxl config from `xl list -l NAME`, or null when there is no such domain. */
  async domain(name: string): Promise<DomainView | null> {
    const r = await this.transport.exec(shellCommand(["xl", "list", "-l", name]), { timeoutMs: 60_000 });
    if (r.code !== 0) return null;
    const [entry] = JSON.parse(r.stdout) as { domid: number; config: { b_info: Record<string, unknown>; disks?: { pdev_path: string; vdev: string }[]; nics?: { bridge: string }[] } }[];
    const b = entry!.config.b_info;
    return {
      domid: entry!.domid,
      targetMiB: (b.target_memkb as number) / 1024,
      maxMiB: (b.max_memkb as number) / 1024,
      maxVcpus: b.max_vcpus as number,
      disks: (entry!.config.disks ?? []).map((d) => `${d.vdev}=${d.pdev_path}`),
      bridges: (entry!.config.nics ?? []).map((n) => n.bridge),
    };
  }

  /** Hard affinity of each vCPU of `name`, from `xl vcpu-list`. */
  async hardAffinity(name: string): Promise<string[]> {
    const out = await this.run("xl", "vcpu-list", name);
    return out
      .split("\n")
      .slice(1)
      .filter((l) => l.trim() !== "")
      .map((l) => /(\S+)\s*\/\s*(\S+)\s*$/.exec(l)![1]!);
  }

  /** LV sizes in MiB by name, in the volume group. */
  async lvs(vg: string): Promise<Record<string, number>> {
    const out = await this.run("lvs", "--noheadings", "--units", "m", "--nosuffix", "-o", "lv_name,lv_size", vg);
    const sizes: Record<string, number> = {};
    for (const line of out.split("\n")) {
      const [name, size] = line.trim().split(/\s+/);
      if (name && size) sizes[name] = Number(size);
    }
    return sizes;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

/** The parts of `xl list -l` the scenarios check. */
export interface DomainView {
  readonly domid: number;
  readonly targetMiB: number;
  readonly maxMiB: number;
  readonly maxVcpus: number;
  readonly disks: readonly string[];
  readonly bridges: readonly string[];
}
