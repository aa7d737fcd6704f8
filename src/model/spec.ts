/**
 * The canonical desired state: plain JSON data, the contract between the constructs
 * (which synthesize it into the configuration resources), the CLI (which reads it back
 * from cdk.tf.json or a --desired file) and the diff engine (which compares it with the
 * live state). Spelling follows libxl's JSON (`pvh`, `rename_restart`); the xl.cfg
 * spelling lives only in `xl/`.
 *
 * Every field is present (defaults already applied), so two specs compare structurally
 * and `canonicalJson` of a spec is stable.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html
 */

/** Format version of {@link HostSpec}; bumped on an incompatible change. */
export const SPEC_VERSION = 1 as const;

/** libxl_domain_type */
export const DomainType = {
  /** Paravirtualized: a PV-aware kernel, no emulated hardware. */
  PV: "pv",
  /** PVH: hardware virtualization without emulated devices; boots a kernel or pvgrub. */
  PVH: "pvh",
  /** Fully virtualized with emulated firmware and devices (QEMU device model). */
  HVM: "hvm",
} as const;
/** libxl_domain_type */
export type DomainType = (typeof DomainType)[keyof typeof DomainType];

/** libxl_action_on_shutdown, in libxl's JSON spelling. */
export const ShutdownAction = {
  /** Destroy the domain (xl.cfg `destroy`). */
  DESTROY: "destroy",
  /** Destroy it and create it again with the same configuration (`restart`). */
  RESTART: "restart",
  /** Keep the old domain under a new name and start a fresh one (`rename-restart`). */
  RENAME_RESTART: "rename_restart",
  /** Keep the domain as it is, for inspection (`preserve`). */
  PRESERVE: "preserve",
  /** Write a core dump, then destroy (`coredump-destroy`). */
  COREDUMP_DESTROY: "coredump_destroy",
  /** Write a core dump, then restart (`coredump-restart`). */
  COREDUMP_RESTART: "coredump_restart",
  /** Reset the domain's state without destroying it (`soft-reset`; HVM guests that support it). */
  SOFT_RESET: "soft_reset",
} as const;
/** libxl_action_on_shutdown, in libxl's JSON spelling. */
export type ShutdownAction = (typeof ShutdownAction)[keyof typeof ShutdownAction];

/**
 * What to do with a change that Xen can only apply at the next boot.
 * - `pending` (the default): write the new config file, report the change as pending; the
 *   running guest is not touched. Safe: nothing reboots behind an operator's back.
 * - `restart`: shut the domain down gracefully (then forcibly after a timeout) and start it
 *   with the new configuration, within the same apply.
 */
export const UpdatePolicy = {
  /** Write the new config file and report the change as pending; the guest is not touched. */
  PENDING: "pending",
  /** Restart the domain (graceful, then forced) with the new configuration in the same apply. */
  RESTART: "restart",
} as const;
/** See {@link UpdatePolicy} (the constant). */
export type UpdatePolicy = (typeof UpdatePolicy)[keyof typeof UpdatePolicy];

/** What happens to a volume's data when its resource is destroyed. */
export const RetentionPolicy = {
  /** Keep the volume and its data (the default): only the Terraform resource goes. */
  RETAIN: "retain",
  /** Delete the logical volume or file with its data. */
  DELETE: "delete",
} as const;
/** What happens to a volume's data when its resource is destroyed. */
export type RetentionPolicy = (typeof RetentionPolicy)[keyof typeof RetentionPolicy];

/** libxl_disk_format: how a disk's backing file or device is laid out. */
export const DiskFormat = {
  /** Raw blocks: a logical volume, a block device or a plain file. */
  RAW: "raw",
  /** QEMU copy-on-write v2 image. */
  QCOW2: "qcow2",
  /** QEMU copy-on-write v1 image. */
  QCOW: "qcow",
  /** Virtual Hard Disk image. */
  VHD: "vhd",
  /** QEMU enhanced disk image. */
  QED: "qed",
} as const;
/** libxl_disk_format: how a disk's backing file or device is laid out. */
export type DiskFormat = (typeof DiskFormat)[keyof typeof DiskFormat];
/** How the guest may use a disk: read-write (`rw`) or read-only (`ro`). */
export type DiskAccess = "rw" | "ro";

/**
 * How a domain moves when its declared host changes.
 * - `live` (the default): `xl migrate` from the old host to the new one; the guest keeps
 *   running (its uptime continues, its domid changes). Every disk must be on storage both
 *   hosts see at the same path (a pool declared `shared`): Xen moves memory, not disks.
 *   The default because a host change is how a platform team drains a host, and draining
 *   must not reboot the guests.
 * - `cold`: shut the domain down on the old host, copy its local volumes to the new host
 *   (verified by checksum), start it there. For domains on local storage; costs a reboot.
 * - `refuse`: a host change is refused in the plan; the domain stays where it is.
 */
export const MigrationPolicy = {
  /** `xl migrate`: the guest keeps running; every disk must be on shared storage. */
  LIVE: "live",
  /** Shut down, copy local volumes (checksum-verified), start on the new host. */
  COLD: "cold",
  /** A host change is refused in the plan. */
  REFUSE: "refuse",
} as const;
/** See {@link MigrationPolicy} (the constant). */
export type MigrationPolicy = (typeof MigrationPolicy)[keyof typeof MigrationPolicy];

/** A storage pool that is an LVM volume group: each volume is a logical volume. */
export interface LvmPoolSpec {
  /** Discriminant: an LVM pool. */
  readonly kind: "lvm";
  /** Pool name, unique per host. */
  readonly name: string;
  /** The volume group's name on dom0 (`vgs`). */
  readonly volumeGroup: string;
  /** The same storage is seen by other hosts at the same path (clustered LVM): disks in it can move live. */
  readonly shared: boolean;
}

/** A storage pool that is a directory on dom0: each volume is a file in it. */
export interface DirPoolSpec {
  /** Discriminant: a directory pool. */
  readonly kind: "dir";
  /** Pool name, unique per host. */
  readonly name: string;
  /** Absolute directory on dom0. */
  readonly path: string;
  /** The directory is shared storage (NFS, a cluster filesystem) mounted at the same path on other hosts: disks in it can move live. */
  readonly shared: boolean;
}

/** A storage pool on a host, by kind. */
export type PoolSpec = LvmPoolSpec | DirPoolSpec;

/** A volume cdktf-xen manages in a pool: created, grown and (with `delete`) removed. */
export interface VolumeSpec {
  /** LV name (lvm pool) or file name (dir pool); unique per pool. */
  readonly name: string;
  /** Name of the pool (`PoolSpec` `name`) on the same host. */
  readonly pool: string;
  /** Size in MiB; volumes grow, never shrink. */
  readonly sizeMiB: number;
  /** `raw` for LVM; `raw` or `qcow2` for a dir pool. */
  readonly format: DiskFormat;
  /** Whether the data survives the volume's removal from the program. */
  readonly retention: RetentionPolicy;
}

/** One virtual block device (vbd) of a domain. */
export interface DiskSpec {
  /** Virtual device in the guest, e.g. `xvda`. */
  readonly vdev: string;
  /** Absolute path on dom0 of the backing device or file. */
  readonly target: string;
  /** Layout of the backing device or file. */
  readonly format: DiskFormat;
  /** Read-write or read-only for the guest. */
  readonly access: DiskAccess;
  /** `disk` or `cdrom` (HVM only). */
  readonly devtype: "disk" | "cdrom";
  /** `pool/name` of a managed volume backing this disk, or null for a raw path. */
  readonly volume: string | null;
}

/** One virtual network interface (vif) of a domain. */
export interface VifSpec {
  /** dom0 bridge the vif is plugged into, e.g. `xenbr0`. */
  readonly bridge: string;
  /** `00:16:3e:…`, or null to let Xen pick one at each boot. */
  readonly mac: string | null;
  /** Emulated NIC model for HVM (e.g. `e1000`), null otherwise. */
  readonly model: string | null;
  /** xl.cfg rate, e.g. `10Mb/s`, or null for unlimited. */
  readonly rate: string | null;
}

/** Hard and soft affinity of one vCPU; Xen CPU-list strings as `CpuSet.toString()` prints them. */
export interface PinSpec {
  /** vCPU number, from 0. */
  readonly vcpu: number;
  /** Hard affinity, `all` when unpinned. */
  readonly hard: string;
  /** Soft affinity, `all` when unset. */
  readonly soft: string;
}

/** credit2 scheduler parameters of a domain (`xl sched-credit2`). */
export interface SchedulerSpec {
  /** credit2 weight, 1–65535. */
  readonly weight: number;
  /** credit2 cap in percent of one pCPU, 0 = no cap. */
  readonly cap: number;
}

/** Direct kernel boot: dom0 loads a kernel (and ramdisk) from its own filesystem. */
export interface KernelBoot {
  /** Discriminant: direct kernel boot. */
  readonly kind: "kernel";
  /** Path on dom0 of the guest kernel. */
  readonly kernel: string;
  /** Path on dom0 of the initial ramdisk, or null. */
  readonly ramdisk: string | null;
  /** Kernel command line (xl.cfg `extra`... rendered as `cmdline`). */
  readonly cmdline: string | null;
}

/** Boot through a dom0 bootloader that reads the kernel from the guest's disk (PV). */
export interface BootloaderBoot {
  /** Discriminant: bootloader. */
  readonly kind: "bootloader";
  /** e.g. `pygrub`. PV only. */
  readonly bootloader: string;
  /** Arguments passed to the bootloader. */
  readonly bootloaderArgs: readonly string[];
}

/** Boot from firmware: SeaBIOS or OVMF for HVM, pvgrub for PVH. */
export interface FirmwareBoot {
  /** Discriminant: firmware. */
  readonly kind: "firmware";
  /** HVM: `bios` (SeaBIOS) or `uefi` (OVMF); PVH: `pvgrub32`/`pvgrub64` or a path. */
  readonly firmware: string;
  /** HVM boot order, e.g. `c` or `dc`. */
  readonly bootOrder: string;
}

/** How a domain boots. */
export type BootSpec = KernelBoot | BootloaderBoot | FirmwareBoot;

/** Settings only HVM domains have. Null on PV and PVH. */
export interface HvmSpec {
  /** Emulated serial port, e.g. `pty`, or null. */
  readonly serial: string | null;
  /** Whether the emulated graphics are exported over VNC. */
  readonly vnc: boolean;
}

/** One domain's desired configuration, every default applied. */
export interface DomainSpec {
  /** Domain name on the host (xl's name rules; see model/names). */
  readonly name: string;
  /** PV, PVH or HVM. */
  readonly type: DomainType;
  /** vCPUs online at boot (xl.cfg `vcpus`). */
  readonly vcpus: number;
  /** vCPUs the domain is created with (xl.cfg `maxvcpus`); the ceiling for live vcpu-set. */
  readonly maxVcpus: number;
  /** Memory target at boot, MiB (xl.cfg `memory`). */
  readonly memoryMiB: number;
  /** Static maximum, MiB (xl.cfg `maxmem`); the ceiling for live mem-set. */
  readonly maxMemoryMiB: number;
  /** How the domain boots. */
  readonly boot: BootSpec;
  /** In vdev order. */
  readonly disks: readonly DiskSpec[];
  /** In device-id order: the first is vif 0. */
  readonly vifs: readonly VifSpec[];
  /** What Xen does when the guest powers off (xl.cfg `on_poweroff`). */
  readonly onPoweroff: ShutdownAction;
  /** What Xen does when the guest reboots (xl.cfg `on_reboot`). */
  readonly onReboot: ShutdownAction;
  /** What Xen does when the guest crashes (xl.cfg `on_crash`). */
  readonly onCrash: ShutdownAction;
  /** Start at dom0 boot (a link in /etc/xen/auto). */
  readonly autostart: boolean;
  /** credit2 weight and cap. */
  readonly scheduler: SchedulerSpec;
  /** cpupool name, null for the default pool (Pool-0). */
  readonly cpupool: string | null;
  /** Only vCPUs with a non-default affinity, sorted by vcpu; the others are `all`/`all`. */
  readonly pins: readonly PinSpec[];
  /** xl.cfg `cpuid` policy string (e.g. `host,rdtscp=0`), or null. PVH/HVM only. */
  readonly cpuid: string | null;
  /** HVM-only settings; null for PV and PVH. */
  readonly hvm: HvmSpec | null;
  /** What to do with a change that takes effect only at the next boot. */
  readonly updatePolicy: UpdatePolicy;
  /** How the domain moves when its declared host changes. */
  readonly migration: MigrationPolicy;
}

/** Everything declared for one host: what `cdktf-xen` reconciles in one pass. */
export interface HostSpec {
  /** Format version (`SPEC_VERSION`, bumped on an incompatible change). */
  readonly version: typeof SPEC_VERSION;
  /** Logical host id (the XenHost construct's node id path), stable across address changes. */
  readonly host: string;
  /** Pools holding managed volumes, sorted by name. */
  readonly pools: readonly PoolSpec[];
  /** Managed volumes, sorted by pool then name. */
  readonly volumes: readonly VolumeSpec[];
  /** Domains, sorted by name. */
  readonly domains: readonly DomainSpec[];
}

/** How to reach a host's dom0 over SSH. Never holds key material: a path or the agent. */
export interface HostConnection {
  /** DNS name or IP literal of dom0's sshd. */
  readonly address: string;
  /** sshd port. */
  readonly port: number;
  /** Login name on dom0. */
  readonly user: string;
  /** Path of a private key file on the machine running the CLI, or null for the SSH agent. */
  readonly privateKeyPath: string | null;
  /** Environment variable holding the key's passphrase, or null. */
  readonly passphraseEnv: string | null;
  /** Pinned host key fingerprint `SHA256:…`, or null when a known_hosts file is used. */
  readonly hostKey: string | null;
  /** known_hosts path, or null when the fingerprint is pinned. */
  readonly knownHostsFile: string | null;
  /**
   * `false`: never offer the SSH agent's keys (only the key file). Absent: the agent
   * (`SSH_AUTH_SOCK`) is tried too, after the key file, when it is set.
   */
  readonly useAgent?: false;
  /**
   * Read the operator's OpenSSH client config for this host at connection time. Absent: not
   * read, and nothing is taken from `~/.ssh` unless named.
   */
  readonly sshConfig?: SshConfigUse;
  /**
   * Bastions to go through, outermost first (the first is dialled directly, each next one
   * through the one before, the host through the last). Absent or empty: dialled directly, or
   * through the config file's ProxyJump when {@link sshConfig} is set.
   */
  readonly jumpHosts?: readonly JumpHostConnection[];
}

/** How a {@link HostConnection} uses the operator's OpenSSH client config. */
export interface SshConfigUse {
  /** Path of the config file on the machine running the CLI, e.g. `~/.ssh/config`. */
  readonly file: string;
  /**
   * Settings given explicitly in the program, which the config file does not override (`port`,
   * `user`); the other explicit settings are recognisable as non-null.
   */
  readonly explicit: readonly ("port" | "user")[];
}

/** Most bastions on the way to one host (a ProxyJump loop in a config file must end somewhere). */
export const MAX_JUMP_HOSTS = 8;

/** One bastion on the way to a host. Never holds key material: a path or the agent. */
export interface JumpHostConnection {
  /** DNS name or IP address (or, with the ssh config read, a Host alias of it). */
  readonly address: string;
  /** sshd port, or null: the config file's Port, else 22. */
  readonly port: number | null;
  /** Login user, or null: the config file's User, else the local user running the CLI (as OpenSSH). */
  readonly user: string | null;
  /** Private key file, or null: the config file's IdentityFile or defaults, else the SSH agent. */
  readonly privateKeyPath: string | null;
  /** Environment variable holding that key's passphrase, or null. */
  readonly passphraseEnv: string | null;
  /** Pinned host key fingerprint `SHA256:…`, or null. */
  readonly hostKey: string | null;
  /** known_hosts path, or null (then the config file's UserKnownHostsFile or ~/.ssh/known_hosts). */
  readonly knownHostsFile: string | null;
}

/**
 * How other hosts reach this one for `xl migrate` (which runs on the source and opens SSH to
 * the target's `xl migrate-receive`), and how this host authenticates when it is the source.
 * Never holds key material.
 */
export interface HostMigration {
  /** Address other dom0s use to reach this host's sshd, e.g. on a dedicated migration network; null: the SSH address. */
  readonly address: string | null;
  /** sshd port at {@link address}; null: 22 when an address is set, else the SSH port. */
  readonly port: number | null;
  /**
   * Private key file ON THIS HOST's dom0 used when it is the source of a migration, or null to
   * forward the operator's SSH agent for the duration of the migration (no key on the host).
   */
  readonly identityFile: string | null;
}

/** Migration settings when none are declared: the SSH address, the operator's agent. */
export const DEFAULT_HOST_MIGRATION: HostMigration = { address: null, port: null, identityFile: null };
