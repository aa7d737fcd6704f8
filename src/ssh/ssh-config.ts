/**
 * The operator's OpenSSH client config (`~/.ssh/config`), read for one host the way `ssh(1)`
 * reads it: parsed by the `ssh-config` package, then evaluated here, because OpenSSH's rules
 * decide which value counts and the package's `compute` would run `Match exec` commands:
 *
 * - **First obtained value wins** (ssh_config(5)): for each directive the first active line
 *   counts; `IdentityFile` accumulates. What the program sets explicitly counts as given on
 *   the command line, so the file never overrides it.
 * - **Host** lines match the name as given (the alias, lower-cased as ssh does), with `*`, `?`
 *   and `!negation`; **Match** `all`, `host` (the HostName found so far, else the name),
 *   `originalhost`, `user` and `localuser` are evaluated, criteria left to right; a criterion
 *   that cannot be evaluated here (`exec`, `canonical`, `final`, `localnetwork`, `tagged`) is
 *   refused when it is reached, never guessed.
 * - **Include** (in or outside a block) reads the named files, relative ones under `~/.ssh`;
 *   an Include in an inactive block matches nothing, as in OpenSSH.
 * - **Tokens**: `HostName` expands `%h` and `%%`; `IdentityFile`, `UserKnownHostsFile` and
 *   `IdentityAgent` expand `~`, `${VAR}` and `%% %d %h %i %k %n %p %r %u`; `ProxyJump` `%% %h %n
 *   %p %r`. Any other token is refused (it names something cdktf-xen does not know).
 * - Directives that change where or how the connection goes and that cdktf-xen cannot honour
 *   (ProxyCommand, CanonicalizeHostname, CertificateFile, PKCS11Provider, KnownHostsCommand,
 *   BindAddress, BindInterface) are refused with the host and the directive, when they would
 *   take effect. The rest (ForwardAgent, ServerAliveInterval, ControlMaster, Compression, …)
 *   do not change which host is reached nor which key is trusted, and are ignored.
 *   `StrictHostKeyChecking` is ignored in the safe direction: host keys are always checked.
 *
 * Pure: the file's text and every included file come in through {@link SshConfigSource}.
 *
 * @see https://man.openbsd.org/ssh_config.5
 */
import { parse, type Line } from "ssh-config";

/** The config text, and how to read the files an `Include` names. */
export interface SshConfigSource {
  /** Path of the main file, for messages. */
  readonly path: string;
  readonly text: string;
  /**
   * Files matching an absolute path pattern (`*` and `?` in its last component), sorted as
   * glob(3) sorts; none when nothing matches.
   */
  readonly include: (pattern: string) => readonly { readonly path: string; readonly text: string }[];
}

/** Who runs the CLI, for `~`, `%d`, `%u`, `%i`, `${VAR}` and `Match localuser`. */
export interface LocalContext {
  readonly home: string;
  readonly localUser: string;
  readonly uid: number;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What the program gives explicitly (the command line, for OpenSSH). */
export interface ExplicitSettings {
  readonly port: number | null;
  readonly user: string | null;
}

/** The directives cdktf-xen uses, as the config file gives them for one host (null: not given). */
export interface SshConfigHost {
  /** The name looked up (the Host alias, as the program gives it). */
  readonly name: string;
  /** `HostName`, `%h` expanded: the address to dial. */
  readonly hostName: string | null;
  readonly port: number | null;
  readonly user: string | null;
  /** `IdentityFile` values in order, tokens not yet expanded (they need the final user and port). */
  readonly identityFiles: readonly string[];
  readonly identitiesOnly: boolean;
  /** `IdentityAgent`, unexpanded. */
  readonly identityAgent: string | null;
  /** `UserKnownHostsFile` values, unexpanded; `["none"]` for none. */
  readonly userKnownHostsFiles: readonly string[] | null;
  readonly hostKeyAlias: string | null;
  /** `ProxyJump`, unexpanded; `"none"` for none. */
  readonly proxyJump: string | null;
}

/** A result: the value, or why the config cannot be used for this host. */
export type ConfigResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** Deepest Include nesting, as OpenSSH's READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;

/** Directives that would change where or how the connection goes, refused when they take effect. */
const REFUSED: Readonly<Record<string, { readonly unless?: readonly string[]; readonly why: string }>> = {
  proxycommand: { unless: ["none"], why: "cdktf-xen runs no local command to reach a host; use ProxyJump (a bastion) instead" },
  canonicalizehostname: { unless: ["no"], why: "cdktf-xen does not canonicalize host names; write the full name in HostName" },
  certificatefile: { why: "ssh2 cannot authenticate with a user certificate; use a key file or the SSH agent" },
  pkcs11provider: { unless: ["none"], why: "ssh2 cannot use a PKCS#11 token; load its keys into the SSH agent instead (ssh-add -s)" },
  knownhostscommand: { unless: ["none"], why: "cdktf-xen runs no local command to find host keys; list them in a known_hosts file" },
  bindaddress: { why: "cdktf-xen cannot choose the local source address" },
  bindinterface: { why: "cdktf-xen cannot choose the local interface" },
};

/** Match criteria without an argument. */
const NO_ARGUMENT = new Set(["all", "canonical", "final"]);

type Directive = Extract<Line, { param: string }>;

function valuesOf(d: Directive): string[] {
  return typeof d.value === "string" ? [d.value] : d.value.map((v) => v.val);
}

/** OpenSSH's match_pattern: `*` any run, `?` one character, case-insensitive. */
export function patternMatches(name: string, pattern: string): boolean {
  const source = [...pattern].map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(`^${source}$`, "is").test(name);
}

/** OpenSSH's match_pattern_list: a matching `!pattern` rejects, else any positive match accepts. */
export function patternListMatches(name: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const raw of patterns.flatMap((p) => p.split(","))) {
    if (raw === "") continue;
    if (raw.startsWith("!")) {
      if (patternMatches(name, raw.slice(1))) return false;
    } else if (patternMatches(name, raw)) {
      matched = true;
    }
  }
  return matched;
}

class Refusal extends Error {}

/**
 * The directives of `source` that apply to `name` (see the module comment), with `explicit`
 * settings treated as given on the command line.
 */
export function resolveSshConfigHost(
  source: SshConfigSource,
  name: string,
  explicit: ExplicitSettings,
  local: LocalContext,
): ConfigResult<SshConfigHost> {
  const host = name.toLowerCase();
  const got = new Map<string, string[]>();
  const identityFiles: string[] = [];
  const refuse = (file: string, what: string): never => {
    throw new Refusal(`${file}, for host ${JSON.stringify(name)}: ${what}`);
  };
  const first = (key: string): string | undefined => got.get(key)?.[0];

  const hostSoFar = (): string => {
    const hn = first("hostname");
    return hn === undefined ? host : hn.replace(/%%|%h/g, (t) => (t === "%%" ? "%" : host));
  };

  const matchLine = (d: Directive, file: string): boolean => {
    const words = valuesOf(d);
    for (let i = 0; i < words.length; ) {
      let criterion = words[i]!.toLowerCase();
      i += 1;
      const negate = criterion.startsWith("!");
      if (negate) criterion = criterion.slice(1);
      let arg: string | undefined;
      if (!NO_ARGUMENT.has(criterion)) {
        arg = words[i];
        i += 1;
        if (arg === undefined) refuse(file, `Match ${criterion} has no argument`);
      }
      let result: boolean;
      switch (criterion) {
        case "all":
          result = true;
          break;
        case "host":
          result = patternListMatches(hostSoFar(), [arg!]);
          break;
        case "originalhost":
          result = patternListMatches(host, [arg!]);
          break;
        case "user":
          result = patternListMatches(explicit.user ?? first("user") ?? local.localUser, [arg!]);
          break;
        case "localuser":
          result = patternListMatches(local.localUser, [arg!]);
          break;
        default:
          return refuse(
            file,
            `"Match ${criterion}${arg === undefined ? "" : ` ${arg}`}" cannot be evaluated by cdktf-xen (it evaluates Match all, host, originalhost, user and localuser); put the settings for this host in a Host block, or give them in the program`,
          );
      }
      if (negate) result = !result;
      if (!result) return false;
    }
    return true;
  };

  const apply = (d: Directive, file: string, depth: number): void => {
    const key = d.param.toLowerCase();
    const values = valuesOf(d);
    if (key === "include") {
      if (depth >= MAX_INCLUDE_DEPTH) refuse(file, `Include nests deeper than ${MAX_INCLUDE_DEPTH} files`);
      for (const pattern of values) {
        const absolute = pattern.startsWith("~/") ? `${local.home}${pattern.slice(1)}` : pattern.startsWith("/") ? pattern : `${local.home}/.ssh/${pattern}`;
        for (const included of source.include(absolute)) evaluate(parse(included.text), included.path, true, false, depth + 1);
      }
      return;
    }
    if (key === "identityfile") {
      identityFiles.push(...values);
      return;
    }
    if (got.has(key)) return;
    // ProxyJump and ProxyCommand exclude each other: whichever comes first counts.
    if (key === "proxycommand" && got.has("proxyjump")) return;
    if (key === "proxyjump" && got.has("proxycommand")) return;
    const refused = REFUSED[key];
    if (refused !== undefined && !(refused.unless ?? []).includes(values.join(" ").toLowerCase())) {
      refuse(file, `${d.param} ${values.join(" ")} is not supported: ${refused.why}`);
    }
    got.set(key, values);
  };

  const evaluate = (lines: readonly Line[], file: string, active: boolean, neverMatch: boolean, depth: number): void => {
    for (const line of lines) {
      if (line.type !== 1) continue;
      const d = line as Directive;
      const key = d.param.toLowerCase();
      if (key === "host" || key === "match") {
        const section = d as Directive & { config?: readonly Line[] };
        const matches = !neverMatch && (key === "host" ? patternListMatches(host, valuesOf(d)) : matchLine(d, file));
        evaluate(section.config ?? [], file, matches, neverMatch || !matches, depth);
        continue;
      }
      if (active) apply(d, file, depth);
    }
  };

  try {
    evaluate(parse(source.text), source.path, true, false, 0);
    const port = first("port");
    let portNumber: number | null = null;
    if (explicit.port === null && port !== undefined) {
      portNumber = /^[0-9]{1,5}$/.test(port) ? Number(port) : NaN;
      if (!(portNumber >= 1 && portNumber <= 65535)) refuse(source.path, `Port ${JSON.stringify(port)} is not a TCP port (1 to 65535)`);
    }
    const hostName = first("hostname");
    if (hostName !== undefined && /%[^%h]/.test(hostName.replace(/%%/g, ""))) {
      refuse(source.path, `HostName ${JSON.stringify(hostName)} uses a token other than %h and %% (OpenSSH expands only those there)`);
    }
    const ukh = got.get("userknownhostsfile");
    return {
      ok: true,
      value: {
        name,
        hostName: hostName === undefined ? null : hostSoFar(),
        port: portNumber,
        user: explicit.user === null ? (first("user") ?? null) : null,
        identityFiles,
        identitiesOnly: (first("identitiesonly") ?? "no").toLowerCase() === "yes",
        identityAgent: first("identityagent") ?? null,
        userKnownHostsFiles: ukh === undefined ? null : ukh.map((f) => (f.toLowerCase() === "none" ? "none" : f)),
        hostKeyAlias: first("hostkeyalias") ?? null,
        proxyJump: first("proxyjump") ?? null,
      },
    };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, message: err.message };
    throw err;
  }
}

/** Values the path tokens stand for, once the connection's user and port are known. */
export interface TokenValues {
  /** `%h`: the address dialled (HostName). */
  readonly host: string;
  /** `%n`: the name as given (the alias). */
  readonly originalHost: string;
  readonly port: number;
  /** `%r`: the remote user. */
  readonly user: string;
  /** `%k`: HostKeyAlias, else the name as given. */
  readonly hostKeyAlias: string;
}

/**
 * A path-like value with `~`, `${VAR}` and the tokens `%% %d %h %i %k %n %p %r %u` expanded
 * (the tokens ssh_config(5) allows in IdentityFile, UserKnownHostsFile and IdentityAgent that
 * cdktf-xen can know); another token or an unset variable is refused.
 */
export function expandPathTokens(value: string, directive: string, tokens: TokenValues, local: LocalContext): ConfigResult<string> {
  let problem: string | null = null;
  const withEnv = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = local.env[name];
    if (v === undefined) problem ??= `${directive} ${JSON.stringify(value)} names the environment variable ${name}, which is not set`;
    return v ?? "";
  });
  const table: Record<string, string> = {
    "%": "%",
    d: local.home,
    h: tokens.host,
    i: String(local.uid),
    k: tokens.hostKeyAlias,
    n: tokens.originalHost,
    p: String(tokens.port),
    r: tokens.user,
    u: local.localUser,
  };
  const expanded = withEnv.replace(/%(.?)/g, (m, t: string) => {
    const v = table[t];
    if (v === undefined) problem ??= `${directive} ${JSON.stringify(value)} uses the token ${m === "%" ? "% at its end" : m}, which cdktf-xen does not expand (it knows %%, %d, %h, %i, %k, %n, %p, %r, %u)`;
    return v ?? "";
  });
  if (problem !== null) return { ok: false, message: problem };
  const home = expanded === "~" ? local.home : expanded.startsWith("~/") ? `${local.home}${expanded.slice(1)}` : expanded;
  return { ok: true, value: home };
}

/** One `[user@]host[:port]` of a ProxyJump list (or a `-J`-style explicit list). */
export interface JumpSpec {
  readonly host: string;
  readonly user: string | null;
  readonly port: number | null;
}

/**
 * Parses a ProxyJump value: comma-separated `[user@]host[:port]` or `ssh://[user@]host[:port]`,
 * an IPv6 address in brackets; `%% %h %n %p %r` expanded first. `none`: no jump host.
 */
export function parseProxyJump(value: string, tokens: Omit<TokenValues, "hostKeyAlias">): ConfigResult<readonly JumpSpec[]> {
  if (value.toLowerCase() === "none") return { ok: true, value: [] };
  let bad: string | null = null;
  const table: Record<string, string> = { "%": "%", h: tokens.host, n: tokens.originalHost, p: String(tokens.port), r: tokens.user };
  const text = value.replace(/%(.?)/g, (m, t: string) => {
    const v = table[t];
    if (v === undefined) bad ??= `ProxyJump ${JSON.stringify(value)} uses the token ${m}, which OpenSSH does not expand there (only %%, %h, %n, %p, %r)`;
    return v ?? "";
  });
  if (bad !== null) return { ok: false, message: bad };
  const out: JumpSpec[] = [];
  for (const raw of text.split(",")) {
    const item = raw.trim().replace(/^ssh:\/\//i, "").replace(/\/$/, "");
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@[\]]+)(?::([0-9]{1,5}))?$/.exec(item);
    if (m === null) return { ok: false, message: `ProxyJump ${JSON.stringify(value)}: ${JSON.stringify(raw.trim())} is not [user@]host[:port]` };
    const port = m[3] === undefined ? null : Number(m[3]);
    if (port !== null && (port < 1 || port > 65535)) return { ok: false, message: `ProxyJump ${JSON.stringify(value)}: port ${m[3]} is not a TCP port` };
    out.push({ host: m[2]!.replace(/^\[(.*)\]$/, "$1"), user: m[1] ?? null, port });
  }
  return { ok: true, value: out };
}
