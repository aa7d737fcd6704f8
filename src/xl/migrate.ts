/**
 * The shell side of moving a domain between hosts: the SSH command `xl migrate` (and a cold
 * copy) uses for the host-to-host hop, the detached migration job, and what xl's output
 * says when a migration fails. Pure: builds strings, runs nothing.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (migrate, migrate-receive)
 */
import { algorithmsForKeyType } from "../ssh/host-key.js";
import { HOST_ADDRESS_SYNTAX, hostAddressIssue } from "../model/address.js";
import { loginNameProblem, pathProblem } from "../model/names.js";
import { checkDomainName } from "./commands.js";
import { XlArgumentError } from "./errors.js";
import { shellCommand, shellQuote } from "./shell.js";

/** Where migration jobs keep their pid, exit status, log and known_hosts on the source dom0 (tmpfs). */
export const MIGRATION_RUN_DIR = "/run/cdktf-xen/migrate";

/**
 * The alias the target's pinned host key is filed under in the job's known_hosts. With
 * HostKeyAlias, ssh looks the key up by this name whatever address it dials, so the file
 * has exactly one entry and nothing else on dom0 (root's known_hosts) is consulted.
 */
export const TARGET_KEY_ALIAS = "cdktf-xen-migration-target";

/** How the source dom0 reaches the target dom0's sshd. */
export interface MigrationHop {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** The target's host key, as verified by cdktf-xen's own connection to it. */
  readonly hostKey: { readonly type: string; readonly base64: string };
  /** A key file on the source dom0, or null to use the SSH agent forwarded to it. */
  readonly identityFile: string | null;
}

/** Paths of one domain's migration job on the source dom0. */
export interface MigrationJobPaths {
  readonly dir: string;
  readonly pid: string;
  readonly rc: string;
  readonly log: string;
  readonly knownHosts: string;
  /** Held by the running job (flock): free means no migration of this domain is running. */
  readonly lock: string;
}

export function migrationJobPaths(name: string): MigrationJobPaths {
  checkDomainName(name);
  const base = `${MIGRATION_RUN_DIR}/${name}`;
  return { dir: MIGRATION_RUN_DIR, pid: `${base}.pid`, rc: `${base}.rc`, log: `${base}.log`, knownHosts: `${base}.known_hosts`, lock: `${base}.lock` };
}

/** The known_hosts file of a job: the target's key under {@link TARGET_KEY_ALIAS}, nothing else. */
export function knownHostsContent(hop: MigrationHop): string {
  if (!/^[a-z0-9@.-]+$/.test(hop.hostKey.type) || !/^[A-Za-z0-9+/=]+$/.test(hop.hostKey.base64)) {
    throw new Error(`malformed host key ${hop.hostKey.type} ${hop.hostKey.base64.slice(0, 16)}…`);
  }
  return `${TARGET_KEY_ALIAS} ${hop.hostKey.type} ${hop.hostKey.base64}\n`;
}

/**
 * Checks every value of the hop again, right where it enters a command line another program
 * builds: `xl migrate` pastes the address unquoted into `exec ssh … HOST xl migrate-receive`
 * and runs that with `sh -c` on the source dom0 (tools/xl/xl_migrate.c), and ssh reads a
 * leading `-` as an option. Synth validation refuses such values already; this catches those
 * that did not come through synth (a hand-edited cdk.tf.json, a provisioner input).
 *
 * @throws XlArgumentError naming the value and how to fix it
 */
export function checkHop(hop: MigrationHop): MigrationHop {
  const addressIssue = hostAddressIssue(hop.address);
  if (addressIssue !== undefined) {
    throw new XlArgumentError(
      "migration address",
      hop.address,
      `${addressIssue}; xl migrate would paste it unquoted into a shell command on the source dom0`,
      `set the target XenHost's migration.address (or address) to ${HOST_ADDRESS_SYNTAX.replace(/^give /, "")}, synthesize and deploy again`,
    );
  }
  if (!Number.isInteger(hop.port) || hop.port < 1 || hop.port > 65535) {
    throw new XlArgumentError("migration port", hop.port, "not a TCP port", "give a whole number from 1 to 65535");
  }
  const userIssue = loginNameProblem(hop.user);
  if (userIssue !== undefined) {
    throw new XlArgumentError("migration user", hop.user, "not a valid login name", "give the target dom0 account to log in as, e.g. root");
  }
  if (hop.identityFile !== null) {
    // Quoting carries spaces and quotes through xl's sh -c (the ssh command is shell syntax
    // already); what no quoting carries is a control character, and the path must be absolute.
    const fileIssue = pathProblem(hop.identityFile, true);
    if (fileIssue !== undefined) {
      throw new XlArgumentError("migration.identityFile", hop.identityFile, `the path ${fileIssue}`, 'give an absolute path on the source dom0 without control characters, e.g. "/root/.ssh/id_migration"');
    }
  }
  return hop;
}

/**
 * The ssh argv (without the destination, ending in `--`) for the hop (values checked by {@link checkHop}): the target's key pinned
 * (StrictHostKeyChecking=yes against a known_hosts written for the purpose, never trust on
 * first use), never a prompt (BatchMode), and either the named key file alone or the agent
 * alone: `IdentityFile=none` keeps root's own default keys on the source out of it.
 */
export function hopSshArgv(hop: MigrationHop, knownHostsPath: string): string[] {
  checkHop(hop);
  return [
    "ssh",
    "-o", "BatchMode=yes",
    "-o", "StrictHostKeyChecking=yes",
    "-o", `UserKnownHostsFile=${knownHostsPath}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", `HostKeyAlias=${TARGET_KEY_ALIAS}`,
    "-o", `HostKeyAlgorithms=${algorithmsForKeyType(hop.hostKey.type).join(",")}`,
    "-o", "ConnectTimeout=20",
    "-o", "ServerAliveInterval=15",
    "-o", "LogLevel=ERROR",
    ...(hop.identityFile === null
      ? ["-o", "IdentityFile=none"]
      : ["-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-i", hop.identityFile]),
    "-p", String(hop.port),
    "-l", hop.user,
    // xl migrate appends HOST to this command: after "--" ssh cannot read it as an option.
    "--",
  ];
}

/**
 * The shell command for the hop that runs `remoteCommand` (already shell syntax, e.g. a `dd`
 * with quoted paths) on the target: the checked ssh argv (ending in `--`), the checked address,
 * the command. Used by the cold copy.
 */
export function hopSshCommand(hop: MigrationHop, knownHostsPath: string, remoteCommand: string): string {
  return shellCommand([...hopSshArgv(hop, knownHostsPath), hop.address, remoteCommand]);
}

/**
 * The script, run on the source by `sh -s`, that starts `xl migrate NAME ADDRESS` as a job
 * of its own session (setsid): if cdktf-xen's connection dies — the CLI killed, the network
 * gone — the migration carries on and finishes or fails by Xen's rules, and a re-run finds its
 * exit status instead of a half-done move. The script then waits for the job and prints the
 * exit status as `@@cdktf-xen-migrate rc=N`. A job of an earlier run still going (its lock file
 * held) is waited for, not started twice.
 */
export function migrationJobScript(name: string, hop: MigrationHop, timeoutSec: number): string {
  checkHop(hop);
  if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) {
    throw new XlArgumentError("migration timeout", timeoutSec, "not a positive number of seconds", "give a positive number of seconds");
  }
  const p = migrationJobPaths(name);
  const ssh = shellCommand(hopSshArgv(hop, p.knownHosts));
  const migrate = shellCommand(["xl", "migrate", "-s", ssh, name, hop.address]);
  const job = `${migrate} >${shellQuote(p.log)} 2>&1; echo $? >${shellQuote(`${p.rc}.tmp`)}; mv -f ${shellQuote(`${p.rc}.tmp`)} ${shellQuote(p.rc)}`;
  const lock = shellQuote(p.lock);
  const rc = shellQuote(p.rc);
  return [
    `mkdir -p ${shellQuote(p.dir)} && chmod 0700 ${shellQuote(p.dir)} || exit 1`,
    // The job holds its lock file while it lives: a held lock is a migration still running.
    `if ! flock -n ${lock} true 2>/dev/null; then`,
    `  echo 'an earlier migration of ${name} is still running: waiting for it' >&2`,
    "else",
    `  rm -f ${rc} ${shellQuote(p.log)}`,
    `  printf '%s' ${shellQuote(knownHostsContent(hop))} >${shellQuote(p.knownHosts)} && chmod 0600 ${shellQuote(p.knownHosts)} || exit 1`,
    `  setsid flock -x ${lock} sh -c ${shellQuote(job)} </dev/null >/dev/null 2>&1 &`,
    `  echo $! >${shellQuote(p.pid)}`,
    // Until the job has its lock (or is already done): then one blocking flock waits for it.
    "  i=0",
    `  while flock -n ${lock} true 2>/dev/null && [ ! -f ${rc} ]; do i=$((i+1)); [ $i -gt 200 ] && break; sleep 0.05; done`,
    "fi",
    // One process blocked on the lock, not a poll: under TCG every fork on dom0 slows the
    // migration it waits for. The lock is released when the job ends, however it ends.
    `if ! flock -w ${timeoutSec} ${lock} true; then echo '@@cdktf-xen-migrate rc=timeout'; exit 0; fi`,
    `cat ${shellQuote(p.log)} >&2 2>/dev/null`,
    // A job killed before it wrote its status (OOM, by hand) released the lock without one.
    `if [ -f ${rc} ]; then echo "@@cdktf-xen-migrate rc=$(cat ${rc})"; else echo '@@cdktf-xen-migrate rc=died'; fi`,
  ].join("\n");
}

/**
 * The exit status line of {@link migrationJobScript}: a number, `timeout` (still running), `died`
 * (the job ended without a status), or undefined when the script itself died.
 */
export function migrationJobResult(stdout: string): number | "timeout" | "died" | undefined {
  const m = /@@cdktf-xen-migrate rc=(\d+|timeout|died)/.exec(stdout);
  if (m === null) return undefined;
  return m[1] === "timeout" || m[1] === "died" ? m[1] : Number(m[1]);
}

/** What a failed migration's output says, and what to do about it. */
export interface MigrationFailure {
  readonly cause: string;
  readonly fix: string;
}

/**
 * Reads xl migrate's output (on the source) for the cause. The patterns are the messages
 * Xen 4.17 prints, seen on the lab (LAB-NOTES "Two hosts and live migration").
 */
export function classifyMigrationFailure(output: string, context: { readonly domain: string; readonly source: string; readonly target: string }): MigrationFailure {
  const { domain, source, target } = context;
  const last = output.trim().split("\n").filter((l) => l.trim() !== "").slice(-3).join(" | ");
  if (/Failed to enable logdirty/i.test(output)) {
    return {
      cause: `Xen on ${source} cannot migrate PV domains: log-dirty tracking for a PV guest needs shadow paging, which this Xen build leaves out (xl: "${last}")`,
      fix: `make ${domain} a PVH domain (type: DomainType.PVH), or set migration: MigrationPolicy.COLD to move it with a restart`,
    };
  }
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(output)) {
    return {
      cause: `${target}'s host key did not match the key pinned on its XenHost when ${source} connected to it (${last})`,
      fix: `check that ${target}'s migration address reaches the same sshd as its SSH address (same host key); a different key means a different machine`,
    };
  }
  if (/Permission denied|truncated reading banner|Connection refused|Connection timed out|No route to host|Could not resolve/i.test(output)) {
    return {
      cause: `${source} could not log in to ${target} by SSH for the migration (${last})`,
      fix: `check that ${target}'s migration address and port are reachable from ${source}, and that the key used (your forwarded SSH agent, or the XenHost migration.identityFile on ${source}) is authorised for ${target}'s user; then apply again`,
    };
  }
  if (/Could not find bridge/i.test(output)) {
    return {
      cause: `${target} lacks a bridge the domain's network uses (${last})`,
      fix: `create the bridge on ${target} or change the domain's networks; then apply again`,
    };
  }
  if (/failed to stat/i.test(output)) {
    return {
      cause: `a disk of ${domain} does not exist on ${target} at the same path (${last})`,
      fix: `put the domain's volumes in a pool shared by both hosts, or use migration: MigrationPolicy.COLD`,
    };
  }
  return {
    cause: last === "" ? "xl migrate failed without output" : `xl migrate failed: ${last}`,
    fix: `read the output above and ${source}'s /var/log/xen/xl-${domain}.log; fix the cause, then apply again (the domain still runs on ${source})`,
  };
}
