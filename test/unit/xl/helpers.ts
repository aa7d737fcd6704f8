/**
 * Test helpers for the xl layer: real Xen 4.17 captures from test/fixtures, and the
 * libxlutil oracle (a tiny C program linked against Xen's own config parser).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, "..", "..", "fixtures");

export type Capture = "xen-4.17" | "xen-4.17-capture2";

/** The text of a captured file, e.g. fixture("xen-4.17", "xl-list.out"). */
export function fixture(capture: Capture, file: string): string {
  return readFileSync(join(FIXTURES, capture, file), "utf8");
}

export function fixturePath(capture: Capture, file: string): string {
  return join(FIXTURES, capture, file);
}

/** INDEX.tsv rows: name -> { rc, command }. */
export function fixtureIndex(capture: Capture): Map<string, { rc: number; command: string }> {
  const rows = fixture(capture, "INDEX.tsv").trim().split("\n").slice(1);
  return new Map(
    rows.map((r) => {
      const [name, rc, , command] = r.split("\t");
      return [name!, { rc: Number(rc), command: command! }];
    }),
  );
}

/** Runs `sh -c script` with args, returning stdout as bytes. */
export function sh(script: string, args: readonly string[] = [], env?: NodeJS.ProcessEnv): { stdout: Buffer; stderr: string; status: number | null } {
  const r = spawnSync("/bin/sh", ["-c", script, "sh", ...args], { env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
  return { stdout: r.stdout, stderr: r.stderr.toString("utf8"), status: r.status };
}

let oracle: string | null | undefined;

/**
 * Path of the compiled libxlutil oracle, or null when this machine has no libxen-dev
 * (`apt-get install libxen-dev gcc`): the oracle tests are then skipped, and say so.
 */
export function xluOracle(): string | null {
  if (oracle !== undefined) return oracle;
  oracle = null;
  if (!existsSync("/usr/include/libxlutil.h")) return oracle;
  const out = join(mkdtempSync(join(tmpdir(), "xlu-oracle-")), "xlu-oracle");
  try {
    execFileSync("cc", ["-O1", "-o", out, join(here, "oracle", "xlu-oracle.c"), "-lxlutil", "-lxenlight"], { stdio: "pipe" });
    oracle = out;
  } catch {
    oracle = null;
  }
  return oracle;
}

/** What Xen's libxlutil reads from a config file for the given keys. */
export interface OracleResult {
  readonly parseError?: number;
  readonly keys?: Record<
    string,
    | null
    | { string: string; long?: number }
    | {
        list: (string | null)[];
        disks?: ({ error: number } | { pdev_path: string | null; vdev: string | null; format: string; readwrite: number; is_cdrom: number })[];
        rates?: (null | { error: number } | { bytes_per_interval: number; interval_usecs: number })[];
      }
  >;
}

export function runOracle(oraclePath: string, cfgFile: string, keys: readonly string[]): OracleResult {
  const r = spawnSync(oraclePath, [cfgFile, ...keys], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`oracle failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as OracleResult;
}
