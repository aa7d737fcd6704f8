/**
 * Builders and fast-check arbitraries for the diff tests: valid host specs (they pass
 * `validateHostSpec`), and live states derived from an older spec with drift added, so that
 * every kind of action and refusal shows up in generated cases.
 */
import fc from "fast-check";
import type {
  DiskSpec,
  DomainSpec,
  HostSpec,
  PoolSpec,
  ShutdownAction,
  VifSpec,
  VolumeSpec,
} from "../../../src/model/spec.js";
import type { LiveDomain, LiveHost, RunState } from "../../../src/xl/live.js";
import { liveHostFromSpec } from "../../../src/diff/simulate.js";

export const HOST = "stack/xen-a";
export const POOL: PoolSpec = { kind: "lvm", name: "vg0", volumeGroup: "vg0", shared: false };
export const DIR_POOL: PoolSpec = { kind: "dir", name: "images", path: "/var/lib/xen/images", shared: false };

/** A PV domain like the lab's pv1 (fixtures/xen-4.17-capture2/pv1.cfg), with a volume-backed root disk. */
export function pvDomain(overrides: Partial<DomainSpec> = {}): DomainSpec {
  const name = overrides.name ?? "pv1";
  return {
    name,
    type: "pv",
    vcpus: 2,
    maxVcpus: 2,
    memoryMiB: 128,
    maxMemoryMiB: 256,
    boot: { kind: "kernel", kernel: "/root/guest/vmlinuz", ramdisk: "/root/guest/initrd.gz", cmdline: "console=hvc0" },
    disks: [{ vdev: "xvda", target: `/dev/vg0/${name}-disk`, format: "raw", access: "rw", devtype: "disk", volume: `vg0/${name}-disk` }],
    vifs: [{ bridge: "xenbr0", mac: null, model: null, rate: null }],
    onPoweroff: "destroy",
    onReboot: "restart",
    onCrash: "destroy",
    autostart: false,
    scheduler: { weight: 256, cap: 0 },
    cpupool: null,
    pins: [],
    cpuid: null,
    hvm: null,
    updatePolicy: "pending",
    migration: "live",
    ...overrides,
  };
}

/** The volume behind {@link pvDomain}'s root disk. */
export function rootVolume(domain: string, sizeMiB = 256): VolumeSpec {
  return { name: `${domain}-disk`, pool: "vg0", sizeMiB, format: "raw", retention: "retain" };
}

/** A host spec with the given domains and volumes, pools vg0 and images. */
export function hostSpec(domains: readonly DomainSpec[], volumes: readonly VolumeSpec[] = []): HostSpec {
  return { version: 1, host: HOST, pools: [POOL, DIR_POOL], volumes, domains };
}

/** `live` with one domain replaced through `f`. */
export function withDomain(live: LiveHost, name: string, f: (d: LiveDomain) => LiveDomain): LiveHost {
  return { ...live, domains: live.domains.map((d) => (d.name === name ? f(d) : d)) };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"] as const;
const ACTIONS: readonly ShutdownAction[] = ["destroy", "restart", "preserve", "rename_restart"];
const AFFINITIES = ["all", "0", "1", "0-1"] as const;

function arbBoot(type: DomainSpec["type"]): fc.Arbitrary<DomainSpec["boot"]> {
  const kernel = fc.record({
    kind: fc.constant("kernel" as const),
    kernel: fc.constantFrom("/boot/vmlinuz-a", "/boot/vmlinuz-b"),
    ramdisk: fc.constantFrom(null, "/boot/initrd-a"),
    cmdline: fc.constantFrom(null, "console=hvc0", "console=hvc0 quiet"),
  });
  switch (type) {
    case "pv":
      return fc.oneof(
        kernel,
        fc.record({
          kind: fc.constant("bootloader" as const),
          bootloader: fc.constant("pygrub"),
          bootloaderArgs: fc.constantFrom<readonly string[]>([], ["--entry=1"]),
        }),
      );
    case "pvh":
      return fc.oneof(kernel, fc.record({ kind: fc.constant("firmware" as const), firmware: fc.constant("pvgrub64"), bootOrder: fc.constant("") }));
    case "hvm":
      return fc.oneof(
        kernel,
        fc.record({ kind: fc.constant("firmware" as const), firmware: fc.constantFrom("bios", "uefi"), bootOrder: fc.constantFrom("c", "dc") }),
      );
  }
}

/** One domain named `name`; its disks use volumes `vg0/NAME-xvda`, `vg0/NAME-xvdb` (see {@link volumesOf}). */
export function arbDomain(name: string): fc.Arbitrary<DomainSpec> {
  return fc
    .record({
      type: fc.constantFrom<DomainSpec["type"]>("pv", "pv", "pvh", "hvm"),
      maxVcpus: fc.integer({ min: 1, max: 4 }),
      vcpuFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      maxMemoryMiB: fc.constantFrom(128, 256, 512),
      memoryFraction: fc.constantFrom(0.25, 0.5, 1),
      disks: fc.subarray(["xvda", "xvdb"], { minLength: 0 }),
      diskAccess: fc.constantFrom<DiskSpec["access"]>("rw", "ro"),
      vifs: fc.array(
        fc.record({
          bridge: fc.constantFrom("xenbr0", "xenbr1"),
          mac: fc.constantFrom(null, 1, 2),
          rate: fc.constantFrom(null, "10Mb/s"),
        }),
        { maxLength: 2 },
      ),
      onPoweroff: fc.constantFrom(...ACTIONS),
      onReboot: fc.constantFrom(...ACTIONS),
      onCrash: fc.constantFrom(...ACTIONS),
      autostart: fc.boolean(),
      weight: fc.constantFrom(256, 512),
      cap: fc.constantFrom(0, 50),
      cpupool: fc.constantFrom(null, null, "Pool-1"),
      pinSeeds: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(...AFFINITIES), fc.constantFrom(...AFFINITIES)), { maxLength: 3 }),
      cpuid: fc.constantFrom(null, "host,rdtscp=0"),
      serial: fc.constantFrom(null, "pty"),
      vnc: fc.boolean(),
      updatePolicy: fc.constantFrom<DomainSpec["updatePolicy"]>("pending", "restart"),
      migration: fc.constantFrom<DomainSpec["migration"]>("live", "live", "cold", "refuse"),
    })
    .chain((r) => arbBoot(r.type).map((boot) => ({ r, boot })))
    .map(({ r, boot }): DomainSpec => {
      const vcpus = Math.max(1, Math.round(r.vcpuFraction * r.maxVcpus));
      const seen = new Set<number>();
      const pins = r.pinSeeds
        .filter(([v, h, s]) => v < r.maxVcpus && !(h === "all" && s === "all") && !seen.has(v) && seen.add(v) !== undefined)
        .map(([vcpu, hard, soft]) => ({ vcpu, hard, soft }))
        .sort((a, b) => a.vcpu - b.vcpu);
      // MACs are unique per host: the domain's name picks the fourth byte.
      const nameByte = (NAMES.indexOf(name as (typeof NAMES)[number]) + 16).toString(16);
      const macs = new Set<string>();
      const vifs: VifSpec[] = r.vifs.map((v) => {
        const candidate = v.mac === null ? null : `00:16:3e:${nameByte}:00:0${v.mac}`;
        const mac = candidate !== null && !macs.has(candidate) ? candidate : null;
        if (mac !== null) macs.add(mac);
        return { bridge: v.bridge, mac, model: r.type === "hvm" ? "e1000" : null, rate: v.rate };
      });
      return {
        name,
        type: r.type,
        vcpus,
        maxVcpus: r.maxVcpus,
        memoryMiB: Math.max(16, r.maxMemoryMiB * r.memoryFraction),
        maxMemoryMiB: r.maxMemoryMiB,
        boot,
        disks: r.disks.map((vdev) => ({
          vdev,
          target: `/dev/vg0/${name}-${vdev}`,
          format: "raw",
          access: vdev === "xvda" ? "rw" : r.diskAccess,
          devtype: "disk",
          volume: `vg0/${name}-${vdev}`,
        })),
        vifs,
        onPoweroff: r.onPoweroff,
        onReboot: r.onReboot,
        onCrash: r.onCrash,
        autostart: r.autostart,
        scheduler: { weight: r.weight, cap: Math.min(r.cap, 100 * r.maxVcpus) },
        cpupool: r.cpupool,
        pins,
        cpuid: r.type === "pv" ? null : r.cpuid,
        hvm: r.type === "hvm" ? { serial: r.serial, vnc: r.vnc } : null,
        updatePolicy: r.updatePolicy,
        migration: r.migration,
      };
    });
}

/** The volumes a domain's disks use, sized from `sizes`. */
export function volumesOf(d: DomainSpec, sizeMiB: number): VolumeSpec[] {
  return d.disks.map((k) => ({ name: `${d.name}-${k.vdev}`, pool: "vg0", sizeMiB, format: "raw", retention: "retain" }));
}

/** A valid host spec over a subset of {@link NAMES}; its pools vg0 and images are shared or not. */
export function arbHostSpec(): fc.Arbitrary<HostSpec> {
  return fc
    .subarray([...NAMES], { minLength: 0 })
    .chain((names) => fc.tuple(fc.tuple(...names.map((n) => fc.tuple(arbDomain(n), fc.constantFrom(64, 130, 256)))), fc.boolean(), fc.boolean()))
    .map(([pairs, lvmShared, dirShared]) => ({
      ...hostSpec(pairs.map(([d]) => d), pairs.flatMap(([d, size]) => volumesOf(d, size))),
      pools: [{ ...POOL, shared: lvmShared }, { ...DIR_POOL, shared: dirShared }],
    }));
}

/** Drift applied to a host that ran an older spec. */
interface Drift {
  readonly stopped: readonly string[];
  readonly forgotten: readonly string[];
  readonly unmanaged: readonly string[];
  readonly crashed: readonly string[];
  readonly flippedAutostart: readonly string[];
  readonly missingVolumes: readonly number[];
  readonly memoryTarget: readonly [string, number][];
  readonly offline: readonly string[];
  readonly bridges: readonly string[];
  readonly stranger: boolean;
  readonly scheduler: "credit2" | "credit";
}

function arbDrift(): fc.Arbitrary<Drift> {
  const names = fc.subarray([...NAMES]);
  return fc.record({
    stopped: names,
    forgotten: fc.subarray([...NAMES], { maxLength: 1 }),
    unmanaged: fc.subarray([...NAMES], { maxLength: 1 }),
    crashed: fc.subarray([...NAMES], { maxLength: 1 }),
    flippedAutostart: names,
    missingVolumes: fc.subarray([0, 1, 2, 3, 4, 5]),
    memoryTarget: fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(32, 96, 200)), { maxLength: 2 }),
    offline: names,
    bridges: fc.subarray(["xenbr0", "xenbr1"], { minLength: 1 }),
    stranger: fc.boolean(),
    scheduler: fc.constantFrom<"credit2" | "credit">("credit2", "credit2", "credit2", "credit"),
  });
}

/** A live host: `older` as it ran, then changed behind cdktf-xen's back by `drift`. */
export function driftedLive(older: HostSpec, drift: Drift): LiveHost {
  const base = liveHostFromSpec(older, { ...liveHostFromSpec(hostSpec([])).info, scheduler: drift.scheduler });
  const gone = new Set([...drift.stopped, ...drift.forgotten]);
  const forgotten = new Set(drift.forgotten);
  const unmanaged = new Set(drift.unmanaged);
  const crashed = new Set(drift.crashed);
  const flipped = new Set(drift.flippedAutostart);
  const offline = new Set(drift.offline);
  const targets = new Map(drift.memoryTarget);
  const domains: LiveDomain[] = base.domains
    .filter((d) => !gone.has(d.name))
    .map((d) => {
      const state: RunState = crashed.has(d.name) ? "crashed" : d.state;
      const target = targets.get(d.name);
      const memory = target !== undefined && target <= d.maxMemoryMiB ? target : d.targetMemoryMiB;
      const vcpus = offline.has(d.name) ? 1 : d.vcpus;
      return {
        ...d,
        state,
        memoryMiB: memory,
        targetMemoryMiB: memory,
        vcpus,
        vcpuList: d.vcpuList.map((v) => (v.vcpu < vcpus ? v : { ...v, online: false, cpu: null })),
      };
    });
  if (drift.stranger) {
    const [stranger] = liveHostFromSpec(hostSpec([pvDomain({ name: "stranger", disks: [] })])).domains;
    domains.push({ ...stranger!, domid: 99 });
  }
  return {
    ...base,
    domains,
    configFiles: base.configFiles.filter((c) => !forgotten.has(c.name) && !unmanaged.has(c.name)),
    volumes: base.volumes.filter((_, i) => !drift.missingVolumes.includes(i)),
    autostart: [
      ...base.autostart.filter((n) => !flipped.has(n)),
      ...older.domains.filter((d) => flipped.has(d.name) && !d.autostart).map((d) => d.name),
    ],
    bridges: drift.bridges,
  };
}

/** Groups of properties that change together (so the older domain stays valid). */
const GROUPS = {
  type: ["type", "boot", "cpuid", "hvm", "vifs"],
  vcpus: ["vcpus", "maxVcpus", "pins"],
  memory: ["memoryMiB", "maxMemoryMiB"],
  disks: ["disks"],
  onPoweroff: ["onPoweroff"],
  onReboot: ["onReboot"],
  onCrash: ["onCrash"],
  autostart: ["autostart"],
  scheduler: ["scheduler"],
  cpupool: ["cpupool"],
} as const satisfies Record<string, readonly (keyof DomainSpec)[]>;

/** `d` with a few groups of properties taken from another random domain of the same name. */
function arbOlder(d: DomainSpec): fc.Arbitrary<DomainSpec> {
  const groups = Object.keys(GROUPS) as (keyof typeof GROUPS)[];
  return fc
    .tuple(arbDomain(d.name), fc.subarray(groups, { maxLength: 2 }))
    .map(([alt, picked]) => {
      const out: Record<string, unknown> = { ...d };
      for (const g of picked) for (const key of GROUPS[g]) out[key] = alt[key];
      return out as unknown as DomainSpec;
    });
}

/**
 * A declared spec and a live host that ran an older declaration with drift on top. The older
 * declaration mostly agrees with the new one (a few groups of properties differ per domain),
 * so that a single difference — and so each comparison on its own — is exercised.
 */
export function arbScenario(): fc.Arbitrary<{ spec: HostSpec; live: LiveHost }> {
  return arbHostSpec()
    .chain((spec) => {
      const declared = new Map(spec.domains.map((d) => [d.name, d]));
      const sizes = new Map(spec.volumes.map((v) => [`${v.pool}/${v.name}`, v.sizeMiB]));
      const olderDomains = fc.tuple(
        ...NAMES.map((name) => {
          const d = declared.get(name);
          const absent = fc.constant(null);
          return d !== undefined
            ? fc.oneof({ weight: 6, arbitrary: arbOlder(d) }, { weight: 1, arbitrary: absent })
            : fc.oneof({ weight: 3, arbitrary: absent }, { weight: 1, arbitrary: arbDomain(name) });
        }),
      );
      return fc.record({
        spec: fc.constant(spec),
        older: olderDomains.chain((ds) => {
          const present = ds.filter((d): d is DomainSpec => d !== null);
          return fc
            .tuple(...present.map((d) => fc.tuple(...d.disks.map((k) => fc.constantFrom(sizes.get(k.volume ?? "") ?? 64, 64, 130, 256)))))
            .map((allSizes) =>
              hostSpec(
                present,
                present.flatMap((d, i) =>
                  d.disks.map((k, j) => ({ name: `${d.name}-${k.vdev}`, pool: "vg0", sizeMiB: allSizes[i]![j]!, format: "raw" as const, retention: "retain" as const })),
                ),
              ),
            );
        }),
        drift: arbDrift(),
      });
    })
    .map(({ spec, older, drift }) => ({ spec, live: driftedLive(older, drift) }));
}

/** A deterministic shuffle (Fisher–Yates driven by `seed`). */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
