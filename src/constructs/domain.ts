import { Construct, type IConstruct } from "constructs";
import { domainNameFromId } from "../model/names.js";
import type { Size } from "../model/size.js";
import {
  DiskFormat,
  DomainType,
  MigrationPolicy,
  ShutdownAction,
  UpdatePolicy,
  type BootSpec,
  type DiskAccess,
  type DiskSpec,
  type DomainSpec,
  type PinSpec,
  type VifSpec,
} from "../model/spec.js";
import { ProblemLog, Suppressions, reportTokens } from "./analysis.js";
import { TerraformStack, Token } from "../cdktf.js";
import { XenConstructError, problem } from "./errors.js";
import type { XenHost } from "./host.js";
import { compare } from "./host.js";
import { LifecycleResourceHandle, ProvisionerCommand, ResourceKind } from "./resources.js";
import type { PinEntry, XenVcpuPin } from "./vcpu-pin.js";
import type { IXenVolume } from "./volume.js";

/** Options of a disk backed by a volume. */
export interface XenVolumeDiskOptions {
  /**
   * Virtual device the guest sees: `xvda`, `xvdb`, … (`hda`/`sda` for emulated HVM disks).
   * @see https://xenbits.xen.org/docs/4.17-testing/man/xen-vbd-interface.7.html
   */
  readonly vdev: string;
  /**
   * `rw` or `ro`.
   * @default "rw"
   */
  readonly access?: DiskAccess;
}

/** A disk backed by a volume (managed, or `XenVolume.fromExisting`). */
export interface XenVolumeDisk extends XenVolumeDiskOptions {
  /** The volume; it must be in a pool of the domain's host. */
  readonly volume: IXenVolume;
}

/** Options of a disk backed by a device or file path on dom0. */
export interface XenPathDiskOptions {
  /** Virtual device the guest sees, as for a volume disk. */
  readonly vdev: string;
  /**
   * Layout of the data.
   * @default DiskFormat.RAW
   */
  readonly format?: DiskFormat;
  /**
   * `rw` or `ro`.
   * @default "rw"
   */
  readonly access?: DiskAccess;
  /**
   * `disk`, or `cdrom` (HVM only; an empty path is an empty drive).
   * @default "disk"
   */
  readonly devtype?: "disk" | "cdrom";
}

/** A disk backed by an absolute device or file path on dom0 (`/dev/…`, an ISO image, …). */
export interface XenPathDisk extends XenPathDiskOptions {
  /** Absolute path on dom0. cdktf-xen never creates or deletes it. */
  readonly path: string;
}

/** A disk of a domain: a volume, or a path on dom0. */
export type XenDiskConfig = XenVolumeDisk | XenPathDisk;

/**
 * A network interface (vif), plugged into a dom0 bridge.
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl-network-configuration.5.html
 */
export interface XenNetworkConfig {
  /** dom0 bridge to join, e.g. `xenbr0`. */
  readonly bridge: string;
  /**
   * MAC address, e.g. `00:16:3e:12:34:56`.
   * @default - Xen picks a random one at each boot (give one for a stable DHCP lease)
   */
  readonly mac?: string;
  /**
   * Emulated NIC model for HVM guests, e.g. `e1000`.
   * @default - the paravirtual interface only
   */
  readonly model?: string;
  /**
   * Bandwidth limit as xl writes it, e.g. `10Mb/s` or `1MB/s@20ms`.
   * @default - unlimited
   */
  readonly rate?: string;
}

/**
 * credit2 scheduler parameters.
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.1.html (sched-credit2)
 */
export interface XenSchedulerConfig {
  /**
   * Relative share of pCPU time, 1–65535 (xl.cfg `cpu_weight`).
   * @default 256
   */
  readonly weight?: number;
  /**
   * Ceiling in percent of one pCPU, 0 for none (xl.cfg `cap`).
   * @default 0
   */
  readonly cap?: number;
}

/**
 * A Xen guest domain. Give one way to boot it: `kernel` (direct kernel boot, optionally with
 * `ramdisk` and `cmdline`), `bootloader` (PV only, e.g. `pygrub`) or `firmware` (HVM `bios`/
 * `uefi`, PV/PVH `pvgrub64`); HVM domains default to SeaBIOS.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html
 */
export interface XenDomainProps {
  /** The host the domain runs on. */
  readonly host: XenHost;
  /**
   * Domain name on the host (letters, digits, `.`, `_`, `-`). Changing it replaces the
   * domain: the old one is shut down and removed, a new one is created.
   * @default - derived from the construct id: `Web Server 1` → `web-server-1`
   */
  readonly name?: string;
  /**
   * Virtualization mode (xl.cfg `type`). PVH is what the Xen Project recommends for modern
   * Linux and BSD guests: hardware-assisted paging and no emulated devices, and — unlike PV
   * on Debian's Xen — it can live-migrate. Choose PV for hosts without hardware
   * virtualization (such as the TCG lab), HVM for unmodified guests and other OSes.
   * @default DomainType.PVH
   */
  readonly type?: DomainType;
  /**
   * vCPUs online at boot (xl.cfg `vcpus`).
   * @default 1
   */
  readonly vcpus?: number;
  /**
   * vCPUs the domain is created with (xl.cfg `maxvcpus`): the ceiling for changing `vcpus`
   * without a restart.
   * @default - the same as vcpus
   */
  readonly maxVcpus?: number;
  /** Memory at boot, a whole number of MiB (xl.cfg `memory`). */
  readonly memory: Size;
  /**
   * Static maximum (xl.cfg `maxmem`): the ceiling for changing `memory` without a restart.
   * @default - the same as memory
   */
  readonly maxMemory?: Size;
  /**
   * Kernel on dom0 for direct kernel boot (xl.cfg `kernel`).
   * @default - no direct kernel boot
   */
  readonly kernel?: string;
  /**
   * Initial ramdisk on dom0 for direct kernel boot (xl.cfg `ramdisk`).
   * @default - none
   */
  readonly ramdisk?: string;
  /**
   * Kernel command line for direct kernel boot (xl.cfg `cmdline`), e.g.
   * `console=hvc0 root=/dev/xvda`.
   * @default - none
   */
  readonly cmdline?: string;
  /**
   * Bootloader run in dom0 to find the kernel inside the guest's disk (xl.cfg
   * `bootloader`, e.g. `pygrub`). PV only.
   * @default - no bootloader
   */
  readonly bootloader?: string;
  /**
   * Arguments for the bootloader (xl.cfg `bootloader_args`).
   * @default - none
   */
  readonly bootloaderArgs?: readonly string[];
  /**
   * Firmware (xl.cfg `firmware`): `bios` or `uefi` for HVM, `pvgrub32`/`pvgrub64` for
   * PV/PVH, or an absolute path to a firmware image.
   * @default - `bios` for an HVM domain without a kernel; none otherwise
   */
  readonly firmware?: string;
  /**
   * HVM boot order (xl.cfg `boot`): letters `c` (disk), `d` (cdrom), `n` (network).
   * Only with firmware boot of an HVM domain.
   * @default "cd"
   */
  readonly bootOrder?: string;
  /**
   * Emulated serial port of an HVM domain (xl.cfg `serial`), e.g. `pty`. HVM only.
   * @default - none
   */
  readonly serial?: string;
  /**
   * Emulated VNC display of an HVM domain (xl.cfg `vnc`). HVM only.
   * @default false
   */
  readonly vnc?: boolean;
  /**
   * Disks; more can be added with {@link XenDomain.addDisk} / {@link XenDomain.addPathDisk}.
   * The spec lists them in vdev order.
   * @default - none
   */
  readonly disks?: readonly XenDiskConfig[];
  /**
   * Network interfaces, vif 0 first; more with {@link XenDomain.addNetwork}.
   * @default - none
   */
  readonly networks?: readonly XenNetworkConfig[];
  /**
   * What Xen does when the guest powers off (xl.cfg `on_poweroff`).
   * @default ShutdownAction.DESTROY
   */
  readonly onPoweroff?: ShutdownAction;
  /**
   * What Xen does when the guest reboots (xl.cfg `on_reboot`).
   * @default ShutdownAction.RESTART
   */
  readonly onReboot?: ShutdownAction;
  /**
   * What Xen does when the guest crashes (xl.cfg `on_crash`).
   * @default ShutdownAction.DESTROY
   */
  readonly onCrash?: ShutdownAction;
  /**
   * Start the domain when dom0 boots (a link in /etc/xen/auto).
   * @default true
   */
  readonly autostart?: boolean;
  /**
   * credit2 weight and cap.
   * @default { weight: 256, cap: 0 }
   */
  readonly scheduler?: XenSchedulerConfig;
  /**
   * cpupool to run in (xl.cfg `pool`).
   * @default - Pool-0, the default pool
   */
  readonly cpupool?: string;
  /**
   * cpuid policy (xl.cfg `cpuid`), e.g. `host,rdtscp=0`. PVH and HVM only.
   * @default - Xen's default policy
   */
  readonly cpuid?: string;
  /**
   * What `cdktf deploy` does with a change Xen can only apply at the next boot (type,
   * kernel, maxVcpus, maxMemory above the boot ceiling, …). `pending` (the default) writes
   * the new configuration and reports the change as pending: nothing reboots behind an
   * operator's back. `restart` shuts the guest down gracefully (forcibly after a timeout)
   * and starts it with the new configuration in the same deploy.
   * @default UpdatePolicy.PENDING
   */
  readonly updatePolicy?: UpdatePolicy;
  /**
   * How the domain moves when its `host` changes. `live` migrates the running guest with
   * `xl migrate` (every disk must be in a pool declared `shared`); `cold` shuts it down,
   * copies its local volumes to the new host (verified by checksum) and starts it there;
   * `refuse` refuses the move in the plan. Live by default: moving a domain to drain a host
   * must not reboot it, and a move that cannot be live is refused with the reason rather than
   * turned into a reboot behind the operator's back.
   * @default MigrationPolicy.LIVE
   */
  readonly migration?: MigrationPolicy;
}

/** The domains of one stack by name (moves are planned within a stack), so a name clash is found without walking the tree. */
const domainsByName = new WeakMap<IConstruct, Map<string, XenDomain[]>>();

function domainsNamed(scope: IConstruct, name: string): XenDomain[] {
  const stack = TerraformStack.of(scope);
  const byName = domainsByName.get(stack) ?? new Map<string, XenDomain[]>();
  domainsByName.set(stack, byName);
  const list = byName.get(name) ?? [];
  byName.set(name, list);
  return list;
}

/**
 * A domain's name is its identity across the hosts of an app: a domain whose host changes keeps
 * its name and is moved there (`xl migrate` keeps it too), so two domains of one name on two
 * hosts would be taken for one domain moving — and the removal of one for a move onto the other.
 */
function nameClashes(self: XenDomain, sameName: readonly XenDomain[]): string[] {
  // Twice on one host is the host's own check (a name is unique per host).
  const others = sameName.filter((d) => d !== self && d.host !== self.host);
  if (others.length === 0) return [];
  return [
    problem({
      what: `domain name ${JSON.stringify(self.name)} is also used on another host by ${others.map((d) => d.node.path).join(", ")}`,
      why: "a domain's name identifies it across the hosts of a stack: a domain whose host changes is moved there by name, so two of one name would be mistaken for one domain moving",
      fix: "give each domain its own name (XenDomainProps.name, or a different construct id)",
    }),
  ];
}

/**
 * A guest domain on a Xen host.
 *
 * Two resources: the **identity** (host + name), whose destruction runs `destroy-domain`
 * (graceful shutdown, then removal of its configuration and autostart link), and the
 * **configuration** (its full {@link DomainSpec}), whose replacement only shows the change
 * in plans — the host's reconcile applies it in place. So changing memory or vCPUs never
 * destroys the domain; renaming it or moving it to another host does.
 */
export class XenDomain extends Construct {
  /** The host the domain runs on. */
  readonly host: XenHost;
  /** Domain name on the host. */
  readonly name: string;
  /** Virtualization mode. */
  readonly type: DomainType;

  private readonly props: XenDomainProps;
  private readonly disks: XenDiskConfig[] = [];
  private readonly networks: XenNetworkConfig[] = [];
  private readonly pinList: XenVcpuPin[] = [];
  private readonly identity: LifecycleResourceHandle;
  private cached: { readonly generation: number; readonly built: DomainBuild; readonly fatal: readonly string[] } | undefined;

  constructor(scope: Construct, id: string, props: XenDomainProps) {
    super(scope, id);
    this.props = props;
    this.host = props.host;
    this.name = props.name ?? domainNameFromId(id);
    this.type = props.type ?? DomainType.PVH;

    this.identity = new LifecycleResourceHandle(this, "identity", {
      type: this.host.lifecycleResource,
      generation: () => this.host._generation,
      replace: () => ({ cdktf_xen: ResourceKind.DOMAIN, host: this.host.hostId, name: this.name }),
      input: () => ({ cdktf_xen: ResourceKind.DOMAIN, host: this.host.hostId, name: this.name, connection: this.host.connection }),
      nullIgnoreChanges: ["connection"],
      provisioner: { command: ProvisionerCommand.DESTROY_DOMAIN, when: "destroy" },
    });
    const config = new LifecycleResourceHandle(this, "config", {
      type: this.host.lifecycleResource,
      generation: () => this.host._generation,
      replace: () => ({ cdktf_xen: ResourceKind.DOMAIN_CONFIG, host: this.host.hostId, spec: this.toSpec() }),
    });
    config.dependOn(this.identity);
    this.host._registerDomain(this, [this.identity, config]);

    for (const disk of props.disks ?? []) this.pushDisk(disk);
    for (const net of props.networks ?? []) this.networks.push(net);
    const sameName = domainsNamed(this, this.name);
    sameName.push(this);
    this.node.addValidation({ validate: () => [...this.host._problemsFor(this), ...nameClashes(this, sameName)] });
  }

  /**
   * The IP addresses the host knows for this domain, as a token for outputs and other
   * resources (a DNS record, an inventory). Native provider only (`LifecycleResource.PROVIDER`).
   * Filled from a guest agent's xenstore `attr/vif/N/ipv4|ipv6` entries, else dom0's neighbour
   * table for the vif's MAC (README, "Computed attributes").
   */
  get ipAddresses(): string[] {
    return Token.asList(this.providerAttribute("ip_addresses"));
  }

  /** The domain's id on its host now (changes at every boot). Native provider only. */
  get domid(): number {
    return Token.asNumber(this.providerAttribute("domid"));
  }

  /** The domain's UUID. Native provider only. */
  get uuid(): string {
    return this.providerAttribute("uuid");
  }

  /** Each vif's MAC address as the host reports it, in vif order. Native provider only. */
  get macAddresses(): string[] {
    return Token.asList(this.providerAttribute("mac_addresses"));
  }

  /** Settings declared but waiting for the domain's next boot. Native provider only. */
  get pendingRestart(): string[] {
    return Token.asList(this.providerAttribute("pending_restart"));
  }

  private providerAttribute(attribute: string): string {
    const resource = this.host.resource;
    if (resource === undefined) {
      throw new XenConstructError(this.node.path, {
        what: `${attribute} of domain ${this.name} comes back only through the native provider`,
        why: `host ${this.host.hostId} uses the ${this.host.lifecycleResource} resources, whose provisioners cannot set attributes`,
        fix: 'set lifecycleResource: LifecycleResource.PROVIDER on the host (or the context key "cdktf-xen:lifecycleResource": "xen_host")',
      });
    }
    return resource.domainAttribute(this.name, attribute);
  }

  /** Attaches `volume` as a disk. */
  addDisk(volume: IXenVolume, options: XenVolumeDiskOptions): void {
    this.pushDisk({ ...options, volume });
    this.host._changed();
  }

  /** Attaches a device or file path on dom0 as a disk. */
  addPathDisk(path: string, options: XenPathDiskOptions): void {
    this.pushDisk({ ...options, path });
    this.host._changed();
  }

  /** Adds a network interface after the existing ones. */
  addNetwork(network: XenNetworkConfig): void {
    this.networks.push(network);
    this.host._changed();
  }

  /** The pin constructs of this domain. */
  get pins(): readonly XenVcpuPin[] {
    return this.pinList;
  }

  /**
   * The domain's canonical spec: every default applied, disks in vdev order, pins sorted by
   * vCPU, CPU lists canonical.
   * @throws XenConstructError when a value cannot be represented (a size that is not a whole
   *   number of MiB, a CPU list that does not parse, no way to boot); `cdktf synth` reports these.
   */
  toSpec(): DomainSpec {
    const c = this.build();
    if (c.fatal.length > 0) {
      throw new XenConstructError(this.node.path, {
        what: `the spec of domain ${this.name} cannot be built:\n  ${c.fatal.join("\n  ")}`,
        fix: "fix the values above (cdktf synth lists every problem)",
      });
    }
    return c.built.spec;
  }

  /** @internal Called by XenVcpuPin. */
  _addPin(pin: XenVcpuPin): void {
    this.pinList.push(pin);
    this.host._changed();
  }

  /** @internal The spec and where its pins came from, filing problems in `log`. */
  _build(log: ProblemLog, suppress: Suppressions): DomainBuild {
    const p = this.props;
    const type = this.type;
    const isHvm = type === DomainType.HVM;
    const hvmOnly = (field: string): void => {
      log.add(
        this,
        problem({
          what: `${field} is an HVM-only option, and this domain is ${String(type)}`,
          why: "PV and PVH domains have no emulated devices",
          fix: `remove ${field}, or make the domain HVM (type: DomainType.HVM)`,
        }),
      );
    };
    if (!isHvm && p.serial !== undefined) hvmOnly("serial");
    if (!isHvm && p.vnc !== undefined) hvmOnly("vnc");

    const memoryMiB = this.mebibytes(log, suppress, "memory", ".memoryMiB", p.memory);
    const maxMemoryMiB = p.maxMemory === undefined ? memoryMiB : this.mebibytes(log, suppress, "maxMemory", ".maxMemoryMiB", p.maxMemory);
    const vcpus = p.vcpus ?? 1;
    const maxVcpus = p.maxVcpus ?? vcpus;

    const disks = this.buildDisks(log, suppress);
    const pins = this.buildPins(log, maxVcpus);

    const spec: DomainSpec = {
      name: this.name,
      type,
      vcpus,
      maxVcpus,
      memoryMiB,
      maxMemoryMiB,
      boot: this.buildBoot(log, suppress),
      disks,
      vifs: this.networks.map(
        (n): VifSpec => ({
          bridge: n.bridge,
          mac: n.mac === undefined ? null : n.mac.toLowerCase(),
          model: n.model ?? null,
          rate: n.rate ?? null,
        }),
      ),
      onPoweroff: p.onPoweroff ?? ShutdownAction.DESTROY,
      onReboot: p.onReboot ?? ShutdownAction.RESTART,
      onCrash: p.onCrash ?? ShutdownAction.DESTROY,
      autostart: p.autostart ?? true,
      scheduler: { weight: p.scheduler?.weight ?? 256, cap: p.scheduler?.cap ?? 0 },
      cpupool: p.cpupool ?? null,
      pins: pins.pins,
      cpuid: p.cpuid ?? null,
      hvm: isHvm ? { serial: p.serial ?? null, vnc: p.vnc ?? false } : null,
      updatePolicy: p.updatePolicy ?? UpdatePolicy.PENDING,
      migration: p.migration ?? MigrationPolicy.LIVE,
    };
    // Every string is checked by validateDomainSpec (the grammars of model/names.ts and xl/),
    // which the host routes back here with the spec path: one rule for synth, plan and render.
    if (reportTokens(log, this, spec, "domain")) suppress.add("");
    return { spec, pinOwner: (i) => pins.owners[i] };
  }

  private build(): { readonly built: DomainBuild; readonly fatal: readonly string[] } {
    const generation = this.host._generation;
    if (this.cached?.generation !== generation) {
      const log = new ProblemLog();
      const built = this._build(log, new Suppressions());
      this.cached = { generation, built, fatal: log.fatal };
    }
    return this.cached;
  }

  private pushDisk(disk: XenDiskConfig): void {
    this.disks.push(disk);
    if ("volume" in disk) {
      // The identity comes after the volume: created after it, destroyed before it.
      const handle = disk.volume._handle;
      if (handle !== undefined) this.identity.dependOn(handle);
    }
  }

  private mebibytes(log: ProblemLog, suppress: Suppressions, field: string, path: string, size: Size): number {
    if (size.isWholeMebibytes()) return size.toMebibytes();
    const up = Math.ceil(size.toBytes() / MIB);
    suppress.add(path);
    log.add(
      this,
      problem({
        what: `${field} ${size.toString()} is not a whole number of MiB`,
        why: "xl.cfg counts memory in MiB and cdktf-xen never rounds silently",
        fix: `declare Size.mebibytes(${String(up)}) or Size.mebibytes(${String(up - 1)})`,
      }),
      true,
    );
    return up;
  }

  private buildBoot(log: ProblemLog, suppress: Suppressions): BootSpec {
    const p = this.props;
    const isHvm = this.type === DomainType.HVM;
    const given = (["kernel", "bootloader", "firmware"] as const).filter((k) => p[k] !== undefined);
    const fatal = (what: string, fix: string): void => {
      suppress.add(".boot");
      log.add(this, problem({ what, fix }), true);
    };
    if (given.length > 1) {
      fatal(`${given.join(" and ")} are all ways to boot; a domain boots one way`, `keep one of ${given.join(", ")}`);
    }
    if (p.kernel === undefined) {
      for (const f of ["ramdisk", "cmdline"] as const) {
        if (p[f] !== undefined) {
          log.add(this, problem({ what: `${f} is given without a kernel`, fix: `give kernel (direct kernel boot), or remove ${f}` }));
        }
      }
    }
    if (p.bootloader === undefined && p.bootloaderArgs !== undefined) {
      log.add(this, problem({ what: "bootloaderArgs is given without a bootloader", fix: "give bootloader, or remove bootloaderArgs" }));
    }
    if (p.bootOrder !== undefined && (p.kernel !== undefined || p.bootloader !== undefined)) {
      log.add(
        this,
        problem({
          what: "bootOrder is given but the domain boots from a kernel or bootloader",
          why: "the boot order only steers the HVM firmware",
          fix: "remove bootOrder, or boot from firmware",
        }),
      );
    }
    if (p.kernel !== undefined) {
      return { kind: "kernel", kernel: p.kernel, ramdisk: p.ramdisk ?? null, cmdline: p.cmdline ?? null };
    }
    if (p.bootloader !== undefined) {
      return { kind: "bootloader", bootloader: p.bootloader, bootloaderArgs: [...(p.bootloaderArgs ?? [])] };
    }
    if (p.firmware !== undefined || isHvm) {
      return { kind: "firmware", firmware: p.firmware ?? "bios", bootOrder: p.bootOrder ?? (isHvm ? "cd" : "") };
    }
    fatal(
      `a ${String(this.type)} domain needs a way to boot, and none is given`,
      'give kernel (with ramdisk and cmdline as needed), bootloader: "pygrub" (PV), or firmware: "pvgrub64"',
    );
    return { kind: "kernel", kernel: "", ramdisk: null, cmdline: null };
  }

  private buildDisks(log: ProblemLog, suppress: Suppressions): DiskSpec[] {
    const entries = this.disks.map((d) => ({ config: d, spec: this.diskSpec(d) }));
    entries.sort((a, b) => compareVdev(a.spec.vdev, b.spec.vdev));
    entries.forEach((e, i) => {
      if (!("volume" in e.config)) return;
      const v = e.config.volume;
      if (v.host !== this.host) {
        suppress.add(`.disks[${String(i)}].volume`);
        log.add(
          this,
          problem({
            what: `disk ${e.spec.vdev} uses volume ${v.node.path} in pool ${v.pool.name} of host ${v.host.hostId}, but this domain runs on host ${this.host.hostId}`,
            why: "a domain can only use storage of its own host's dom0",
            fix: `put the volume in a pool of ${this.host.hostId}, or move the domain to ${v.host.hostId}`,
          }),
        );
      }
    });
    return entries.map((e) => e.spec);
  }

  private diskSpec(d: XenDiskConfig): DiskSpec {
    if ("volume" in d) {
      const v = d.volume;
      return {
        vdev: d.vdev,
        target: v.path,
        format: v.format,
        access: d.access ?? "rw",
        devtype: "disk",
        volume: v.managed ? `${v.pool.name}/${v.name}` : null,
      };
    }
    return {
      vdev: d.vdev,
      target: d.path,
      format: d.format ?? DiskFormat.RAW,
      access: d.access ?? "rw",
      devtype: d.devtype ?? "disk",
      volume: null,
    };
  }

  private buildPins(log: ProblemLog, maxVcpus: number): { pins: PinSpec[]; owners: IConstruct[] } {
    const byVcpu = new Map<number, { readonly owner: XenVcpuPin; readonly entry: PinEntry }>();
    for (const pin of this.pinList) {
      for (const entry of pin._entries(log, maxVcpus)) {
        const first = byVcpu.get(entry.vcpu);
        if (first !== undefined && first.owner !== pin) {
          log.add(
            pin,
            problem({
              what: `vCPU ${String(entry.vcpu)} of domain ${this.name} is also pinned by ${first.owner.node.path}`,
              why: "two declarations of one vCPU's affinity would fight over it",
              fix: "declare each vCPU's affinity in one XenVcpuPin",
            }),
          );
          continue;
        }
        byVcpu.set(entry.vcpu, { owner: pin, entry });
      }
    }
    const sorted = [...byVcpu.values()]
      .filter((v) => !(v.entry.hard === "all" && v.entry.soft === "all"))
      .sort((a, b) => a.entry.vcpu - b.entry.vcpu);
    return {
      pins: sorted.map((v) => ({ vcpu: v.entry.vcpu, hard: v.entry.hard, soft: v.entry.soft })),
      owners: sorted.map((v) => v.owner),
    };
  }
}

/** What building a domain's spec yields. */
export interface DomainBuild {
  readonly spec: DomainSpec;
  /** The construct that declared `spec.pins[index]`. */
  readonly pinOwner: (index: number) => IConstruct | undefined;
}

const MIB = 1024 * 1024;

/**
 * Device order: by bus prefix, then shorter names first (`xvdb` before `xvdaa`, as Xen
 * numbers them), then alphabetically.
 */
export function compareVdev(a: string, b: string): number {
  const pa = /^(xvd|hd|sd)/.exec(a)?.[1] ?? "";
  const pb = /^(xvd|hd|sd)/.exec(b)?.[1] ?? "";
  if (pa !== pb) return compare(pa, pb);
  if (a.length !== b.length) return a.length - b.length;
  return compare(a, b);
}
