/**
 * Synthesis cost of a cdktf-xen fleet against plain cdktf producing the same number of
 * `terraform_data` resources: wall time of building the constructs and of `app.synth()`
 * (validation included, writing cdk.tf.json), and the process's peak resident memory.
 *
 * Each measurement runs in its own child process (this module, started with `--child`), so
 * that peak RSS (`process.resourceUsage().maxRSS`) belongs to that program alone and no run
 * warms the next one's heap or JIT.
 *
 * The fleets: N domains, 50 per host (the spread DESIGN.md measures Terraform with), each
 * with its own LVM volume, two vCPUs pinned, a vif; so 3 resources per domain plus one per
 * host. The baselines synthesize exactly as many `terraform_data` resources:
 * - "plain": cdktf `DataResource` with a one-key trigger, validation skipped — the floor of
 *   what cdktf costs for that many resources;
 * - "same JSON": the same count with trigger/input objects as large as ours (a domain spec
 *   each), to separate cdktf's cost of writing that data from cdktf-xen's own overhead.
 * cdktf's own validation of `DataResource` runs `terraform version` once per resource (tens of
 * ms each); that figure is printed per resource rather than run for 30,000 resources.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Domains per host in the benchmark fleets. */
const DOMAINS_PER_HOST = 50;

type Program = "cdktf-xen" | "plain" | "same-json" | "dataresource-validated";

interface Measurement {
  readonly program: Program;
  readonly domains: number;
  readonly resources: number;
  readonly constructMs: number;
  readonly synthMs: number;
  readonly maxRssMiB: number;
}

/** Runs the synth benchmark; returns the lines to print. */
export async function benchSynth(): Promise<string[]> {
  const lines: string[] = [
    `fleet: ${String(DOMAINS_PER_HOST)} domains per host, each with a volume, 2 pinned vCPUs and a vif (3 terraform_data per domain + 1 per host)`,
    "program            domains  resources  construct ms  synth ms  total ms  peak RSS MiB  vs plain (time / RSS)",
  ];
  for (const domains of [1_000, 10_000]) {
    const plain = await runChild("plain", domains);
    const sameJson = await runChild("same-json", domains);
    const ours = await runChild("cdktf-xen", domains);
    for (const m of [plain, sameJson, ours]) lines.push(formatRow(m, plain));
    lines.push(
      `  => cdktf-xen / plain: ${ratio(total(ours), total(plain))} time, ${ratio(ours.maxRssMiB, plain.maxRssMiB)} peak RSS; ` +
        `cdktf-xen / same JSON: ${ratio(total(ours), total(sameJson))} time, ${ratio(ours.maxRssMiB, sameJson.maxRssMiB)} peak RSS (goal <= 1.2x)`,
    );
  }
  const validated = await runChild("dataresource-validated", 20);
  lines.push(
    `cdktf DataResource with its own validation (spawns \`terraform version\` per resource): ${(
      (validated.constructMs + validated.synthMs) / validated.resources
    ).toFixed(1)} ms per resource (${String(validated.resources)} resources); cdktf-xen does not use it`,
  );
  return lines;
}

function total(m: Measurement): number {
  return m.constructMs + m.synthMs;
}

function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}

function formatRow(m: Measurement, plain: Measurement): string {
  return [
    m.program.padEnd(18),
    String(m.domains).padStart(7),
    String(m.resources).padStart(10),
    m.constructMs.toFixed(0).padStart(13),
    m.synthMs.toFixed(0).padStart(9),
    total(m).toFixed(0).padStart(9),
    m.maxRssMiB.toFixed(0).padStart(13),
    `  ${ratio(total(m), total(plain))} / ${ratio(m.maxRssMiB, plain.maxRssMiB)}`,
  ].join(" ");
}

function runChild(program: Program, domains: number): Promise<Measurement> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [self, "--child", program, String(domains)],
      // 10,000 domains take a few GB of heap in cdktf's token resolution.
      { maxBuffer: 1 << 20, env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=8192" } },
      (err, stdout, stderr) => {
        if (err !== null) {
          reject(new Error(`bench child ${program} ${String(domains)} failed: ${err.message}\n${stderr}`));
          return;
        }
        resolve(JSON.parse(stdout.trim().split("\n").pop() ?? "") as Measurement);
      },
    );
  });
}

async function child(program: Program, domains: number): Promise<void> {
  const lib = await import("../src/index.js");
  const cdktf = await import("../src/cdktf.js");
  const outdir = mkdtempSync(join(tmpdir(), "cdktf-xen-bench-"));
  try {
    const hosts = Math.ceil(domains / DOMAINS_PER_HOST);
    const resources = program === "dataresource-validated" ? domains : 3 * domains + hosts;
    const t0 = performance.now();
    const app = new cdktf.App({ outdir, skipValidation: program === "plain" || program === "same-json" });
    const stack = new cdktf.TerraformStack(app, "bench");
    new cdktf.LocalBackend(stack, { path: "terraform.tfstate" });

    if (program === "cdktf-xen") {
      let host: InstanceType<typeof lib.XenHost> | undefined;
      let pool: InstanceType<typeof lib.XenStoragePool> | undefined;
      for (let i = 0; i < domains; i++) {
        if (i % DOMAINS_PER_HOST === 0) {
          const h = i / DOMAINS_PER_HOST;
          host = new lib.XenHost(stack, `xen-${String(h)}`, {
            address: `10.${String(h >> 8)}.${String(h & 255)}.1`,
            privateKeyPath: "~/.ssh/id_ed25519",
            hostKey: `SHA256:${"A".repeat(43)}`,
            cpus: 64,
            memory: lib.Size.gibibytes(1024),
          });
          pool = new lib.XenStoragePool(stack, `xen-${String(h)}-vg0`, { host, name: "vg0", lvmVolumeGroup: "vg0" });
        }
        if (host === undefined || pool === undefined) throw new Error("unreachable");
        const root = new lib.XenVolume(stack, `vm-${String(i)}-root`, { pool, size: lib.Size.gibibytes(10) });
        const domain = new lib.XenDomain(stack, `vm-${String(i)}`, {
          host,
          type: lib.DomainType.PV,
          vcpus: 2,
          memory: lib.Size.gibibytes(2),
          kernel: "/var/lib/xen/boot/vmlinuz-guest",
          cmdline: "console=hvc0 root=/dev/xvda ro",
          disks: [{ volume: root, vdev: "xvda" }],
          networks: [{ bridge: "xenbr0" }],
        });
        const cpu = (2 * i) % 64;
        new lib.XenVcpuPin(stack, `vm-${String(i)}-pins`, { domain, pins: { 0: String(cpu), 1: String(cpu + 1) } });
      }
    } else if (program === "same-json") {
      const spec = sampleSpec();
      for (let i = 0; i < resources; i++) {
        new cdktf.DataResource(stack, `r${String(i)}`, {
          triggersReplace: { cdktf_xen: "domain-config", host: "bench/xen-0", spec: { ...spec, name: `vm-${String(i)}` } },
          input: { cdktf_xen: "domain", connection: sampleConnection() },
        });
      }
    } else {
      for (let i = 0; i < resources; i++) {
        new cdktf.DataResource(stack, `r${String(i)}`, { triggersReplace: { name: `r${String(i)}` } });
      }
    }
    const t1 = performance.now();
    app.synth();
    const t2 = performance.now();
    const m: Measurement = {
      program,
      domains,
      resources,
      constructMs: t1 - t0,
      synthMs: t2 - t1,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
    process.stdout.write(`${JSON.stringify(m)}\n`);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function sampleConnection(): Record<string, unknown> {
  return {
    address: "10.0.0.1",
    hostKey: `SHA256:${"A".repeat(43)}`,
    knownHostsFile: null,
    passphraseEnv: null,
    port: 22,
    privateKeyPath: "~/.ssh/id_ed25519",
    user: "root",
  };
}

function sampleSpec(): Record<string, unknown> {
  return {
    autostart: true,
    boot: { cmdline: "console=hvc0 root=/dev/xvda ro", kernel: "/var/lib/xen/boot/vmlinuz-guest", kind: "kernel", ramdisk: null },
    cpuid: null,
    cpupool: null,
    disks: [{ access: "rw", devtype: "disk", format: "raw", target: "/dev/vg0/vm-root", vdev: "xvda", volume: "vg0/vm-root" }],
    hvm: null,
    maxMemoryMiB: 2048,
    maxVcpus: 2,
    memoryMiB: 2048,
    name: "vm",
    onCrash: "destroy",
    onPoweroff: "destroy",
    onReboot: "restart",
    pins: [
      { hard: "0", soft: "all", vcpu: 0 },
      { hard: "1", soft: "all", vcpu: 1 },
    ],
    scheduler: { cap: 0, weight: 256 },
    type: "pv",
    updatePolicy: "pending",
    vcpus: 2,
    vifs: [{ bridge: "xenbr0", mac: null, model: null, rate: null }],
  };
}

if (process.argv[2] === "--child") {
  child(process.argv[3] as Program, Number(process.argv[4])).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
