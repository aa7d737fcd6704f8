/**
 * The deciding figures for a native provider's resource shape, through the REAL Terraform
 * binary and the BENCH PROVIDER (bench/provider-shapes/bench-provider.ts, which touches no
 * host): 1,000 domains on 50 hosts as
 *   A. per-domain: 50 `benchxen_host` + 1,000 `benchxen_domain` resources (15 attributes each:
 *      name, host ref, memory, max_memory, vcpus, max_vcpus, type, kernel, cmdline, a disk list
 *      of 1, a vif list of 1 with mac; computed domid, uuid, state, ipv4 list);
 *   B. per-host: 50 `benchxen_host_domains` resources, each a MAP-nested `domain` of 20 entries
 *      with the same attributes (computed ones inside).
 * For each: the first `apply` (computed attributes unknown at plan), a no-op `plan`, a `plan`
 * after changing one domain's memory; optionally plans whose ReadResource sleeps like a real
 * host read (per resource, or shared per host). Per run: wall time; Terraform's peak RSS
 * (VmHWM) and CPU, sampled from /proc while it runs; the time the provider spent in its RPC
 * handlers (decode, handler, encode; summed over calls, which overlap under -parallelism) and
 * its processes' CPU. "Terraform's own" = wall − handler time, a rough split.
 *
 * Runs after `npm run build`: `node dist/bench/provider-shapes.bench.js [--no-sleep]`.
 * No assertion on time.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { installProvider } from "../src/provider/protocol/install.js";

const HOSTS = 50;
const DOMAINS_PER_HOST = 20;
const READ_SLEEP_MS = 50;

interface Run {
  readonly shape: string;
  readonly step: string;
  readonly exit: number;
  readonly wallMs: number;
  readonly tfRssMiB: number;
  readonly tfCpuMs: number;
  readonly handlerMs: number;
  readonly providerCpuMs: number;
  readonly providerRssMiB: number;
  readonly rpcs: number;
}

function domainSpec(h: number, d: number): Record<string, unknown> {
  const name = `dom-${h}-${d}`;
  return {
    memory: 512,
    max_memory: 1024,
    vcpus: 2,
    max_vcpus: 4,
    type: "pvh",
    kernel: "/boot/vmlinuz-guest",
    cmdline: "console=hvc0 root=/dev/xvda",
    disk: [{ vdev: "xvda", target: `/dev/vg0/${name}` }],
    vif: [{ bridge: "xenbr0", mac: `00:16:3e:${(h & 0xff).toString(16).padStart(2, "0")}:${(d >> 8).toString(16).padStart(2, "0")}:${(d & 0xff).toString(16).padStart(2, "0")}` }],
  };
}

/** The Terraform JSON configuration of a shape; `bump` changes one domain's memory. */
function stack(shape: "A" | "B", bump: boolean): Record<string, unknown> {
  const resource: Record<string, Record<string, unknown>> = {};
  if (shape === "A") {
    const hosts: Record<string, unknown> = {};
    const domains: Record<string, unknown> = {};
    for (let h = 0; h < HOSTS; h += 1) {
      hosts[`h${h}`] = { name: `xen-${h}`, address: `10.0.${h}.1` };
      for (let d = 0; d < DOMAINS_PER_HOST; d += 1) {
        const spec = domainSpec(h, d);
        if (bump && h === 7 && d === 3) spec.memory = 1024;
        domains[`d${h}_${d}`] = { name: `dom-${h}-${d}`, host: `\${benchxen_host.h${h}.id}`, ...spec };
      }
    }
    resource.benchxen_host = hosts;
    resource.benchxen_domain = domains;
  } else {
    const hosts: Record<string, unknown> = {};
    for (let h = 0; h < HOSTS; h += 1) {
      const domain: Record<string, unknown> = {};
      for (let d = 0; d < DOMAINS_PER_HOST; d += 1) {
        const spec = domainSpec(h, d);
        if (bump && h === 7 && d === 3) spec.memory = 1024;
        domain[`dom-${h}-${d}`] = spec;
      }
      hosts[`h${h}`] = { host: `xen-${h}`, address: `10.0.${h}.1`, domain };
    }
    resource.benchxen_host_domains = hosts;
  }
  return {
    terraform: { required_providers: { benchxen: { source: "cdktf-xen.bench/bench/benchxen" } } },
    provider: { benchxen: {} },
    resource,
  };
}

/** utime+stime (ms) and VmHWM (KiB) of a running process, or null once it is gone. */
function sample(pid: number): { cpuMs: number; hwmKiB: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return { cpuMs, hwmKiB: hwm ? Number(hwm[1]) : 0 };
  } catch {
    return null;
  }
}

class Bench {
  readonly base = mkdtempSync(join(tmpdir(), "cdktf-xen-provider-shapes-"));
  readonly timingDir = join(this.base, "timing");

  constructor(readonly providerEntry: string) {
    mkdirSync(this.timingDir);
    writeFileSync(join(this.base, "empty.tfrc"), "");
    mkdirSync(join(this.base, "home"));
  }

  workspace(shape: string): string {
    const dir = join(this.base, shape);
    mkdirSync(dir);
    installProvider({ hostname: "cdktf-xen.bench", namespace: "bench", type: "benchxen", version: "0.0.1", pluginsDir: join(dir, "terraform.d", "plugins"), entry: this.providerEntry });
    return dir;
  }

  async tf(dir: string, args: string[], extraEnv: Record<string, string> = {}): Promise<{ exit: number; wallMs: number; tfRssMiB: number; tfCpuMs: number; out: string }> {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("TF_") && !k.startsWith("BENCH_")) env[k] = v;
    Object.assign(env, {
      HOME: join(this.base, "home"),
      TF_CLI_CONFIG_FILE: join(this.base, "empty.tfrc"),
      TF_IN_AUTOMATION: "1",
      CHECKPOINT_DISABLE: "1",
      BENCH_TIMING_DIR: this.timingDir,
      ...extraEnv,
    });
    const start = performance.now();
    const child = spawn("terraform", args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    // Kept as maxima: at its very end the process is a zombie whose status lacks VmHWM.
    const last = { cpuMs: 0, hwmKiB: 0 };
    const poll = setInterval(() => {
      const s = sample(child.pid!);
      if (s === null) return;
      last.cpuMs = Math.max(last.cpuMs, s.cpuMs);
      last.hwmKiB = Math.max(last.hwmKiB, s.hwmKiB);
    }, 50);
    const exit = await new Promise<number>((res) => child.on("close", (code) => res(code ?? 1)));
    clearInterval(poll);
    return { exit, wallMs: performance.now() - start, tfRssMiB: last.hwmKiB / 1024, tfCpuMs: last.cpuMs, out };
  }

  /** Sums, then clears, what the provider processes wrote at exit. */
  providerTiming(): { handlerMs: number; cpuMs: number; rssMiB: number; rpcs: number } {
    let handlerMs = 0;
    let cpuMs = 0;
    let rss = 0;
    let rpcs = 0;
    for (const f of readdirSync(this.timingDir)) {
      const t = JSON.parse(readFileSync(join(this.timingDir, f), "utf8")) as { timing: Record<string, { n: number; ms: number }>; cpuMs: number; maxRssKiB: number };
      for (const v of Object.values(t.timing)) {
        handlerMs += v.ms;
        rpcs += v.n;
      }
      cpuMs += t.cpuMs;
      rss = Math.max(rss, t.maxRssKiB);
      rmSync(join(this.timingDir, f));
    }
    return { handlerMs, cpuMs, rssMiB: rss / 1024, rpcs };
  }

  async measure(shape: string, step: string, dir: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
    this.providerTiming();
    const r = await this.tf(dir, args, env);
    // Provider processes write their figures at exit, which may trail Terraform's by a moment.
    await new Promise((res) => setTimeout(res, 300));
    const p = this.providerTiming();
    if (r.exit !== 0 && r.exit !== 2) throw new Error(`terraform ${args.join(" ")} (${shape}) failed:\n${r.out.slice(-3000)}`);
    return { shape, step, exit: r.exit, wallMs: r.wallMs, tfRssMiB: r.tfRssMiB, tfCpuMs: r.tfCpuMs, handlerMs: p.handlerMs, providerCpuMs: p.cpuMs, providerRssMiB: p.rssMiB, rpcs: p.rpcs };
  }

  cleanup(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

function providerEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const entry = join(here, "provider-shapes", "bench-provider.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first (the bench runs from dist/)`);
  return entry;
}

function table(runs: readonly Run[]): string[] {
  const head = ["shape", "step", "exit", "wall s", "tf RSS MiB", "tf CPU s", "handlers s", "tf own s", "provider CPU s", "provider RSS MiB", "RPCs"];
  const rows = runs.map((r) => [
    r.shape,
    r.step,
    String(r.exit),
    (r.wallMs / 1000).toFixed(2),
    r.tfRssMiB.toFixed(0),
    (r.tfCpuMs / 1000).toFixed(2),
    (r.handlerMs / 1000).toFixed(2),
    ((r.wallMs - r.handlerMs) / 1000).toFixed(2),
    (r.providerCpuMs / 1000).toFixed(2),
    r.providerRssMiB.toFixed(0),
    String(r.rpcs),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  return [line(head), `|${widths.map((w, i) => (i < 2 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`, ...rows.map(line)];
}

/** Runs the benchmark; returns the lines to print (bench/run.ts's contract). */
export async function benchProviderShapes(options: { sleep?: boolean } = {}): Promise<string[]> {
  const bench = new Bench(providerEntry());
  const runs: Run[] = [];
  try {
    for (const shape of ["A", "B"] as const) {
      const label = shape === "A" ? "A per-domain (1,050 res.)" : "B per-host (50 res.)";
      const dir = bench.workspace(shape);
      writeFileSync(join(dir, "main.tf.json"), JSON.stringify(stack(shape, false)));
      const init = await bench.tf(dir, ["init", "-input=false", "-no-color"]);
      if (init.exit !== 0) throw new Error(`terraform init (${shape}) failed:\n${init.out}`);
      bench.providerTiming();
      runs.push(await bench.measure(label, "apply (create all)", dir, ["apply", "-auto-approve", "-input=false", "-no-color"]));
      runs.push(await bench.measure(label, "no-op plan", dir, ["plan", "-input=false", "-no-color", "-detailed-exitcode"]));
      writeFileSync(join(dir, "main.tf.json"), JSON.stringify(stack(shape, true)));
      runs.push(await bench.measure(label, "plan, 1 memory changed", dir, ["plan", "-input=false", "-no-color", "-detailed-exitcode"]));
      writeFileSync(join(dir, "main.tf.json"), JSON.stringify(stack(shape, false)));
      if (options.sleep !== false) {
        const env = { BENCH_READ_SLEEP_MS: String(READ_SLEEP_MS) };
        runs.push(await bench.measure(label, `no-op plan, read ${READ_SLEEP_MS} ms each`, dir, ["plan", "-input=false", "-no-color", "-detailed-exitcode"], env));
        if (shape === "A") {
          runs.push(
            await bench.measure(label, `no-op plan, read ${READ_SLEEP_MS} ms shared/host`, dir, ["plan", "-input=false", "-no-color", "-detailed-exitcode"], {
              ...env,
              BENCH_READ_SHARED: "1",
            }),
          );
        }
      }
    }
  } finally {
    bench.cleanup();
  }
  return [
    `${HOSTS} hosts × ${DOMAINS_PER_HOST} domains through real Terraform (default -parallelism 10), local state; the bench provider touches no host.`,
    "exit: -detailed-exitcode (0 no changes, 2 changes). tf = the terraform process (peak RSS = VmHWM; provider processes not included).",
    "handlers = ms summed over the provider's RPCs (decode + handler + encode; overlapping calls add up); tf own = wall − handlers.",
    "",
    ...table(runs),
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchProviderShapes({ sleep: !process.argv.includes("--no-sleep") }).then(
    (lines) => {
      for (const l of lines) process.stdout.write(`${l}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
