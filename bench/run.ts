/**
 * `npm run bench`: prints the figures behind the project's speed and memory targets. Each
 * benchmark module returns the lines it prints; none of them asserts on time.
 */
type Bench = { readonly title: string; readonly load: () => Promise<() => Promise<string[]>> };

const benches: Bench[] = [
  { title: "diff engine: 1,000 domains on one host", load: async () => (await import("./diff.bench.js")).benchDiff },
  { title: "ssh: raw OpenSSH vs ssh2 transport", load: async () => (await import("./ssh.bench.js")).benchSsh },
  { title: "reconcile: SSH cost per host, provisioner overhead", load: async () => (await import("./reconcile.bench.js")).benchReconcile },
  { title: "synth: cdktf-xen fleet vs plain cdktf", load: async () => (await import("./synth.bench.js")).benchSynth },
  { title: "provider shapes: per-domain vs per-host through real Terraform", load: async () => (await import("./provider-shapes.bench.js")).benchProviderShapes },
  { title: "provider: 1,000 domains on 50 hosts through real Terraform", load: async () => (await import("./provider-fleet.bench.js")).benchProviderFleet },
];

async function run(): Promise<void> {
  const only = process.argv.slice(2);
  for (const bench of benches) {
    if (only.length > 0 && !only.some((o) => bench.title.includes(o))) continue;
    process.stdout.write(`\n## ${bench.title}\n`);
    const fn = await bench.load();
    for (const line of await fn()) process.stdout.write(`${line}\n`);
  }
}

run().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
