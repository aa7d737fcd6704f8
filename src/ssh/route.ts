/**
 * The route to a host: every SSH hop from the operator's machine to dom0 (bastions first, the
 * host last), each with its address, user, keys to offer and host keys to trust, from the
 * connection the program declares and — when it opts in — the operator's OpenSSH config.
 *
 * Precedence, as ssh(1) gives the command line over the file: what the program declares,
 * then the config file, then the defaults. Defaults that read `~/.ssh` (known_hosts, the
 * identity files id_ed25519, id_ecdsa, id_rsa) apply only with the config file opted in;
 * without it, nothing is read that the program does not name.
 *
 * {@link resolveRoute} is pure; {@link loadRoute} reads the config file (and its Includes).
 */
import { readFileSync, readdirSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { basename, dirname, join } from "node:path";
import { hostAddressIssue } from "../model/address.js";
import { loginNameProblem } from "../model/names.js";
import { MAX_JUMP_HOSTS, type HostConnection, type JumpHostConnection } from "../model/spec.js";
import { patternMatches, expandPathTokens, parseProxyJump, resolveSshConfigHost, type ConfigResult, type JumpSpec, type LocalContext, type SshConfigHost, type SshConfigSource } from "./ssh-config.js";
import { expandHome } from "./paths.js";

/** A key file to offer. */
export interface RouteIdentity {
  readonly path: string;
  /**
   * Named by the program: a missing or unusable file is an error. Otherwise (from the config
   * file or a default) a missing file is skipped, as OpenSSH does.
   */
  readonly explicit: boolean;
  readonly passphraseEnv: string | null;
}

/** A known_hosts file to check the host key against. */
export interface RouteKnownHosts {
  readonly path: string;
  /** Named by the program: it must be readable. Otherwise a missing file holds no keys. */
  readonly explicit: boolean;
}

/** One SSH connection of a route. */
export interface RouteHop {
  /** `host` for the target, `jump host N of M` for a bastion. */
  readonly role: string;
  /** The name as given (a Host alias, or the address). */
  readonly name: string;
  /** The address dialled. */
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Pinned `SHA256:` fingerprint, or null. */
  readonly hostKey: string | null;
  readonly knownHosts: readonly RouteKnownHosts[];
  /** The name known_hosts lists the host under: HostKeyAlias, else `address` or `[address]:port`. */
  readonly hostKeyAlias: string | null;
  readonly identities: readonly RouteIdentity[];
  /** Agent socket to try after the key files, or null. */
  readonly agent: string | null;
}

/** Every hop, bastions first (outermost first), the host last. */
export interface Route {
  readonly hops: readonly RouteHop[];
  /** The config file that was read, or null. */
  readonly configFile: string | null;
}

/** OpenSSH's default identity files cdktf-xen can use (ssh2 has no DSA or security keys), in its order. */
export const DEFAULT_IDENTITY_FILES = ["~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"] as const;
/** OpenSSH's default UserKnownHostsFile. */
export const DEFAULT_KNOWN_HOSTS_FILES = ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"] as const;

/** Where one hop's settings came from in the program. */
interface DeclaredHop {
  readonly name: string;
  readonly port: number | null;
  readonly user: string | null;
  readonly privateKeyPath: string | null;
  readonly passphraseEnv: string | null;
  readonly hostKey: string | null;
  readonly knownHostsFile: string | null;
}

/**
 * The route for `connection`. `config` is the config file's source when the connection opts
 * in to it ({@link HostConnection.sshConfig}), else null.
 */
export function resolveRoute(connection: HostConnection, config: SshConfigSource | null, local: LocalContext): ConfigResult<Route> {
  const agentSocket = connection.useAgent === false ? null : nonEmpty(local.env["SSH_AUTH_SOCK"]);
  const explicit = new Set(connection.sshConfig?.explicit ?? []);
  const target: DeclaredHop = {
    name: connection.address,
    port: config === null || explicit.has("port") ? connection.port : null,
    user: config === null || explicit.has("user") ? connection.user : null,
    privateKeyPath: connection.privateKeyPath,
    passphraseEnv: connection.passphraseEnv,
    hostKey: connection.hostKey,
    knownHostsFile: connection.knownHostsFile,
  };

  const hop = (d: DeclaredHop, role: string, fallbackUser: string, fallbackPort: number): ConfigResult<{ hop: RouteHop; proxyJump: string | null; tokens: TokenBase }> => {
    let found: SshConfigHost | null = null;
    if (config !== null) {
      const r = resolveSshConfigHost(config, d.name, { port: d.port, user: d.user }, local);
      if (!r.ok) return r;
      found = r.value;
    }
    const address = found?.hostName ?? d.name;
    const port = d.port ?? found?.port ?? fallbackPort;
    const user = d.user ?? found?.user ?? fallbackUser;
    const where = `${role} ${JSON.stringify(d.name)}${config === null ? "" : ` (from ${config.path})`}`;
    const addressIssue = hostAddressIssue(address);
    if (addressIssue !== undefined) return { ok: false, message: `${where}: address ${JSON.stringify(address)} is not a host name or IP address (${addressIssue})` };
    const userIssue = loginNameProblem(user);
    if (userIssue !== undefined) return { ok: false, message: `${where}: ${userIssue.slice(0, userIssue.indexOf(": "))}` };
    const tokens = { host: address, originalHost: d.name, port, user, hostKeyAlias: found?.hostKeyAlias ?? d.name };
    const expand = (values: readonly string[], directive: string): ConfigResult<string[]> => {
      const out: string[] = [];
      for (const v of values) {
        const e = expandPathTokens(v, directive, tokens, local);
        if (!e.ok) return { ok: false, message: `${where}: ${e.message}` };
        out.push(e.value);
      }
      return { ok: true, value: out };
    };

    let identities: RouteIdentity[];
    if (d.privateKeyPath !== null) {
      identities = [{ path: expandHome(d.privateKeyPath, local.home), explicit: true, passphraseEnv: d.passphraseEnv }];
    } else if (config === null) {
      identities = [];
    } else {
      const files = expand(found!.identityFiles.length > 0 ? found!.identityFiles : DEFAULT_IDENTITY_FILES, "IdentityFile");
      if (!files.ok) return files;
      identities = files.value.map((path) => ({ path, explicit: false, passphraseEnv: null }));
    }

    let knownHosts: RouteKnownHosts[];
    if (d.hostKey !== null || d.knownHostsFile !== null) {
      knownHosts = d.knownHostsFile === null ? [] : [{ path: expandHome(d.knownHostsFile, local.home), explicit: true }];
    } else if (config === null) {
      knownHosts = [];
    } else {
      const listed = found!.userKnownHostsFiles ?? DEFAULT_KNOWN_HOSTS_FILES;
      const files = expand(listed.filter((f) => f !== "none"), "UserKnownHostsFile");
      if (!files.ok) return files;
      knownHosts = files.value.map((path) => ({ path, explicit: false }));
    }

    let agent = agentSocket;
    if (found !== null && agent !== null && d.privateKeyPath === null) {
      if (found.identitiesOnly && found.identityFiles.length > 0) agent = null;
    }
    if (found?.identityAgent != null && connection.useAgent !== false) {
      const ia = found.identityAgent;
      if (ia.toLowerCase() === "none") agent = null;
      else if (ia === "SSH_AUTH_SOCK") agent = agentSocket;
      else if (ia.startsWith("$") && !ia.startsWith("${")) agent = nonEmpty(local.env[ia.slice(1)]);
      else {
        const e = expand([ia], "IdentityAgent");
        if (!e.ok) return e;
        agent = e.value[0]!;
      }
    }
    return {
      ok: true,
      value: {
        hop: { role, name: d.name, address, port, user, hostKey: d.hostKey, knownHosts, hostKeyAlias: found?.hostKeyAlias ?? null, identities, agent },
        proxyJump: found?.proxyJump ?? null,
        tokens,
      },
    };
  };

  const targetHop = hop(target, "host", "root", 22);
  if (!targetHop.ok) return targetHop;

  // Bastions, nearest the host last. Explicit ones are the whole chain; otherwise the config
  // file's ProxyJump, where the outermost bastion's own ProxyJump adds further bastions in
  // front of it (as `ssh -J a,b` connects to a with a's own config).
  const declaredJumps: DeclaredHop[] = [];
  const explicitJumps = connection.jumpHosts ?? [];
  let chainFromConfig = false;
  if (explicitJumps.length > 0) {
    declaredJumps.push(...explicitJumps.map(declaredJump));
  } else if (targetHop.value.proxyJump !== null) {
    const specs = parseProxyJump(targetHop.value.proxyJump, targetHop.value.tokens);
    if (!specs.ok) return { ok: false, message: `host ${JSON.stringify(connection.address)} (from ${config!.path}): ${specs.message}` };
    declaredJumps.push(...specs.value.map(specJump));
    chainFromConfig = true;
  }
  const resolved: RouteHop[] = [];
  const pending = [...declaredJumps];
  const outermostFirst: RouteHop[] = [];
  // Resolve from the host outwards; only the outermost bastion's own ProxyJump is followed.
  for (let i = pending.length - 1; i >= 0; i -= 1) {
    const d = pending[i]!;
    const r = hop(d, "jump host", localUserOr(local), 22);
    if (!r.ok) return r;
    outermostFirst.unshift(r.value.hop);
    if (i === 0 && chainFromConfig && r.value.proxyJump !== null) {
      const more = parseProxyJump(r.value.proxyJump, r.value.tokens);
      if (!more.ok) return { ok: false, message: `jump host ${JSON.stringify(d.name)} (from ${config!.path}): ${more.message}` };
      if (more.value.length > 0) {
        if (pending.length + more.value.length > MAX_JUMP_HOSTS) {
          return {
            ok: false,
            message: `host ${JSON.stringify(connection.address)} (from ${config!.path}): ProxyJump leads through more than ${MAX_JUMP_HOSTS} jump hosts (a ProxyJump loop?): ${[...more.value.map((m) => m.host), ...pending.map((p) => p.name)].join(" → ")}`,
          };
        }
        pending.unshift(...more.value.map(specJump));
        i += more.value.length;
      }
    }
  }
  if (outermostFirst.length > MAX_JUMP_HOSTS) {
    return { ok: false, message: `host ${JSON.stringify(connection.address)}: ${outermostFirst.length} jump hosts, more than ${MAX_JUMP_HOSTS}` };
  }
  const n = outermostFirst.length;
  resolved.push(...outermostFirst.map((h, i) => ({ ...h, role: `jump host ${i + 1} of ${n}` })));
  resolved.push(targetHop.value.hop);
  return { ok: true, value: { hops: resolved, configFile: config?.path ?? null } };
}

type TokenBase = { readonly host: string; readonly originalHost: string; readonly port: number; readonly user: string };

function declaredJump(j: JumpHostConnection): DeclaredHop {
  return { name: j.address, port: j.port, user: j.user, privateKeyPath: j.privateKeyPath, passphraseEnv: j.passphraseEnv, hostKey: j.hostKey, knownHostsFile: j.knownHostsFile };
}

function specJump(s: JumpSpec): DeclaredHop {
  return { name: s.host, port: s.port, user: s.user, privateKeyPath: null, passphraseEnv: null, hostKey: null, knownHostsFile: null };
}

function localUserOr(local: LocalContext): string {
  return local.localUser;
}

function nonEmpty(v: string | undefined): string | null {
  return v === undefined || v === "" ? null : v;
}

/** The local context of this process: home, user name, uid, environment. */
export function localContext(env: NodeJS.ProcessEnv): LocalContext {
  let localUser = env["USER"] ?? "";
  let uid = -1;
  try {
    const info = userInfo();
    localUser = info.username;
    uid = info.uid;
  } catch {
    // no passwd entry: keep $USER
  }
  return { home: env["HOME"] ?? homedir(), localUser, uid, env };
}

/** Files matching `pattern`, wildcards only in the last component (OpenSSH's glob(3) for Include). */
function includeFiles(pattern: string): { path: string; text: string }[] {
  const dir = dirname(pattern);
  if (/[*?[]/.test(dir)) {
    throw new RouteConfigError(`Include ${JSON.stringify(pattern)}: cdktf-xen expands wildcards only in the file name, not in directories`);
  }
  const name = basename(pattern);
  let names: string[];
  if (/[*?]/.test(name)) {
    try {
      names = readdirSync(dir).filter((n) => !n.startsWith(".") && patternMatches(n, name)).sort();
    } catch {
      return [];
    }
  } else {
    names = [name];
  }
  const out: { path: string; text: string }[] = [];
  for (const n of names) {
    const path = join(dir, n);
    try {
      out.push({ path, text: readFileSync(path, "utf8") });
    } catch {
      // OpenSSH skips an Include that matches nothing
    }
  }
  return out;
}

/** The config file cannot be used (unreadable, or an Include cdktf-xen cannot expand). */
export class RouteConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RouteConfigError";
  }
}

/**
 * Reads the config file the connection names (if it opts in) and resolves the route.
 * @throws RouteConfigError for an unreadable config file or a refused directive
 */
export function loadRoute(connection: HostConnection, env: NodeJS.ProcessEnv): Route {
  const local = localContext(env);
  let source: SshConfigSource | null = null;
  if (connection.sshConfig !== undefined) {
    const path = expandHome(connection.sshConfig.file, local.home);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A missing ~/.ssh/config means no settings, as for ssh(1); another file named must exist.
      if (code === "ENOENT" && connection.sshConfig.file === "~/.ssh/config") text = "";
      else throw new RouteConfigError(`cannot read the ssh config file ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    source = { path, text, include: includeFiles };
  }
  const r = resolveRoute(connection, source, local);
  if (!r.ok) throw new RouteConfigError(r.message);
  return r.value;
}
