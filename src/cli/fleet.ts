/**
 * `cdktf-xen plan` and `apply` over a synthesized stack: every declared host in parallel, one
 * SSH connection each, a fleet-wide view of declared versus live (drift included).
 */
import { formatPlans, planDocument, PLAN_FORMAT_VERSION } from "../diff/format.js";
import { hasExecutableActions, type Plan } from "../diff/plan.js";
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

/** `cdktf-xen plan`: exit 0 when every host matches, 2 when something would change, 1 on error. */
export async function planFleet(dir: string, opts: FleetOptions): Promise<number> {
  try {
    const hosts = await selectHosts(dir, opts.host);
    const results = await eachHost(hosts, async (h, pool) => (await readHost(pool.get(h.hostId, h.connection), h.spec)).plan);
    const plans = results.flatMap((r) => (r.ok ? [r.value] : []));
    printPlans(plans, opts);
    for (const r of results) if (!r.ok) reportError(r.error);
    if (results.some((r) => !r.ok)) return 1;
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

/** `cdktf-xen apply`: exit 0 when every host now matches, 1 when any host failed. */
export async function applyFleet(dir: string, opts: FleetOptions): Promise<number> {
  try {
    const hosts = await selectHosts(dir, opts.host);
    const log = opts.json === true ? err : out;
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
