/**
 * Named errors of the `xl/` layer. Each carries what failed, where, why and how to fix it, so the
 * CLI can print it as is. Raw `xl` stderr becomes a typed {@link XlError} once, here, through
 * {@link classifyXlError}; nothing else in the code base pattern-matches xl's messages.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html
 */

/** A string cannot be passed to the remote shell (it contains NUL, which no C argv can hold). */
export class ShellQuoteError extends Error {
  override readonly name = "ShellQuoteError";
  /** How to fix it. */
  readonly fix: string;
  constructor(
    /** The offending argument, with NUL shown as `\0`. */
    readonly argument: string,
  ) {
    super(
      `cannot pass an argument containing a NUL byte to the remote shell: ${JSON.stringify(argument)}. ` +
        "Fix: remove the NUL character; no program argument can contain one.",
    );
    this.fix = "remove the NUL character; no program argument can contain one";
  }
}

/** A {@link DomainSpec} field cannot be written as xl.cfg(5) so that xl reads back the same value. */
export class XlRenderError extends Error {
  override readonly name = "XlRenderError";
  constructor(
    /** Dotted path of the spec field, e.g. `disks[0].target`. */
    readonly field: string,
    /** Why it cannot be rendered. */
    readonly why: string,
    /** What the user can change. */
    readonly fix: string,
    /** The domain whose config was being rendered, when known. */
    readonly domain?: string,
  ) {
    super(`${domain !== undefined ? `domain ${JSON.stringify(domain)}: ` : ""}cannot render xl.cfg field ${field}: ${why}. Fix: ${fix}`);
  }
}

/** An argument of a command builder in `commands.ts` is not safe or not valid for the tool. */
export class XlArgumentError extends Error {
  override readonly name = "XlArgumentError";
  constructor(
    /** The parameter, e.g. `vg` or `sizeMiB`. */
    readonly field: string,
    /** The rejected value. */
    readonly value: unknown,
    /** Why it is rejected. */
    readonly why: string,
    /** What to change. */
    readonly fix: string,
  ) {
    super(`invalid ${field} ${JSON.stringify(value)}: ${why}. Fix: ${fix}`);
  }
}

/** What went wrong, as recognised from xl's (or libxl's, or LVM's) stderr. */
export type XlErrorKind =
  /** `NAME is an invalid domain identifier (rc=-6)`: no such domain on the host. */
  | "unknown-domain"
  /** `Domain with name "NAME" already exists.` from `xl create`. */
  | "domain-exists"
  /** `You are overcommmitting! You have N physical CPUs and want M vCPUs!` */
  | "vcpu-overcommit"
  /** `Requested N VCPUs, however maxcpus is M!` */
  | "vcpu-over-max"
  /** `memory_dynamic_max must be less than or equal to memory_static_max` from `xl mem-set`. */
  | "memory-over-max"
  /** `Disk vdev=X failed to stat: PATH: ...` from `xl create`/`block-attach`: the backing device is missing. */
  | "disk-target-missing"
  /** `Could not find bridge device BRIDGE` from a vif hotplug script. */
  | "bridge-missing"
  /** `config parsing error near ...` from libxlutil. */
  | "config-parse"
  /** The shell could not find the program (exit status 127). */
  | "command-not-found"
  /** None of the above; see {@link XlError.stderr}. */
  | "unknown";

/** What {@link classifyXlError} needs to know about a failed command. */
export interface FailedCommand {
  /** Exit status. */
  readonly rc: number;
  /** Everything the command wrote to stderr. */
  readonly stderr: string;
  /** The argv that ran, for the message. @default - not shown */
  readonly argv?: readonly string[];
  /** Host id or address, for the message. @default - not shown */
  readonly host?: string;
  /** Domain the command acted on, for the message. @default - taken from stderr when xl names it */
  readonly domain?: string;
}

/** A failed xl/LVM command, classified: what, where, why, fix. */
export class XlError extends Error {
  override readonly name = "XlError";
  constructor(
    /** The recognised failure. */
    readonly kind: XlErrorKind,
    /** One line: what failed. */
    readonly what: string,
    /** Host and/or domain, `""` when unknown. */
    readonly where: string,
    /** The line of stderr that says why. */
    readonly why: string,
    /** What the user can do. */
    readonly fix: string,
    /** Exit status of the command. */
    readonly rc: number,
    /** Full stderr, unmodified. */
    readonly stderr: string,
  ) {
    super(`${where ? `${where}: ` : ""}${what}: ${why}. Fix: ${fix}`);
  }
}

/** Lines xl prints on stderr that are progress, not errors (and `time`'s report in captures). */
const NOISE = [
  /^Parsing config from /,
  /^(real|user|sys)\t\d+m[\d.]+s$/,
  /^Shutting down domain \d+$/,
  /^Waiting for \d+ domains$/,
  /^Domain \d+ has been (destroyed|shut down.*)$/,
  /^Rebooting domain \d+$/,
];

interface Rule {
  readonly kind: XlErrorKind;
  readonly pattern: RegExp;
  readonly what: (m: RegExpMatchArray) => string;
  readonly fix: (m: RegExpMatchArray) => string;
  readonly domain?: (m: RegExpMatchArray) => string;
}

// Order matters: the libxl line naming the cause comes before the generic follow-up lines
// ("cannot make domain", "Unable to destroy guest") that every failed create prints.
const RULES: readonly Rule[] = [
  {
    kind: "unknown-domain",
    pattern: /^(.+) is an invalid domain identifier(?: \(rc=-?\d+\))?$/m,
    what: (m) => `domain "${m[1]}" does not exist`,
    fix: () => "check the name with `xl list`; if it was destroyed outside cdktf-xen, run apply again to recreate it",
    domain: (m) => m[1]!,
  },
  {
    kind: "domain-exists",
    pattern: /Domain with name "(.*)" already exists/,
    what: (m) => `a domain named "${m[1]}" is already running`,
    fix: () =>
      "destroy or rename the running domain (`xl destroy NAME`), or import it instead of creating it",
    domain: (m) => m[1]!,
  },
  {
    kind: "vcpu-overcommit",
    pattern: /You are overcomm+itting! You have (\d+) physical CPUs and want (\d+) vCPUs/,
    what: (m) => `${m[2]} vCPUs requested on a host with ${m[1]} physical CPUs`,
    fix: (m) => `declare at most ${m[1]} online vCPUs for this domain on this host`,
  },
  {
    kind: "vcpu-over-max",
    pattern: /Requested (\d+) VCPUs, however maxcpus is (\d+)/,
    what: (m) => `${m[1]} vCPUs requested but the domain was built with maxvcpus ${m[2]}`,
    fix: (m) =>
      `declare vcpus <= ${m[2]}, or raise maxVcpus (takes effect only after the domain restarts)`,
  },
  {
    kind: "memory-over-max",
    pattern: /memory_dynamic_max must be less than or equal to memory_static_max/,
    what: () => "memory target above the domain's static maximum (maxmem)",
    fix: () => "raise maxMemory first (xl mem-max) or declare a lower memory",
  },
  {
    kind: "disk-target-missing",
    pattern: /Disk vdev=(\S+) failed to stat: (.+?): ([^:]+)$/m,
    what: (m) => `the backing device of disk ${m[1]} is missing: ${m[2]}`,
    fix: (m) => `create ${m[2]} (declare it as a XenVolume) or correct the disk's target`,
  },
  {
    kind: "bridge-missing",
    pattern: /Could not find bridge device\s*(\S*)/,
    what: (m) => `network bridge ${m[1] ? `"${m[1]}" ` : ""}does not exist on the host`,
    fix: () => "create the bridge in dom0's network configuration, or attach the vif to an existing bridge",
  },
  {
    kind: "config-parse",
    pattern: /^(.*): ?(\d+): config parsing error near (.*)$/m,
    what: (m) => `xl could not parse ${m[1]} at line ${m[2]}`,
    fix: () => "the config file was edited by hand or rendered by another tool; run apply to rewrite it",
  },
];

/**
 * Turns a failed command's exit status and stderr into an {@link XlError}.
 * Recognises the messages Xen 4.17's xl and libxl print (captured in test/fixtures/xen-4.17*),
 * and falls back to `unknown` with the first meaningful stderr line as the reason.
 */
export function classifyXlError(cmd: FailedCommand): XlError {
  const lines = cmd.stderr
    .split("\n")
    .map((l) => l.replace(/\r$/, ""))
    .filter((l) => l.trim() !== "" && !NOISE.some((n) => n.test(l)));
  const text = lines.join("\n");
  const where = (domain: string | undefined): string =>
    [cmd.host ? `host ${cmd.host}` : "", domain ? `domain "${domain}"` : ""].filter(Boolean).join(", ");
  const command = cmd.argv ? `\`${cmd.argv.join(" ")}\` failed (exit ${cmd.rc})` : `command failed (exit ${cmd.rc})`;

  for (const rule of RULES) {
    const m = text.match(rule.pattern);
    if (!m) continue;
    const line = lines.find((l) => rule.pattern.test(l)) ?? m[0];
    return new XlError(
      rule.kind,
      `${command}: ${rule.what(m)}`,
      where(cmd.domain ?? rule.domain?.(m)),
      stripLibxlPrefix(line),
      rule.fix(m),
      cmd.rc,
      cmd.stderr,
    );
  }
  if (cmd.rc === 127) {
    const why = lines[0] ?? "command not found";
    return new XlError(
      "command-not-found",
      `${command}: program not found`,
      where(cmd.domain),
      why,
      "install the Xen toolstack (xl) and LVM tools in dom0, or check PATH for the SSH user",
      cmd.rc,
      cmd.stderr,
    );
  }
  return new XlError(
    "unknown",
    command,
    where(cmd.domain),
    stripLibxlPrefix(lines[0] ?? "(no message on stderr)"),
    "read the full stderr below; run the command by hand on the host to investigate",
    cmd.rc,
    cmd.stderr,
  );
}

/** `libxl: error: libxl_mem.c:278:libxl_set_memory_target: Domain 1:MSG` -> `MSG` */
function stripLibxlPrefix(line: string): string {
  const m = line.match(/^libxl: error: [\w.]+:\d+:\w+: (?:Domain \d+:)?(.*)$/);
  return (m ? m[1]! : line).trim();
}
