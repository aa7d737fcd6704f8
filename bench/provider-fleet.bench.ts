/**
 * The native provider at fleet size through the real Terraform binary: 1,000 domains on 50
 * hosts as 50 `xen_host` resources, the hosts SIMULATED (./provider-fleet/simulated-hosts.ts:
 * the diff engine's host model, 1 s of "xl create" per booted domain). Each run is split into
 * the provider's busy time (some RPC in flight) and the rest, which is Terraform's own.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const HOSTS = 50;
const PER_HOST = 20;
const DOMAIN_MS = 1000;

interface RunFigures {
  readonly wallS: number;
  readonly rssMiB: number;
  readonly busyS: number;
  readonly processes: number;
  readonly maxHostsPerProcess: number;
  readonly exit: number;
}

async function synth(outdir: string, memoryOf: (host: number, i: number) => number): Promise<string> {
  const lib = await import("../src/index.js");
  const cdktf = await import("../src/cdktf.js");
  const app = new cdktf.App({ outdir });
  const stack = new cdktf.TerraformStack(app, "fleet");
  new cdktf.LocalBackend(stack, { path: "terraform.tfstate" });
  for (let h = 0; h < HOSTS; h++) {
    const host = new lib.XenHost(stack, `xen-${String(h)}`, {
      address: `10.77.${String(Math.floor(h / 250))}.${String((h % 250) + 1)}`,
      hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8",
      lifecycleResource: lib.LifecycleResource.PROVIDER,
    });
    const pool = new lib.XenStoragePool(stack, `xen-${String(h)}-vg0`, { host, lvmVolumeGroup: "vg0" });
    for (let i = 0; i < PER_HOST; i++) {
      const name = `vm-${String(h)}-${String(i)}`;
      const root = new lib.XenVolume(stack, `${name}-root`, { pool, size: lib.Size.gibibytes(10) });
      new lib.XenDomain(stack, name, {
        host,
        type: lib.DomainType.PVH,
        vcpus: 2,
        maxVcpus: 4,
        memory: lib.Size.mebibytes(memoryOf(h, i)),
        maxMemory: lib.Size.gibibytes(4),
        kernel: "/var/lib/xen/boot/vmlinuz",
        cmdline: "console=hvc0 root=/dev/xvda",
        disks: [{ volume: root, vdev: "xvda" }],
        networks: [{ bridge: "xenbr0" }],
      });
    }
  }
  app.synth();
  return join(outdir, "stacks", "fleet", "cdk.tf.json");
}

function terraform(dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<{ exit: number; wallS: number; rssMiB: number; out: string }> {
  return new Promise((resolve) => {
    execFile("/usr/bin/time", ["-f", "@@time %e %M", "terraform", ...args], { cwd: dir, env, maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      const m = /@@time ([\d.]+) (\d+)/.exec(stderr);
      const exit = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1;
      resolve({ exit, wallS: Number(m?.[1] ?? NaN), rssMiB: Number(m?.[2] ?? NaN) / 1024, out: `${stdout}${stderr}` });
    });
  });
}

function statsSince(file: string, from: number): { lines: { busyMs: number; hosts: number }[]; next: number } {
  if (!existsSync(file)) return { lines: [], next: from };
  const all = readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
  return { lines: all.slice(from).map((l) => JSON.parse(l) as { busyMs: number; hosts: number }), next: all.length };
}

export async function benchProviderFleet(): Promise<string[]> {
  if (process.env.CDKTF_XEN_BENCH_SKIP_TERRAFORM === "1") return ["skipped (CDKTF_XEN_BENCH_SKIP_TERRAFORM=1)"];
  const { installProvider } = await import("../src/provider/xen/install.js");
  const base = mkdtempSync(join(tmpdir(), "cdktf-xen-provider-fleet-"));
  const work = join(base, "stack");
  const stats = join(base, "stats.jsonl");
  const entry = fileURLToPath(new URL("./provider-fleet/sim-provider.js", import.meta.url));
  const lines: string[] = [
    `fleet: ${String(HOSTS * PER_HOST)} domains on ${String(HOSTS)} hosts = ${String(HOSTS)} xen_host resources; SIMULATED hosts, ${String(DOMAIN_MS)} ms of xl create per domain, serial per host; terraform -parallelism=10 (its default)`,
    "run                              exit  wall s  provider busy s  terraform's own s  terraform peak RSS MiB  hosts per provider process",
  ];
  try {
    const t0 = performance.now();
    const file = await synth(join(base, "synth-1"), () => 512);
    const synthS = (performance.now() - t0) / 1000;
    const { mkdirSync } = await import("node:fs");
    mkdirSync(work, { recursive: true });
    copyFileSync(file, join(work, "cdk.tf.json"));
    const sizeMB = readFileSync(file).length / 1e6;
    installProvider({ pluginsDir: join(work, "terraform.d", "plugins"), entry });
    const rc = join(base, "terraformrc");
    writeFileSync(rc, "");
    const env = {
      ...process.env,
      TF_CLI_CONFIG_FILE: rc,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      CDKTF_XEN_SIM_DIR: join(base, "hosts"),
      CDKTF_XEN_SIM_STATS: stats,
      CDKTF_XEN_SIM_DOMAIN_MS: String(DOMAIN_MS),
    };
    let mark = 0;
    const figures = async (label: string, args: string[]): Promise<RunFigures> => {
      const r = await terraform(work, env, args);
      const s = statsSince(stats, mark);
      mark = s.next;
      const busyS = s.lines.reduce((a, l) => a + l.busyMs, 0) / 1000;
      const f: RunFigures = {
        wallS: r.wallS,
        rssMiB: r.rssMiB,
        busyS,
        processes: s.lines.length,
        maxHostsPerProcess: Math.max(0, ...s.lines.map((l) => l.hosts)),
        exit: r.exit,
      };
      if (r.exit !== 0 && r.exit !== 2) throw new Error(`${label} failed (exit ${String(r.exit)}):\n${r.out.slice(-3000)}`);
      lines.push(
        [
          label.padEnd(32),
          String(f.exit).padStart(4),
          f.wallS.toFixed(1).padStart(7),
          f.busyS.toFixed(1).padStart(16),
          (f.wallS - f.busyS).toFixed(1).padStart(18),
          f.rssMiB.toFixed(0).padStart(23),
          `${String(f.maxHostsPerProcess)} (${String(f.processes)} processes)`.padStart(27),
        ].join(" "),
      );
      return f;
    };
    await figures("terraform init", ["init", "-input=false", "-no-color"]);
    const first = await figures("first apply", ["apply", "-input=false", "-no-color", "-auto-approve"]);
    const noop = await figures("no-op plan -detailed-exitcode", ["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    const changed = await synth(join(base, "synth-2"), (h, i) => (h === 7 && i === 3 ? 1024 : 512));
    copyFileSync(changed, join(work, "cdk.tf.json"));
    const one = await figures("one-domain change plan", ["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    const own = first.wallS - first.busyS;
    lines.push(
      `synth: ${synthS.toFixed(1)} s, cdk.tf.json ${sizeMB.toFixed(1)} MB`,
      `goal: Terraform's own time <= 10% of the first deploy: ${own.toFixed(1)} s of ${first.wallS.toFixed(1)} s = ${((100 * own) / first.wallS).toFixed(1)}%`,
      `goal: no-op plan of the whole fleet <= 5 s: ${noop.wallS.toFixed(1)} s (exit ${String(noop.exit)}; 0 = in sync)`,
      `one-domain change: ${one.wallS.toFixed(1)} s (exit ${String(one.exit)}; 2 = changes)`,
      `goal: SSH connections = hosts: each provider process opens at most one per host it touches (${String(first.maxHostsPerProcess)} of ${String(HOSTS)} hosts in the busiest process); the real sshd count is checked in test/provider/xen`,
    );
    return lines;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
