/**
 * `cdktf-xen plan` and `apply` over a synthesized stack: every declared host in parallel, one
 * SSH connection each, a fleet-wide view of declared versus live (drift included).
 */
import { describeAction, formatPlans, planDocument, PLAN_FORMAT_VERSION } from "../diff/format.js";
import { diffFleet } from "../diff/move.js";
import { hasExecutableActions, type MoveDomainAction, type Plan, type RefuseMoveAction } from "../diff/plan.js";
import type { LiveHost } from "../xl/live.js";
import { PlanRefusedError } from "../reconcile/errors.js";
import { describeMove, runMove } from "./move-runner.js";
import type { StackHost } from "../constructs/stack-reader.js";
import { applyHost, readHost } from "../reconcile/reconciler.js";
import { TransportPool } from "../ssh/pool.js";
import type { FleetOptions } from "./commands.js";
import { CliError } from "./errors.js";
import { err, out, reportError } from "./output.js";
import { loadStack } from "./stack-file.js";

async function selectHosts(dir: string, only: readonly string[] | undefined): Promise<StackHost[]> {
  const hosts = await loadStack(dir);
  if (hosts.length === 0) {
    throw new CliError(`${dir}/cdk.tf.json declares no Xen host`, "no XenHost construct was synthesized", "check the stack directory");
  }
  if (only === undefined || only.length === 0) return hosts;
  const unknown = only.filter((id) => !hosts.some((h) => h.hostId === id));
  if (unknown.length > 0) {
    throw new CliError(
      `unknown host ${unknown.join(", ")}`,
      `the stack declares ${hosts.map((h) => h.hostId).join(", ")}`,
      "pass a XenHost construct path as --host",
    );
  }
  return hosts.filter((h) => only.includes(h.hostId));
}

type HostOutcome<T> = { readonly host: StackHost; readonly ok: true; readonly value: T } | { readonly host: StackHost; readonly ok: false; readonly error: unknown };

async function eachHost<T>(hosts: readonly StackHost[], fn: (h: StackHost, pool: TransportPool) => Promise<T>): Promise<HostOutcome<T>[]> {
  const pool = new TransportPool();
  try {
    return await Promise.all(
      hosts.map(async (host) => {
        try {
          return { host, ok: true as const, value: await fn(host, pool) };
        } catch (error) {
          return { host, ok: false as const, error };
        }
      }),
    );
  } finally {
    await pool.closeAll();
  }
}

function color(opts: FleetOptions): boolean {
  return opts.color !== false && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
}

/**
 * Reads every host and plans them together, so that a domain declared on a new host shows as a
 * move (not a create there and a leftover here). A host that could not be read is planned alone
 * by nobody: its error is reported and the others are planned without it.
 */
type Failed = Extract<HostOutcome<LiveHost>, { ok: false }>;

async function readFleet(hosts: readonly StackHost[], pool: TransportPool): Promise<{ plans: Plan[]; failed: Failed[] }> {
  const results = await Promise.all(
    hosts.map(async (host): Promise<HostOutcome<LiveHost>> => {
      try {
        return { host, ok: true, value: (await readHost(pool.get(host.hostId, host.connection), host.spec)).live };
      } catch (error) {
        return { host, ok: false, error };
      }
    }),
  );
  const read = results.flatMap((r) => (r.ok ? [{ spec: r.host.spec, live: r.value }] : []));
  return { plans: diffFleet(read), failed: results.filter((r): r is Failed => !r.ok) };
}

/** `cdktf-xen plan`: exit 0 when every host matches, 2 when something would change, 1 on error. */
export async function planFleet(dir: string, opts: FleetOptions): Promise<number> {
  try {
    const hosts = await selectHosts(dir, opts.host);
    const pool = new TransportPool();
    let fleet;
    try {
      fleet = await readFleet(hosts, pool);
    } finally {
      await pool.closeAll();
    }
    const plans = fleet.plans;
    printPlans(plans, opts);
    for (const f of fleet.failed) reportError(f.error);
    if (fleet.failed.length > 0) return 1;
    // Like `cdktf-xen diff`: a refusal is a difference between declared and live too.
    return plans.some((p) => hasExecutableActions(p) || p.summary.refused > 0) ? 2 : 0;
  } catch (e) {
    return reportError(e);
  }
}

function printPlans(plans: readonly Plan[], opts: FleetOptions): void {
  if (opts.json === true) {
    out(JSON.stringify({ formatVersion: PLAN_FORMAT_VERSION, hosts: plans.map(planDocument) }, null, 2));
  } else if (plans.length > 0) {
    out(formatPlans(plans, { color: color(opts) }).trimEnd());
  }
}

/**
 * Moves first: a domain declared on a new host is migrated (or copied) there before any host
 * is reconciled, so the target's reconcile finds it running instead of booting a second copy.
 * A refused move stops the whole apply before anything changes.
 */
async function carryOutMoves(dir: string, selected: readonly StackHost[], log: (line: string) => void): Promise<void> {
  // Moves are found across the whole stack, whatever --host selected: a source needs its target.
  const all = await loadStack(dir);
  // One host cannot move anything anywhere: no extra read.
  if (all.length < 2) return;
  const pool = new TransportPool();
  try {
    const { plans, failed } = await readFleet(all, pool);
    if (failed.length > 0) throw failed[0]!.error;
    const actions = plans.flatMap((p) => p.actions);
    const refused = actions.filter((a): a is RefuseMoveAction => a.kind === "refuse-move");
    if (refused.length > 0) {
      throw new PlanRefusedError(
        refused[0]!.host,
        refused.map((r) => ({ subject: `domain ${r.domain}`, reason: r.reason, fix: r.fix })),
      );
    }
    const ids = new Set(selected.map((h) => h.hostId));
    for (const move of actions.filter((a): a is MoveDomainAction => a.kind === "move-domain")) {
      if (!ids.has(move.old) && !ids.has(move.new)) continue;
      const source = all.find((h) => h.hostId === move.old)!;
      const target = all.find((h) => h.hostId === move.new)!;
      log(describeAction(move));
      const outcome = await runMove(pool, all, move.domain, { hostId: source.hostId, connection: source.connection }, target, log);
      log(describeMove(move.domain, source.hostId, target.hostId, outcome));
    }
  } finally {
    await pool.closeAll();
  }
}

/** `cdktf-xen apply`: exit 0 when every host now matches, 1 when any host failed. */
export async function applyFleet(dir: string, opts: FleetOptions): Promise<number> {
  try {
    const hosts = await selectHosts(dir, opts.host);
    const log = opts.json === true ? err : out;
    await carryOutMoves(dir, hosts, log);
    const results = await eachHost(hosts, (h, pool) => applyHost(pool.get(h.hostId, h.connection), h.spec, { log }));
    const ok = results.flatMap((r) => (r.ok ? [r.value] : []));
    if (opts.json === true) {
      out(
        JSON.stringify(
          {
            formatVersion: PLAN_FORMAT_VERSION,
            hosts: ok.map((r) => ({ ...planDocument(r.plan), applied: r.applied.length, after: planDocument(r.after) })),
          },
          null,
          2,
        ),
      );
    } else {
      printPlans(ok.map((r) => r.plan), opts);
      for (const r of results) {
        if (r.ok) out(`host ${r.host.hostId}: ${r.value.applied.length === 0 ? "already up to date" : `applied ${r.value.applied.length} action(s)`}`);
      }
    }
    for (const r of results) if (!r.ok) reportError(r.error);
    return results.some((r) => !r.ok) ? 1 : 0;
  } catch (e) {
    return reportError(e);
  }
}
