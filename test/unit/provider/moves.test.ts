/**
 * Moves through the native provider, on an in-memory fleet of two hosts (the diff engine's own
 * host model, src/diff/simulate.ts): a domain whose declared host changed from A to B is, in
 * B's plan, a move (a warning, computed values unknown, no create) or refused (an error naming
 * the domain with the reason and fix) — never a second copy — and B's apply moves it through
 * the backend before reconciling B. Also the provider's `hosts` directory, synthesized from a stack,
 * and the peers a resource's private state remembers.
 */
import { describe, expect, it } from "vitest";
import { Testing, TerraformStack } from "cdktf";
import { diffHost } from "../../../src/diff/diff.js";
import { applyPlan, liveHostFromSpec, MODEL_HOST_INFO } from "../../../src/diff/simulate.js";
import type { DomainSpec, HostConnection, HostMigration, HostSpec, PoolSpec, VolumeSpec } from "../../../src/model/spec.js";
import { LifecycleResource, MigrationPolicy, DomainType, Size, XenDomain, XenHost, XenStoragePool, XenVolume } from "../../../src/index.js";
import { UNKNOWN, type Diagnostic, type Value } from "../../../src/provider/protocol/types.js";
import { directoryEntryAttributes, directoryFromValue, hostAttributes, type DirectoryEntry, type PeerDeclaration } from "../../../src/provider/xen/convert.js";
import { decodePeers, encodePeers } from "../../../src/provider/xen/directory.js";
import { HostResource } from "../../../src/provider/xen/host-resource.js";
import { awaitDeparture, departingUsers, DepartureTimeout } from "../../../src/provider/xen/departures.js";
import type { HostBackend, HostReadingCache, MoveSide } from "../../../src/provider/xen/host-sessions.js";
import type { MoveOutcome } from "../../../src/reconcile/move.js";
import type { LiveHost } from "../../../src/xl/live.js";
import { pvDomain } from "../diff/support.js";

const A = "fleet/xen-a";
const B = "fleet/xen-b";
const conn = (address: string): HostConnection => ({ address, port: 22, user: "root", privateKeyPath: null, passphraseEnv: null, hostKey: "SHA256:x", knownHostsFile: null });
const MIGRATION: HostMigration = { address: null, port: null, identityFile: null };
const SHARED: PoolSpec = { kind: "dir", name: "nfs", path: "/srv/shared", shared: true };
const LOCAL: PoolSpec = { kind: "lvm", name: "vg0", volumeGroup: "vg0", shared: false };

/** web-1: PVH, its root disk in the shared pool (or the local one). */
function web(overrides: Partial<DomainSpec> = {}, pool: PoolSpec = SHARED): DomainSpec {
  const target = pool.kind === "dir" ? `${pool.path}/web-1-root` : `/dev/${pool.volumeGroup}/web-1-root`;
  return pvDomain({ name: "web-1", type: "pvh", cpuid: "host,rdtscp=0", disks: [{ vdev: "xvda", target, format: "raw", access: "rw", devtype: "disk", volume: `${pool.name}/web-1-root` }], ...overrides });
}
const rootOf = (pool: PoolSpec): VolumeSpec => ({ pool: pool.name, name: "web-1-root", sizeMiB: 256, format: "raw", retention: "retain" });

function hostSpec(host: string, domains: readonly DomainSpec[], pool: PoolSpec = SHARED): HostSpec {
  return { version: 1, host, pools: [SHARED, LOCAL], volumes: domains.length === 0 ? [] : [rootOf(pool)], domains };
}

const peer = (host: string, address: string): PeerDeclaration => ({ hostId: host, connection: conn(address), migration: MIGRATION, pools: [SHARED, LOCAL] });

const entry = (host: string, address: string, domains: readonly string[]): DirectoryEntry => ({ ...peer(host, address), domains });
/** The program after the change: web-1 declared on B, nothing on A. */
const MOVED = [entry(A, "10.0.0.11", []), entry(B, "10.0.0.12", ["web-1"])];

/** The provider's configuration value for `entries`. */
function providerConfig(entries: readonly DirectoryEntry[]): Value {
  return JSON.parse(JSON.stringify({ hosts: Object.fromEntries(entries.map((e) => [e.hostId, directoryEntryAttributes(e)])) })) as Value;
}

/** A `xen_host` handler configured with the directory `entries` (the program's hosts). */
function resourceFor(backend: HostBackend, entries: readonly DirectoryEntry[] = MOVED, log: (l: string) => void = () => undefined): HostResource {
  const r = new HostResource(backend, log, { pollMs: 1, heartbeatMs: 0, limitMs: 10_000 });
  expect(r.configure(providerConfig(entries))).toEqual([]);
  return r;
}

/** A host's `xen_host` value. */
function valueOf(host: string, address: string, spec: HostSpec): Value {
  return JSON.parse(JSON.stringify(hostAttributes({ spec, connection: conn(address), migration: MIGRATION }))) as Value;
}

/** B's `xen_host` value declaring `domains`. */
function valueOfB(domains: readonly DomainSpec[], pool: PoolSpec = SHARED): Value {
  return valueOf(B, "10.0.0.12", hostSpec(B, domains, pool));
}

/** Two hosts in memory: live states by host id; records reads, applies and moves. */
class Fleet implements HostBackend {
  readonly live = new Map<string, LiveHost>();
  readonly reads: string[] = [];
  readonly applied: string[] = [];
  readonly moves: string[] = [];
  unreachable = new Set<string>();

  async read(spec: HostSpec): Promise<HostReadingCache> {
    this.reads.push(spec.host);
    if (this.unreachable.has(spec.host)) throw new Error(`connect ECONNREFUSED (${spec.host})`);
    return { live: this.live.get(spec.host)!, addresses: new Map() };
  }
  async apply(spec: HostSpec): Promise<void> {
    this.applied.push(spec.host);
    const live = this.live.get(spec.host)!;
    this.live.set(spec.host, applyPlan(live, diffHost(spec, live)));
  }
  async move(domain: string, source: MoveSide, target: MoveSide): Promise<MoveOutcome> {
    this.moves.push(`${domain} ${source.spec.host} -> ${target.spec.host}`);
    const from = this.live.get(source.spec.host)!;
    const d = from.domains.find((x) => x.name === domain)!;
    this.live.set(source.spec.host, { ...from, domains: from.domains.filter((x) => x !== d), configFiles: from.configFiles.filter((c) => c.name !== domain) });
    const to = this.live.get(target.spec.host)!;
    const cfg = from.configFiles.find((c) => c.name === domain)!;
    this.live.set(target.spec.host, { ...to, domains: [...to.domains, { ...d, domid: 42 }], configFiles: [...to.configFiles, cfg] });
    return { kind: "moved", method: "live", seconds: 30, migrateSeconds: 29, copied: [] };
  }
  async destroyDomain(): Promise<string> {
    throw new Error("not expected");
  }
  async destroyVolume(): Promise<string> {
    return "kept (retention retain)";
  }
  invalidate(): void {}
  async exclusive<T>(_h: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }
  async closeAll(): Promise<void> {}
}

/** A runs web-1 (as its former declaration), B runs nothing and has xenbr0. */
function fleet(domainOnA: DomainSpec = web(), info = MODEL_HOST_INFO): Fleet {
  const f = new Fleet();
  const onA = liveHostFromSpec(hostSpec(A, [domainOnA], domainOnA.disks[0]!.target.startsWith("/dev/") ? LOCAL : SHARED), info);
  f.live.set(A, onA);
  f.live.set(B, { ...liveHostFromSpec(hostSpec(B, []), info), bridges: ["xenbr0"] });
  return f;
}

const errors = (d: readonly Diagnostic[] | undefined) => (d ?? []).filter((x) => x.severity === "error");
const warnings = (d: readonly Diagnostic[] | undefined) => (d ?? []).filter((x) => x.severity === "warning");

describe("B's plan of a domain whose declared host changed from A to B", () => {
  it("GIVEN web-1 running on A with its disk on shared storage WHEN B plans THEN a warning says it moves live, its computed values are unknown, and nothing is created", async () => {
    const f = fleet();
    const res = await resourceFor(f).plan({ prior: null, proposed: valueOfB([web()]), config: null, priorPrivate: Buffer.alloc(0) });
    expect(errors(res.diagnostics)).toEqual([]);
    expect(warnings(res.diagnostics)).toEqual([
      expect.objectContaining({ summary: "domain web-1: moves from fleet/xen-a to fleet/xen-b (live)", attribute: ["domain", { key: "web-1" }] }),
    ]);
    const planned = res.planned as { domain: Record<string, Record<string, Value>> };
    for (const k of ["domid", "uuid", "state", "pending_restart"]) expect(planned.domain["web-1"]?.[k]).toBe(UNKNOWN);
    expect(f.reads.sort()).toEqual([A, B]);
  });

  it("GIVEN every declared domain runs on B WHEN B plans THEN no peer is read", async () => {
    const f = fleet();
    f.live.set(B, liveHostFromSpec(hostSpec(B, [web()])));
    const res = await resourceFor(f).plan({ prior: null, proposed: valueOfB([web()]), config: null, priorPrivate: Buffer.alloc(0) });
    expect(res.diagnostics ?? []).toEqual([]);
    expect(f.reads).toEqual([B]);
  });

  it.each([
    ["policy refuse", web({ migration: "refuse" }), SHARED, MODEL_HOST_INFO, /policy is "refuse"/],
    ["a PV guest on a Xen without shadow paging", web({ type: "pv", cpuid: null }), SHARED, MODEL_HOST_INFO, /shadow paging/],
    ["a disk not on shared storage", web({}, LOCAL), LOCAL, MODEL_HOST_INFO, /not on shared storage/],
    ["a bridge B lacks", web({ vifs: [{ bridge: "xenbr9", mac: null, model: null, rate: null }] }), SHARED, MODEL_HOST_INFO, /bridge xenbr9/],
    ["too little memory on B", web({ memoryMiB: 4096, maxMemoryMiB: 4096 }), SHARED, MODEL_HOST_INFO, /free memory/],
  ])("GIVEN %s WHEN B plans THEN an error names web-1 with the reason and fix, and B's apply refuses without creating anything", async (_label, d, pool, info, reason) => {
    const f = fleet(d, info);
    const resource = resourceFor(f);
    const proposed = valueOfB([d], pool);
    const res = await resource.plan({ prior: null, proposed, config: null, priorPrivate: Buffer.alloc(0) });
    const errs = errors(res.diagnostics);
    expect(errs.length).toBeGreaterThan(0);
    expect(errs.map((e) => e.summary).join("\n")).toMatch(/^domain web-1: moving it from fleet\/xen-a to fleet\/xen-b is refused/m);
    expect(errs.map((e) => e.detail).join("\n")).toMatch(reason);
    expect(errs.every((e) => /Fix: /.test(e.detail ?? ""))).toBe(true);
    // Terraform never applies a plan with errors; an apply of the same values refuses too.
    const out = await resource.apply({ prior: null, planned: { ...(proposed as object), id: B } as Value, config: null, plannedPrivate: Buffer.alloc(0) });
    expect(errors(out.diagnostics).length).toBeGreaterThan(0);
    expect(f.applied).toEqual([]);
    expect(f.moves).toEqual([]);
    expect(f.live.get(B)!.domains).toEqual([]);
  });

  it("GIVEN A cannot be read WHEN B plans THEN a warning says so; B's apply refuses to start web-1", async () => {
    const f = fleet();
    f.unreachable.add(A);
    const resource = resourceFor(f);
    const res = await resource.plan({ prior: null, proposed: valueOfB([web()]), config: null, priorPrivate: Buffer.alloc(0) });
    expect(errors(res.diagnostics)).toEqual([]);
    expect(warnings(res.diagnostics).map((w) => w.summary)).toEqual(["host fleet/xen-a could not be read: whether it still runs web-1 is unknown"]);
    const out = await resource.apply({ prior: null, planned: res.planned, config: null, plannedPrivate: Buffer.alloc(0) });
    expect(errors(out.diagnostics).map((e) => e.summary)).toEqual(["host fleet/xen-a could not be read: web-1 not started on fleet/xen-b"]);
    expect(f.applied).toEqual([]);
  });
});

describe("peers no longer declared", () => {
  it("GIVEN A removed from the program in the same change WHEN B plans THEN A (remembered in B's private state) is still looked at: the move is planned, not a create", async () => {
    const f = fleet();
    const onlyB = [entry(B, "10.0.0.12", ["web-1"])];
    const prior = { ...(valueOfB([]) as object), id: B } as Value;
    const resource = resourceFor(f, onlyB);
    const res = await resource.plan({ prior, proposed: valueOfB([web()]), config: null, priorPrivate: encodePeers([peer(A, "10.0.0.11")]) });
    expect(warnings(res.diagnostics).map((w) => w.summary)).toEqual(["domain web-1: moves from fleet/xen-a to fleet/xen-b (live)"]);
    // The plan hands A on to the apply, which moves web-1 and then remembers only the directory's hosts.
    expect(decodePeers(res.private).map((p) => p.hostId)).toEqual([A]);
    const out = await resource.apply({ prior, planned: res.planned, config: null, plannedPrivate: res.private! });
    expect(out.diagnostics ?? []).toEqual([]);
    expect(f.moves).toEqual(["web-1 fleet/xen-a -> fleet/xen-b"]);
    expect(decodePeers(out.private)).toEqual([]);
  });

  it("GIVEN nothing remembered and A removed WHEN B plans THEN web-1 is a create (why the private state keeps the peers)", async () => {
    const f = fleet();
    const res = await resourceFor(f, [entry(B, "10.0.0.12", ["web-1"])]).plan({ prior: null, proposed: valueOfB([web()]), config: null, priorPrivate: Buffer.alloc(0) });
    expect(warnings(res.diagnostics)).toEqual([]);
    expect(f.reads).toEqual([B]);
  });

  it("GIVEN a private state this provider did not write WHEN decoded THEN nothing is remembered", () => {
    expect(decodePeers(Buffer.from("not json"))).toEqual([]);
    expect(decodePeers(Buffer.alloc(0))).toEqual([]);
  });

  it("GIVEN a DELETE volume A drops in a pool a peer shares WHEN A applies THEN it is kept, not deleted", async () => {
    const f = fleet();
    const deleted: string[] = [];
    f.destroyVolume = async (_h, _c, _p, v) => {
      deleted.push(v.name);
      return "deleted";
    };
    const lines: string[] = [];
    const a = resourceFor(f, MOVED, (l) => lines.push(l));
    const vol = { ...rootOf(SHARED), retention: "delete" as const };
    const spec = { ...hostSpec(A, [web()]), volumes: [vol] };
    const prior = valueOf(A, "10.0.0.11", spec) as object;
    const next = valueOf(A, "10.0.0.11", hostSpec(A, [])) as object;
    const out = await a.apply({ prior: { ...prior, id: A }, planned: { ...next, id: A }, config: null, plannedPrivate: Buffer.alloc(0) });
    expect(out.diagnostics ?? []).toEqual([]);
    expect(deleted).toEqual([]);
    expect(lines.join("\n")).toMatch(/volume nfs\/web-1-root on fleet\/xen-a: kept: pool nfs is shared storage that fleet\/xen-b declares too/);
  });
});

describe("B's apply of a move", () => {
  it("moves web-1 through the backend, then reconciles B, and reads its new domid", async () => {
    const f = fleet();
    const resource = resourceFor(f);
    const res = await resource.plan({ prior: null, proposed: valueOfB([web()]), config: null, priorPrivate: Buffer.alloc(0) });
    const out = await resource.apply({ prior: null, planned: res.planned, config: null, plannedPrivate: Buffer.alloc(0) });
    expect(out.diagnostics ?? []).toEqual([]);
    expect(f.moves).toEqual(["web-1 fleet/xen-a -> fleet/xen-b"]);
    expect(f.applied).toEqual([B]);
    expect(f.live.get(A)!.domains).toEqual([]);
    expect(f.live.get(B)!.domains.filter((d) => d.name === "web-1")).toHaveLength(1);
    expect((out.state as { domain: Record<string, { domid: number }> }).domain["web-1"]?.domid).toBe(42);
  });

  it("GIVEN A applied first (it keeps web-1: declared elsewhere) THEN B's apply still moves it; GIVEN B first THEN A's apply finds nothing to remove", async () => {
    const f = fleet();
    const a = resourceFor(f);
    const aPrior = valueOf(A, "10.0.0.11", hostSpec(A, [web()])) as object;
    const aNext = valueOf(A, "10.0.0.11", hostSpec(A, [])) as Value;
    const aPlan = await a.plan({ prior: { ...aPrior, id: A }, proposed: aNext, config: null, priorPrivate: Buffer.alloc(0) });
    expect(aPlan.diagnostics ?? []).toEqual([]);
    const aOut = await a.apply({ prior: { ...aPrior, id: A }, planned: aPlan.planned, config: null, plannedPrivate: Buffer.alloc(0) });
    expect(aOut.diagnostics ?? []).toEqual([]);
    expect(f.live.get(A)!.domains.map((d) => d.name)).toEqual(["web-1"]);
    const b = resourceFor(f);
    const bPlan = await b.plan({ prior: null, proposed: valueOfB([web()]), config: null, priorPrivate: Buffer.alloc(0) });
    await b.apply({ prior: null, planned: bPlan.planned, config: null, plannedPrivate: Buffer.alloc(0) });
    expect(f.moves).toEqual(["web-1 fleet/xen-a -> fleet/xen-b"]);
  });
});

describe("a cold move away and a DELETE volume on the old host", () => {
  const cold = web({ migration: "cold" }, LOCAL);
  const doomed = { ...rootOf(LOCAL), retention: "delete" as const };
  const aPrior = { ...(valueOf(A, "10.0.0.11", { ...hostSpec(A, [cold], LOCAL), volumes: [doomed] }) as object), id: A } as Value;
  const aNext = { ...(valueOf(A, "10.0.0.11", hostSpec(A, [])) as object), id: A } as Value;

  /** A fleet whose moves and volume deletions land in `events`, in order. */
  function recording(): { f: Fleet; events: string[] } {
    const f = fleet(cold);
    const events: string[] = [];
    const move = f.move.bind(f);
    f.move = async (domain, source, target) => {
      const out = await move(domain, source, target);
      events.push(`moved ${domain}`);
      return out;
    };
    f.destroyVolume = async (host, _c, _p, v) => {
      const running = f.live.get(host)!.domains.some((d) => d.name === "web-1");
      events.push(`deleted ${v.pool}/${v.name}${running ? " while web-1 ran there" : ""}`);
      return "deleted";
    };
    return { f, events };
  }

  it("GIVEN A's apply starts while web-1 still runs on A THEN A waits for B's apply to move it, and only then deletes the volume it copied from", async () => {
    const { f, events } = recording();
    const lines: string[] = [];
    const provider = resourceFor(f, MOVED, (l) => lines.push(l));
    const aApply = provider.apply({ prior: aPrior, planned: aNext, config: null, plannedPrivate: Buffer.alloc(0) });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([]);
    const bPlan = await provider.plan({ prior: null, proposed: valueOfB([cold], LOCAL), config: null, priorPrivate: Buffer.alloc(0) });
    expect(errors(bPlan.diagnostics)).toEqual([]);
    const bOut = await provider.apply({ prior: null, planned: bPlan.planned, config: null, plannedPrivate: Buffer.alloc(0) });
    expect(bOut.diagnostics ?? []).toEqual([]);
    const aOut = await aApply;
    expect(aOut.diagnostics ?? []).toEqual([]);
    expect(events).toEqual(["moved web-1", "deleted vg0/web-1-root"]);
    expect(lines.join("\n")).toMatch(/volume vg0\/web-1-root on fleet\/xen-a: waiting for web-1 to move away before deleting it \(a cold copy reads from it; at most 10s\)/);
  });

  it("GIVEN B already moved web-1 WHEN A applies THEN it deletes the volume at once", async () => {
    const { f, events } = recording();
    const provider = resourceFor(f);
    const bPlan = await provider.plan({ prior: null, proposed: valueOfB([cold], LOCAL), config: null, priorPrivate: Buffer.alloc(0) });
    await provider.apply({ prior: null, planned: bPlan.planned, config: null, plannedPrivate: Buffer.alloc(0) });
    const aOut = await provider.apply({ prior: aPrior, planned: aNext, config: null, plannedPrivate: Buffer.alloc(0) });
    expect(aOut.diagnostics ?? []).toEqual([]);
    expect(events).toEqual(["moved web-1", "deleted vg0/web-1-root"]);
  });

  it("GIVEN B's move fails WHEN A waits THEN A stops waiting: its apply fails saying the volume was kept, and nothing is deleted", async () => {
    const { f, events } = recording();
    f.move = async () => {
      throw new Error("xl migrate: connection refused");
    };
    const provider = resourceFor(f);
    const aApply = provider.apply({ prior: aPrior, planned: aNext, config: null, plannedPrivate: Buffer.alloc(0) });
    const bPlan = await provider.plan({ prior: null, proposed: valueOfB([cold], LOCAL), config: null, priorPrivate: Buffer.alloc(0) });
    const bOut = await provider.apply({ prior: null, planned: bPlan.planned, config: null, plannedPrivate: Buffer.alloc(0) });
    expect(errors(bOut.diagnostics).map((d) => d.detail).join("\n")).toMatch(/connection refused/);
    const aOut = await aApply;
    const detail = errors(aOut.diagnostics).map((d) => d.detail).join("\n");
    expect(detail).toMatch(/volume vg0\/web-1-root on fleet\/xen-a was not deleted: web-1 still runs there and its move did not complete in this apply \(the move to fleet\/xen-b failed: xl migrate: connection refused\)/);
    expect(detail).toMatch(/Fix: /);
    expect(events).toEqual([]);
    expect(f.live.get(A)!.domains.map((d) => d.name)).toEqual(["web-1"]);
  });

  it("names as departing only the domains that use the volume and are declared elsewhere", () => {
    const other = pvDomain({ name: "db-1", disks: [{ vdev: "xvda", target: "/dev/vg0/web-1-root", format: "raw", access: "rw", devtype: "disk", volume: "vg0/web-1-root" }] });
    expect(departingUsers(doomed, [cold, other], ["web-1"])).toEqual(["web-1"]);
    expect(departingUsers(doomed, [cold, other], ["db-1", "web-1"])).toEqual(["db-1", "web-1"]);
    expect(departingUsers(doomed, [cold], [])).toEqual([]);
    expect(departingUsers({ pool: "vg0", name: "other" }, [cold], ["web-1"])).toEqual([]);
  });

  it("GIVEN the domain never leaves THEN the wait ends at its limit with what was waited for and how to finish: one line saying why, then a heartbeat line every interval", async () => {
    let t = 0;
    const lines: string[] = [];
    const wait = awaitDeparture("fleet/xen-a", "vg0/web-1-root", ["web-1"], {
      running: async () => ["web-1", "db-1"],
      log: (l) => lines.push(l),
      pollMs: 5000,
      heartbeatMs: 15_000,
      limitMs: 60_000,
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    await expect(wait).rejects.toBeInstanceOf(DepartureTimeout);
    await expect(wait).rejects.toThrow(/web-1 still runs there after 60s[\s\S]*Fix: apply again once the move has finished/);
    expect(lines[0]).toBe("cdktf-xen: volume vg0/web-1-root on fleet/xen-a: waiting for web-1 to move away before deleting it (a cold copy reads from it; at most 60s)");
    expect(lines.slice(1)).toEqual([15, 30, 45].map((s) => `  fleet/xen-a: volume vg0/web-1-root: waiting for web-1 to move away before deleting it… ${s}s of 60s`));
  });
});

describe("the provider's hosts directory", () => {
  it("lists every XenHost of the stack once, in the provider's configuration, with its connection, migration settings, pools and domain names; the xen_host resources hold no peers", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "fleet");
    const mk = (id: string, address: string, identityFile?: string) => {
      const host = new XenHost(stack, id, {
        address,
        hostKey: "SHA256:abc",
        privateKeyPath: "/home/op/.ssh/id_ed25519",
        migration: { address: address.replace("10.0.0", "10.9.0"), ...(identityFile === undefined ? {} : { identityFile }) },
        lifecycleResource: LifecycleResource.PROVIDER,
      });
      const pool = new XenStoragePool(stack, `${id}-nfs`, { host, name: "nfs", directory: "/srv/xen-shared", shared: true });
      return { host, pool };
    };
    const a = mk("xen-a", "10.0.0.11");
    const b = mk("xen-b", "10.0.0.12", "/root/.ssh/id_migration");
    const root = new XenVolume(stack, "web-1-root", { pool: a.pool, size: Size.gibibytes(1) });
    new XenVolume(stack, "data-b", { pool: b.pool, size: Size.gibibytes(1) });
    new XenDomain(stack, "web-1", { host: a.host, type: DomainType.PVH, memory: Size.mebibytes(256), kernel: "/boot/vmlinuz", disks: [{ volume: root, vdev: "xvda" }], migration: MigrationPolicy.LIVE });
    const synth = JSON.parse(Testing.synth(stack)) as { provider: { xen: { hosts: Record<string, unknown> }[] }; resource: { xen_host: Record<string, Record<string, unknown>> } };
    expect(synth.provider.xen).toHaveLength(1);
    const hosts = synth.provider.xen[0]!.hosts;
    expect(Object.keys(hosts)).toEqual(["fleet/xen-a", "fleet/xen-b"]);
    expect(hosts["fleet/xen-a"]).toEqual({
      ssh: { address: "10.0.0.11", port: 22, user: "root", private_key_path: "/home/op/.ssh/id_ed25519", passphrase_env: null, host_key: "SHA256:abc", known_hosts_file: null },
      migration: { address: "10.9.0.11", port: null, identity_file: null },
      pool: { nfs: { kind: "dir", path: "/srv/xen-shared", volume_group: null, shared: true } },
      domains: ["web-1"],
    });
    expect(directoryFromValue(hosts)).toEqual([
      { hostId: "fleet/xen-a", connection: a.host.connection, migration: { address: "10.9.0.11", port: null, identityFile: null }, pools: a.host.toSpec().pools, domains: ["web-1"] },
      { hostId: "fleet/xen-b", connection: b.host.connection, migration: { address: "10.9.0.12", port: null, identityFile: "/root/.ssh/id_migration" }, pools: [b.pool.toSpec()], domains: [] },
    ]);
    for (const h of Object.values(synth.resource.xen_host)) {
      expect(Object.keys(h)).not.toContain("peers");
      expect(Object.keys(h)).not.toContain("domains_elsewhere");
    }
  });

  it("GIVEN a directory entry holding a value known only at apply WHEN B plans a domain it does not run THEN that host counts as unreadable: a warning, and no create", async () => {
    const f = fleet();
    const resource = new HostResource(f, () => undefined);
    const config = providerConfig(MOVED) as { hosts: Record<string, { ssh: Record<string, Value> }> };
    config.hosts[A]!.ssh["address"] = UNKNOWN;
    expect(resource.configure(config as unknown as Value)).toEqual([]);
    const res = await resource.plan({ prior: null, proposed: valueOfB([web()]), config: null, priorPrivate: Buffer.alloc(0) });
    expect(errors(res.diagnostics)).toEqual([]);
    expect(warnings(res.diagnostics).map((w) => w.summary)).toEqual(["host fleet/xen-a could not be read: whether it still runs web-1 is unknown"]);
  });
});
