/**
 * What one SSH round trip costs on loopback: the OpenSSH client (`ssh … true`, a new
 * process and connection each time, as a provisioner shelling out to ssh would pay) against
 * one Ssh2Transport connect + exec, and an exec on an already open Ssh2Transport (what every
 * command after the first costs). Against a real sshd started for the run; prints medians.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { median, timeEach } from "./timing.js";
import { Ssh2Transport } from "../src/ssh/ssh2-transport.js";
import { startSshd } from "../test/helpers/sshd.js";

const execFileP = promisify(execFile);



const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

/**
 * Runs the SSH benchmark and returns the lines to print.
 * @param n measured repetitions of each case @default 15
 */
export async function benchSsh(n = 15): Promise<string[]> {
  const sshd = await startSshd();
  try {
    const knownHosts = join(sshd.dir, "bench_known_hosts");
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostKeys.ed25519.publicKeyLine}\n`);
    const openssh = await timeEach(n, 2, async () => {
      await execFileP("ssh", [
        "-i", sshd.clientKey.path,
        "-p", String(sshd.port),
        "-o", `UserKnownHostsFile=${knownHosts}`,
        "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes",
        "-F", "/dev/null",
        "root@127.0.0.1",
        "true",
      ]);
    });
    const connectExec = await timeEach(n, 2, async () => {
      const t = new Ssh2Transport({ hostId: "bench", connection: sshd.connection() });
      try {
        await t.exec("true");
      } finally {
        await t.close();
      }
    });
    const reused = new Ssh2Transport({ hostId: "bench", connection: sshd.connection() });
    let execOnly: number[];
    try {
      execOnly = await timeEach(n * 2, 3, async () => {
        await reused.exec("true");
      });
    } finally {
      await reused.close();
    }
    return [
      `sshd on 127.0.0.1, Ed25519 host and client keys; medians of ${n} runs (${n * 2} for reuse), after warm-up`,
      `openssh client \`ssh … root@127.0.0.1 true\` (process + connect + exec): ${fmt(median(openssh))}`,
      `Ssh2Transport connect + exec \`true\` + close:                         ${fmt(median(connectExec))}`,
      `Ssh2Transport exec \`true\` on an open connection:                     ${fmt(median(execOnly))}`,
    ];
  } finally {
    await sshd.stop();
  }
}
