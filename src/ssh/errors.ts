/**
 * Typed failures of the SSH layer. Every one names the host (logical id and address:port),
 * the step being run, why it failed and what to do about it, so a provisioner's log line
 * is enough to act on. A remote command that exits non-zero is NOT an error here: it is an
 * {@link ExecResult} with its code; these classes are for the transport itself.
 */

/** Where a transport failure happened. */
export interface TransportErrorContext {
  /** Logical host id (the XenHost construct path). */
  readonly hostId: string;
  readonly address: string;
  readonly port: number;
  /** What the caller was doing (`read live state`, `xl mem-set web-1`, …), or null. */
  readonly step: string | null;
  /**
   * The bastion the failure happened at (`jump host 1 of 2 "bastion"`), when it was not the host
   * itself; `address` and `port` are then the bastion's.
   * @default - the failure is the host's own
   */
  readonly via?: string;
}

/** The parts of a transport error message besides its context. */
export interface TransportErrorParts {
  /** One line: what failed. */
  readonly what: string;
  /** Why, as far as we know (usually the underlying error's message). */
  readonly why: string;
  /** What the user can do. */
  readonly fix: string;
  /** The underlying error, when there is one. */
  readonly cause?: unknown;
}

/** Longest command text quoted in a message; batched read scripts can be long. */
const MAX_COMMAND_IN_MESSAGE = 200;

/** `command` shortened for an error message. */
export function describeCommand(command: string): string {
  const oneLine = command.replace(/\s+/g, " ").trim();
  return oneLine.length <= MAX_COMMAND_IN_MESSAGE
    ? oneLine
    : `${oneLine.slice(0, MAX_COMMAND_IN_MESSAGE)}… (${oneLine.length} chars)`;
}

/**
 * Base class of every SSH-layer failure: what, where (host id, address:port, step), why
 * and fix, both as fields and in the message.
 */
export abstract class TransportError extends Error {
  readonly hostId: string;
  readonly address: string;
  readonly port: number;
  readonly step: string | null;
  readonly what: string;
  readonly why: string;
  readonly fix: string;
  /**
   * Whether trying again over a new connection can help (network or server hiccups), as
   * opposed to a problem only the user can fix (host key, configuration, a slow command).
   */
  abstract readonly transient: boolean;

  protected constructor(context: TransportErrorContext, parts: TransportErrorParts) {
    const where = `host ${context.hostId}${context.via === undefined ? "" : ` at ${context.via}`} (${context.address}:${context.port})${
      context.step === null ? "" : `, step "${context.step}"`
    }`;
    super(`${parts.what} [${where}]: ${parts.why}. Fix: ${parts.fix}`, { cause: parts.cause });
    this.name = new.target.name;
    this.hostId = context.hostId;
    this.address = context.address;
    this.port = context.port;
    this.step = context.step;
    this.what = parts.what;
    this.why = parts.why;
    this.fix = parts.fix;
  }
}

/** The connection settings cannot work as given (no host-key policy, unreadable key file, unset passphrase variable, …). */
export class TransportConfigError extends TransportError {
  readonly transient = false;
  constructor(context: TransportErrorContext, parts: TransportErrorParts) {
    super(context, parts);
  }
}

/** The server's host key is not in the known_hosts file (and no key of this host is). */
export class HostKeyUnknownError extends TransportError {
  readonly transient = false;
  /** `SHA256:…` of the key the server presented. */
  readonly presentedFingerprint: string;
  /** e.g. `ssh-ed25519`. */
  readonly presentedKeyType: string;
  constructor(
    context: TransportErrorContext,
    parts: TransportErrorParts & { readonly presentedFingerprint: string; readonly presentedKeyType: string },
  ) {
    super(context, parts);
    this.presentedFingerprint = parts.presentedFingerprint;
    this.presentedKeyType = parts.presentedKeyType;
  }
}

/** The server presented a key other than the pinned one, or other than known_hosts lists for it: possible man-in-the-middle. */
export class HostKeyMismatchError extends TransportError {
  readonly transient = false;
  readonly presentedFingerprint: string;
  readonly presentedKeyType: string;
  /** Fingerprints that would have been accepted. */
  readonly expectedFingerprints: readonly string[];
  constructor(
    context: TransportErrorContext,
    parts: TransportErrorParts & {
      readonly presentedFingerprint: string;
      readonly presentedKeyType: string;
      readonly expectedFingerprints: readonly string[];
    },
  ) {
    super(context, parts);
    this.presentedFingerprint = parts.presentedFingerprint;
    this.presentedKeyType = parts.presentedKeyType;
    this.expectedFingerprints = parts.expectedFingerprints;
  }
}

/** The server presented a key that known_hosts marks `@revoked`. */
export class HostKeyRevokedError extends TransportError {
  readonly transient = false;
  readonly presentedFingerprint: string;
  constructor(context: TransportErrorContext, parts: TransportErrorParts & { readonly presentedFingerprint: string }) {
    super(context, parts);
    this.presentedFingerprint = parts.presentedFingerprint;
  }
}

/**
 * The server refused our credentials, or the key/agent could not be used. Counted as
 * transient for connecting only: a Xen dom0 was seen to refuse one login while a vif joined
 * its bridge (LAB-NOTES pitfall 7), so connecting retries once.
 */
export class AuthError extends TransportError {
  readonly transient: boolean;
  /**
   * @param parts.transient false for local problems that a retry cannot fix (an encrypted key
   *   with a wrong passphrase); @default true (the server refused us)
   */
  constructor(context: TransportErrorContext, parts: TransportErrorParts & { readonly transient?: boolean }) {
    super(context, parts);
    this.transient = parts.transient ?? true;
  }
}

/** No SSH session could be set up: connection refused, host unreachable, DNS failure, handshake timeout. */
export class ConnectError extends TransportError {
  readonly transient = true;
  constructor(context: TransportErrorContext, parts: TransportErrorParts) {
    super(context, parts);
  }
}

/** A remote command ran longer than its timeout; it was sent SIGKILL and its channel closed. */
export class CommandTimeoutError extends TransportError {
  readonly transient = false;
  readonly command: string;
  readonly timeoutMs: number;
  /** Output received before the timeout, for diagnosis. */
  readonly partialStdout: string;
  readonly partialStderr: string;
  constructor(
    context: TransportErrorContext,
    parts: TransportErrorParts & {
      readonly command: string;
      readonly timeoutMs: number;
      readonly partialStdout: string;
      readonly partialStderr: string;
    },
  ) {
    super(context, parts);
    this.command = parts.command;
    this.timeoutMs = parts.timeoutMs;
    this.partialStdout = parts.partialStdout;
    this.partialStderr = parts.partialStderr;
  }
}

/**
 * An established connection broke (server gone, connection reset, keepalive unanswered).
 * When it broke during a command, that command may or may not have taken effect.
 */
export class ConnectionLostError extends TransportError {
  readonly transient = true;
  /** The command that was running, or null when none was. */
  readonly command: string | null;
  constructor(context: TransportErrorContext, parts: TransportErrorParts & { readonly command: string | null }) {
    super(context, parts);
    this.command = parts.command;
  }
}

/** Who holds a host lock, as the holder wrote it into `/run/cdktf-xen/lock.holder`. */
export interface LockHolderInfo {
  /** Process id of the holding CLI on its machine. */
  readonly pid: number;
  /** Hostname of the machine running the holding CLI. */
  readonly hostname: string;
  /** Local user running the holding CLI. */
  readonly user: string;
  /** ISO 8601 time the holder asked for the lock. */
  readonly startedAt: string;
  /** What the holder is doing (its command line). */
  readonly command: string;
}

/** Prints a holder for a message. */
export function describeHolder(holder: LockHolderInfo | null): string {
  if (holder === null) return "an unknown holder (no readable /run/cdktf-xen/lock.holder)";
  return `pid ${holder.pid} on ${holder.hostname} (user ${holder.user}, since ${holder.startedAt}, running: ${holder.command})`;
}

/** Another applier held the host lock for longer than the wait allowed. */
export class HostLockTimeoutError extends TransportError {
  readonly transient = false;
  readonly holder: LockHolderInfo | null;
  constructor(context: TransportErrorContext, parts: TransportErrorParts & { readonly holder: LockHolderInfo | null }) {
    super(context, parts);
    this.holder = parts.holder;
  }
}

/** The host lock could not be taken (flock missing, unexpected output) or was lost while held. */
export class HostLockError extends TransportError {
  readonly transient = false;
  constructor(context: TransportErrorContext, parts: TransportErrorParts) {
    super(context, parts);
  }
}
