/**
 * {@link Transport} over one ssh2 connection per host: connected lazily on first use and
 * reused for every command of the process (a provisioner run opens one connection to its
 * host, not one per `xl` call), host key always verified (host-key.ts), keepalive on,
 * per-command timeouts, and bounded retries only where they are safe.
 *
 * Retry rules:
 * - Connecting is retried once (`connectRetries`) on a transient failure (refused, reset,
 *   handshake timeout, and "Permission denied", which a Xen dom0 was seen to answer once
 *   while a vif joined its bridge: LAB-NOTES pitfall 7). Connecting runs nothing remotely,
 *   so this holds for every command. Host-key and configuration errors are never retried.
 * - A command whose connection drops under it is re-run on a new connection (`retries`
 *   times, with doubling backoff) only when the caller marked it `idempotent`. Others fail
 *   with ConnectionLostError, saying the command may or may not have run.
 * - A command that times out is not retried: a hung `xl` would hang again.
 *
 * @see https://github.com/mscdex/ssh2#client-methods
 */
import type { Duplex } from "node:stream";
import type { Client as Ssh2Client, ClientChannel } from "ssh2";
import { HOST_ADDRESS_SYNTAX, hostAddressIssue, showValue } from "../model/address.js";
import { loginNameProblem } from "../model/names.js";
import type { HostConnection } from "../model/spec.js";
import {
  CommandTimeoutError,
  ConnectionLostError,
  TransportConfigError,
  TransportError,
  describeCommand,
  type TransportErrorContext,
} from "./errors.js";
import { connectHop, forwardTo, hopContext, loadHopCredentials, loadHopPolicies } from "./hop.js";
import { JumpConnections, type JumpLease } from "./jump.js";
import { RouteConfigError, loadRoute, type Route } from "./route.js";
import type { ExecOptions, ExecResult, RemoteSession, SessionOptions, Transport, VerifiedHostKey } from "./transport.js";

/** Settings of an {@link Ssh2Transport}. */
export interface Ssh2TransportOptions {
  /** Logical host id (the XenHost construct path). */
  readonly hostId: string;
  /** How to reach the host (address, user, key path or agent, host-key policy). */
  readonly connection: HostConnection;
  /**
   * Longest time from opening the TCP connection to an authenticated session.
   * @default 20000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Extra connection attempts after a transient connect failure.
   * @default 1
   */
  readonly connectRetries?: number;
  /**
   * Re-runs of an `idempotent` command whose connection dropped.
   * @default 2
   */
  readonly retries?: number;
  /**
   * Wait before the first retry (connect or command); doubled for each further one.
   * @default 500
   */
  readonly retryBackoffMs?: number;
  /**
   * Timeout of a command whose {@link ExecOptions.timeoutMs} is not set.
   * @default 600000
   */
  readonly defaultTimeoutMs?: number;
  /**
   * Interval of SSH-level keepalive probes; a connection whose server stops answering is
   * declared lost after `keepaliveCountMax` unanswered probes.
   * @default 10000
   */
  readonly keepaliveIntervalMs?: number;
  /**
   * Unanswered keepalive probes before the connection is declared lost.
   * @default 3
   */
  readonly keepaliveCountMax?: number;
  /**
   * Most channels open at once on the connection; further commands queue. OpenSSH's sshd
   * refuses channels beyond its `MaxSessions` (10 by default).
   * @default 8
   */
  readonly maxSessions?: number;
  /**
   * After a command times out, how long to wait for the server to confirm the channel is
   * closed. If it does, the connection stays in use; if not, the connection is considered
   * broken, torn down, and the next command reconnects.
   * @default 3000
   */
  readonly timeoutCloseGraceMs?: number;
  /**
   * Forward the local SSH agent (SSH_AUTH_SOCK) to dom0, e.g. so that `xl migrate` on
   * dom0 can reach another host by SSH.
   * @default false
   */
  readonly agentForward?: boolean;
  /**
   * Environment to read `SSH_AUTH_SOCK` and the passphrase variable from.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Receives one line per connection event (connected, retrying, lost), for CLI logs.
   * @default - no logging
   */
  readonly log?: (message: string) => void;
  /**
   * Connections to bastions, shared with the other transports of the same pool (so the hosts
   * behind one bastion share one connection to it).
   * @default - bastion connections of this transport's own
   */
  readonly jumps?: JumpConnections;
}

/** One established, authenticated connection. */
interface LiveConnection {
  readonly client: Ssh2Client;
  alive: boolean;
  /** Why it died, once it has. */
  lostReason: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A FIFO counting semaphore: channels beyond `maxSessions` wait their turn. */
class Slots {
  #free: number;
  readonly #waiters: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((resolve) => this.#waiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next !== undefined) next();
      else this.#free += 1;
    };
  }
}

/** First stderr line of every wrapped command: the PID of its session leader. */
const PID_MARKER = "cdktf-xen:pid=";
const PID_LINE = /^cdktf-xen:pid=(\d+)$/;

/**
 * The command as sent: it first prints its shell's PID on stderr (stripped again before
 * anyone sees stderr). sshd starts each command in a new session (setsid), so that PID is
 * also the process group of everything the command starts, and a timed-out command can be
 * killed with `kill -9 -PID` (a form both dash and bash accept; dash's kill misreads
 * `-s KILL -PID` and `-- -PID`). The SSH `signal` request cannot do it: OpenSSH's sshd
 * ignores it after a root login (no privilege separation then), and dom0 is reached as root.
 * The command runs under the login user's shell, which must be a POSIX shell.
 */
export function wrapCommand(command: string): string {
  // On a line of its own: the shell runs it before parsing the command, so a command with a
  // syntax error still reports its PID, and the shell's error quotes only the command.
  return `printf '${PID_MARKER}%s\\n' "$$" >&2\n${command}`;
}

/**
 * Watches one exec channel: collects stdout/stderr, and settles with the exit status, or
 * with a ConnectionLostError when the channel closes without one.
 */
class ChannelWatch {
  readonly done: Promise<ExecResult>;
  /** PID (and process group) of the remote command, once its first stderr line arrived. */
  remotePid: number | null = null;
  readonly #stdout: Buffer[] = [];
  readonly #stderr: Buffer[] = [];

  constructor(
    channel: ClientChannel,
    lost: (why: string) => ConnectionLostError,
    hooks: {
      readonly onStdout?: (chunk: string) => void;
      readonly onStderr?: (chunk: string) => void;
      readonly onStderrLine?: (line: string) => void;
    },
  ) {
    this.done = new Promise<ExecResult>((resolve, reject) => {
      let exit: { code: number; signal: string | null } | null = null;
      let closed = false;
      let stderrEnded = false;
      let partialLine = "";
      const stdoutDecoder = new TextDecoder();
      const stderrDecoder = new TextDecoder();
      const lineDecoder = new TextDecoder();

      const flushLines = (final: boolean): void => {
        if (hooks.onStderrLine === undefined) return;
        const lines = partialLine.split("\n");
        partialLine = final ? "" : lines.pop()!;
        if (final && lines[lines.length - 1] === "") lines.pop();
        for (const line of lines) hooks.onStderrLine(line.replace(/\r$/, ""));
      };
      const settle = (): void => {
        // ssh2 emits the channel's close after stdout ends; stderr can end a tick later.
        if (!closed || !stderrEnded) return;
        flushLines(true);
        if (exit === null) {
          reject(lost("the channel closed without an exit status (the connection dropped or sshd ended the session)"));
          return;
        }
        resolve({
          stdout: Buffer.concat(this.#stdout).toString("utf8"),
          stderr: Buffer.concat(this.#stderr).toString("utf8"),
          code: exit.code,
          signal: exit.signal,
        });
      };

      channel.on("data", (chunk: Buffer) => {
        this.#stdout.push(chunk);
        hooks.onStdout?.(stdoutDecoder.decode(chunk, { stream: true }));
      });
      const onStderr = (chunk: Buffer): void => {
        if (chunk.length === 0) return;
        this.#stderr.push(chunk);
        hooks.onStderr?.(stderrDecoder.decode(chunk, { stream: true }));
        if (hooks.onStderrLine !== undefined) {
          partialLine += lineDecoder.decode(chunk, { stream: true });
          flushLines(false);
        }
      };
      // Until the PID line is complete, stderr is held back; anything else there (a shell
      // that could not parse the command prints its error instead) is passed on unchanged.
      let preamble: Buffer | null = Buffer.alloc(0);
      const endPreamble = (): void => {
        if (preamble === null) return;
        const held = preamble;
        preamble = null;
        onStderr(held);
      };
      channel.stderr.on("data", (chunk: Buffer) => {
        if (preamble === null) {
          onStderr(chunk);
          return;
        }
        preamble = Buffer.concat([preamble, chunk]);
        const newline = preamble.indexOf(0x0a);
        if (newline === -1) {
          if (preamble.length > 64) endPreamble();
          return;
        }
        const m = PID_LINE.exec(preamble.subarray(0, newline).toString("latin1"));
        if (m === null) {
          endPreamble();
          return;
        }
        this.remotePid = Number(m[1]);
        const rest = preamble.subarray(newline + 1);
        preamble = null;
        onStderr(rest);
      });
      const stderrDone = (): void => {
        endPreamble();
        stderrEnded = true;
        settle();
      };
      channel.stderr.once("end", stderrDone);
      channel.stderr.once("close", stderrDone);
      channel.on("exit", (code: number | null, signal?: string) => {
        exit =
          code === null || code === undefined
            ? { code: -1, signal: (signal ?? "UNKNOWN").replace(/^SIG/, "") }
            : { code, signal: null };
      });
      channel.once("close", () => {
        closed = true;
        settle();
      });
    });
    // The transport always observes `done`; callers may ignore it without an unhandled rejection.
    this.done.catch(() => undefined);
  }

  partialStdout(): string {
    return Buffer.concat(this.#stdout).toString("utf8");
  }
  partialStderr(): string {
    return Buffer.concat(this.#stderr).toString("utf8");
  }
}

/** The real transport: one ssh2 connection to one dom0. */
export class Ssh2Transport implements Transport {
  readonly hostId: string;
  readonly address: string;
  readonly port: number;
  readonly #connection: HostConnection;
  readonly #context: TransportErrorContext;
  readonly #connectTimeoutMs: number;
  readonly #connectRetries: number;
  readonly #retries: number;
  readonly #retryBackoffMs: number;
  readonly #defaultTimeoutMs: number;
  readonly #keepaliveIntervalMs: number;
  readonly #keepaliveCountMax: number;
  readonly #timeoutCloseGraceMs: number;
  readonly #agentForward: boolean;
  readonly #env: NodeJS.ProcessEnv;
  readonly #log: (message: string) => void;
  readonly #slots: Slots;
  readonly #jumps: JumpConnections;
  #live: Promise<LiveConnection> | null = null;
  #closed = false;
  #acceptedHostKey: Buffer | null = null;

  constructor(options: Ssh2TransportOptions) {
    this.hostId = options.hostId;
    this.address = options.connection.address;
    this.port = options.connection.port;
    this.#connection = options.connection;
    this.#context = {
      hostId: options.hostId,
      address: options.connection.address,
      port: options.connection.port,
      step: null,
    };
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    this.#connectRetries = options.connectRetries ?? 1;
    this.#retries = options.retries ?? 2;
    this.#retryBackoffMs = options.retryBackoffMs ?? 500;
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? 600_000;
    this.#keepaliveIntervalMs = options.keepaliveIntervalMs ?? 10_000;
    this.#keepaliveCountMax = options.keepaliveCountMax ?? 3;
    this.#timeoutCloseGraceMs = options.timeoutCloseGraceMs ?? 3_000;
    this.#agentForward = options.agentForward ?? false;
    this.#env = options.env ?? process.env;
    this.#log = options.log ?? (() => undefined);
    this.#slots = new Slots(options.maxSessions ?? 8);
    this.#jumps =
      options.jumps ??
      new JumpConnections(
        { connectTimeoutMs: this.#connectTimeoutMs, keepaliveIntervalMs: this.#keepaliveIntervalMs, keepaliveCountMax: this.#keepaliveCountMax },
        this.#env,
        this.#log,
      );
  }

  /** @inheritdoc */
  /**
   * The host key this transport accepted (checked against the pinned fingerprint or
   * known_hosts), connecting first if needed: what another host's known_hosts may trust.
   */
  async verifiedHostKey(): Promise<VerifiedHostKey> {
    await this.#connect({ ...this.#context, step: "read the host key" });
    const key = this.#acceptedHostKey;
    if (key === null) throw new Error(`host ${this.hostId}: connected without a verified host key`);
    // SSH wire format: uint32 length, then the key type name.
    const length = key.readUInt32BE(0);
    return { type: key.subarray(4, 4 + length).toString("ascii"), base64: key.toString("base64") };
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const attempts = options.idempotent === true ? 1 + this.#retries : 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#execOnce(command, options);
      } catch (err) {
        if (!(err instanceof ConnectionLostError) || attempt >= attempts || this.#closed) throw err;
        const wait = this.#retryBackoffMs * 2 ** (attempt - 1);
        this.#log(`${this.hostId}: connection lost during idempotent step ${options.step ?? describeCommand(command)}; retry ${attempt}/${attempts - 1} in ${wait} ms`);
        await sleep(wait);
      }
    }
  }

  /** @inheritdoc */
  async openSession(command: string, options: SessionOptions = {}): Promise<RemoteSession> {
    const context = this.#withStep(options.step);
    const live = await this.#connect(context);
    const release = await this.#slots.acquire();
    try {
      const channel = await this.#openChannel(live, command, context);
      const watch = new ChannelWatch(channel, (why) => this.#lost(live, context, command, why), {
        ...(options.onStdout === undefined ? {} : { onStdout: options.onStdout }),
        ...(options.onStderr === undefined ? {} : { onStderr: options.onStderr }),
      });
      watch.done.then(release, release);
      const closeChannel = async (): Promise<void> => {
        await this.#stopRemote(live, channel, watch, context);
      };
      return {
        write: (data) => {
          channel.write(data);
        },
        end: () => {
          channel.end();
        },
        close: closeChannel,
        done: watch.done,
      };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = this.#live;
    this.#live = null;
    if (pending === null) return;
    let live: LiveConnection;
    try {
      live = await pending;
    } catch {
      return; // never connected
    }
    if (!live.alive) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        live.client.destroy();
        resolve();
      }, 2_000);
      live.client.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      live.client.end();
    });
  }

  #withStep(step: string | undefined): TransportErrorContext {
    return { ...this.#context, step: step ?? null };
  }

  #lost(live: LiveConnection, context: TransportErrorContext, command: string | null, why: string): ConnectionLostError {
    const reason = live.lostReason === null ? why : `${why}: ${live.lostReason}`;
    return new ConnectionLostError(context, {
      what: "SSH connection lost",
      why:
        command === null
          ? reason
          : `${reason}; the command may or may not have taken effect: ${describeCommand(command)}`,
      fix: "check that dom0 is up and sshd is running; the next command reconnects, and re-reading live state shows what the lost command did",
      command,
    });
  }

  async #execOnce(command: string, options: ExecOptions): Promise<ExecResult> {
    const context = this.#withStep(options.step);
    const live = await this.#connect(context);
    const release = await this.#slots.acquire();
    try {
      const channel = await this.#openChannel(live, command, context);
      const watch = new ChannelWatch(channel, (why) => this.#lost(live, context, command, why), {
        ...(options.onStderrLine === undefined ? {} : { onStderrLine: options.onStderrLine }),
      });
      if (options.stdin !== undefined) channel.end(options.stdin);
      else channel.end();

      const timeoutMs = options.timeoutMs ?? this.#defaultTimeoutMs;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        void this.#stopRemote(live, channel, watch, context);
      }, timeoutMs);
      try {
        const result = await watch.done;
        if (!timedOut) return result;
      } catch (err) {
        if (!timedOut) throw err;
      } finally {
        clearTimeout(timer);
      }
      const seconds = Math.round(timeoutMs / 100) / 10;
      throw new CommandTimeoutError(context, {
        what: `command timed out after ${seconds} s`,
        why: `${describeCommand(command)} was still running after ${seconds} s; its process group was sent SIGKILL and its channel closed`,
        fix: "look at dom0 for what it was waiting on (xl may wait for a guest; see the partial output on this error), or give this step a longer timeout",
        command,
        timeoutMs,
        partialStdout: watch.partialStdout(),
        partialStderr: watch.partialStderr(),
      });
    } finally {
      release();
    }
  }

  /**
   * Ends a remote command now: SIGKILL to its process group (through a second, short
   * channel running `kill`; the SSH `signal` request is sent too, for non-root logins where
   * sshd honours it), then closes its channel. If the server does not confirm the close
   * within `timeoutCloseGraceMs`, the connection is considered broken and dropped, so the
   * next command reconnects instead of queueing behind a dead link.
   */
  async #stopRemote(live: LiveConnection, channel: ClientChannel, watch: ChannelWatch, context: TransportErrorContext): Promise<void> {
    const settled = watch.done.then(
      () => true,
      () => true,
    );
    try {
      channel.signal("KILL");
    } catch {
      // the channel may be gone already
    }
    const pid = watch.remotePid;
    if (pid !== null && live.alive) {
      try {
        const killer = await this.#openChannel(live, `kill -9 -${pid} 2>/dev/null || kill -9 ${pid} 2>/dev/null; true`, context, false);
        killer.resume();
        killer.stderr.resume();
        killer.end();
        await Promise.race([new Promise<void>((resolve) => killer.once("close", () => resolve())), sleep(this.#timeoutCloseGraceMs)]);
      } catch {
        // the connection is failing; the close below and the grace timer decide
      }
    }
    channel.close();
    const closed = await Promise.race([settled, sleep(this.#timeoutCloseGraceMs).then(() => false)]);
    if (!closed) {
      this.#log(`${this.hostId}: the server did not close a killed command's channel; dropping the connection`);
      this.#drop(live, "a killed command's channel was not closed by the server");
      await settled;
    }
  }

  /**
   * Opens an exec channel. A failure here can still mean the command started (ssh2 reports
   * the exec request's reply, which a dying connection may swallow), so it is a
   * ConnectionLostError carrying the command, retried only for idempotent commands.
   */
  #openChannel(live: LiveConnection, command: string, context: TransportErrorContext, wrap = true): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) => {
      if (!live.alive) {
        reject(this.#lost(live, context, null, "the connection was already closed; the command was not sent"));
        return;
      }
      try {
        live.client.exec(wrap ? wrapCommand(command) : command, (err, channel) => {
          if (err !== undefined && err !== null) {
            reject(this.#lost(live, context, command, `could not start the command (${errorText(err)})`));
            return;
          }
          resolve(channel);
        });
      } catch (err) {
        reject(this.#lost(live, context, null, `could not open a channel (${errorText(err)}); the command was not sent`));
      }
    });
  }

  /** Marks a connection dead and closes its socket; the next command reconnects. */
  #drop(live: LiveConnection, reason: string): void {
    if (!live.alive) return;
    live.alive = false;
    live.lostReason ??= reason;
    live.client.destroy();
  }

  /** The current connection, opening one (with connect retries) when there is none. */
  async #connect(context: TransportErrorContext): Promise<LiveConnection> {
    if (this.#closed) {
      throw new ConnectionLostError(context, {
        what: "transport closed",
        why: "this transport was closed by the program before the command",
        fix: "this is a bug in the caller: it used a transport after closing it",
        command: null,
      });
    }
    const current = this.#live;
    if (current !== null) {
      try {
        const live = await current;
        if (live.alive) return live;
      } catch {
        // a failed attempt: start a new one below
      }
      if (this.#live === current) this.#live = null;
      else return this.#connect(context);
    }
    const attempt = this.#connectWithRetries(context);
    this.#live = attempt;
    attempt.catch(() => {
      if (this.#live === attempt) this.#live = null;
    });
    return attempt;
  }

  async #connectWithRetries(context: TransportErrorContext): Promise<LiveConnection> {
    // Checked again here for connections that did not come through synth (a hand-edited
    // cdk.tf.json, a provisioner input): an address that is no DNS name or IP literal is never
    // dialled, nor printed into a fix to paste. Every hop of the route is checked the same way
    // when it is resolved (route.ts).
    const addressIssue = hostAddressIssue(this.#connection.address);
    if (addressIssue !== undefined) {
      throw new TransportConfigError(context, {
        what: `address ${showValue(this.#connection.address)} is not a host name or IP address`,
        why: addressIssue,
        fix: `set the XenHost's address to ${HOST_ADDRESS_SYNTAX.replace(/^give /, "")}, then synthesize and deploy again`,
      });
    }
    const userIssue = loginNameProblem(this.#connection.user);
    if (userIssue !== undefined) {
      throw new TransportConfigError(context, { what: "invalid SSH user", why: userIssue.slice(0, userIssue.indexOf(": ")), fix: "set the XenHost's user to the dom0 account to log in as, e.g. root" });
    }
    const agentSocket = this.#env.SSH_AUTH_SOCK;
    if (this.#agentForward && (agentSocket === undefined || agentSocket === "")) {
      throw new TransportConfigError(context, {
        what: "agent forwarding needs an SSH agent",
        why: "agentForward is on but SSH_AUTH_SOCK is not set",
        fix: "start an agent (`eval $(ssh-agent)`), add the key (`ssh-add`), and run again",
      });
    }
    for (let attempt = 1; ; attempt += 1) {
      // The route, keys and known_hosts are re-read for every attempt: a user fixing them need not restart us.
      let route: Route;
      try {
        route = loadRoute(this.#connection, this.#env);
      } catch (err) {
        if (!(err instanceof RouteConfigError)) throw err;
        throw new TransportConfigError(context, {
          what: "the SSH route to the host cannot be used",
          why: err.message,
          fix: "fix the ssh config file (or the XenHost's jumpHosts), or give the setting explicitly in the program: explicit settings win over the config file",
          cause: err,
        });
      }
      const target = route.hops[route.hops.length - 1]!;
      const targetContext = hopContext(context, target);
      const credentials = await loadHopCredentials(target, this.#env, targetContext);
      const policies = await loadHopPolicies(target, targetContext);
      let lease: JumpLease | null = null;
      try {
        let sock: Duplex | undefined;
        if (route.hops.length > 1) {
          lease = await this.#jumps.acquire(route.hops.slice(0, -1), context);
          sock = await forwardTo(lease.bastion, target, targetContext, lease.label);
        }
        const hop = await connectHop(target, credentials, policies, targetContext, {
          connectTimeoutMs: this.#connectTimeoutMs,
          keepaliveIntervalMs: this.#keepaliveIntervalMs,
          keepaliveCountMax: this.#keepaliveCountMax,
          ...(this.#agentForward ? { forwardAgent: agentSocket! } : {}),
        }, sock);
        this.#acceptedHostKey = hop.hostKey;
        const live: LiveConnection = hop;
        const held = lease;
        if (held !== null) hop.client.once("close", () => held.release());
        this.#log(
          `${this.hostId}: connected to ${target.user}@${target.address}:${target.port}${route.hops.length > 1 ? ` via ${route.hops.slice(0, -1).map((h) => `${h.user}@${h.address}:${h.port}`).join(" → ")}` : ""}`,
        );
        return live;
      } catch (err) {
        lease?.release();
        if (!(err instanceof TransportError) || !err.transient || attempt > this.#connectRetries || this.#closed) throw err;
        const wait = this.#retryBackoffMs * 2 ** (attempt - 1);
        this.#log(`${this.hostId}: ${err.what} (${err.why}); retrying in ${wait} ms`);
        await sleep(wait);
      }
    }
  }
}


/** A {@link Ssh2Transport} for `hostId`, with `options` on top of the defaults. */
export function createSsh2Transport(
  hostId: string,
  connection: HostConnection,
  options: Omit<Ssh2TransportOptions, "hostId" | "connection"> = {},
): Ssh2Transport {
  return new Ssh2Transport({ ...options, hostId, connection });
}
