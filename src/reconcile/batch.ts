/**
 * One remote script that runs a plan's steps in order and then reads the host's state again,
 * so that applying a plan costs one SSH command however many domains it touches. Pure: it
 * builds the script and parses what the script printed.
 *
 * Output grammar (M = `@@cdktf-xen:NONCE`), all on stderr so it streams in order:
 * ```
 * M step I begin
 * …the step's own output…
 * M step I end RC
 * M done            (every step succeeded)
 * ```
 * then, on stdout, the snapshot (xl/snapshot.ts) of the host after the steps.
 *
 * The script takes `exec.lock` on dom0 for as long as it runs and hands the lock's descriptor
 * to no child (`9>&-`): `xl create` leaves a daemonised monitor per domain, which must not
 * keep the lock (nor the channel's stdout, `3>&-`). A CLI killed mid-apply leaves its script
 * running to the end of the current step; the next applier waits on `exec.lock` before it
 * reads the host (see {@link waitForExecLock}).
 */
import { shellQuote } from "../xl/shell.js";
import type { Step } from "./steps.js";

/** Directory on dom0 for the lock files (tmpfs: a reboot clears them). */
export const RUN_DIR = "/run/cdktf-xen";
/** Held by a running batch script. */
export const EXEC_LOCK = `${RUN_DIR}/exec.lock`;

/** Longest wait for an earlier batch script to finish, seconds. */
export const EXEC_LOCK_WAIT_SEC = 900;

/**
 * A command prefix that waits until no batch script (of this or an interrupted earlier run)
 * is changing the host, so the state read after it is not stale.
 */
export function waitForExecLock(): string {
  return `mkdir -p ${RUN_DIR} && flock -w ${EXEC_LOCK_WAIT_SEC} ${shellQuote(EXEC_LOCK)} true`;
}

/** The batch script for `steps`, followed by `snapshotCommand` writing to stdout. */
export function batchScript(steps: readonly Step[], snapshotCommand: string, nonce: string): string {
  const m = `@@cdktf-xen:${nonce}`;
  const lines = [
    "exec 3>&1 1>&2",
    `mkdir -p ${RUN_DIR}`,
    `exec 9>${shellQuote(EXEC_LOCK)}`,
    `flock -w ${EXEC_LOCK_WAIT_SEC} 9 || { echo ${shellQuote(`${m} lock-timeout`)}; exit 99; }`,
  ];
  steps.forEach((step, i) => {
    lines.push(
      `echo ${shellQuote(`${m} step ${i} begin`)}`,
      // No child inherits the lock (fd 9) or the channel's stdout (fd 3): `xl create` leaves
      // a daemonised monitor per domain, which would hold the lock, and keep the SSH channel
      // open until the domain dies.
      `timeout -k 10 ${step.timeoutSec} ${step.command} 3>&- 9>&- </dev/null`,
      "rc=$?",
      `echo "${m} step ${i} end $rc"`,
      `[ "$rc" -eq 0 ] || exit 100`,
    );
  });
  lines.push(`echo ${shellQuote(`${m} done`)}`, `exec 9>&-`, `${snapshotCommand} >&3`);
  return lines.join("\n");
}

/** What a batch run printed, interpreted. */
export interface BatchOutcome {
  /** Steps that ended with status 0, by index. */
  readonly succeeded: readonly number[];
  /** The step that failed, its status (124 = timed out) and its own output; null if none did. */
  readonly failed: { readonly index: number; readonly rc: number; readonly output: string } | null;
  /** True when the script reached its end (every step succeeded). */
  readonly done: boolean;
  /** The script could not take exec.lock in time. */
  readonly lockTimeout: boolean;
}

/** A progress event from one stderr line of a batch run, or null for a step's own output. */
export type BatchEvent =
  | { readonly type: "begin"; readonly index: number }
  | { readonly type: "end"; readonly index: number; readonly rc: number }
  | { readonly type: "done" }
  | { readonly type: "lock-timeout" };

/** Recognises a marker line. */
export function batchEvent(line: string, nonce: string): BatchEvent | null {
  const m = `@@cdktf-xen:${nonce} `;
  if (!line.startsWith(m)) return null;
  const rest = line.slice(m.length).trim();
  if (rest === "done") return { type: "done" };
  if (rest === "lock-timeout") return { type: "lock-timeout" };
  const begin = /^step (\d+) begin$/.exec(rest);
  if (begin) return { type: "begin", index: Number(begin[1]) };
  const end = /^step (\d+) end (\d+)$/.exec(rest);
  if (end) return { type: "end", index: Number(end[1]), rc: Number(end[2]) };
  return null;
}

/** Interprets the whole stderr of a batch run. */
export function parseBatchOutput(stderr: string, nonce: string): BatchOutcome {
  const succeeded: number[] = [];
  let failed: BatchOutcome["failed"] = null;
  let done = false;
  let lockTimeout = false;
  let current: { index: number; lines: string[] } | null = null;
  for (const line of stderr.split("\n")) {
    const ev = batchEvent(line, nonce);
    if (ev === null) {
      current?.lines.push(line);
      continue;
    }
    switch (ev.type) {
      case "begin":
        current = { index: ev.index, lines: [] };
        break;
      case "end":
        if (ev.rc === 0) succeeded.push(ev.index);
        else failed = { index: ev.index, rc: ev.rc, output: (current?.lines ?? []).join("\n").trim() };
        current = null;
        break;
      case "done":
        done = true;
        break;
      case "lock-timeout":
        lockTimeout = true;
        break;
    }
  }
  // A step that began and never ended: the connection dropped or the script was killed.
  if (!done && failed === null && current !== null) {
    failed = { index: current.index, rc: -1, output: current.lines.join("\n").trim() };
  }
  return { succeeded, failed, done, lockTimeout };
}
