/**
 * The `xen_host` resource's schema: one resource per Xen host, holding everything declared for
 * it — pools, volumes and one map entry per domain — so Terraform's own cost grows with hosts,
 * while its plan still names every domain and attribute (`~ domain = { ~ "web-1" = { ~
 * memory_mib = 512 -> 1024 } }`). Why this shape and not one resource per domain: README,
 * "The native provider" (measured with Terraform 1.11.4 at 1,000 domains on 50 hosts).
 *
 * Attribute names are the canonical spec's fields in Terraform's snake_case; ./convert.ts maps
 * both ways. Pure data.
 */
import type { Attribute, Schema } from "../protocol/types.js";

/** Terraform resource type of a host. */
export const HOST_RESOURCE_TYPE = "xen_host";

/**
 * Bumped when the state layout changes incompatibly (UpgradeResourceState handles older).
 * 2: `peers` and `domains_elsewhere` moved to the provider's `hosts` (dropped from older states).
 */
export const HOST_SCHEMA_VERSION = 2;

const str = (description: string, optional = false): Attribute => ({ type: "string", description, ...(optional ? { optional: true } : { required: true }) });
const num = (description: string): Attribute => ({ type: "number", description, required: true });
const bool = (description: string): Attribute => ({ type: "bool", description, required: true });
const computed = (type: Attribute["type"], description: string): Attribute => ({ type, description, computed: true });

const diskAttributes: Record<string, Attribute> = {
  vdev: str("Virtual device in the guest, e.g. xvda."),
  target: str("Absolute path on dom0 of the backing device or file."),
  format: str("raw, qcow2, qcow, vhd or qed."),
  access: str("rw or ro."),
  devtype: str("disk, or cdrom (HVM only)."),
  volume: str("pool/name of the managed volume backing the disk; null for a raw path.", true),
};

const vifAttributes: Record<string, Attribute> = {
  bridge: str("dom0 bridge the vif joins."),
  mac: str("Declared MAC address; null lets Xen pick one at each boot.", true),
  model: str("Emulated NIC model (HVM).", true),
  rate: str("xl.cfg rate limit, e.g. 10Mb/s.", true),
};

const pinAttributes: Record<string, Attribute> = {
  vcpu: num("vCPU number."),
  hard: str("Hard affinity (Xen CPU list, all when unpinned)."),
  soft: str("Soft affinity (Xen CPU list, all when unset)."),
};

/** Per-domain attributes the provider computes from the live host. */
export const DOMAIN_COMPUTED = ["domid", "uuid", "state", "mac_addresses", "ip_addresses", "pending_restart"] as const;

const domainAttributes: Record<string, Attribute> = {
  type: str("pv, pvh or hvm (libxl spelling)."),
  vcpus: num("vCPUs online at boot (xl.cfg vcpus); changes live."),
  max_vcpus: num("vCPUs the domain is built with (xl.cfg maxvcpus); changes at the next boot."),
  memory_mib: num("Memory target in MiB (xl.cfg memory); changes live within max_memory_mib."),
  max_memory_mib: num("Static maximum in MiB (xl.cfg maxmem); changes at the next boot."),
  kernel: str("Kernel path on dom0 (direct boot).", true),
  ramdisk: str("Initial ramdisk path on dom0.", true),
  cmdline: str("Kernel command line.", true),
  bootloader: str("PV bootloader, e.g. pygrub.", true),
  bootloader_args: { type: ["list", "string"], description: "Bootloader arguments.", optional: true },
  firmware: str("HVM bios/uefi or a PVH firmware.", true),
  boot_order: str("HVM boot order, e.g. c.", true),
  disk: { nested: { nesting: "list", attributes: diskAttributes }, description: "Disks in vdev order.", optional: true },
  vif: { nested: { nesting: "list", attributes: vifAttributes }, description: "Network interfaces; the first is vif 0.", optional: true },
  on_poweroff: str("libxl action on poweroff."),
  on_reboot: str("libxl action on reboot."),
  on_crash: str("libxl action on crash."),
  autostart: bool("Start at dom0 boot (/etc/xen/auto link)."),
  weight: num("credit2 weight."),
  cap: num("credit2 cap, percent of one pCPU; 0 is none."),
  cpupool: str("cpupool name; null is Pool-0.", true),
  pin: { nested: { nesting: "list", attributes: pinAttributes }, description: "vCPUs with a non-default affinity.", optional: true },
  cpuid: str("xl.cfg cpuid policy.", true),
  hvm_serial: str("HVM emulated serial port.", true),
  hvm_vnc: { type: "bool", description: "HVM VNC console; null on PV and PVH.", optional: true },
  update_policy: str("pending or restart: what happens to changes Xen applies only at boot."),
  migration: str("live, cold or refuse: how the domain moves when its host changes."),
  domid: computed("number", "Domain id on the host now; null when the domain does not run."),
  uuid: computed("string", "Domain UUID."),
  state: computed("string", "Run state (running, blocked, paused, shutdown, crashed, dying), or absent."),
  mac_addresses: computed(["list", "string"], "MAC address of each vif, in vif order, as the host reports it."),
  ip_addresses: computed(
    ["list", "string"],
    "IPv4/IPv6 addresses of the guest, as the host knows them: xenstore attr/vif/N/ipv4|ipv6 written by a guest agent, else dom0's neighbour table for the vif's MAC.",
  ),
  pending_restart: computed(["list", "string"], "Declared settings the running domain does not have yet: they take effect at its next boot."),
};

const poolAttributes: Record<string, Attribute> = {
  kind: str("lvm or dir."),
  volume_group: str("LVM volume group (lvm pools).", true),
  path: str("Absolute directory on dom0 (dir pools).", true),
  shared: bool("Storage other hosts see at the same path (live moves)."),
};

const volumeAttributes: Record<string, Attribute> = {
  pool: str("Pool name on this host."),
  name: str("LV or file name."),
  size_mib: num("Size in MiB; grows in place, never shrinks."),
  format: str("raw or qcow2."),
  retention: str("retain or delete: whether destroying the declaration deletes the data."),
};

const jumpHostAttributes: Record<string, Attribute> = {
  address: str("The bastion's DNS name or IP address (a Host alias with ssh_config)."),
  port: { type: "number", description: "sshd port of the bastion; null: the ssh config's Port, else 22.", optional: true },
  user: str("Login user on the bastion; null: the ssh config's User, else the local user.", true),
  private_key_path: str("Private key file for the bastion; null: the ssh config's IdentityFile or defaults, and the agent.", true),
  passphrase_env: str("Environment variable holding that key's passphrase.", true),
  host_key: str("Pinned host key fingerprint of the bastion, SHA256:….", true),
  known_hosts_file: str("known_hosts file for the bastion's key.", true),
};

const sshConfigAttributes: Record<string, Attribute> = {
  file: str("OpenSSH client config file read for this host when connecting, e.g. ~/.ssh/config."),
  explicit: { type: ["list", "string"], description: "Settings given in the program, which the file does not override (port, user).", optional: true },
};

const connectionAttributes: Record<string, Attribute> = {
  address: str("dom0's DNS name or IP address."),
  port: num("sshd port."),
  user: str("Login user."),
  private_key_path: str("Private key file on the machine running Terraform; null uses the SSH agent.", true),
  passphrase_env: str("Environment variable holding the key's passphrase.", true),
  host_key: str("Pinned host key fingerprint SHA256:….", true),
  known_hosts_file: str("known_hosts file used instead of a pinned key.", true),
  // Set only on hosts that use them: no agent, the operator's ssh config, bastions.
  use_agent: { type: "bool", description: "false: never offer the SSH agent's keys; null: the agent is tried too when SSH_AUTH_SOCK is set.", optional: true },
  ssh_config: { nested: { nesting: "single", attributes: sshConfigAttributes }, description: "Read the operator's OpenSSH client config for this host.", optional: true },
  jump_host: { nested: { nesting: "list", attributes: jumpHostAttributes }, description: "Bastions to reach dom0 through, outermost first.", optional: true },
};

const migrationAttributes: Record<string, Attribute> = {
  address: str("Address other dom0s use to reach this host for xl migrate.", true),
  port: { type: "number", description: "sshd port at that address.", optional: true },
  identity_file: str("Key file on this dom0 used when it is a migration source; null forwards the agent.", true),
};

const directoryAttributes: Record<string, Attribute> = {
  ssh: { nested: { nesting: "single", attributes: connectionAttributes }, description: "How to reach the host's dom0 over SSH.", required: true },
  migration: { nested: { nesting: "single", attributes: migrationAttributes }, description: "How the host's dom0 takes part in a migration.", optional: true },
  pool: { nested: { nesting: "map", attributes: poolAttributes }, description: "The host's storage pools, by name (which are shared).", optional: true },
  domains: { type: ["list", "string"], description: "Names of the domains the program declares on the host.", optional: true },
};

/** The `xen_host` resource. */
export const HOST_SCHEMA: Schema = {
  version: HOST_SCHEMA_VERSION,
  description: "A Xen host (dom0 with the xl toolstack) and everything declared on it, reconciled over SSH.",
  attributes: {
    id: { type: "string", description: "The host id.", computed: true },
    host_id: str("Logical host id (the XenHost construct path); stable across address changes."),
    // Not "connection": Terraform reserves that name in resource blocks (provisioner connections).
    ssh: { nested: { nesting: "single", attributes: connectionAttributes }, description: "How to reach dom0 over SSH; changes update in place.", required: true },
    migration: { nested: { nesting: "single", attributes: migrationAttributes }, description: "How other hosts reach this one for live migration.", optional: true },
    pool: { nested: { nesting: "map", attributes: poolAttributes }, description: "Storage pools, by name.", optional: true },
    volume: { nested: { nesting: "map", attributes: volumeAttributes }, description: "Volumes, by pool/name.", optional: true },
    domain: { nested: { nesting: "map", attributes: domainAttributes }, description: "Domains, by name.", optional: true },
  },
};

/**
 * The provider's configuration: the program's host directory, once per stack. Each `xen_host`
 * holds its own declaration only; what it needs of the others — where a domain it declares may
 * still run (a move, never a second boot), which domains it must leave alone because they are
 * declared elsewhere, which shared pools another host declares too — comes from here. Keeping
 * it out of the resources keeps Terraform's cost linear in hosts (it was hosts² as a per-resource
 * `peers` map: 1.7 of 4.4 MB of cdk.tf.json at 50 hosts).
 */
export const PROVIDER_SCHEMA: Schema = {
  version: 0,
  attributes: {
    hosts: {
      nested: { nesting: "map", attributes: directoryAttributes },
      description: "Every host of the program, by host id: connection, migration settings, pools and domain names.",
      optional: true,
    },
  },
};
