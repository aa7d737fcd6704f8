/**
 * migrationJobScript run for real: `/bin/sh -s` on this machine with the script on stdin, as
 * the source dom0 runs it over SSH. Only `xl` is FAKE (first on PATH): it records its argv,
 * waits (for a gate file and/or a configurable time), prints configurable output and exits
 * with a configurable status. setsid, mkdir, chmod, mv, cat, sleep and the files in
 * /run/cdktf-xen/migrate are the real ones; each test uses a domain name of its own
 * (`jobtest-<random>`) and removes its files afterwards.
 *
 * Ordering comes from the gate, never from durations: a job is held until the test has seen
 * what it needs (xl started, the waiting shell killed, a second run waiting) and then released.
 * The polls below only bound how long a test may hang; no assertion is about time.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  MIGRATION_RUN_DIR,
  classifyMigrationFailure,
  hopSshArgv,
  knownHostsContent,
  migrationJobPaths,
  migrationJobResult,
  migrationJobScript,
  type MigrationHop,
} from "../../../src/xl/migrate.js";

const ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

/** A hop in key mode whose key path needs every kind of quoting (space, both quotes, `$`). */
const KEY_HOP: MigrationHop = {
  address: "192.168.77.2",
  port: 2222,
  user: "migrator",
  hostKey: { type: "ssh-ed25519", base64: ED25519 },
  identityFile: `/root/.ssh/it's a "key" $HOME`,
};
/** The same target, reached with the forwarded agent. */
const AGENT_HOP: MigrationHop = { ...KEY_HOP, port: 22, user: "root", identityFile: null };

/** What the fake xl is told to do, through the environment the job inherits. */
interface FakeXlBehaviour {
  /** Exit status. @default 0 */
  readonly rc?: number;
  /** @default "" */
  readonly stdout?: string;
  /** @default "" */
  readonly stderr?: string;
  /** Sleep before exiting, ms. @default 0 */
  readonly sleepMs?: number;
  /** Wait until this file exists before sleeping and exiting. @default - no gate */
  readonly gate?: string;
}

/** The fake xl's body (CommonJS, run by this node). */
const FAKE_XL_JS = `// FAKE xl (cdktf-xen test double, not Xen): see test/unit/xl/migrate-job.test.ts
"use strict";
const fs = require("node:fs");
const env = process.env;
fs.appendFileSync(env.FAKE_XL_RECORD, JSON.stringify({ argv: process.argv.slice(2), pid: process.pid }) + "\\n");
const finish = () => {
  process.stdout.write(env.FAKE_XL_STDOUT ?? "");
  process.stderr.write(env.FAKE_XL_STDERR ?? "");
  process.exitCode = Number(env.FAKE_XL_RC ?? "0");
};
const wait = () => {
  if (env.FAKE_XL_GATE && !fs.existsSync(env.FAKE_XL_GATE)) return void setTimeout(wait, 10);
  setTimeout(finish, Number(env.FAKE_XL_SLEEP_MS ?? "0"));
};
wait();
`;

/** Prints its arguments as a JSON list: how /bin/sh split a command line. */
const PRINT_ARGV_JS = `process.stdout.write(JSON.stringify(process.argv.slice(2)));\n`;

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running `sh -s` with the job script on stdin. */
interface Run {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Output so far. */
  stderr(): string;
  readonly done: Promise<Finished>;
}

let work: string;
let binDir: string;
let printArgv: string;
let hadRunDir: boolean;
let hadMigrateDir: boolean;
const names: string[] = [];

function newName(): string {
  const name = `jobtest-${randomBytes(4).toString("hex")}`;
  names.push(name);
  return name;
}

/** One fake-xl call record file and one gate file per domain name. */
const recordOf = (name: string): string => join(work, `${name}.calls.jsonl`);
const gateOf = (name: string): string => join(work, `${name}.gate`);

function xlCalls(name: string): { argv: string[]; pid: number }[] {
  if (!existsSync(recordOf(name))) return [];
  return readFileSync(recordOf(name), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { argv: string[]; pid: number });
}

/** Runs the job script through `/bin/sh -s` in a process group of its own (like an SSH session). */
function runScript(name: string, hop: MigrationHop, timeoutSec: number, xl: FakeXlBehaviour = {}): Run {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${binDir}:${process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}`,
    FAKE_XL_RECORD: recordOf(name),
    FAKE_XL_RC: String(xl.rc ?? 0),
    FAKE_XL_STDOUT: xl.stdout ?? "",
    FAKE_XL_STDERR: xl.stderr ?? "",
    FAKE_XL_SLEEP_MS: String(xl.sleepMs ?? 0),
    FAKE_XL_GATE: xl.gate ?? "",
  };
  const child = spawn("/bin/sh", ["-s"], { detached: true, env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<Finished>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  child.stdin.end(migrationJobScript(name, hop, timeoutSec));
  return { child, stderr: () => stderr, done };
}

/** Polls `cond` until it holds; fails the test (saying what was awaited) after a generous bound. */
async function until(what: string, cond: () => boolean, boundMs = 30_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

const jobPid = (name: string): number => Number(readFileSync(migrationJobPaths(name).pid, "utf8").trim());

function rmdirIfEmpty(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // not empty (someone else's files) or already gone
  }
}

beforeAll(() => {
  hadRunDir = existsSync(dirname(MIGRATION_RUN_DIR));
  hadMigrateDir = existsSync(MIGRATION_RUN_DIR);
  work = mkdtempSync(join(tmpdir(), "cdktf-xen-migrate-job-"));
  binDir = join(work, "bin");
  mkdirSync(binDir);
  writeFileSync(join(work, "fake-xl.cjs"), FAKE_XL_JS);
  writeFileSync(join(binDir, "xl"), `#!/bin/sh\nexec ${process.execPath} ${join(work, "fake-xl.cjs")} "$@"\n`, { mode: 0o755 });
  printArgv = join(work, "print-argv.cjs");
  writeFileSync(printArgv, PRINT_ARGV_JS);
});

afterEach(async () => {
  for (const name of names.splice(0)) {
    // Release any job still held, end it if it still runs (only our own: its command line names
    // this test's domain), then remove its files.
    writeFileSync(gateOf(name), "");
    const p = migrationJobPaths(name);
    if (existsSync(p.pid)) {
      const pid = jobPid(name);
      try {
        if (alive(pid) && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(name)) process.kill(-pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    for (const f of [p.pid, p.rc, `${p.rc}.tmp`, p.log, p.knownHosts, p.lock]) rmSync(f, { force: true });
  }
});

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
  // Leave /run/cdktf-xen as found: the fake-Xen tests skip when it holds anything not theirs.
  if (!hadMigrateDir) rmdirIfEmpty(MIGRATION_RUN_DIR);
  if (!hadRunDir) rmdirIfEmpty(dirname(MIGRATION_RUN_DIR));
});

describe("migrationJobScript run by /bin/sh with a fake xl", { timeout: 60_000 }, () => {
  it.each([
    ["key mode, a key path needing quotes", KEY_HOP],
    ["agent mode", AGENT_HOP],
  ])(
    "GIVEN %s WHEN the script runs THEN xl gets `migrate -s SSH NAME ADDR` and SSH, split by /bin/sh as xl has it run, is exactly hopSshArgv",
    async (_what, hop) => {
      const name = newName();
      const r = await runScript(name, hop, 60).done;
      expect(r.code).toBe(0);

      const calls = xlCalls(name);
      expect(calls).toHaveLength(1);
      const argv = calls[0]!.argv;
      expect(argv).toHaveLength(5);
      expect([argv[0], argv[1], argv[3], argv[4]]).toEqual(["migrate", "-s", name, hop.address]);

      const split = spawnSync("/bin/sh", ["-c", `exec "$0" "$1" ${argv[2]!}`, process.execPath, printArgv], { encoding: "utf8" });
      expect(split.stderr).toBe("");
      expect(JSON.parse(split.stdout)).toEqual(hopSshArgv(hop, migrationJobPaths(name).knownHosts));
    },
  );

  it("GIVEN xl migrate succeeds WHEN the script runs THEN it prints rc=0 alone on stdout, the job's output on stderr, and leaves the rc, log and a 0600 known_hosts", async () => {
    const name = newName();
    const p = migrationJobPaths(name);
    const r = await runScript(name, AGENT_HOP, 60, {
      stdout: "migration target: Ready to receive domain.\n",
      stderr: "Saving to migration stream new xl format (info 0x3/0x0/1500)\nMigration successful.\n",
    }).done;

    expect(r).toMatchObject({ code: 0, signal: null, stdout: "@@cdktf-xen-migrate rc=0\n" });
    expect(migrationJobResult(r.stdout)).toBe(0);
    expect(r.stderr).toContain("migration target: Ready to receive domain.\n");
    expect(r.stderr).toContain("Migration successful.\n");

    expect(readFileSync(p.rc, "utf8")).toBe("0\n");
    expect(existsSync(`${p.rc}.tmp`)).toBe(false);
    expect(readFileSync(p.knownHosts, "utf8")).toBe(knownHostsContent(AGENT_HOP));
    expect(statSync(p.knownHosts).mode & 0o777).toBe(0o600);
    expect(statSync(p.dir).mode & 0o777).toBe(0o700);
  });

  it("GIVEN xl migrate fails with Xen's logdirty error WHEN the script runs THEN it reports that status and the message reaches stderr, where it is classified", async () => {
    const name = newName();
    const message = "xc: error: Failed to enable logdirty: 95,22,0: Internal error\nMigration failed, resuming at sender.\n";
    const r = await runScript(name, AGENT_HOP, 60, { rc: 1, stderr: message }).done;

    expect(r).toMatchObject({ code: 0, stdout: "@@cdktf-xen-migrate rc=1\n" });
    expect(migrationJobResult(r.stdout)).toBe(1);
    expect(r.stderr).toContain(message);
    expect(classifyMigrationFailure(r.stderr, { domain: name, source: "s/xen-a", target: "s/xen-b" }).cause).toContain("shadow paging");
  });

  it.each([2, 3, 255])("GIVEN xl exits %i WHEN the script runs THEN it reports that status", async (rc) => {
    const name = newName();
    const r = await runScript(name, AGENT_HOP, 60, { rc }).done;
    expect(migrationJobResult(r.stdout)).toBe(rc);
  });

  it("GIVEN a running job WHEN the waiting shell's process group is SIGKILLed (a dropped SSH session) THEN the job carries on and its rc file appears once xl ends", async () => {
    const name = newName();
    const p = migrationJobPaths(name);
    const run = runScript(name, KEY_HOP, 600, { rc: 0, gate: gateOf(name) });
    await until("the fake xl to start", () => xlCalls(name).length === 1);
    const job = jobPid(name);
    expect(existsSync(p.rc)).toBe(false);

    process.kill(-run.child.pid!, "SIGKILL");
    const killed = await run.done;
    expect(killed.signal).toBe("SIGKILL");
    expect(migrationJobResult(killed.stdout)).toBeUndefined();
    // The waiting shell is gone; the job (a session of its own) and xl are not.
    expect(alive(job)).toBe(true);
    expect(alive(xlCalls(name)[0]!.pid)).toBe(true);
    expect(existsSync(p.rc)).toBe(false);

    writeFileSync(gateOf(name), "");
    await until("the job's rc file", () => existsSync(p.rc));
    expect(readFileSync(p.rc, "utf8")).toBe("0\n");
    await until("the job to exit", () => !alive(job));
    expect(xlCalls(name)).toHaveLength(1);
  });

  it("GIVEN a job of an earlier run still running WHEN the script runs again THEN it starts no second xl, says it waits, and reports the first job's status", async () => {
    const name = newName();
    const first = runScript(name, AGENT_HOP, 600, { rc: 3, stderr: "first job's output\n", gate: gateOf(name) });
    await until("the first xl to start", () => xlCalls(name).length === 1);

    // Told to succeed: whatever it reports can only come from the first job.
    const second = runScript(name, AGENT_HOP, 600, { rc: 0 });
    await until("the second run to wait", () => second.stderr().includes(`an earlier migration of ${name} is still running: waiting for it`));
    expect(xlCalls(name)).toHaveLength(1);

    writeFileSync(gateOf(name), "");
    const [a, b] = await Promise.all([first.done, second.done]);
    expect(a).toMatchObject({ code: 0, stdout: "@@cdktf-xen-migrate rc=3\n" });
    expect(b).toMatchObject({ code: 0, stdout: "@@cdktf-xen-migrate rc=3\n" });
    expect(b.stderr).toContain("first job's output\n");
    expect(xlCalls(name)).toHaveLength(1);
  });

  it("GIVEN a run whose shell was killed WHEN the script runs again while that run's job still runs THEN it waits for the job and reports its status", async () => {
    const name = newName();
    const first = runScript(name, AGENT_HOP, 600, { rc: 0, gate: gateOf(name) });
    await until("the first xl to start", () => xlCalls(name).length === 1);
    process.kill(-first.child.pid!, "SIGKILL");
    await first.done;

    const again = runScript(name, AGENT_HOP, 600, { rc: 7 });
    await until("the re-run to wait", () => again.stderr().includes("is still running: waiting for it"));
    writeFileSync(gateOf(name), "");
    expect((await again.done).stdout).toBe("@@cdktf-xen-migrate rc=0\n");
    expect(xlCalls(name)).toHaveLength(1);
  });

  it("GIVEN a job that outlasts the timeout WHEN the script runs THEN it prints rc=timeout and exits 0, and the job is left running to finish on its own", async () => {
    const name = newName();
    const p = migrationJobPaths(name);
    const r = await runScript(name, AGENT_HOP, 1, { rc: 0, gate: gateOf(name) }).done;

    expect(r).toMatchObject({ code: 0, stdout: "@@cdktf-xen-migrate rc=timeout\n" });
    expect(migrationJobResult(r.stdout)).toBe("timeout");
    expect(existsSync(p.rc)).toBe(false);
    expect(alive(jobPid(name))).toBe(true);

    writeFileSync(gateOf(name), "");
    await until("the job's rc file", () => existsSync(p.rc));
    expect(readFileSync(p.rc, "utf8")).toBe("0\n");
  });

  // KNOWN BUG (reported, not fixed here): the wait loop only looks for the rc file. A job that
  // dies without writing it (its shell killed, the OOM killer, a kill by hand) is waited for until
  // the timeout, and then reported as `rc=timeout`, which moveDomain turns into "it was still
  // running after N s" (1800 s by default) although nothing ran. Flip to `it` once fixed.
  it("GIVEN the job is killed before it writes its rc file WHEN the script waits THEN it does not report the job as still running (rc=timeout)", async () => {
    const name = newName();
    const run = runScript(name, AGENT_HOP, 3, { rc: 0, gate: gateOf(name) });
    await until("the fake xl to start", () => xlCalls(name).length === 1);
    const job = jobPid(name);
    process.kill(-job, "SIGKILL");
    await until("the job to be gone", () => !alive(job));

    const r = await run.done;
    expect(existsSync(migrationJobPaths(name).rc)).toBe(false);
    expect(migrationJobResult(r.stdout)).not.toBe("timeout");
  });

  it("GIVEN an earlier job that has FINISHED (its rc file is there) WHEN the script runs again THEN it starts a new xl migrate: the script itself does not remember a finished move", async () => {
    const name = newName();
    expect(migrationJobResult((await runScript(name, AGENT_HOP, 60, { rc: 0 }).done).stdout)).toBe(0);
    const again = await runScript(name, AGENT_HOP, 60, { rc: 4, stderr: "second\n" }).done;
    expect(again.stdout).toBe("@@cdktf-xen-migrate rc=4\n");
    expect(xlCalls(name)).toHaveLength(2);
  });
});
