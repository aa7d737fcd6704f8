/**
 * `cdktf-xen plan` and `apply` over a synthesized stack, with Terraform's contract: `plan`
 * shows (and with `-out FILE` saves) what would change; `apply` shows the plan and asks for
 * approval, or with a saved plan re-reads every host and carries out exactly that plan or
 * refuses it. Hosts are read and applied in parallel (`--parallelism`, default 10), one SSH
 * connection each.
 */
import { stat } from "node:fs/promises";
import { describeAction, formatPlans, planDocument, PLAN_FORMAT_VERSION } from "../diff/format.js";
import { diffFleet } from "../diff/move.js";
import { hasExecutableActions, type MoveDomainAction, type Plan, type RefuseMoveAction } from "../diff/plan.js";
import type { LiveHost } from "../xl/live.js";
import { liveStateHash } from "../xl/live-hash.js";
import { PlanRefusedError } from "../reconcile/errors.js";
import { describeMove, runMove } from "./move-runner.js";
import type { StackHost } from "../constructs/stack-reader.js";
import { applyHost, readHost, type ApplyReport, type HostReading, type ReconcileOptions } from "../reconcile/reconciler.js";
import { canonicalJson } from "../model/canonical.js";
import { TransportPool } from "../ssh/pool.js";
import { DEFAULT_LOCK_TIMEOUT_MS, type ApplyOptions, type FleetOptions, type PlanOptions } from "./commands.js";
import { askApproval } from "./confirm.js";
import { CliError } from "./errors.js";
import { DEFAULT_PARALLELISM, mapLimit } from "./limit.js";
import { err, out, reportError } from "./output.js";
import { declarationHash, readSavedPlan, savedPlan, stalePlanError, stalePlanReasons, writeSavedPlan, type SavedPlan } from "./saved-plan.js";
import { loadStack } from "./stack-file.js";

async function stackOf(dir: string): Promise<StackHost[]> {
  const hosts = await loadStack(dir);
  if (hosts.length === 0) {
    throw new CliError(`${dir}/cdk.tf.json declares no Xen host`, "no XenHost construct was synthesized", "check the stack directory");
  }
  return hosts;
}

function selectHosts(hosts: readonly StackHost[], only: readonly string[] | undefined): StackHost[] {
  if (only === undefined || only.length === 0) return [...hosts];
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

type Outcome<T> = { readonly host: StackHost; readonly ok: true; readonly value: T } | { readonly host: StackHost; readonly ok: false; readonly error: unknown };

/** `fn` on every host, at most `parallelism` at once; a host's failure is its outcome, not the whole's. */
function eachHost<T>(hosts: readonly StackHost[], parallelism: number, fn: (h: StackHost) => Promise<T>): Promise<Outcome<T>[]> {
  return mapLimit(hosts, parallelism, async (host): Promise<Outcome<T>> => {
    try {
      return { host, ok: true, value: await fn(host) };
    } catch (error) {
      return { host, ok: false, error };
    }
  });
}

function color(opts: FleetOptions): boolean {
  return opts.color !== false && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
}

/** Every host of a stack as read now, planned together. */
interface FleetReading {
  readonly hosts: readonly { readonly host: StackHost; readonly live: LiveHost; readonly plan: Plan }[];
  readonly failed: readonly { readonly host: StackHost; readonly error: unknown }[];
}

/**
 * Reads every host of the stack and plans them together, so that a domain declared on a new
 * host shows as a move (not a create there and a leftover here). Every host is read, not only
 * the --host selection: a move needs both of its ends.
 */
async function readFleet(stack: readonly StackHost[], pool: TransportPool, parallelism: number): Promise<FleetReading> {
  const results = await eachHost(stack, parallelism, async (host) => (await readHost(pool.get(host.hostId, host.connection), host.spec)).live);
  const read = results.flatMap((r) => (r.ok ? [{ host: r.host, live: r.value }] : []));
  const plans = diffFleet(read.map((r) => ({ spec: r.host.spec, live: r.live })));
  return {
    hosts: read.map((r, i) => ({ ...r, plan: plans[i]! })),
    failed: results.flatMap((r) => (r.ok ? [] : [{ host: r.host, error: r.error }])),
  };
}

/** The saved plan of a reading. */
function toSavedPlan(dir: string, selected: readonly StackHost[], reading: FleetReading): SavedPlan {
  return savedPlan(
    dir,
    selected.map((h) => h.hostId),
    reading.hosts.map((r) => ({ hostId: r.host.hostId, declarationHash: declarationHash(r.host), liveHash: liveStateHash(r.live), plan: r.plan })),
  );
}

const movesOf = (plans: readonly Plan[]): MoveDomainAction[] => plans.flatMap((p) => p.actions.filter((a): a is MoveDomainAction => a.kind === "move-domain"));

/** The plans a person sees for the selection, and the moves out of it to hosts not selected. */
function shownPlans(saved: SavedPlan): { plans: Plan[]; outbound: MoveDomainAction[] } {
  const selected = new Set(saved.selected);
  const plans = saved.hosts.filter((h) => selected.has(h.hostId)).map((h) => h.plan);
  const outbound = movesOf(saved.hosts.filter((h) => !selected.has(h.hostId)).map((h) => h.plan)).filter((m) => selected.has(m.old));
  return { plans, outbound };
}

function printPlans(saved: SavedPlan, opts: FleetOptions): void {
  const { plans, outbound } = shownPlans(saved);
  if (opts.json === true) {
    out(JSON.stringify({ formatVersion: PLAN_FORMAT_VERSION, hosts: plans.map(planDocument) }, null, 2));
    return;
  }
  if (plans.length > 0) out(formatPlans(plans, { color: color(opts) }).trimEnd());
  for (const m of outbound) out(describeAction(m));
}

function hasChanges(saved: SavedPlan, refusalsCount: boolean): boolean {
  const { plans, outbound } = shownPlans(saved);
  return outbound.length > 0 || plans.some((p) => hasExecutableActions(p) || (refusalsCount && p.summary.refused > 0));
}

function reportFailed(reading: FleetReading): number {
  for (const f of reading.failed) reportError(f.error);
  return 1;
}

/**
 * `cdktf-xen plan`: prints the plan; with `--out FILE` saves it for `cdktf-xen apply FILE`.
 * Exit 0 (also with changes, as `terraform plan`), 1 on error; with `--detailed-exitcode` 2
 * when something would change (a refusal counts: declared and live differ).
 */
export async function planFleet(dir: string, opts: PlanOptions): Promise<number> {
  try {
    const stack = await stackOf(dir);
    const selected = selectHosts(stack, opts.host);
    const pool = new TransportPool();
    let reading: FleetReading;
    try {
      reading = await readFleet(stack, pool, opts.parallelism ?? DEFAULT_PARALLELISM);
    } finally {
      await pool.closeAll();
    }
    const saved = toSavedPlan(dir, selected, reading);
    printPlans(saved, opts);
    if (reading.failed.length > 0) return reportFailed(reading);
    if (opts.out !== undefined) {
      await writeSavedPlan(opts.out, saved);
      (opts.json === true ? err : out)(`\nSaved the plan to ${opts.out}. To carry out exactly this plan: cdktf-xen apply ${opts.out}`);
    }
    return opts.detailedExitcode === true && hasChanges(saved, true) ? 2 : 0;
  } catch (e) {
    return reportError(e);
  }
}

/**
 * `cdktf-xen apply [STACK-DIR | PLAN-FILE]`: exit 0 when every selected host now matches, 1
 * when anything failed, was refused or was not approved.
 */
export async function applyFleet(target: string, opts: ApplyOptions): Promise<number> {
  try {
    const isFile = (await stat(target).catch(() => null))?.isFile() === true;
    return isFile ? await applySavedPlan(target, opts) : await applyStack(target, opts);
  } catch (e) {
    return reportError(e);
  }
}

/** Plans the stack, shows the plan, asks for approval (unless --auto-approve), applies it. */
async function applyStack(dir: string, opts: ApplyOptions): Promise<number> {
  if (opts.json === true && opts.autoApprove !== true) {
    throw new CliError(
      "cdktf-xen apply --json needs --auto-approve",
      "the plan goes to stdout as JSON, so there is no place to ask for approval",
      `pass --auto-approve, or save the plan (cdktf-xen plan ${dir} -out FILE --json) and apply the file`,
    );
  }
  const stack = await stackOf(dir);
  const selected = selectHosts(stack, opts.host);
  const parallelism = opts.parallelism ?? DEFAULT_PARALLELISM;
  let pool = new TransportPool();
  if (opts.autoApprove === true && stack.length === 1) {
    // Nobody to wait for and no move possible: the plan is made (and shown) under the host
    // lock, as a provisioner's is — one read of the host fewer.
    try {
      const show = (plan: Plan): void => out(formatPlans([plan], { color: color(opts) }).trimEnd());
      return await applyHosts(selected, pool, opts, () => (opts.json === true ? {} : { onPlan: show }));
    } finally {
      await pool.closeAll();
    }
  }
  try {
    const reading = await readFleet(stack, pool, parallelism);
    const saved = toSavedPlan(dir, selected, reading);
    if (opts.json !== true) printPlans(saved, opts);
    if (reading.failed.length > 0) return reportFailed(reading);
    if (hasChanges(saved, false) && opts.autoApprove !== true) {
      // Nobody keeps SSH connections idle while a person reads: the apply opens them again.
      await pool.closeAll();
      if (!(await askApproval(dir))) {
        out("\nApply cancelled: nothing was changed.");
        return 1;
      }
      pool = new TransportPool();
    }
    return await execute(saved, stack, pool, opts);
  } finally {
    await pool.closeAll();
  }
}

/** Re-reads every host; applies `file`'s plan only when nothing changed since it was made. */
async function applySavedPlan(file: string, opts: ApplyOptions): Promise<number> {
  if (opts.host !== undefined && opts.host.length > 0) {
    throw new CliError(
      "--host cannot be used with a saved plan",
      "the saved plan already says which hosts it applies to",
      "plan again with --host (cdktf-xen plan DIR --host ID -out FILE) and apply that file",
    );
  }
  const saved = await readSavedPlan(file);
  const stack = await stackOf(saved.stackDir);
  const pool = new TransportPool();
  try {
    const reading = await readFleet(stack, pool, opts.parallelism ?? DEFAULT_PARALLELISM);
    if (reading.failed.length > 0) return reportFailed(reading);
    const reasons = stalePlanReasons(
      saved,
      stack.map((h) => {
        const r = reading.hosts.find((x) => x.host.hostId === h.hostId);
        return { hostId: h.hostId, declarationHash: declarationHash(h), liveHash: r === undefined ? null : liveStateHash(r.live), plan: r?.plan ?? null };
      }),
    );
    if (reasons.length > 0) throw stalePlanError(file, saved, reasons);
    return await execute(saved, stack, pool, opts, file);
  } finally {
    await pool.closeAll();
  }
}

/**
 * Under each host's lock, before anything changes: the host must be as the plan read it and
 * plan the same. (A host a move has just changed is checked by the move itself instead.)
 */
function verifyUnderLock(saved: SavedPlan, hostId: string, file: string | undefined): (reading: HostReading) => void {
  const expected = saved.hosts.find((h) => h.hostId === hostId)!;
  return (reading) => {
    const reasons: string[] = [];
    if (liveStateHash(reading.live) !== expected.liveHash) reasons.push(`host ${hostId}: what it runs changed after the plan was made`);
    else if (canonicalJson(reading.plan) !== canonicalJson(expected.plan)) reasons.push(`host ${hostId}: planning it again under the host lock gives another plan`);
    if (reasons.length > 0) {
      throw file === undefined
        ? new CliError(`host ${hostId} changed while the plan waited for approval, so nothing was applied there`, reasons.join("; "), `run cdktf-xen apply ${saved.stackDir} again and review the new plan`)
        : stalePlanError(file, saved, reasons);
    }
  };
}

/** Carries out a plan that holds: its moves first, then every selected host. */
async function execute(saved: SavedPlan, stack: readonly StackHost[], pool: TransportPool, opts: ApplyOptions, file?: string): Promise<number> {
  const log = opts.json === true ? err : out;
  const lockTimeoutMs = opts.lockTimeout ?? DEFAULT_LOCK_TIMEOUT_MS;
  const selected = new Set(saved.selected);
  const allPlans = saved.hosts.map((h) => h.plan);

  // A refused move stops the whole apply before anything changes (the target must not boot a
  // second copy, nor the source lose the guest).
  const refused = allPlans.flatMap((p) => p.actions.filter((a): a is RefuseMoveAction => a.kind === "refuse-move"));
  if (refused.length > 0) {
    throw new PlanRefusedError(refused[0]!.new, refused.map((r) => ({ subject: `domain ${r.domain}`, reason: r.reason, fix: r.fix })));
  }
  // Moves first: the target's reconcile then finds the domain running instead of booting a second copy.
  const moves = movesOf(allPlans).filter((m) => selected.has(m.old) || selected.has(m.new));
  const touched = new Set(moves.flatMap((m) => [m.old, m.new]));
  for (const move of moves) {
    const source = stack.find((h) => h.hostId === move.old)!;
    const target = stack.find((h) => h.hostId === move.new)!;
    log(describeAction(move));
    const outcome = await runMove(pool, stack, move.domain, { hostId: source.hostId, connection: source.connection }, target, log, { lockTimeoutMs });
    log(describeMove(move.domain, source.hostId, target.hostId, outcome));
  }

  const hosts = stack.filter((h) => selected.has(h.hostId));
  return applyHosts(hosts, pool, opts, (h) => (touched.has(h.hostId) ? {} : { verify: verifyUnderLock(saved, h.hostId, file) }));
}

/** Reconciles `hosts` (at most --parallelism at once) and prints what each did; the exit code. */
async function applyHosts(hosts: readonly StackHost[], pool: TransportPool, opts: ApplyOptions, extra: (h: StackHost) => ReconcileOptions): Promise<number> {
  const log = opts.json === true ? err : out;
  const lockTimeoutMs = opts.lockTimeout ?? DEFAULT_LOCK_TIMEOUT_MS;
  const results = await eachHost(hosts, opts.parallelism ?? DEFAULT_PARALLELISM, (h) =>
    applyHost(pool.get(h.hostId, h.connection), h.spec, { log, lockTimeoutMs, ...extra(h) }),
  );
  printResults(results, opts);
  for (const r of results) if (!r.ok) reportError(r.error);
  return results.some((r) => !r.ok) ? 1 : 0;
}

function printResults(results: readonly Outcome<ApplyReport>[], opts: ApplyOptions): void {
  if (opts.json === true) {
    const ok = results.flatMap((r) => (r.ok ? [r.value] : []));
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
    return;
  }
  for (const r of results) {
    if (r.ok) out(`host ${r.host.hostId}: ${r.value.applied.length === 0 ? "already up to date" : `applied ${r.value.applied.length} action(s)`}`);
  }
}
