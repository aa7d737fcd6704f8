/**
 * SIMULATED Xen hosts for the provider's fleet benchmark: 50 dom0s cannot run here, so each
 * host is the diff engine's own model of a host (diff/simulate.ts: what `applyPlan` makes of a
 * live host), kept in a JSON file per host so that Terraform's separate plan and apply
 * processes see one fleet. An apply costs `domainMs` per domain it boots (the stand-in for
 * `xl create`), serially per host as the real host lock would; reads cost nothing. The real
 * SSH path is measured by test/provider/xen and by `npm run bench -- reconcile`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { diffHost } from "../../src/diff/diff.js";
import { MODEL_HOST_INFO, applyPlan } from "../../src/diff/simulate.js";
import type { HostConnection, HostSpec, PoolSpec, VolumeSpec } from "../../src/model/spec.js";
import type { Log } from "../../src/reconcile/reconciler.js";
import type { LiveHost } from "../../src/xl/live.js";
import { HostQueue, type HostBackend, type HostReadingCache } from "../../src/provider/xen/host-sessions.js";

const fresh = (): LiveHost => ({
  info: { ...MODEL_HOST_INFO, nrCpus: 64, totalMemoryMiB: 262_144, freeMemoryMiB: 260_000 },
  domains: [],
  volumes: [],
  configFiles: [],
  autostart: [],
  bridges: ["xenbr0"],
});

export class SimulatedHosts implements HostBackend {
  readonly #queue = new HostQueue();
  /** Hosts this process "connected" to (one connection per host per process). */
  readonly hostsTouched = new Set<string>();
  reads = 0;

  constructor(
    private readonly dir: string,
    private readonly domainMs: number,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  #file(hostId: string): string {
    return join(this.dir, `${hostId.replace(/[^A-Za-z0-9._-]/g, "_")}.json`);
  }
  #load(hostId: string): LiveHost {
    const f = this.#file(hostId);
    return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as LiveHost) : fresh();
  }
  #save(hostId: string, live: LiveHost): void {
    const f = this.#file(hostId);
    writeFileSync(`${f}.tmp`, JSON.stringify(live));
    renameSync(`${f}.tmp`, f);
  }

  async read(spec: HostSpec, _connection: HostConnection): Promise<HostReadingCache> {
    this.hostsTouched.add(spec.host);
    this.reads++;
    return { live: this.#load(spec.host), addresses: new Map() };
  }

  async apply(spec: HostSpec, _connection: HostConnection, _log: Log): Promise<void> {
    this.hostsTouched.add(spec.host);
    const live = this.#load(spec.host);
    const plan = diffHost(spec, live);
    const boots = plan.actions.filter((a) => a.kind === "create-domain" || a.kind === "restart-domain").length;
    if (boots > 0 && this.domainMs > 0) await new Promise((r) => setTimeout(r, boots * this.domainMs));
    this.#save(spec.host, applyPlan(live, plan));
  }

  async destroyDomain(hostId: string, _c: HostConnection, name: string): Promise<string> {
    const live = this.#load(hostId);
    this.#save(hostId, { ...live, domains: live.domains.filter((d) => d.name !== name), configFiles: live.configFiles.filter((f) => f.name !== name) });
    return "stopped-and-removed";
  }

  async destroyVolume(_hostId: string, _c: HostConnection, _pool: PoolSpec, volume: VolumeSpec): Promise<string> {
    return volume.retention === "delete" ? "deleted" : "retained";
  }

  invalidate(): void {}

  exclusive<T>(hostId: string, fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(hostId, fn);
  }

  async closeAll(): Promise<void> {}
}
