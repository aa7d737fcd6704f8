/**
 * One SSH connection of a route (route.ts): a bastion or the host itself. Its credentials (key
 * files, then the agent), the host keys it trusts (pinned, or every known_hosts file of the
 * hop: a key one of them lists is accepted, a revoked one is refused, another key for a listed
 * host is a mismatch), and the ssh2 handshake — over TCP, or over a channel a bastion opened
 * (`forwardOut`), which is how ProxyJump works.
 */
import { readFile } from "node:fs/promises";
import type { Duplex } from "node:stream";
import ssh2 from "ssh2";
import type { Client as Ssh2Client, ConnectConfig } from "ssh2";
import { shellCommand } from "../xl/shell.js";
import { AuthError, ConnectError, TransportConfigError, TransportError, type TransportErrorContext } from "./errors.js";
import {
  DEFAULT_HOST_KEY_ALGORITHMS,
  checkHostKey,
  hostKeyAlgorithmsFor,
  hostKeyError,
  knownHostsName,
  loadHostKeyPolicy,
  parseKnownHosts,
  resolveHostKeyPolicy,
  type HostKeyPolicy,
  type HostKeyVerdict,
} from "./host-key.js";
import type { RouteHop } from "./route.js";

const { Client, utils } = ssh2;

/** One established, authenticated connection. */
export interface HopConnection {
  readonly client: Ssh2Client;
  alive: boolean;
  /** Why it died, once it has. */
  lostReason: string | null;
  /** The host key that was accepted. */
  readonly hostKey: Buffer;
}

/** Keys (already read) and the agent socket to offer, in that order. */
export interface HopCredentials {
  readonly keys: readonly { readonly path: string; readonly key: Buffer; readonly passphrase: string | undefined }[];
  readonly agent: string | null;
  /** Key files that were listed but skipped (missing, encrypted without passphrase), for messages. */
  readonly skipped: readonly string[];
}

/** Connection-wide settings of a hop. */
export interface HopOptions {
  readonly connectTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly keepaliveCountMax: number;
  /** Forward this agent socket (the host only, for `xl migrate`). */
  readonly forwardAgent?: string;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The error context of a hop: the host's id, the hop's address, and which bastion it is. */
export function hopContext(base: TransportErrorContext, hop: RouteHop): TransportErrorContext {
  const { via: _ignored, ...rest } = base;
  return hop.role === "host"
    ? { ...rest, address: hop.address, port: hop.port }
    : { ...rest, address: hop.address, port: hop.port, via: `${hop.role} ${JSON.stringify(hop.name)}` };
}

/** Reads the hop's key files; a missing one the program did not name is skipped, as OpenSSH does. */
export async function loadHopCredentials(hop: RouteHop, env: NodeJS.ProcessEnv, context: TransportErrorContext): Promise<HopCredentials> {
  const keys: { path: string; key: Buffer; passphrase: string | undefined }[] = [];
  const skipped: string[] = [];
  for (const id of hop.identities) {
    let key: Buffer;
    try {
      key = await readFile(id.path);
    } catch (err) {
      if (!id.explicit) {
        skipped.push(`${id.path} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`);
        continue;
      }
      throw new TransportConfigError(context, {
        what: "cannot read the private key",
        why: `${id.path}: ${errorText(err)}`,
        fix: "check privateKeyPath (a path on the machine running cdktf-xen; `~` is expanded), or set it to null to use the SSH agent",
        cause: err,
      });
    }
    let passphrase: string | undefined;
    if (id.passphraseEnv !== null) {
      passphrase = env[id.passphraseEnv];
      if (passphrase === undefined) {
        throw new TransportConfigError(context, {
          what: "the key's passphrase variable is not set",
          why: `passphraseEnv names ${id.passphraseEnv}, which is not in the environment`,
          fix: `export ${id.passphraseEnv}=… before running (it is read from the environment so that it never lands in Terraform state)`,
        });
      }
    }
    const parsed = utils.parseKey(key, passphrase);
    if (parsed instanceof Error) {
      if (!id.explicit) {
        skipped.push(`${id.path} (${/encrypted|passphrase|decrypt/i.test(parsed.message) ? "encrypted: load it into the SSH agent" : parsed.message})`);
        continue;
      }
      const encrypted = /encrypted|passphrase|decrypt/i.test(parsed.message);
      throw new AuthError(context, {
        what: "cannot use the private key",
        why: `${id.path}: ${parsed.message}`,
        fix: encrypted
          ? id.passphraseEnv === null
            ? "the key is encrypted: set passphraseEnv to the name of an environment variable holding its passphrase"
            : `check the passphrase in ${id.passphraseEnv}`
          : "privateKeyPath must name an OpenSSH or PEM private key (not the .pub file)",
        cause: parsed,
        transient: false,
      });
    }
    keys.push({ path: id.path, key, passphrase });
  }
  if (keys.length === 0 && hop.agent === null) {
    throw new TransportConfigError(context, {
      what: "no SSH agent to authenticate with",
      why:
        hop.identities.length === 0
          ? "the connection has no privateKeyPath, so the SSH agent is used, but SSH_AUTH_SOCK is not set"
          : `no key file could be used (${skipped.join(", ")}) and SSH_AUTH_SOCK is not set`,
      fix: "start an agent and add the key (`eval $(ssh-agent) && ssh-add ~/.ssh/id_ed25519`), or set privateKeyPath",
    });
  }
  return { keys, agent: hop.agent, skipped };
}

/**
 * What the hop's key is checked against: the pinned key and/or the known_hosts file the
 * program names (which must be readable), else each known_hosts file from the ssh config or
 * the defaults (a missing one lists nothing). None at all is refused: checking is never off.
 */
export async function loadHopPolicies(hop: RouteHop, context: TransportErrorContext): Promise<HostKeyPolicy[]> {
  const explicitFile = hop.knownHosts.find((k) => k.explicit);
  if (hop.hostKey !== null || explicitFile !== undefined) {
    return [await loadHostKeyPolicy({ hostKey: hop.hostKey, knownHostsFile: explicitFile?.path ?? null }, context)];
  }
  if (hop.knownHosts.length === 0) return [resolveHostKeyPolicy({ hostKey: null, knownHostsFile: null }, null, context)];
  const policies: HostKeyPolicy[] = [];
  for (const k of hop.knownHosts) {
    let text = "";
    try {
      text = await readFile(k.path, "utf8");
    } catch {
      // a default known_hosts file that does not exist lists no keys
    }
    policies.push({ kind: "known-hosts", path: k.path, knownHosts: parseKnownHosts(text) });
  }
  return policies;
}

/** Checks a key under every policy of a hop: revoked anywhere refuses, listed anywhere accepts, else the first mismatch, else unknown. */
export function checkHopKey(policies: readonly HostKeyPolicy[], hostName: string, key: Buffer): { verdict: HostKeyVerdict; policy: HostKeyPolicy } {
  const verdicts = policies.map((policy) => ({ verdict: checkHostKey(policy, hostName, key), policy }));
  return (
    verdicts.find((v) => v.verdict.kind === "revoked") ??
    verdicts.find((v) => v.verdict.kind === "accepted") ??
    verdicts.find((v) => v.verdict.kind === "mismatch") ??
    verdicts[0]!
  );
}

function hostKeyAlgorithms(policies: readonly HostKeyPolicy[], hostName: string): string[] {
  const entries = policies.flatMap((p) => (p.kind === "pinned" ? [] : p.knownHosts.entries));
  return entries.length === 0 ? [...DEFAULT_HOST_KEY_ALGORITHMS] : hostKeyAlgorithmsFor({ entries, issues: [] }, hostName);
}

type HostKeyAlgorithms = NonNullable<NonNullable<ConnectConfig["algorithms"]>["serverHostKey"]>;

/** Opens a channel from `bastion` to `hop`'s address and port, for the next handshake. */
export function forwardTo(bastion: HopConnection, hop: RouteHop, context: TransportErrorContext, bastionLabel: string): Promise<Duplex> {
  return new Promise<Duplex>((resolve, reject) => {
    const fail = (why: string, cause?: unknown): void =>
      reject(
        new ConnectError(context, {
          what: `cannot reach the ${hop.role === "host" ? "host" : hop.role} through ${bastionLabel}`,
          why: `${bastionLabel} could not open a connection to ${hop.address}:${hop.port} (${why})`,
          fix: `check that ${hop.address}:${hop.port} is reachable from the bastion (sshd runs there; a firewall allows it) and that the bastion's sshd allows forwarding (AllowTcpForwarding, PermitOpen)`,
          cause,
        }),
      );
    if (!bastion.alive) {
      fail(`its connection is closed${bastion.lostReason === null ? "" : `: ${bastion.lostReason}`}`);
      return;
    }
    try {
      bastion.client.forwardOut("127.0.0.1", 0, hop.address, hop.port, (err, stream) => {
        if (err !== undefined && err !== null) fail(errorText(err), err);
        else resolve(stream);
      });
    } catch (err) {
      fail(errorText(err), err);
    }
  });
}

/**
 * Connects and authenticates one hop, over `sock` when a bastion carries it. The host key is
 * checked before anything is sent: a refusal rejects with the typed host-key error.
 */
export function connectHop(
  hop: RouteHop,
  credentials: HopCredentials,
  policies: readonly HostKeyPolicy[],
  context: TransportErrorContext,
  options: HopOptions,
  sock?: Duplex,
): Promise<HopConnection> {
  const hostName = hop.hostKeyAlias ?? knownHostsName(hop.address, hop.port);
  return new Promise<HopConnection>((resolve, reject) => {
    const client = new Client();
    let accepted: Buffer | null = null;
    let live: HopConnection | null = null;
    let refusal: TransportError | null = null;
    let lastError: Error | null = null;

    client.on("ready", () => {
      live = { client, alive: true, lostReason: null, hostKey: accepted! };
      resolve(live);
    });
    client.on("error", (err: Error & { level?: string }) => {
      lastError = err;
      if (live !== null) {
        live.lostReason ??= err.message;
        return;
      }
      reject(refusal ?? connectFailure(hop, context, err, credentials, options));
    });
    client.on("close", () => {
      if (live !== null) {
        live.alive = false;
        live.lostReason ??= "the server closed the connection";
        return;
      }
      reject(
        refusal ??
          (lastError === null
            ? new ConnectError(context, {
                what: "SSH connection failed",
                why: "the server closed the connection before authentication completed",
                fix: `check sshd's log on ${hop.role === "host" ? "dom0" : "the bastion"} (MaxStartups, AllowUsers, a firewall)`,
              })
            : connectFailure(hop, context, lastError, credentials, options)),
      );
    });

    const auth = [
      ...credentials.keys.map((k) => ({ type: "publickey" as const, username: hop.user, key: k.key, ...(k.passphrase === undefined ? {} : { passphrase: k.passphrase }) })),
      ...(credentials.agent === null ? [] : [{ type: "agent" as const, username: hop.user, agent: credentials.agent }]),
    ];
    const config: ConnectConfig = {
      ...(sock === undefined ? { host: hop.address, port: hop.port } : { sock }),
      username: hop.user,
      readyTimeout: options.connectTimeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs,
      keepaliveCountMax: options.keepaliveCountMax,
      tryKeyboard: false,
      authHandler: auth as unknown as ConnectConfig["authHandler"],
      algorithms: { serverHostKey: hostKeyAlgorithms(policies, hostName) as HostKeyAlgorithms },
      hostVerifier: (key: Buffer): boolean => {
        const { verdict, policy } = checkHopKey(policies, hostName, key);
        refusal = hostKeyError(verdict, policy, context);
        if (refusal === null) accepted = Buffer.from(key);
        return refusal === null;
      },
      ...(options.forwardAgent === undefined ? {} : { agent: options.forwardAgent, agentForward: true }),
    };
    try {
      client.connect(config);
    } catch (err) {
      reject(
        new TransportConfigError(context, {
          what: "invalid SSH connection settings",
          why: errorText(err),
          fix: "check address, port, user and key settings of the host",
          cause: err,
        }),
      );
    }
  });
}

function offered(credentials: HopCredentials): string {
  const parts = credentials.keys.map((k) => `the key ${k.path}`);
  if (credentials.agent !== null) parts.push("every key the SSH agent offered");
  return parts.length === 0 ? "no key" : parts.join(" and ");
}

function connectFailure(hop: RouteHop, context: TransportErrorContext, err: Error & { level?: string; code?: string }, credentials: HopCredentials, options: HopOptions): TransportError {
  const target = `${hop.user}@${hop.address}:${hop.port}`;
  const where = hop.role === "host" ? "dom0" : "the bastion";
  switch (err.level) {
    case "client-authentication": {
      const onlyKey = credentials.keys.length === 1 ? credentials.keys[0]!.path : null;
      return new AuthError(context, {
        what: "SSH authentication failed",
        why: `${target} refused ${offered(credentials)}${credentials.skipped.length === 0 ? "" : ` (skipped: ${credentials.skipped.join(", ")})`} (${err.message})`,
        fix:
          onlyKey === null
            ? `check \`ssh-add -l\` lists a key whose public half is in ~${hop.user}/.ssh/authorized_keys on ${where}`
            : `add the public key to ~${hop.user}/.ssh/authorized_keys on ${where} (\`${shellCommand(["ssh-copy-id", "-i", `${onlyKey}.pub`, "-p", String(hop.port), `${hop.user}@${hop.address}`])}\`), or check user`,
        cause: err,
      });
    }
    case "agent":
      return new AuthError(context, {
        what: "the SSH agent could not be used",
        why: `${credentials.agent ?? "SSH_AUTH_SOCK"}: ${err.message}`,
        fix: "check that the agent is running (`ssh-add -l`) and SSH_AUTH_SOCK points at it",
        cause: err,
        transient: false,
      });
    case "client-timeout":
      return new ConnectError(context, {
        what: "SSH connection timed out",
        why: `no authenticated session with ${target} within ${options.connectTimeoutMs / 1000} s (${err.message})`,
        fix: `check the address and port, that ${where} is up, and that no firewall drops the connection; or raise connectTimeoutMs`,
        cause: err,
      });
    case "client-dns":
      return new ConnectError(context, {
        what: "cannot resolve the host's address",
        why: `${hop.address}: ${err.message}`,
        fix: "check the address (or use an IP address)",
        cause: err,
      });
    case "client-socket":
      return new ConnectError(context, {
        what: "cannot connect",
        why: `${target}: ${
          err.code === "ECONNREFUSED"
            ? "connection refused (nothing listens on that port)"
            : err.code === "EHOSTUNREACH" || err.code === "ENETUNREACH"
              ? "host unreachable"
              : err.message
        }`,
        fix: `check that ${where} is up, sshd runs and listens on this port, and the address and port are right`,
        cause: err,
      });
    default:
      return new ConnectError(context, {
        what: "SSH handshake failed",
        why: `${target}: ${err.message}`,
        fix: `check sshd's log on ${where}; the server may offer no algorithm ssh2 supports`,
        cause: err,
      });
  }
}
