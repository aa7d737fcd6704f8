/**
 * What the destroy-time provisioners run: stop a domain and remove its files; delete a volume
 * only when its retention says so. Both are idempotent (a second destroy finds nothing to do)
 * and both leave alone what cdktf-xen does not manage.
 */
import type { PoolSpec, VolumeSpec } from "../model/spec.js";
import { acquireHostLock } from "../ssh/lock.js";
import { describeHolder } from "../ssh/errors.js";
import type { Transport } from "../ssh/transport.js";
import { autostartLinkPath, fileRemove, lvremove, managedConfigPath } from "../xl/commands.js";
import { shellCommand, shellQuote } from "../xl/shell.js";
import { volumePath } from "../diff/diff.js";
import { waitForExecLock } from "./batch.js";
import { ReconcileError } from "./errors.js";
import { stopDomainCommand, DEFAULT_STEP_TIMEOUTS } from "./steps.js";
import type { Log } from "./reconciler.js";
import { withHeartbeat, type HeartbeatOptions } from "./heartbeat.js";

/** What {@link destroyDomain} found and did. */
export type DomainDestroyOutcome = "stopped-and-removed" | "removed-files" | "absent" | "unmanaged-left-alone";

/** Options of the destroy functions. */
export interface DestroyOptions {
  /** @default - silent */
  readonly log?: Log;
  /** Graceful shutdown time before `xl destroy`, seconds. @default 120 */
  readonly shutdownSec?: number;
  /** @default 600000 */
  readonly lockTimeoutMs?: number;
  /** Heartbeat lines while a domain shuts down. @default - every 10 s, real time */
  readonly heartbeat?: HeartbeatOptions;
}

async function withLock<T>(transport: Transport, options: DestroyOptions, fn: () => Promise<T>): Promise<T> {
  const log = options.log ?? (() => undefined);
  const lock = await acquireHostLock(transport, {
    timeoutMs: options.lockTimeoutMs ?? 600_000,
    onWait: (holder) => log(`waiting for the host lock on ${transport.hostId}, held by ${describeHolder(holder)}`),
  });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

const OUTCOME = "@@cdktf-xen-outcome ";

/** The outcome line a destroy script printed, if any. */
function outcomeOf<T extends string>(stdout: string): T | undefined {
  return stdout
    .split("\n")
    .find((l) => l.startsWith(OUTCOME))
    ?.slice(OUTCOME.length) as T | undefined;
}

/**
 * Stops `name` (graceful `xl shutdown -w`, then `xl destroy` after the timeout) and removes its
 * managed config file and autostart link. A domain without a managed config file is not
 * cdktf-xen's: it is left running and the outcome says so.
 */
export async function destroyDomain(transport: Transport, name: string, options: DestroyOptions = {}): Promise<DomainDestroyOutcome> {
  const shutdownSec = options.shutdownSec ?? DEFAULT_STEP_TIMEOUTS.shutdownSec;
  const cfg = shellQuote(managedConfigPath(name));
  const link = shellQuote(autostartLinkPath(name));
  const q = shellQuote(name);
  const script = [
    `${waitForExecLock()} || exit 1`,
    `running=0; xl domid ${q} >/dev/null 2>&1 && running=1`,
    `if [ ! -e ${cfg} ]; then`,
    `  if [ $running = 1 ]; then echo '${OUTCOME}unmanaged-left-alone'; else echo '${OUTCOME}absent'; fi`,
    `  rm -f -- ${link} 2>/dev/null; exit 0`,
    `fi`,
    `if [ $running = 1 ]; then ${stopDomainCommand(name, shutdownSec)} || exit 1; fi`,
    `rm -f -- ${link} ${cfg} || exit 1`,
    `if [ $running = 1 ]; then echo '${OUTCOME}stopped-and-removed'; else echo '${OUTCOME}removed-files'; fi`,
  ].join("\n");
  const log = options.log ?? (() => undefined);
  return withLock(transport, options, async () => {
    const wait = { subject: `${transport.hostId}: domain ${name}`, what: "waiting for shutdown", limitSec: shutdownSec };
    const result = await withHeartbeat(log, wait, options.heartbeat ?? {}, () =>
      transport.exec("sh -s", {
        stdin: script,
        step: `destroy domain ${name}`,
        timeoutMs: (shutdownSec + 180) * 1000,
      }),
    );
    const outcome = outcomeOf<DomainDestroyOutcome>(result.stdout);
    if (result.code !== 0 || outcome === undefined) {
      throw new ReconcileError(
        transport.hostId,
        `could not destroy domain ${name}`,
        result.stderr.trim().split("\n").slice(-3).join(" | ") || `exit status ${result.code}`,
        "check the domain with `xl list` on dom0; `terraform destroy` can be run again once the cause is fixed",
        `domain ${name}`,
        "destroy domain",
      );
    }
    return outcome;
  });
}

/** What {@link destroyVolume} did. */
export type VolumeDestroyOutcome = "deleted" | "retained" | "absent";

/**
 * Deletes a volume whose retention is `delete`; keeps it otherwise. A volume still open (a
 * running domain uses it) is never deleted: that fails with the fix.
 */
export async function destroyVolume(
  transport: Transport,
  pool: PoolSpec,
  volume: VolumeSpec,
  options: DestroyOptions = {},
): Promise<VolumeDestroyOutcome> {
  const log = options.log ?? (() => undefined);
  const path = volumePath(pool, volume.name);
  if (volume.retention !== "delete") {
    log(`keeping volume ${path} (retention: ${volume.retention})`);
    return "retained";
  }
  const p = shellQuote(path);
  const remove =
    pool.kind === "lvm" ? shellCommand(lvremove(pool.volumeGroup, volume.name)) : shellCommand(fileRemove(path));
  const inUse =
    pool.kind === "lvm"
      ? // lv_attr's 6th character is `o` while the LV is open (blkback holds it for a running guest).
        `attr=$(lvs --noheadings -o lv_attr ${shellQuote(`${pool.volumeGroup}/${volume.name}`)} 2>/dev/null | tr -d ' '); case "$attr" in ?????o*) inuse=1;; *) inuse=0;; esac`
      : `if losetup -j ${p} 2>/dev/null | grep -q .; then inuse=1; else inuse=0; fi`;
  const script = [
    `${waitForExecLock()} || exit 1`,
    `if [ ! -e ${p} ]; then echo '${OUTCOME}absent'; exit 0; fi`,
    inUse,
    `if [ "$inuse" = 1 ]; then echo ${shellQuote(`${path} is in use by a running domain`)} >&2; exit 3; fi`,
    `${remove} || exit 1`,
    `echo '${OUTCOME}deleted'`,
  ].join("\n");
  return withLock(transport, options, async () => {
    const result = await transport.exec("sh -s", { stdin: script, step: `delete volume ${path}`, timeoutMs: 180_000 });
    const outcome = outcomeOf<VolumeDestroyOutcome>(result.stdout);
    if (result.code !== 0 || outcome === undefined) {
      throw new ReconcileError(
        transport.hostId,
        `could not delete volume ${path}`,
        result.code === 3 ? `${path} is in use by a running domain` : result.stderr.trim() || `exit status ${result.code}`,
        result.code === 3
          ? "destroy or detach the domain that uses it first (Terraform does this when the domain is destroyed in the same apply)"
          : "check the volume on dom0 (`lvs`, `ls -l`), then run the destroy again",
        `volume ${pool.name}/${volume.name}`,
        "delete volume",
      );
    }
    return outcome;
  });
}
