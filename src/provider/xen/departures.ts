/**
 * Volumes whose domain is moving away. When a domain's declared host changes, the old host's
 * declaration drops the domain (it is declared elsewhere) and, for a cold move of local disks,
 * the volumes it used there. A dropped volume with retention "delete" must not be deleted while
 * the domain still runs on the old host: Terraform applies the two `xen_host` resources in
 * parallel, and the new host's apply (which carries out the move, reconcile/move.ts) may still
 * be copying from it. So the old host waits until the domain has left, with progress lines,
 * bounded; the move itself never waits on this (it does not take the provider's per-host queue).
 */
import type { DomainSpec, VolumeSpec } from "../../model/spec.js";
import { DEFAULT_HEARTBEAT_MS, heartbeatLine } from "../../reconcile/heartbeat.js";
import { volumeKey } from "./convert.js";

/**
 * The domains of `priorDomains` that use `volume` and are declared on another host now
 * (`elsewhere`): the ones whose departure must come before the volume's deletion. Sorted.
 */
export function departingUsers(volume: Pick<VolumeSpec, "pool" | "name">, priorDomains: readonly DomainSpec[], elsewhere: readonly string[]): string[] {
  const away = new Set(elsewhere);
  const key = volumeKey(volume);
  return priorDomains
    .filter((d) => away.has(d.name) && d.disks.some((disk) => disk.volume === key))
    .map((d) => d.name)
    .sort();
}

/** How the wait reads the host and keeps time. */
export interface DepartureWait {
  /** The names of the domains the host runs now (a fresh read). */
  readonly running: () => Promise<readonly string[]>;
  /**
   * Why the wait is pointless, if it is: the move of a domain failed or was refused in this run
   * (the new host's apply, in the same provider process), so the domain stays here.
   */
  readonly abandoned?: (domain: string) => string | undefined;
  readonly log: (line: string) => void;
  /** @default 5000 */
  readonly pollMs?: number;
  /** @default 1800000 (30 minutes: a cold copy of a large disk) */
  readonly limitMs?: number;
  /** A progress line (reconcile/heartbeat.ts's) at most this often. @default DEFAULT_HEARTBEAT_MS */
  readonly heartbeatMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The move of a domain that uses the volume failed in this run: the volume is kept. */
export class DepartureAbandoned extends Error {
  constructor(
    readonly host: string,
    readonly volume: string,
    readonly domain: string,
    readonly reason: string,
  ) {
    super(
      `volume ${volume} on ${host} was not deleted: ${domain} still runs there and its move did not complete in this apply (${reason}).\n` +
        `Nothing was lost: the volume and the domain are as they were. Fix: see the error of the host that carries out the move, then apply again.`,
    );
    this.name = "DepartureAbandoned";
  }
}

/** Waited too long: the domains still run on the host. */
export class DepartureTimeout extends Error {
  constructor(
    readonly host: string,
    readonly volume: string,
    readonly domains: readonly string[],
    readonly limitMs: number,
  ) {
    super(
      `volume ${volume} on ${host} was not deleted: ${domains.join(", ")} still ${domains.length === 1 ? "runs" : "run"} there after ${Math.round(limitMs / 1000)}s ` +
        `(${domains.length === 1 ? "it is" : "they are"} declared on another host, whose apply moves ${domains.length === 1 ? "it" : "them"}).\n` +
        `Nothing was lost: the volume and the domain are as they were. Fix: apply again once the move has finished (with -parallelism=1 Terraform may run this host before the host that carries out the move; a second apply then deletes the volume).`,
    );
    this.name = "DepartureTimeout";
  }
}

/**
 * Resolves once none of `domains` runs on `host`; polls `running`, says once why it waits and
 * then prints the project's heartbeat line every `heartbeatMs` (what, elapsed, limit), and
 * throws {@link DepartureTimeout} after `limitMs`.
 */
export async function awaitDeparture(host: string, volume: string, domains: readonly string[], wait: DepartureWait): Promise<void> {
  const pollMs = wait.pollMs ?? 5000;
  const limitMs = wait.limitMs ?? 30 * 60_000;
  const heartbeatMs = wait.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const now = wait.now ?? Date.now;
  const sleep = wait.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const start = now();
  const limitSec = Math.round(limitMs / 1000);
  let lastLine = 0;
  for (let first = true; ; first = false) {
    const running = new Set(await wait.running());
    const still = domains.filter((d) => running.has(d));
    if (still.length === 0) return;
    for (const d of still) {
      const why = wait.abandoned?.(d);
      if (why !== undefined) throw new DepartureAbandoned(host, volume, d, why);
    }
    const elapsed = now() - start;
    if (elapsed >= limitMs) throw new DepartureTimeout(host, volume, still, limitMs);
    const what = `waiting for ${still.join(", ")} to move away before deleting it`;
    if (first) {
      wait.log(`cdktf-xen: volume ${volume} on ${host}: ${what} (a cold copy reads from it; at most ${limitSec}s)`);
    } else if (elapsed - lastLine >= heartbeatMs) {
      wait.log(heartbeatLine({ subject: `${host}: volume ${volume}`, what, limitSec }, elapsed));
      lastLine = elapsed;
    }
    await sleep(Math.min(pollMs, Math.max(0, limitMs - elapsed)));
  }
}
