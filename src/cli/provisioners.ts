/**
 * What the synthesized resources' provisioners run. Each reads its resource's recorded input
 * from CDKTF_XEN_INPUT and, where the host is still declared, the host's current connection
 * from ./cdk.tf.json (so a changed address reaches even a resource whose input is stale).
 */
import type { HostConnection, PoolSpec } from "../model/spec.js";
import { describeMove, destinationOf, runMove } from "./move-runner.js";
import { applyHost } from "../reconcile/reconciler.js";
import { destroyDomain, destroyVolume } from "../reconcile/destroy.js";
import { ReconcileError, StackChangedError } from "../reconcile/errors.js";
import { TransportPool } from "../ssh/pool.js";
import { loadStack } from "./stack-file.js";
import { readInput } from "./provisioner-input.js";
import { err, out, reportError } from "./output.js";
import { formatPlan, summaryLine } from "../diff/format.js";
import type { StackHost } from "../constructs/stack-reader.js";
import { CliError } from "./errors.js";

async function stackHosts(dir: string, required: boolean): Promise<StackHost[]> {
  try {
    return await loadStack(dir);
  } catch (e) {
    if (required) throw e;
    return [];
  }
}

/**
 * The other host that declares this volume in a shared pool at the same place (same volume
 * group or directory), if any: then it is the same data, and deleting it here would delete it
 * there — a shared volume that moved with its domain is never deleted by the old host.
 */
function sharedElsewhere(hosts: readonly StackHost[], hostId: string, pool: PoolSpec, volume: string): string | undefined {
  if (!pool.shared) return undefined;
  const place = (p: PoolSpec): string => (p.kind === "lvm" ? `lvm:${p.volumeGroup}` : `dir:${p.path}`);
  for (const h of hosts) {
    if (h.hostId === hostId) continue;
    for (const v of h.spec.volumes) {
      const p = h.spec.pools.find((x) => x.name === v.pool);
      if (v.name === volume && p !== undefined && p.shared && place(p) === place(pool)) return h.hostId;
    }
  }
  return undefined;
}

function currentConnection(hosts: readonly StackHost[], hostId: string, recorded: HostConnection): HostConnection {
  return hosts.find((h) => h.hostId === hostId)?.connection ?? recorded;
}

async function withPool<T>(fn: (pool: TransportPool) => Promise<T>): Promise<T> {
  const pool = new TransportPool();
  try {
    return await fn(pool);
  } finally {
    await pool.closeAll();
  }
}

/** `cdktf-xen apply-host`: reconcile the host named by CDKTF_XEN_INPUT. */
export async function applyHostCommand(dir: string): Promise<number> {
  try {
    const input = readInput(process.env, "host");
    const hosts = await stackHosts(dir, true);
    const host = hosts.find((h) => h.hostId === input.host);
    if (host === undefined) {
      throw new CliError(
        `host ${input.host} is not declared in ${dir}/cdk.tf.json`,
        "the stack file does not match the resource Terraform is creating",
        "run `cdktf synth` and plan again",
      );
    }
    const expected = process.env.CDKTF_XEN_EXPECT;
    if (expected !== undefined && expected !== "" && expected !== host.specHash) {
      throw new StackChangedError(host.hostId, expected, host.specHash);
    }
    return await withPool(async (pool) => {
      const transport = pool.get(host.hostId, host.connection);
      out(`cdktf-xen: reconciling host ${host.hostId} (${host.connection.address}:${host.connection.port})`);
      const report = await applyHost(transport, host.spec, { log: out, onPlan: (plan) => out(formatPlan(plan).trimEnd()) });
      const n = report.applied.length;
      out(n === 0 ? `cdktf-xen: host ${host.hostId} already matches its declaration.` : `cdktf-xen: applied ${n} action(s) on host ${host.hostId}; ${summaryLine(report.after.summary)}`);
      return 0;
    });
  } catch (e) {
    return reportError(e);
  }
}

/**
 * `cdktf-xen destroy-domain`: stop and remove the domain of CDKTF_XEN_INPUT — unless the stack
 * now declares it on another host: then this is a move, and the domain migrates there.
 */
export async function destroyDomainCommand(dir: string): Promise<number> {
  try {
    const input = readInput(process.env, "domain");
    const hosts = await stackHosts(dir, false);
    const connection = currentConnection(hosts, input.host, input.connection);
    const destination = destinationOf(hosts, input.host, input.name);
    if (destination.kind === "many") {
      throw new CliError(
        `domain ${input.name} left ${input.host} but is declared on ${destination.hosts.map((h) => h.hostId).join(" and ")}`,
        "a domain moves to one host; two declarations of one name elsewhere make the move ambiguous, so nothing was changed",
        `declare ${input.name} on one host only, or give the domains different names`,
      );
    }
    if (destination.kind === "one") {
      const target = destination.host;
      return await withPool(async (pool) => {
        const outcome = await runMove(pool, hosts, input.name, { hostId: input.host, connection }, target, (line) => out(`cdktf-xen: ${line}`));
        out(`cdktf-xen: ${describeMove(input.name, input.host, target.hostId, outcome)}`);
        return 0;
      });
    }
    return await withPool(async (pool) => {
      const transport = pool.get(input.host, connection);
      const outcome = await destroyDomain(transport, input.name, { log: out });
      const said: Record<typeof outcome, string> = {
        "stopped-and-removed": `stopped domain ${input.name} and removed its config file and autostart link`,
        "removed-files": `domain ${input.name} was not running; removed its config file and autostart link`,
        absent: `domain ${input.name} is already gone`,
        "unmanaged-left-alone": `a domain named ${input.name} runs but cdktf-xen has no config file for it: left running (not ours to stop)`,
      };
      (outcome === "unmanaged-left-alone" ? err : out)(`cdktf-xen: host ${input.host}: ${said[outcome]}`);
      return 0;
    });
  } catch (e) {
    return reportError(e);
  }
}

/** `cdktf-xen destroy-volume`: delete the volume of CDKTF_XEN_INPUT when its retention allows. */
export async function destroyVolumeCommand(dir: string): Promise<number> {
  try {
    const input = readInput(process.env, "volume");
    const hosts = await stackHosts(dir, false);
    const connection = currentConnection(hosts, input.host, input.connection);
    const sharer = sharedElsewhere(hosts, input.host, input.pool, input.volume.name);
    if (sharer !== undefined) {
      out(
        `cdktf-xen: host ${input.host}: volume ${input.pool.name}/${input.volume.name} is on shared storage and still declared on ${sharer}: kept`,
      );
      return 0;
    }
    return await withPool(async (pool) => {
      const transport = pool.get(input.host, connection);
      const outcome = await destroyVolume(transport, input.pool, input.volume, { log: out });
      const name = `${input.pool.name}/${input.volume.name}`;
      out(
        `cdktf-xen: host ${input.host}: volume ${name} ${
          outcome === "deleted" ? "deleted (retention: delete)" : outcome === "retained" ? "kept (retention: retain)" : "was already gone"
        }`,
      );
      return 0;
    });
  } catch (e) {
    return reportError(e);
  }
}

/**
 * `cdktf-xen prune-host`: the destroy-time provisioner of a host's reconcile resource. Removes
 * the domains (and DELETE-retention volumes) its recorded input lists but the current stack
 * file no longer declares on the host — what Terraform itself cannot do, since it drops a
 * removed resource's provisioners with its block. Whatever is still declared is left alone,
 * so a `terraform destroy` (where everything is still declared) prunes nothing here: the
 * domains' and volumes' own destroy provisioners do that work.
 */
export async function pruneHostCommand(dir: string): Promise<number> {
  try {
    const input = readInput(process.env, "prune");
    const hosts = await stackHosts(dir, false);
    const host = hosts.find((h) => h.hostId === input.host);
    if (host === undefined) {
      out(`cdktf-xen: host ${input.host} is not in ${dir}/cdk.tf.json; nothing is pruned (destroy its domains with terraform destroy)`);
      return 0;
    }
    const declared = new Set(host.spec.domains.map((d) => d.name));
    const declaredVolumes = new Set(host.spec.volumes.map((v) => `${v.pool}/${v.name}`));
    const moving = input.managed.domains.filter((d) => !declared.has(d) && destinationOf(hosts, host.hostId, d).kind !== "none");
    for (const name of moving) {
      out(`cdktf-xen: host ${host.hostId}: domain ${name} is declared on another host now: left to its move, not removed`);
    }
    const domains = input.managed.domains.filter((d) => !declared.has(d) && !moving.includes(d));
    // A volume declared on another host now moves with its domain: the move copies it (or it is
    // shared), and the old volume resource's destroy-volume, ordered after the move, deletes the
    // source copy as its retention says. Deleting it here would run before the move.
    const movingVolume = (v: { pool: PoolSpec; volume: { name: string } }): boolean =>
      hosts.some((h) => h.hostId !== host.hostId && h.spec.volumes.some((x) => x.pool === v.pool.name && x.name === v.volume.name));
    const volumes = input.managed.deleteVolumes.filter((v) => !declaredVolumes.has(`${v.pool.name}/${v.volume.name}`) && !movingVolume(v));
    if (domains.length === 0 && volumes.length === 0) return 0;
    return await withPool(async (pool) => {
      const transport = pool.get(host.hostId, host.connection);
      for (const name of domains) {
        const outcome = await destroyDomain(transport, name, { log: out });
        out(`cdktf-xen: host ${host.hostId}: domain ${name} is no longer declared: ${outcome.replace(/-/g, " ")}`);
      }
      for (const v of volumes) {
        const name = `${v.pool.name}/${v.volume.name}`;
        try {
          const outcome = await destroyVolume(transport, v.pool, v.volume, { log: out });
          out(`cdktf-xen: host ${host.hostId}: volume ${name} is no longer declared: ${outcome}`);
        } catch (e) {
          // A still-declared domain may use it until the apply that follows detaches it: keep
          // the data rather than fail every later apply on a deletion nobody can retry in order.
          if (!(e instanceof ReconcileError) || !/in use/.test(e.why)) throw e;
          err(
            `cdktf-xen: host ${host.hostId}: volume ${name} is no longer declared but a running domain still uses it: kept. ` +
              `Once it is detached, delete it by hand (lvremove / rm) if you no longer need it.`,
          );
        }
      }
      return 0;
    });
  } catch (e) {
    return reportError(e);
  }
}
