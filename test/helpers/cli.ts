/**
 * Runs the real `cdktf-xen` program (bin/cdktf-xen.js -> dist/src/cli/main.js) as a child
 * process, as Terraform's provisioners and people do. {@link ensureBuilt} compiles dist/ first
 * when it is older than the sources.
 *
 * Free of vitest so that bench/ can use it too.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the repository (holds package.json and bin/). */
export const REPO_ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "bin", "cdktf-xen.js"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find bin/cdktf-xen.js above the test helpers");
    dir = up;
  }
  return dir;
})();

/** The CLI's entry point. */
export const CLI_BIN = join(REPO_ROOT, "bin", "cdktf-xen.js");

/** What a CLI run printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Makes sure dist/src is at least as new as src/ (runs `tsc -p tsconfig.json` otherwise,
 * keeping its output even when files outside the CLI's import graph have type errors).
 * @throws Error when dist/src/cli/main.js is still missing afterwards
 */
export function ensureBuilt(): void {
  const main = join(REPO_ROOT, "dist", "src", "cli", "main.js");
  const stale = !existsSync(main) || newestMtime(join(REPO_ROOT, "src")) > newestMtime(join(REPO_ROOT, "dist", "src"));
  if (!stale) return;
  try {
    execFileSync(process.execPath, [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], {
      cwd: REPO_ROOT,
      stdio: "pipe",
    });
  } catch {
    // Type errors elsewhere still emit JavaScript; whether the CLI is there is checked below.
  }
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\``);
}

/** Runs `cdktf-xen ARGS` to completion. */
export function runCli(
  args: readonly string[],
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      {
        cwd: options.cwd ?? REPO_ROOT,
        env: { ...process.env, NO_COLOR: "1", ...options.env },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Starts `cdktf-xen ARGS` without waiting (to kill it mid-run). */
export function spawnCli(args: readonly string[], options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** What a CLI run on a terminal printed (stdout and stderr together, as a terminal shows them). */
export interface TerminalResult {
  readonly code: number;
  readonly output: string;
  /** True once the program asked for a value (Terraform's `Enter a value:`). */
  readonly asked: boolean;
}

/**
 * Runs `cdktf-xen ARGS` on a real pseudo-terminal (util-linux `script`), as a person at a
 * shell: when it asks `Enter a value:`, types `answer` and Enter.
 */
export function runCliOnTerminal(
  args: readonly string[],
  answer: string,
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number } = {},
): Promise<TerminalResult> {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, CLI_BIN, ...args].map(quote).join(" ");
  return new Promise((resolve) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    let asked = false;
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    const onData = (d: Buffer): void => {
      output += d.toString("utf8");
      if (!asked && output.includes("Enter a value: ")) {
        asked = true;
        child.stdin.write(`${answer}\n`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("close", (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code: code ?? -1, output, asked });
    });
  });
}
