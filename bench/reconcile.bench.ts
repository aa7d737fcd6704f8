/**
 * What a reconcile costs a host, against a real sshd on loopback whose sessions run the FAKE
 * Xen toolstack (test/helpers/fake-xen): for stacks of 1, 10 and 100 domains on one host,
 * the SSH connections and remote commands (counted server-side, from sshd's own log) of
 * `cdktf-xen plan` and `cdktf-xen apply` (the built CLI as a child process): the goal is one
 * connection and at most three commands per host, whatever the number of domains. Then the
 * per-run overhead a provisioner adds: `cdktf-xen apply-host` on an up-to-date host against a
 * bare `ssh host true`, and `cdktf-xen --version` against `node -e 0`.
 *
 * The fake's tools are Node scripts (~0.1 s each): apply times measure the fake as much as
 * cdktf-xen, so they are printed for orientation only. No assertions.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { median, timeEach } from "./timing.js";
import { ensureBuilt, runCli, type CliResult } from "../test/helpers/cli.js";
import { hostPathsInUse } from "../test/helpers/fake-xen/index.js";
import { FAKE_POOL, startFakeXenRig, type FakeXenRig } from "../test/helpers/fake-xen/rig.js";
import { snapshotCommand } from "../src/xl/snapshot.js";
import { stackResource, synthFakeStack, type StackDomain } from "../test/helpers/fake-xen/stack.js";

const execFileP = promisify(execFile);



/** What sshd and the fake saw during `fn`. */
async function counted(rig: FakeXenRig, fn: () => Promise<CliResult>): Promise<{ result: CliResult; connections: number; commands: number; tools: number; ms: number }> {
  const sessions = (): number => rig.sshd.log().split("\n").filter((l) => l.startsWith("Starting session: command")).length;
  const c0 = rig.sshd.connectionCount();
  const s0 = sessions();
  const t0 = rig.fake.calls().length;
  const start = performance.now();
  const result = await fn();
  const ms = performance.now() - start;
  // sshd logs a session's start before the client sees its output; nothing is in flight here.
  return { result, connections: rig.sshd.connectionCount() - c0, commands: sessions() - s0, tools: rig.fake.calls().length - t0, ms };
}

function check(what: string, r: CliResult, codes: readonly number[]): void {
  if (!codes.includes(r.code)) throw new Error(`${what} exited ${r.code}: ${r.stderr}`);
}

/** Runs the benchmark and returns the lines to print. */
export async function benchReconcile(): Promise<string[]> {
  const busy = hostPathsInUse();
  if (busy !== null) return [`skipped: ${busy}`];
  ensureBuilt();
  const rig = await startFakeXenRig();
  const outRoot = mkdtempSync(join(tmpdir(), "cdktf-xen-bench-reconcile-"));
  const lines: string[] = [
    "real sshd on 127.0.0.1, FAKE Xen toolstack on its PATH; counts are server-side (sshd log); `cdktf-xen` runs as a child process",
    "domains | command          | exit | SSH conns | remote cmds | fake xl/LVM runs | wall",
  ];
  const row = (n: number, what: string, c: Awaited<ReturnType<typeof counted>>): string =>
    `${String(n).padStart(7)} | ${what.padEnd(16)} | ${String(c.result.code).padStart(4)} | ${String(c.connections).padStart(9)} | ${String(c.commands).padStart(11)} | ${String(c.tools).padStart(16)} | ${(c.ms / 1000).toFixed(1)} s`;
  try {
    for (const n of [1, 10, 100]) {
      rig.fake.reset();
      const domains: StackDomain[] = Array.from({ length: n }, (_, i) => ({
        name: `dom-${String(i + 1).padStart(3, "0")}`,
        memoryMiB: 64,
        maxMemoryMiB: 128,
        diskMiB: 64,
      }));
      const dir = synthFakeStack(join(outRoot, `n${n}`), rig.connection(), domains);
      const plan = await counted(rig, () => runCli(["plan", dir, "--detailed-exitcode"], { timeoutMs: 600_000 }));
      check("plan", plan.result, [2]);
      lines.push(row(n, "plan (new host)", plan));
      const apply = await counted(rig, () => runCli(["apply", dir, "--auto-approve"], { timeoutMs: 900_000 }));
      check("apply", apply.result, [0]);
      lines.push(row(n, "apply (creates)", apply));
      const noop = await counted(rig, () => runCli(["apply", dir, "--auto-approve"], { timeoutMs: 600_000 }));
      check("apply again", noop.result, [0]);
      lines.push(row(n, "apply (no-op)", noop));
      const again = await counted(rig, () => runCli(["plan", dir, "--detailed-exitcode"], { timeoutMs: 600_000 }));
      check("plan again", again.result, [0]);
      lines.push(row(n, "plan (in sync)", again));
    }

    // Per-run overhead of a provisioner: apply-host on an up-to-date host vs a bare ssh round trip.
    rig.fake.reset();
    const dir = synthFakeStack(join(outRoot, "provisioner"), rig.connection(), [{ name: "web-1" }]);
    const host = stackResource(dir, "host");
    const env = { CDKTF_XEN_INPUT: JSON.stringify(host.input), CDKTF_XEN_EXPECT: String(host.triggers.spec_hash) };
    check("apply-host", await runCli(["apply-host"], { cwd: dir, env }), [0]);
    const knownHosts = join(outRoot, "known_hosts");
    writeFileSync(knownHosts, `[127.0.0.1]:${rig.sshd.port} ${rig.sshd.hostKeys.ed25519.publicKeyLine}\n`);
    const sshRun = (command: string) => () =>
      execFileP(
        "ssh",
        [
          "-i", rig.sshd.clientKey.path,
          "-p", String(rig.sshd.port),
          "-o", `UserKnownHostsFile=${knownHosts}`,
          "-o", "StrictHostKeyChecking=yes",
          "-o", "BatchMode=yes",
          "-F", "/dev/null",
          "root@127.0.0.1",
          command,
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
    const ssh = await timeEach(7, 1, sshRun("true"));
    // The same read apply-host makes, through the OpenSSH client: what is left is cdktf-xen's own cost.
    const sshSnapshot = await timeEach(7, 1, sshRun(snapshotCommand([FAKE_POOL])));
    const applyHost = await timeEach(7, 1, async () => check("apply-host", await runCli(["apply-host"], { cwd: dir, env }), [0]));
    const version = await timeEach(10, 2, async () => check("--version", await runCli(["--version"]), [0]));
    const node = await timeEach(10, 2, () => execFileP(process.execPath, ["-e", "0"]));
    const ms = (v: number): string => `${v.toFixed(0)} ms`;
    lines.push(
      "",
      "per-run overhead (medians of 7, or 10 for startup, after warm-up):",
      `\`cdktf-xen apply-host\`, up-to-date host (process + connect + lock + read + diff): ${ms(median(applyHost))}`,
      `\`ssh root@127.0.0.1 true\` (OpenSSH client, one round trip):                         ${ms(median(ssh))}`,
      `\`ssh root@127.0.0.1 <the snapshot script>\` (the read alone, 7 fake tools):        ${ms(median(sshSnapshot))}`,
      `ratio apply-host / ssh true: ${(median(applyHost) / median(ssh)).toFixed(1)}x; apply-host / ssh snapshot: ${(median(applyHost) / median(sshSnapshot)).toFixed(2)}x`,
      `\`cdktf-xen --version\`: ${ms(median(version))}   \`node -e 0\`: ${ms(median(node))}   ratio ${(median(version) / median(node)).toFixed(2)}x`,
    );
    return lines;
  } finally {
    await rig.stop();
    rmSync(outRoot, { recursive: true, force: true });
  }
}
