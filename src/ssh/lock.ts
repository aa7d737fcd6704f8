/**
 * A per-host lock on dom0 that serializes concurrent appliers (two `cdktf deploy` runs, or
 * Terraform's parallel provisioners touching one host).
 *
 * How: one long-lived remote command takes `flock` on `/run/cdktf-xen/lock` and then reads
 * its stdin until EOF. The lock is held exactly as long as that command lives, which is as
 * long as our channel's stdin is open: {@link HostLock.release} closes stdin; a CLI that is
 * killed, or whose connection drops, closes it too (sshd closes the pipe), so a dead applier
 * never leaves the host locked. `/run` is a tmpfs: a reboot clears everything.
 *
 * While waiting, the waiter reads `lock.holder` (written by whoever holds the lock) and
 * reports it through `onWait`, so a person sees who to wait for.
 */
import { hostname, userInfo } from "node:os";
import {
  HostLockError,
  HostLockTimeoutError,
  describeHolder,
  type LockHolderInfo,
  type TransportErrorContext,
} from "./errors.js";
import type { ExecResult, RemoteSession, Transport } from "./transport.js";

export type { LockHolderInfo } from "./errors.js";

/** Where the lock lives on dom0 unless told otherwise. */
export const DEFAULT_LOCK_DIR = "/run/cdktf-xen";

/** Options of {@link acquireHostLock}. */
export interface HostLockOptions {
  /**
   * Who we are, written to `lock.holder` for waiters to read.
   * @default currentHolder()
   */
  readonly holder?: LockHolderInfo;
  /**
   * Longest wait for another holder to release the lock.
   * @default 600000
   */
  readonly timeoutMs?: number;
  /**
   * Called once when the lock is busy, with its holder (null when unreadable).
   * @default - waiting is silent
   */
  readonly onWait?: (holder: LockHolderInfo | null) => void;
  /**
   * Called if the lock is lost while held (the connection dropped, or someone killed the
   * remote command): the caller must stop changing the host.
   * @default - only {@link HostLock.held} and {@link HostLock.assertHeld} tell
   */
  readonly onLost?: (error: HostLockError) => void;
  /**
   * Directory on dom0 holding `lock` and `lock.holder`.
   * @default "/run/cdktf-xen"
   */
  readonly lockDir?: string;
}

/** A held host lock. */
export interface HostLock {
  /** True until released or lost. */
  readonly held: boolean;
  /** Throws a HostLockError when the lock was lost (checked before each changing step). */
  assertHeld(): void;
  /** Releases the lock (closes the holding command's stdin). Idempotent. */
  release(): Promise<void>;
}

/** This process as a lock holder. */
export function currentHolder(command: string = process.argv.slice(1).join(" ")): LockHolderInfo {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry for our uid (some containers)
    user = process.env.USER ?? String(process.getuid?.() ?? "unknown");
  }
  return { pid: process.pid, hostname: hostname(), user, startedAt: new Date().toISOString(), command };
}

/** POSIX shell single-quoting. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The remote script. Our holder line arrives as stdin's first line (no quoting of user
 * data into the script); protocol lines on stdout: WAITING, HOLDER <json>, LOCKED,
 * TIMEOUT, NOFLOCK.
 */
export function lockScript(lockDir: string, waitSeconds: number): string {
  const dir = shellQuote(lockDir);
  const lock = shellQuote(`${lockDir}/lock`);
  const holderFile = shellQuote(`${lockDir}/lock.holder`);
  return [
    "command -v flock >/dev/null 2>&1 || { echo NOFLOCK; exit 127; }",
    `mkdir -p ${dir} || exit 1`,
    "IFS= read -r holder || exit 1",
    `exec 9>>${lock} || exit 1`,
    "if ! flock -n 9; then",
    "  echo WAITING",
    `  printf 'HOLDER %s\\n' "$(cat ${holderFile} 2>/dev/null)"`,
    `  flock -w ${waitSeconds} 9 || { echo TIMEOUT; printf 'HOLDER %s\\n' "$(cat ${holderFile} 2>/dev/null)"; exit 3; }`,
    "fi",
    `printf '%s\\n' "$holder" > ${holderFile}`,
    "echo LOCKED",
    // Held until stdin closes: our release, our death, or the connection's.
    "cat >/dev/null",
    `: > ${holderFile}`,
  ].join("\n");
}

/** Parses the holder JSON a waiter read; null when it is empty or not ours. */
export function parseHolder(text: string): LockHolderInfo | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolderInfo>;
    if (
      typeof v === "object" &&
      v !== null &&
      typeof v.pid === "number" &&
      typeof v.hostname === "string" &&
      typeof v.user === "string" &&
      typeof v.startedAt === "string" &&
      typeof v.command === "string"
    ) {
      return { pid: v.pid, hostname: v.hostname, user: v.user, startedAt: v.startedAt, command: v.command };
    }
  } catch {
    // not JSON: an older or foreign holder file
  }
  return null;
}

/**
 * Takes the host lock, waiting (up to `timeoutMs`) while another applier holds it.
 * Resolves once held; rejects with HostLockTimeoutError (naming the holder) or HostLockError.
 */
export async function acquireHostLock(transport: Transport, options: HostLockOptions = {}): Promise<HostLock> {
  const holder = options.holder ?? currentHolder();
  const timeoutMs = options.timeoutMs ?? 600_000;
  const lockDir = options.lockDir ?? DEFAULT_LOCK_DIR;
  const step = "take the host lock";
  const context: TransportErrorContext = {
    hostId: transport.hostId,
    address: transport.address,
    port: transport.port,
    step,
  };

  let lastHolder: LockHolderInfo | null = null;
  let waiting = false;
  let reportedWait = false;
  let outcome: "LOCKED" | "TIMEOUT" | "NOFLOCK" | null = null;
  let buffered = "";
  let onLocked: () => void = () => undefined;
  const locked = new Promise<void>((resolve) => {
    onLocked = resolve;
  });

  const onLine = (line: string): void => {
    if (line === "WAITING") waiting = true;
    else if (line.startsWith("HOLDER ")) {
      lastHolder = parseHolder(line.slice("HOLDER ".length));
      if (waiting && !reportedWait && outcome === null) {
        reportedWait = true;
        options.onWait?.(lastHolder);
      }
    } else if (line === "LOCKED" || line === "TIMEOUT" || line === "NOFLOCK") {
      outcome ??= line;
      if (line === "LOCKED") onLocked();
    }
  };

  const session: RemoteSession = await transport.openSession(lockScript(lockDir, Math.max(0, Math.ceil(timeoutMs / 1000))), {
    step,
    onStdout: (chunk) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) onLine(line);
    },
  });
  session.write(`${JSON.stringify(holder)}\n`);

  // flock's own -w ends the wait; this client-side timer is a backstop in case it cannot.
  let backstop: NodeJS.Timeout | undefined;
  const backstopFired = new Promise<"backstop">((resolve) => {
    backstop = setTimeout(() => resolve("backstop"), timeoutMs + 10_000);
  });
  let first: "locked" | "backstop" | ExecResult;
  try {
    // A rejection here is the transport's ConnectionLostError, already typed: let it through.
    first = await Promise.race([locked.then(() => "locked" as const), session.done, backstopFired]);
  } finally {
    clearTimeout(backstop);
  }

  const timeoutError = (): HostLockTimeoutError =>
    new HostLockTimeoutError(context, {
      what: `host lock still busy after ${Math.round(timeoutMs / 1000)} s`,
      why: `${describeHolder(lastHolder)} holds ${lockDir}/lock`,
      fix: "wait for that run to finish and try again; if its process is gone, its lock is already released (the lock dies with its SSH connection)",
      holder: lastHolder,
    });

  if (first === "backstop") {
    await session.close();
    throw timeoutError();
  }
  if (first !== "locked") {
    const result = first;
    if (outcome === "TIMEOUT") throw timeoutError();
    if (outcome === "NOFLOCK") {
      throw new HostLockError(context, {
        what: "cannot lock the host",
        why: "`flock` is not installed on dom0",
        fix: "install util-linux on dom0 (`apt install util-linux`, `apk add util-linux`)",
      });
    }
    throw new HostLockError(context, {
      what: "cannot lock the host",
      why: `the lock command exited with status ${result.code}${result.signal === null ? "" : ` (signal ${result.signal})`}: ${result.stderr.trim() || "no message"}`,
      fix: `check that ${lockDir} can be created on dom0 (a writable /run)`,
    });
  }

  let held = true;
  let released = false;
  let lostError: HostLockError | null = null;
  void session.done.then(
    (result) => {
      held = false;
      if (!released) {
        lostError = new HostLockError(context, {
          what: "host lock lost",
          why: `the remote lock command ended (status ${result.code}${result.signal === null ? "" : `, signal ${result.signal}`}) while this run still held the lock`,
          fix: "someone killed it on dom0; stop, re-read the host's state and apply again",
        });
        options.onLost?.(lostError);
      }
    },
    (err: unknown) => {
      held = false;
      if (!released) {
        lostError = new HostLockError(context, {
          what: "host lock lost",
          why: `the SSH connection holding it dropped (${err instanceof Error ? err.message : String(err)})`,
          fix: "re-read the host's state and apply again; another applier may have taken the lock meanwhile",
          cause: err,
        });
        options.onLost?.(lostError);
      }
    },
  );

  return {
    get held() {
      return held;
    },
    assertHeld() {
      if (lostError !== null) throw lostError;
      if (!held) {
        throw new HostLockError(context, {
          what: "host lock not held",
          why: "it was released already",
          fix: "this is a bug in the caller: it changed the host after releasing the lock",
        });
      }
    },
    async release() {
      if (released) return;
      released = true;
      if (!held) return;
      session.end();
      const ended = await Promise.race([
        session.done.then(
          () => true,
          () => true,
        ),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000).unref()),
      ]);
      if (!ended) await session.close();
      held = false;
    },
  };
}
