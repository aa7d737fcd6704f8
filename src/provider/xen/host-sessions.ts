/**
 * The provider process's hosts: one SSH connection per host for the whole Terraform run however
 * many calls Terraform makes on it in parallel, one live snapshot per host shared by every call
 * (refresh and plan of a host read it once), and one apply at a time per host in this process
 * (the dom0 host lock serializes against every other applier too). Hosts run in parallel.
 */
import { canonicalJson } from "../../model/canonical.js";
import type { HostConnection, HostMigration, HostSpec } from "../../model/spec.js";
import { moveBetween, type HopOpener } from "../../cli/move-runner.js";
import type { MoveEnd, MoveOutcome } from "../../reconcile/move.js";
import { applyHost, readHost, type Log } from "../../reconcile/reconciler.js";
import { destroyDomain, destroyVolume } from "../../reconcile/destroy.js";
import { formatPlan } from "../../diff/format.js";
import type { PoolSpec, VolumeSpec } from "../../model/spec.js";
import { ssh2TransportFactory, type TransportFactory } from "../../ssh/pool.js";
import type { Transport } from "../../ssh/transport.js";
import type { LiveHost } from "../../xl/live.js";
import { guestAddressCommand, parseGuestAddresses } from "./guest-addresses.js";
import type { AddressBook } from "./observe.js";

/** A host as read once in this run. */
export interface HostReadingCache {
  readonly live: LiveHost;
  readonly addresses: AddressBook;
}

/** Counters for the benchmark and the tests. */
export interface SessionStats {
  readonly connections: number;
  readonly reads: number;
}

/** One end of a move as the provider knows it (the source's spec: its pools, no domains). */
export interface MoveSide {
  readonly spec: HostSpec;
  readonly connection: HostConnection;
  readonly migration: HostMigration;
}

/**
 * What the `xen_host` handlers need of the hosts: reads shared per run, the apply, the two
 * destroys, and per-host mutual exclusion. {@link HostSessions} is the real one (SSH to dom0);
 * the fleet benchmark plugs in a simulated fleet (named as such there).
 */
export interface HostBackend {
  read(spec: HostSpec, connection: HostConnection, fresh?: boolean): Promise<HostReadingCache>;
  apply(spec: HostSpec, connection: HostConnection, log: Log): Promise<void>;
  destroyDomain(hostId: string, connection: HostConnection, name: string, log: Log): Promise<string>;
  destroyVolume(hostId: string, connection: HostConnection, pool: PoolSpec, volume: VolumeSpec, log: Log): Promise<string>;
  /**
   * Moves `domain` from `source` to `target` with reconcile/move.ts (both host locks, every
   * pre-check again, xl migrate as a job on the source). A backend without it cannot move: the
   * target's apply then refuses the domain rather than boot a second copy.
   */
  move?(domain: string, source: MoveSide, target: MoveSide, log: Log): Promise<MoveOutcome>;
  invalidate(hostId: string): void;
  exclusive<T>(hostId: string, fn: () => Promise<T>): Promise<T>;
  closeAll(): Promise<void>;
}

/** One call at a time per host in this process; hosts run in parallel. */
export class HostQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(hostId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(hostId) ?? Promise.resolve();
    const run = before.then(fn, fn);
    this.#tails.set(hostId, run.catch(() => undefined));
    return run;
  }
}

export class HostSessions implements HostBackend {
  readonly #factory: TransportFactory;
  readonly #transports = new Map<string, Transport>();
  readonly #reads = new Map<string, Promise<HostReadingCache>>();
  readonly #queue = new HostQueue();
  #connections = 0;
  #readCount = 0;

  readonly #openHop: HopOpener | undefined;

  /**
   * @param factory makes each host's transport @default ssh2TransportFactory()
   * @param openHop opens a source's agent-forwarded connection for a move @default - ssh2 with the agent forwarded
   */
  constructor(factory: TransportFactory = ssh2TransportFactory(), openHop?: HopOpener) {
    this.#factory = factory;
    this.#openHop = openHop;
  }

  /** The host's transport for these connection settings, opened on first use. */
  transport(hostId: string, connection: HostConnection): Transport {
    // A changed address in this run (the plan moves the host's connection) is another
    // connection to the same host, not a conflict.
    const key = `${hostId}\u0000${canonicalJson(connection)}`;
    let t = this.#transports.get(key);
    if (t === undefined) {
      t = this.#factory.create(hostId, connection);
      this.#transports.set(key, t);
      this.#connections++;
    }
    return t;
  }

  /**
   * The host's live state and guest addresses, read once per run for a given set of pools
   * (what the snapshot reads depends on them); `fresh` reads again (after an apply).
   */
  read(spec: HostSpec, connection: HostConnection, fresh = false): Promise<HostReadingCache> {
    const key = `${spec.host}\u0000${canonicalJson(connection)}\u0000${canonicalJson(spec.pools)}`;
    const cached = this.#reads.get(key);
    if (cached !== undefined && !fresh) return cached;
    const transport = this.transport(spec.host, connection);
    const reading = (async (): Promise<HostReadingCache> => {
      this.#readCount++;
      const { live } = await readHost(transport, { ...spec, domains: [] });
      const out = await transport.exec(guestAddressCommand(), { idempotent: true, step: "read guest addresses", timeoutMs: 60_000 });
      return { live, addresses: parseGuestAddresses(out.code === 0 ? out.stdout : "", live) };
    })();
    this.#reads.set(key, reading);
    // A failed read is not cached: the next call tries again.
    reading.catch(() => {
      if (this.#reads.get(key) === reading) this.#reads.delete(key);
    });
    return reading;
  }

  /** Brings the host to `spec` with the reconciler (host lock, one batch, verified). */
  async apply(spec: HostSpec, connection: HostConnection, log: Log): Promise<void> {
    const transport = this.transport(spec.host, connection);
    log(`cdktf-xen: reconciling host ${spec.host} (${connection.address}:${String(connection.port)})`);
    await applyHost(transport, spec, { log, onPlan: (p) => log(formatPlan(p).trimEnd()) });
  }

  async destroyDomain(hostId: string, connection: HostConnection, name: string, log: Log): Promise<string> {
    return destroyDomain(this.transport(hostId, connection), name, { log });
  }

  async destroyVolume(hostId: string, connection: HostConnection, pool: PoolSpec, volume: VolumeSpec, log: Log): Promise<string> {
    return destroyVolume(this.transport(hostId, connection), pool, volume, { log });
  }

  async move(domain: string, source: MoveSide, target: MoveSide, log: Log): Promise<MoveOutcome> {
    const end = (side: MoveSide): MoveEnd => ({
      hostId: side.spec.host,
      spec: side.spec,
      connection: side.connection,
      migration: side.migration,
      transport: this.transport(side.spec.host, side.connection),
    });
    try {
      return await moveBetween(domain, end(source), end(target), log, this.#openHop);
    } finally {
      this.invalidate(source.spec.host);
      this.invalidate(target.spec.host);
    }
  }

  /** Forgets every cached reading of the host (its state changed). */
  invalidate(hostId: string): void {
    for (const key of [...this.#reads.keys()]) if (key.startsWith(`${hostId}\u0000`)) this.#reads.delete(key);
  }

  /** Runs `fn` when no other `exclusive` call on the same host runs in this process. */
  exclusive<T>(hostId: string, fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(hostId, fn);
  }

  stats(): SessionStats {
    return { connections: this.#connections, reads: this.#readCount };
  }

  /** Closes every connection. */
  async closeAll(): Promise<void> {
    const all = [...this.#transports.values()];
    this.#transports.clear();
    this.#reads.clear();
    await Promise.allSettled(all.map((t) => t.close()));
  }
}
