/**
 * Moves a domain from one host to another: live with `xl migrate`, or cold (stop, copy its
 * local volumes with a checksum, start on the target). Run by the old identity resource's
 * destroy-time provisioner (the domain's host changed) and by `cdktf-xen apply`.
 *
 * Every step can be interrupted and run again: the live migration runs as a job of its own on
 * the source (it survives the CLI), a copy goes to a temporary volume renamed only once its
 * checksum matches, and the target's config file — the mark of a finished copy — is written
 * only then. Whatever happened before, a run starts by looking at both hosts and finishes the
 * move from where it stands, so the domain ends on exactly one host.
 */
import type { HostConnection, HostMigration, HostSpec, DomainSpec, PoolSpec } from "../model/spec.js";
import { planMove } from "../diff/move.js";
import type { MoveDomainAction, RefuseMoveAction, VolumeCopy } from "../diff/plan.js";
import { acquireHostLock, type HostLock } from "../ssh/lock.js";
import { describeHolder } from "../ssh/errors.js";
import type { Transport } from "../ssh/transport.js";
import {
  autostartLink,
  autostartLinkPath,
  lvcreate,
  managedConfigPath,
  mkdirManagedConfigDir,
  writeFileAtomic,
  xlCreate,
  xlDestroy,
} from "../xl/commands.js";
import type { LiveDomain, LiveHost } from "../xl/live.js";
import {
  classifyMigrationFailure,
  hopSshCommand,
  knownHostsContent,
  migrationJobPaths,
  migrationJobResult,
  migrationJobScript,
  type MigrationHop,
} from "../xl/migrate.js";
import { renderXlCfg } from "../xl/render.js";
import { shellCommand, shellQuote } from "../xl/shell.js";
import { waitForExecLock } from "./batch.js";
import { ReconcileError } from "./errors.js";
import { readHost, type Log } from "./reconciler.js";
import { withHeartbeat, type HeartbeatOptions } from "./heartbeat.js";
import { DEFAULT_STEP_TIMEOUTS, stopDomainCommand } from "./steps.js";

/** One end of a move. */
export interface MoveEnd {
  readonly hostId: string;
  /** The host's current declaration (the source's no longer has the domain). */
  readonly spec: HostSpec;
  readonly connection: HostConnection;
  readonly migration: HostMigration;
  readonly transport: Transport;
}

/** What {@link moveDomain} is asked to do. */
export interface MoveRequest {
  readonly domain: string;
  readonly source: MoveEnd;
  readonly target: MoveEnd;
  /**
   * A second connection to the source, with the operator's SSH agent forwarded, for the
   * host-to-host hop. Needed when the source has no migration.identityFile.
   */
  readonly hop: Transport;
}

/** What {@link moveDomain} found and did. */
export type MoveOutcome =
  | { readonly kind: "moved"; readonly method: "live" | "cold"; readonly seconds: number; readonly migrateSeconds: number; readonly copied: readonly VolumeCopy[] }
  /** An earlier, interrupted run had moved it already; this run finished the bookkeeping. */
  | { readonly kind: "finished-earlier-move" }
  /** Not on the source (nor anywhere): nothing to move; the target's reconcile creates it. */
  | { readonly kind: "absent" };

/** Options of {@link moveDomain}. */
export interface MoveOptions {
  /** @default - silent */
  readonly log?: Log;
  /** Longest wait for a host lock, ms. @default 600000 */
  readonly lockTimeoutMs?: number;
  /** Longest `xl migrate`, seconds. @default 1800 */
  readonly migrateTimeoutSec?: number;
  /** Graceful shutdown time of a cold move, seconds. @default 120 */
  readonly shutdownSec?: number;
  /** Longest copy of one volume, seconds. @default 3600 */
  readonly copyTimeoutSec?: number;
  /** Heartbeat lines while xl migrate, a shutdown or a copy runs. @default - every 10 s, real time */
  readonly heartbeat?: HeartbeatOptions;
}

/** A move could not be carried out; the domain is where the message says. */
export class MoveError extends ReconcileError {
  constructor(host: string, domain: string, step: string, what: string, why: string, fix: string) {
    super(host, what, why, fix, `domain ${domain}`, step);
  }
}

/** A move the pre-checks refuse; nothing was sent to either host. */
export class MoveRefusedError extends ReconcileError {
  constructor(
    readonly source: string,
    readonly target: string,
    domain: string,
    readonly refusals: readonly RefuseMoveAction[],
  ) {
    super(
      target,
      `moving domain ${domain} from ${source} to ${target} is refused; nothing was changed on either host`,
      numbered(refusals.map((r) => r.reason)),
      numbered(refusals.map((r) => r.fix)),
      `domain ${domain}`,
      "check the move",
    );
  }
}

/** One item as it is; several as `(1) … (2) …`, so each reason lines up with its fix. */
function numbered(items: readonly string[]): string {
  return items.length === 1 ? items[0]! : items.map((t, i) => `(${i + 1}) ${t}`).join(" ");
}

const INCOMING = "--incoming";
const COPY_SUFFIX = ".cdktf-xen-incoming";

/** The hop's address, port and user: the target's migration settings, else its SSH ones. */
export function hopEndpoint(target: Pick<MoveEnd, "connection" | "migration">): { address: string; port: number; user: string } {
  const m = target.migration;
  return {
    address: m.address ?? target.connection.address,
    port: m.port ?? (m.address !== null ? 22 : target.connection.port),
    user: target.connection.user,
  };
}

/**
 * Moves `request.domain` from source to target (see the module comment). Takes both hosts'
 * locks (in host id order, so two moves in opposite directions cannot deadlock).
 *
 * @throws MoveRefusedError before anything is sent when a pre-check fails; MoveError when a
 *   step fails (the domain then still runs on the source, or — cold — was started there again).
 */
export async function moveDomain(request: MoveRequest, options: MoveOptions = {}): Promise<MoveOutcome> {
  const log = options.log ?? (() => undefined);
  const { source, target } = request;
  const ordered = [source, target].sort((a, b) => (a.hostId < b.hostId ? -1 : 1));
  const locks: HostLock[] = [];
  try {
    for (const end of ordered) {
      locks.push(
        await acquireHostLock(end.transport, {
          timeoutMs: options.lockTimeoutMs ?? 600_000,
          onWait: (holder) => log(`waiting for the host lock on ${end.hostId}, held by ${describeHolder(holder)}`),
        }),
      );
    }
    return await moveLocked(request, options, log);
  } finally {
    for (const lock of locks.reverse()) await lock.release().catch(() => undefined);
  }
}

async function moveLocked(request: MoveRequest, options: MoveOptions, log: Log): Promise<MoveOutcome> {
  const { source, target, domain } = request;
  const declared = target.spec.domains.find((d) => d.name === domain);
  if (declared === undefined) throw new Error(`moveDomain: ${domain} is not declared on ${target.hostId}`);

  // The hop's own connection (agent forwarded) is set up while the hosts are read.
  const hopReady = request.hop === source.transport ? Promise.resolve() : request.hop.exec(":", { step: "connect for the migration", timeoutMs: 120_000 }).then(() => undefined);
  hopReady.catch(() => undefined);
  // A migration job an earlier run started may still be going: let it finish first.
  await settleEarlierJob(request, options);
  const [src, firstTarget] = await Promise.all([readLive(source), readLive(target)]);
  let tgt = firstTarget;
  const onSource = findDomain(src, domain);
  const onTarget = findDomain(tgt, domain);

  if (onTarget !== undefined) {
    if (onSource !== undefined && isActive(onSource)) {
      throw new MoveError(
        target.hostId,
        domain,
        "check the move",
        `domain ${domain} runs on both ${source.hostId} and ${target.hostId}`,
        "two copies of one guest are running; cdktf-xen will not pick one",
        `find out which copy is current, stop the other by hand (xl destroy on its host), then apply again`,
      );
    }
    log(`domain ${domain} already runs on ${target.hostId}: finishing the earlier move`);
    if (onSource !== undefined) await run(source, shellCommand(xlDestroy(domain)), "remove the suspended source copy", domain);
    await finish(request, declared);
    return { kind: "finished-earlier-move" };
  }
  if (tgt.configFiles.some((c) => c.name === domain) && onSource === undefined) {
    // A cold move wrote the target's config file after its copies were verified, then stopped.
    log(`the volumes of ${domain} were copied to ${target.hostId} by an earlier run: starting it there`);
    await run(target, shellCommand(xlCreate(managedConfigPath(domain))), "start on the target", domain, DEFAULT_STEP_TIMEOUTS.createSec);
    await finish(request, declared);
    return { kind: "finished-earlier-move" };
  }
  if (onSource === undefined && !src.configFiles.some((c) => c.name === domain)) return { kind: "absent" };

  if (findDomain(tgt, `${domain}${INCOMING}`) !== undefined) {
    // Left by a migration that died with its job (settled above): the source copy is the live one.
    log(`removing ${domain}${INCOMING} on ${target.hostId}, left by an interrupted migration`);
    await run(target, shellCommand(xlDestroy(`${domain}${INCOMING}`)), "remove a leftover incoming domain", domain);
    tgt = await readLive(target);
  }

  const decided = planMove(declared, { spec: source.spec, live: src }, { spec: target.spec, live: tgt });
  const refusals = decided.filter((a): a is RefuseMoveAction => a.kind === "refuse-move");
  if (refusals.length > 0) throw new MoveRefusedError(source.hostId, target.hostId, domain, refusals);
  const move = decided.find((a): a is MoveDomainAction => a.kind === "move-domain");
  if (move === undefined) throw new Error(`planMove gave neither a move nor a refusal for ${domain}`);

  const [hop] = await Promise.all([hopOf(request), hopReady]);
  const started = Date.now();
  log(`domain ${domain}: move ${source.hostId} → ${target.hostId} (${move.method})`);
  const migrateSeconds = move.method === "live" && move.running ? await migrateLive(request, hop, options, log) : await moveCold(request, move, hop, options, log);
  await finish(request, declared);
  return { kind: "moved", method: move.method, seconds: (Date.now() - started) / 1000, migrateSeconds, copied: move.copies };
}

async function readLive(end: MoveEnd): Promise<LiveHost> {
  return (await readHost(end.transport, end.spec)).live;
}

function findDomain(live: LiveHost, name: string): LiveDomain | undefined {
  return live.domains.find((d) => d.name === name);
}

/** Anything but a copy on its way out (suspended at the end of a migration, or dying): a crashed copy still counts. */
function isActive(d: LiveDomain): boolean {
  return d.state !== "shutdown" && d.state !== "dying";
}

async function run(end: MoveEnd, command: string, step: string, domain: string, timeoutSec = 180): Promise<string> {
  const result = await end.transport.exec(command, { step, timeoutMs: timeoutSec * 1000 });
  if (result.code !== 0) {
    throw new MoveError(
      end.hostId,
      domain,
      step,
      `moving domain ${domain}: ${step} failed on ${end.hostId}`,
      result.stderr.trim().split("\n").slice(-3).join(" | ") || `exit status ${result.code}`,
      "fix the cause on the host, then apply again: the move continues from where it stopped",
    );
  }
  return result.stdout;
}

async function hopOf(request: MoveRequest): Promise<MigrationHop> {
  const { target, source } = request;
  if (target.transport.verifiedHostKey === undefined) throw new Error(`the transport of ${target.hostId} cannot tell its host key`);
  const hostKey = await target.transport.verifiedHostKey();
  return { ...hopEndpoint(target), hostKey, identityFile: source.migration.identityFile };
}

/** Waits for a migration job of an earlier run still going on the source. */
async function settleEarlierJob(request: MoveRequest, options: MoveOptions): Promise<void> {
  const p = migrationJobPaths(request.domain);
  const limit = options.migrateTimeoutSec ?? 1800;
  const script = [
    `mkdir -p ${shellQuote(p.dir)} || exit 1`,
    `flock -n ${shellQuote(p.lock)} true 2>/dev/null && exit 0`,
    `echo 'waiting for the migration of ${request.domain} an earlier run started' >&2`,
    `flock -w ${limit} ${shellQuote(p.lock)} true || exit 3`,
  ].join("\n");
  await run(request.source, `sh -c ${shellQuote(script)}`, "wait for an earlier migration", request.domain, limit + 60);
}

/** `xl migrate` as a job on the source; returns its duration in seconds. */
async function migrateLive(request: MoveRequest, hop: MigrationHop, options: MoveOptions, log: Log): Promise<number> {
  const { source, target, domain } = request;
  const timeoutSec = options.migrateTimeoutSec ?? 1800;
  const started = Date.now();
  const wait = { subject: `${source.hostId}: domain ${domain}`, what: `xl migrate to ${target.hostId}`, limitSec: timeoutSec };
  const result = await withHeartbeat(log, wait, options.heartbeat ?? {}, () =>
    request.hop.exec("sh -s", {
      stdin: migrationJobScript(domain, hop, timeoutSec),
      step: "xl migrate",
      timeoutMs: (timeoutSec + 120) * 1000,
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const rc = migrationJobResult(result.stdout);
  if (rc === 0) return seconds;
  if (rc === "timeout" || rc === "died" || rc === undefined) {
    throw new MoveError(
      source.hostId,
      domain,
      "xl migrate",
      `the migration of ${domain} to ${target.hostId} did not report a result`,
      rc === "timeout"
        ? `it was still running after ${timeoutSec} s`
        : rc === "died"
          ? `the xl migrate job on ${source.hostId} ended without an exit status (killed?): ${result.stderr.trim().split("\n").slice(-2).join(" | ")}`
          : `the job script ended with exit status ${result.code}: ${result.stderr.trim().split("\n").slice(-2).join(" | ")}`,
      "apply again: the next run waits for the running migration and finishes the move from where it stands",
    );
  }
  const failure = classifyMigrationFailure(result.stderr, { domain, source: source.hostId, target: target.hostId });
  const after = findDomain(await readLive(source), domain);
  const where =
    after !== undefined && isActive(after)
      ? `${domain} still runs on ${source.hostId} (Xen resumed it there).`
      : `${domain} is not running on ${source.hostId}: check both hosts with xl list.`;
  throw new MoveError(source.hostId, domain, "xl migrate", `live migration of ${domain} from ${source.hostId} to ${target.hostId} failed; ${where}`, failure.cause, failure.fix);
}

/** Stop, copy (verified), start on the target; on failure start it on the source again. */
async function moveCold(request: MoveRequest, move: MoveDomainAction, hop: MigrationHop, options: MoveOptions, log: Log): Promise<number> {
  const { source, target, domain } = request;
  const shutdownSec = options.shutdownSec ?? DEFAULT_STEP_TIMEOUTS.shutdownSec;
  if (move.running) {
    log(`stopping ${domain} on ${source.hostId} for a cold move`);
    const wait = { subject: `${source.hostId}: domain ${domain}`, what: "waiting for shutdown", limitSec: shutdownSec };
    await withHeartbeat(log, wait, options.heartbeat ?? {}, () => run(source, stopDomainCommand(domain, shutdownSec), "stop on the source", domain, shutdownSec + 120));
  }
  const started = Date.now();
  try {
    for (const copy of move.copies) await copyVolume(request, copy, hop, options, log);
    await writeTargetConfig(request, move.spec);
    const createSec = DEFAULT_STEP_TIMEOUTS.createSec;
    await withHeartbeat(log, { subject: `${target.hostId}: domain ${domain}`, what: "waiting for xl create", limitSec: createSec }, options.heartbeat ?? {}, () =>
      run(target, shellCommand(xlCreate(managedConfigPath(domain))), "start on the target", domain, createSec),
    );
  } catch (e) {
    if (move.running) {
      log(`the cold move failed: starting ${domain} on ${source.hostId} again`);
      await source.transport
        .exec(`xl domid ${shellQuote(domain)} >/dev/null 2>&1 || ${shellCommand(xlCreate(managedConfigPath(domain)))}`, {
          step: "restart on the source",
          timeoutMs: DEFAULT_STEP_TIMEOUTS.createSec * 1000,
        })
        .catch(() => undefined);
    }
    throw e;
  }
  return (Date.now() - started) / 1000;
}

/**
 * Copies one volume source → target into a temporary volume, compares SHA-256 sums of the
 * source and of as many bytes of the copy, then renames the copy into place.
 */
async function copyVolume(request: MoveRequest, copy: VolumeCopy, hop: MigrationHop, options: MoveOptions, log: Log): Promise<void> {
  const { source, target, domain } = request;
  const pool = copy.pool;
  // The copy is written beside its final place (an LV or a file) and renamed once verified.
  const tmp = `${copy.to}${COPY_SUFFIX}`;
  const sizeOf = (path: string): string => `blockdev --getsize64 ${shellQuote(path)} 2>/dev/null || stat -L -c %s ${shellQuote(path)}`;
  const sourceSize = Number((await run(source, sizeOf(copy.from), "measure the source volume", domain)).trim());
  if (!Number.isFinite(sourceSize) || sourceSize <= 0) {
    throw new MoveError(source.hostId, domain, "measure the source volume", `cannot tell the size of ${copy.from} on ${source.hostId}`, "blockdev and stat gave no size", "check the volume on the source");
  }
  if (sourceSize > copy.volume.sizeMiB * 1024 * 1024) {
    throw new MoveError(
      target.hostId,
      domain,
      "check the copy",
      `${copy.from} on ${source.hostId} (${sourceSize} bytes) is larger than the volume declared on ${target.hostId} (${copy.volume.sizeMiB} MiB)`,
      "the copy would be cut short; volumes never shrink",
      `declare ${copy.volume.pool}/${copy.volume.name} with at least ${Math.ceil(sourceSize / 1048576)} MiB`,
    );
  }
  log(`copying ${copy.from} (${(sourceSize / 1048576).toFixed(0)} MiB) from ${source.hostId} to ${target.hostId}:${copy.to}`);
  const create =
    pool.kind === "lvm"
      ? [
          `lvremove -f ${shellQuote(`${pool.volumeGroup}/${copy.volume.name}${COPY_SUFFIX}`)} >/dev/null 2>&1 || true`,
          shellCommand(lvcreate(pool.volumeGroup, `${copy.volume.name}${COPY_SUFFIX}`, copy.volume.sizeMiB)) + " >/dev/null",
        ].join(" && ")
      : `rm -f -- ${shellQuote(tmp)} && truncate -s ${copy.volume.sizeMiB}M -- ${shellQuote(tmp)}`;
  await run(target, `${waitForExecLock()} && ${create}`, "create the copy on the target", domain);
  const paths = migrationJobPaths(domain);
  const ssh = hopSshCommand(hop, paths.knownHosts, `dd of=${shellQuote(tmp)} bs=4M conv=notrunc,fsync status=none`);
  const copyScript = [
    "set -e",
    `mkdir -p ${shellQuote(paths.dir)} && chmod 0700 ${shellQuote(paths.dir)}`,
    `printf '%s' ${shellQuote(knownHostsContent(hop))} >${shellQuote(paths.knownHosts)}`,
    `dd if=${shellQuote(copy.from)} bs=4M status=none | ${ssh}`,
  ].join("\n");
  const timeoutSec = options.copyTimeoutSec ?? 3600;
  const wait = { subject: `${source.hostId}: domain ${domain}`, what: `copying ${copy.from} to ${target.hostId}`, limitSec: timeoutSec };
  const copied = await withHeartbeat(log, wait, options.heartbeat ?? {}, () =>
    request.hop.exec("sh -s", { stdin: copyScript, step: "copy the volume", timeoutMs: timeoutSec * 1000 }),
  );
  if (copied.code !== 0) {
    await target.transport.exec(removeTmp(pool, copy, tmp), { step: "remove the partial copy", timeoutMs: 120_000 }).catch(() => undefined);
    const failure = classifyMigrationFailure(copied.stderr, { domain, source: source.hostId, target: target.hostId });
    throw new MoveError(source.hostId, domain, "copy the volume", `copying ${copy.from} to ${target.hostId} failed`, failure.cause, failure.fix);
  }
  const sum = (path: string): string => `head -c ${sourceSize} ${shellQuote(path)} | sha256sum | cut -d' ' -f1`;
  const [a, b] = await Promise.all([run(source, sum(copy.from), "checksum the source", domain, timeoutSec), run(target, sum(tmp), "checksum the copy", domain, timeoutSec)]);
  if (a.trim() !== b.trim() || a.trim().length !== 64) {
    await target.transport.exec(removeTmp(pool, copy, tmp), { step: "remove the bad copy", timeoutMs: 120_000 }).catch(() => undefined);
    throw new MoveError(target.hostId, domain, "verify the copy", `the copy of ${copy.from} on ${target.hostId} does not match the source`, `SHA-256 ${a.trim()} on ${source.hostId}, ${b.trim()} on ${target.hostId}`, "apply again to copy it again; if it keeps failing, check the disks and the network between the hosts");
  }
  log(`copy of ${copy.from} verified (sha256 ${a.trim().slice(0, 16)}…)`);
  const rename =
    pool.kind === "lvm"
      ? shellCommand(["lvrename", pool.volumeGroup, `${copy.volume.name}${COPY_SUFFIX}`, copy.volume.name])
      : shellCommand(["mv", "-f", "--", tmp, copy.to]);
  await run(target, rename, "put the copy in place", domain);
}

function removeTmp(pool: PoolSpec, copy: VolumeCopy, tmp: string): string {
  return pool.kind === "lvm" ? `lvremove -f ${shellQuote(`${pool.volumeGroup}/${copy.volume.name}${COPY_SUFFIX}`)}` : `rm -f -- ${shellQuote(tmp)}`;
}

async function writeTargetConfig(request: MoveRequest, spec: DomainSpec): Promise<void> {
  const name = spec.name;
  const commands = [shellCommand(mkdirManagedConfigDir()), writeFileAtomic(managedConfigPath(name), renderXlCfg(spec))];
  commands.push(spec.autostart ? autostartLink(name) : `rm -f -- ${shellQuote(autostartLinkPath(name))}`);
  await run(request.target, commands.join(" && "), "write the config file on the target", name);
}

/**
 * The domain runs on the target: its config file and autostart link move with it (both hosts
 * at once; a re-run repeats whichever half did not happen).
 */
async function finish(request: MoveRequest, spec: DomainSpec): Promise<void> {
  const p = migrationJobPaths(spec.name);
  await Promise.all([
    writeTargetConfig(request, spec),
    run(
      request.source,
      `rm -f -- ${shellQuote(autostartLinkPath(spec.name))} ${shellQuote(managedConfigPath(spec.name))} ${shellQuote(p.knownHosts)} ${shellQuote(p.pid)}`,
      "remove the config file on the source",
      spec.name,
    ),
  ]);
}
