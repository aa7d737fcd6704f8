/**
 * The one I/O interface the reconciler uses to talk to a dom0. The real implementation is
 * {@link Ssh2Transport}; tests of the reconciler may inject another through
 * {@link TransportFactory} (see pool.ts).
 *
 * Contract shared by every implementation:
 * - A remote command that exits non-zero is a RESULT ({@link ExecResult.code}), never an
 *   exception: `xl` reports "no such domain" that way and callers decide what it means.
 * - Transport failures (connect, auth, host key, timeout, dropped connection) reject with the
 *   typed errors of errors.ts.
 */

/** Options for one remote command. */
export interface ExecOptions {
  /**
   * Kill the command (SIGKILL over the channel, then close it) after this long and reject
   * with a CommandTimeoutError.
   * @default - the transport's default (10 minutes for Ssh2Transport)
   */
  readonly timeoutMs?: number;
  /**
   * Bytes written to the command's standard input, which is then closed. Without it stdin
   * is closed at once, so a command that reads stdin sees EOF rather than hanging.
   * @default - empty stdin
   */
  readonly stdin?: string | Buffer;
  /**
   * The command only reads (or is safe to run twice): when the connection drops under it,
   * it is re-run on a new connection a bounded number of times. Never set it for commands
   * that change state: after a drop, nobody knows whether they ran.
   * @default false
   */
  readonly idempotent?: boolean;
  /**
   * What the caller is doing, for error messages (`read live state`, `xl mem-set web-1`).
   * @default - messages show no step
   */
  readonly step?: string;
  /**
   * Called with each complete line of stderr as it arrives (xl prints progress there).
   * @default - stderr is only collected
   */
  readonly onStderrLine?: (line: string) => void;
}

/** What a finished remote command produced. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status; -1 when the command was killed by a signal. */
  readonly code: number;
  /** Signal name without `SIG` (`KILL`) when killed by one, else null. */
  readonly signal: string | null;
}

/** Options for a long-lived remote session ({@link Transport.openSession}). */
export interface SessionOptions {
  /**
   * For error messages, as {@link ExecOptions.step}.
   * @default - messages show no step
   */
  readonly step?: string;
  /**
   * Called with each stdout chunk (UTF-8) as it arrives.
   * @default - stdout is only collected into the final result
   */
  readonly onStdout?: (chunk: string) => void;
  /**
   * Called with each stderr chunk (UTF-8) as it arrives.
   * @default - stderr is only collected into the final result
   */
  readonly onStderr?: (chunk: string) => void;
}

/**
 * A remote command kept running while the caller talks to it: its stdin stays open until
 * {@link RemoteSession.end}. The host lock (lock.ts) is held for exactly as long as such a
 * session lives, so the lock dies with the connection.
 */
export interface RemoteSession {
  /** Writes to the command's stdin. */
  write(data: string | Buffer): void;
  /** Closes the command's stdin (EOF); the command decides when to exit. */
  end(): void;
  /** Kills the command (SIGKILL over the channel) and closes the channel; resolves once closed. */
  close(): Promise<void>;
  /**
   * Settles when the command ends: its result, or a ConnectionLostError when the channel
   * closed without an exit status (connection dropped). Never an unhandled rejection: the
   * transport observes it too.
   */
  readonly done: Promise<ExecResult>;
}

/** A connection to one host's dom0. */
/** A host key as known_hosts writes it: `TYPE BASE64`. */
export interface VerifiedHostKey {
  /** e.g. `ssh-ed25519` */
  readonly type: string;
  readonly base64: string;
}

export interface Transport {
  /** Logical host id (the XenHost construct path), for messages and pooling. */
  readonly hostId: string;
  /** Address of dom0's sshd, for messages. */
  readonly address: string;
  /** Port of dom0's sshd, for messages. */
  readonly port: number;
  /** Runs one command and collects its output. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Starts a long-lived command with an open stdin (used by the host lock). Resolves once
   * the remote command has started; it has no timeout of its own.
   */
  openSession(command: string, options?: SessionOptions): Promise<RemoteSession>;
  /**
   * The host key accepted when connecting (after checking it against the pinned fingerprint
   * or known_hosts). Transports that cannot tell (test doubles) leave it out.
   */
  verifiedHostKey?(): Promise<VerifiedHostKey>;
  /** Closes the connection; later calls to exec/openSession reject. Idempotent. */
  close(): Promise<void>;
}
