/**
 * The canonical desired state (model/spec.ts) as `xen_host` attribute values, and back. The
 * constructs synthesize {@link hostAttributes}; the provider reads a configuration or a state
 * with {@link hostFromValue} and hands the result to the unchanged diff engine and reconciler.
 * Pure.
 */
import type {
  BootSpec,
  DiskSpec,
  DomainSpec,
  HostConnection,
  HostMigration,
  HostSpec,
  PinSpec,
  PoolSpec,
  VifSpec,
  VolumeSpec,
} from "../../model/spec.js";
import { SPEC_VERSION } from "../../model/spec.js";
import { connectionOptionsFrom } from "../../model/connection.js";

/** A JSON-ready attribute object (what cdk.tf.json holds for a `xen_host`). */
export type Attrs = { [k: string]: unknown };

/** Key of a volume in the `volume` map. */
export function volumeKey(v: Pick<VolumeSpec, "pool" | "name">): string {
  return `${v.pool}/${v.name}`;
}

function bootAttrs(b: BootSpec): Attrs {
  const none = { kernel: null, ramdisk: null, cmdline: null, bootloader: null, bootloader_args: null, firmware: null, boot_order: null };
  switch (b.kind) {
    case "kernel":
      return { ...none, kernel: b.kernel, ramdisk: b.ramdisk, cmdline: b.cmdline };
    case "bootloader":
      return { ...none, bootloader: b.bootloader, bootloader_args: [...b.bootloaderArgs] };
    case "firmware":
      return { ...none, firmware: b.firmware, boot_order: b.bootOrder };
  }
}

/** The declared attributes of one domain (computed ones left out). */
export function domainAttributes(d: DomainSpec): Attrs {
  return {
    type: d.type,
    vcpus: d.vcpus,
    max_vcpus: d.maxVcpus,
    memory_mib: d.memoryMiB,
    max_memory_mib: d.maxMemoryMiB,
    ...bootAttrs(d.boot),
    disk: d.disks.map((k) => ({ vdev: k.vdev, target: k.target, format: k.format, access: k.access, devtype: k.devtype, volume: k.volume })),
    vif: d.vifs.map((v) => ({ bridge: v.bridge, mac: v.mac, model: v.model, rate: v.rate })),
    on_poweroff: d.onPoweroff,
    on_reboot: d.onReboot,
    on_crash: d.onCrash,
    autostart: d.autostart,
    weight: d.scheduler.weight,
    cap: d.scheduler.cap,
    cpupool: d.cpupool,
    pin: d.pins.map((p) => ({ vcpu: p.vcpu, hard: p.hard, soft: p.soft })),
    cpuid: d.cpuid,
    hvm_serial: d.hvm?.serial ?? null,
    hvm_vnc: d.hvm === null ? null : d.hvm.vnc,
    update_policy: d.updatePolicy,
    migration: d.migration,
  };
}

function poolAttributes(p: PoolSpec): Attrs {
  return p.kind === "lvm"
    ? { kind: "lvm", volume_group: p.volumeGroup, path: null, shared: p.shared }
    : { kind: "dir", volume_group: null, path: p.path, shared: p.shared };
}

/**
 * Another host of the same program as one `xen_host` sees it: enough to read it and to move a
 * domain from it (its connection, migration settings and pools), not its domains.
 */
export interface PeerDeclaration {
  readonly hostId: string;
  readonly connection: HostConnection;
  readonly migration: HostMigration;
  readonly pools: readonly PoolSpec[];
}

/** One host of the provider's `hosts` directory: a peer, and the names of its domains. */
export interface DirectoryEntry extends PeerDeclaration {
  /** Names of the domains the program declares on the host, sorted. */
  readonly domains: readonly string[];
}

/** Everything a `xen_host` resource declares. */
export interface HostDeclaration {
  readonly spec: HostSpec;
  readonly connection: HostConnection;
  readonly migration: HostMigration;
}

/**
 * A declaration with what the provider's directory says about the other hosts: where its
 * arriving domains may still run (`peers`: the directory's other hosts, then those of the prior
 * apply the program no longer declares) and the domains declared elsewhere (never removed here:
 * they move).
 */
export interface HostInFleet extends HostDeclaration {
  readonly domainsElsewhere: readonly string[];
  /** Sorted by host id. */
  readonly peers: readonly PeerDeclaration[];
}

function connectionAttributes(c: HostConnection): Attrs {
  return {
    address: c.address,
    port: c.port,
    user: c.user,
    private_key_path: c.privateKeyPath,
    passphrase_env: c.passphraseEnv,
    host_key: c.hostKey,
    known_hosts_file: c.knownHostsFile,
    ...(c.useAgent === false ? { use_agent: false } : {}),
    ...(c.sshConfig === undefined ? {} : { ssh_config: { file: c.sshConfig.file, explicit: [...c.sshConfig.explicit] } }),
    ...(c.jumpHosts === undefined || c.jumpHosts.length === 0
      ? {}
      : {
          jump_host: c.jumpHosts.map((j) => ({
            address: j.address,
            port: j.port,
            user: j.user,
            private_key_path: j.privateKeyPath,
            passphrase_env: j.passphraseEnv,
            host_key: j.hostKey,
            known_hosts_file: j.knownHostsFile,
          })),
        }),
  };
}

function migrationAttributes(m: HostMigration): Attrs {
  return { address: m.address, port: m.port, identity_file: m.identityFile };
}

/** The provider's `hosts` directory entry of a host. */
export function directoryEntryAttributes(e: DirectoryEntry): Attrs {
  return {
    ssh: connectionAttributes(e.connection),
    migration: migrationAttributes(e.migration),
    pool: Object.fromEntries(e.pools.map((x) => [x.name, poolAttributes(x)])),
    domains: [...e.domains],
  };
}

/** The configuration of a `xen_host` resource for a declaration. */
export function hostAttributes(h: HostDeclaration): Attrs {
  const c = h.connection;
  return {
    host_id: h.spec.host,
    ssh: connectionAttributes(c),
    migration: migrationAttributes(h.migration),
    pool: Object.fromEntries(h.spec.pools.map((p) => [p.name, poolAttributes(p)])),
    volume: Object.fromEntries(
      h.spec.volumes.map((v) => [volumeKey(v), { pool: v.pool, name: v.name, size_mib: v.sizeMiB, format: v.format, retention: v.retention }]),
    ),
    domain: Object.fromEntries(h.spec.domains.map((d) => [d.name, domainAttributes(d)])),
  };
}

// ---------------------------------------------------------------------------------------------
// Back: a configuration, plan or state value (known values only) → the declaration.

/** Thrown for a value that does not have the schema's shape (a bug or a hand-edited state). */
export class HostValueError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "HostValueError";
  }
}

type Obj = { readonly [k: string]: unknown };

function obj(v: unknown, path: string): Obj {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new HostValueError(path, "expected an object");
  return v as Obj;
}
function s(o: Obj, k: string, path: string): string {
  const v = o[k];
  if (typeof v !== "string") throw new HostValueError(`${path}.${k}`, `expected a string, got ${v === null ? "null" : typeof v}`);
  return v;
}
function sn(o: Obj, k: string, path: string): string | null {
  const v = o[k];
  if (v === null || v === undefined) return null;
  if (typeof v !== "string") throw new HostValueError(`${path}.${k}`, "expected a string or null");
  return v;
}
function n(o: Obj, k: string, path: string): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new HostValueError(`${path}.${k}`, "expected a number");
  return v;
}
function nn(o: Obj, k: string, path: string): number | null {
  const v = o[k];
  if (v === null || v === undefined) return null;
  if (typeof v !== "number") throw new HostValueError(`${path}.${k}`, "expected a number or null");
  return v;
}
function b(o: Obj, k: string, path: string): boolean {
  const v = o[k];
  if (typeof v !== "boolean") throw new HostValueError(`${path}.${k}`, "expected a bool");
  return v;
}
function list(o: Obj, k: string): readonly unknown[] {
  const v = o[k];
  return Array.isArray(v) ? v : [];
}
function map(o: Obj, k: string): [string, unknown][] {
  const v = o[k];
  if (v === null || v === undefined || typeof v !== "object") return [];
  return Object.entries(v as Obj).sort(([a], [b2]) => (a < b2 ? -1 : a > b2 ? 1 : 0));
}

function bootFrom(o: Obj, path: string): BootSpec {
  const kernel = sn(o, "kernel", path);
  if (kernel !== null) return { kind: "kernel", kernel, ramdisk: sn(o, "ramdisk", path), cmdline: sn(o, "cmdline", path) };
  const bootloader = sn(o, "bootloader", path);
  if (bootloader !== null) {
    return { kind: "bootloader", bootloader, bootloaderArgs: list(o, "bootloader_args").map((a, i) => strItem(a, `${path}.bootloader_args[${i}]`)) };
  }
  const firmware = sn(o, "firmware", path);
  if (firmware !== null) return { kind: "firmware", firmware, bootOrder: sn(o, "boot_order", path) ?? "c" };
  throw new HostValueError(path, "a domain needs kernel, bootloader or firmware");
}

function strItem(v: unknown, path: string): string {
  if (typeof v !== "string") throw new HostValueError(path, "expected a string");
  return v;
}

/** One domain's declaration from its map entry. */
export function domainFromValue(name: string, v: unknown): DomainSpec {
  const path = `domain["${name}"]`;
  const o = obj(v, path);
  const type = s(o, "type", path) as DomainSpec["type"];
  const disks: DiskSpec[] = list(o, "disk").map((x, i) => {
    const p = `${path}.disk[${i}]`;
    const d = obj(x, p);
    return {
      vdev: s(d, "vdev", p),
      target: s(d, "target", p),
      format: s(d, "format", p) as DiskSpec["format"],
      access: s(d, "access", p) as DiskSpec["access"],
      devtype: s(d, "devtype", p) as DiskSpec["devtype"],
      volume: sn(d, "volume", p),
    };
  });
  const vifs: VifSpec[] = list(o, "vif").map((x, i) => {
    const p = `${path}.vif[${i}]`;
    const d = obj(x, p);
    return { bridge: s(d, "bridge", p), mac: sn(d, "mac", p), model: sn(d, "model", p), rate: sn(d, "rate", p) };
  });
  const pins: PinSpec[] = list(o, "pin").map((x, i) => {
    const p = `${path}.pin[${i}]`;
    const d = obj(x, p);
    return { vcpu: n(d, "vcpu", p), hard: s(d, "hard", p), soft: s(d, "soft", p) };
  });
  const vnc = o["hvm_vnc"];
  return {
    name,
    type,
    vcpus: n(o, "vcpus", path),
    maxVcpus: n(o, "max_vcpus", path),
    memoryMiB: n(o, "memory_mib", path),
    maxMemoryMiB: n(o, "max_memory_mib", path),
    boot: bootFrom(o, path),
    disks,
    vifs,
    onPoweroff: s(o, "on_poweroff", path) as DomainSpec["onPoweroff"],
    onReboot: s(o, "on_reboot", path) as DomainSpec["onReboot"],
    onCrash: s(o, "on_crash", path) as DomainSpec["onCrash"],
    autostart: b(o, "autostart", path),
    scheduler: { weight: n(o, "weight", path), cap: n(o, "cap", path) },
    cpupool: sn(o, "cpupool", path),
    pins,
    cpuid: sn(o, "cpuid", path),
    hvm: type === "hvm" ? { serial: sn(o, "hvm_serial", path), vnc: typeof vnc === "boolean" ? vnc : false } : null,
    updatePolicy: s(o, "update_policy", path) as DomainSpec["updatePolicy"],
    migration: s(o, "migration", path) as DomainSpec["migration"],
  };
}

function poolsFrom(o: Obj, prefix: string): PoolSpec[] {
  return map(o, "pool").map(([name, x]) => {
    const p = `${prefix}pool["${name}"]`;
    const d = obj(x, p);
    const kind = s(d, "kind", p);
    if (kind === "lvm") return { kind: "lvm", name, volumeGroup: s(d, "volume_group", p), shared: b(d, "shared", p) };
    if (kind === "dir") return { kind: "dir", name, path: s(d, "path", p), shared: b(d, "shared", p) };
    throw new HostValueError(`${p}.kind`, `expected "lvm" or "dir", got ${JSON.stringify(kind)}`);
  });
}

function connectionFrom(v: unknown, path: string): HostConnection {
  const c = obj(v, path);
  return {
    address: s(c, "address", path),
    port: n(c, "port", path),
    user: s(c, "user", path),
    privateKeyPath: sn(c, "private_key_path", path),
    passphraseEnv: sn(c, "passphrase_env", path),
    hostKey: sn(c, "host_key", path),
    knownHostsFile: sn(c, "known_hosts_file", path),
    ...connectionOptionsOf(c, path),
  };
}

/** `use_agent`, `ssh_config` and `jump_host` back in the model's spelling, checked by model/connection.ts. */
function connectionOptionsOf(c: Obj, path: string): Pick<HostConnection, "useAgent" | "sshConfig" | "jumpHosts"> {
  const sc = c["ssh_config"];
  const scObj = sc === null || sc === undefined ? undefined : obj(sc, `${path}.ssh_config`);
  const camel = {
    useAgent: c["use_agent"] === false ? false : undefined,
    sshConfig: scObj === undefined ? undefined : { file: scObj["file"], explicit: scObj["explicit"] ?? [] },
    jumpHosts: list(c, "jump_host").map((x, i) => {
      const j = obj(x, `${path}.jump_host[${i}]`);
      return {
        address: j["address"],
        port: j["port"],
        user: j["user"],
        privateKeyPath: j["private_key_path"],
        passphraseEnv: j["passphrase_env"],
        hostKey: j["host_key"],
        knownHostsFile: j["known_hosts_file"],
      };
    }),
  };
  const r = connectionOptionsFrom(camel, path);
  if (!r.ok) throw new HostValueError(path, r.message);
  return r.value;
}

function migrationFrom(v: unknown, path: string): HostMigration {
  const m = v === null || v === undefined ? {} : obj(v, path);
  return { address: sn(m, "address", path), port: nn(m, "port", path), identityFile: sn(m, "identity_file", path) };
}

/** The declaration a `xen_host` configuration, plan or state holds (every value known). */
export function hostFromValue(v: unknown): HostDeclaration {
  const o = obj(v, "xen_host");
  const pools = poolsFrom(o, "");
  const volumes: VolumeSpec[] = map(o, "volume").map(([key, x]) => {
    const p = `volume["${key}"]`;
    const d = obj(x, p);
    return {
      pool: s(d, "pool", p),
      name: s(d, "name", p),
      sizeMiB: n(d, "size_mib", p),
      format: s(d, "format", p) as VolumeSpec["format"],
      retention: s(d, "retention", p) as VolumeSpec["retention"],
    };
  });
  const domains = map(o, "domain").map(([name, x]) => domainFromValue(name, x));
  const hostId = s(o, "host_id", "xen_host");
  return {
    spec: { version: SPEC_VERSION, host: hostId, pools, volumes, domains },
    connection: connectionFrom(o["ssh"], "ssh"),
    migration: migrationFrom(o["migration"], "migration"),
  };
}

/** A host directory entry's peer part, as the private state keeps it (see host-resource.ts). */
export function peerAttributes(p: PeerDeclaration): Attrs {
  return { ssh: connectionAttributes(p.connection), migration: migrationAttributes(p.migration), pool: Object.fromEntries(p.pools.map((x) => [x.name, poolAttributes(x)])) };
}

function peerFrom(hostId: string, v: unknown, path: string): PeerDeclaration {
  const d = obj(v, path);
  return { hostId, connection: connectionFrom(d["ssh"], `${path}.ssh`), migration: migrationFrom(d["migration"], `${path}.migration`), pools: poolsFrom(d, `${path}.`) };
}

/** The peers a private state holds (`{ "HOST_ID": peerAttributes }`), sorted by host id. */
export function peersFromValue(v: unknown): PeerDeclaration[] {
  if (v === null || v === undefined) return [];
  return map({ peers: v }, "peers").map(([hostId, x]) => peerFrom(hostId, x, `peers["${hostId}"]`));
}

/** The provider's `hosts` directory (every value known), sorted by host id. */
export function directoryFromValue(v: unknown): DirectoryEntry[] {
  if (v === null || v === undefined) return [];
  return map({ hosts: v }, "hosts").map(([hostId, x]): DirectoryEntry => {
    const path = `hosts["${hostId}"]`;
    return { ...peerFrom(hostId, x, path), domains: list(obj(x, path), "domains").map((d, i) => strItem(d, `${path}.domains[${i}]`)).sort() };
  });
}
