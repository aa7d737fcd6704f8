/**
 * What the synthesized resources' provisioners run. Each reads its resource's recorded input
 * from CDKTF_XEN_INPUT and, where the host is still declared, the host's current connection
 * from ./cdk.tf.json (so a changed address reaches even a resource whose input is stale).
 */
import type { HostConnection } from "../model/spec.js";
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

/** `cdktf-xen destroy-domain`: stop and remove the domain of CDKTF_XEN_INPUT. */
export async function destroyDomainCommand(dir: string): Promise<number> {
  try {
    const input = readInput(process.env, "domain");
    const hosts = await stackHosts(dir, false);
    const connection = currentConnection(hosts, input.host, input.connection);
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
    const domains = input.managed.domains.filter((d) => !declared.has(d));
    const volumes = input.managed.deleteVolumes.filter((v) => !declaredVolumes.has(`${v.pool.name}/${v.volume.name}`));
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
