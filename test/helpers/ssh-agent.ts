/**
 * A real OpenSSH `ssh-agent` for tests, in the foreground (`-D`) as our child with its
 * socket in a temporary directory; `stop()` ends it by PID. Keys are added with the real
 * `ssh-add`. Free of vitest so that bench/ can use it too.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { waitUntil } from "./sshd.js";

const execFileP = promisify(execFile);

/** A running ssh-agent. */
export interface SshAgent {
  /** Value for SSH_AUTH_SOCK. */
  readonly socket: string;
  readonly pid: number;
  /** `ssh-add`s an unencrypted private key. */
  add(privateKeyPath: string): Promise<void>;
  /** `ssh-add -l` output (fingerprints of loaded keys). */
  list(): Promise<string>;
  /** Kills the agent by PID and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Starts ssh-agent; resolves once its socket exists. */
export async function startSshAgent(): Promise<SshAgent> {
  const dir = await mkdtemp(join(tmpdir(), "cdktf-xen-agent-"));
  const socket = join(dir, "agent.sock");
  const child = spawn("ssh-agent", ["-D", "-a", socket], { stdio: ["ignore", "ignore", "pipe"] });
  let exited = false;
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  child.once("exit", () => {
    exited = true;
  });
  await waitUntil(() => exited || existsSync(socket), 10_000);
  if (exited || !existsSync(socket)) {
    if (!exited) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`ssh-agent did not start: ${stderr}`);
  }
  const env = { ...process.env, SSH_AUTH_SOCK: socket };
  let stopped = false;
  return {
    socket,
    pid: child.pid!,
    add: async (path) => {
      await execFileP("ssh-add", [path], { env });
    },
    list: async () => (await execFileP("ssh-add", ["-l"], { env })).stdout,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (!exited) {
        child.kill("SIGTERM");
        await waitUntil(() => exited, 5_000);
        if (!exited) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
