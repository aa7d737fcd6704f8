/**
 * A real OpenSSH sshd on loopback whose sessions find the FAKE Xen toolstack first on PATH,
 * plus builders of specs for it. The reconciler and the CLI talk to it exactly as to a dom0:
 * SSH, the login shell, `sh -s`, `timeout`, `flock` and the fake `xl`/LVM tools.
 *
 * Free of vitest so that bench/ can use it too.
 */
import type { DomainSpec, HostConnection, HostSpec, PoolSpec, RetentionPolicy, VolumeSpec } from "../../../src/model/spec.js";
import { Ssh2Transport } from "../../../src/ssh/ssh2-transport.js";
import { startSshd, type Sshd } from "../sshd.js";
import { FAKE_VG, FakeXen, type FakeHostOptions } from "./index.js";

/** Host id of the fake host in specs built here (a XenHost construct path). */
export const FAKE_HOST_ID = "stack/fake-xen-a";

/** The LVM pool of the fake host. */
export const FAKE_POOL: PoolSpec = { kind: "lvm", name: "vg", volumeGroup: FAKE_VG, shared: false };

/** An sshd whose sessions run the fake toolstack. */
export interface FakeXenRig {
  readonly sshd: Sshd;
  readonly fake: FakeXen;
  /** How to reach the fake host (pinned host key, the harness's client key), plus overrides. */
  connection(overrides?: Partial<HostConnection>): HostConnection;
  /** A new transport (its own SSH connection) to the fake host; close it when done. */
  transport(hostId?: string): Ssh2Transport;
  /** Stops sshd (and its sessions), then the fake. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the fake toolstack and an sshd that puts it first on PATH. */
export async function startFakeXenRig(options: FakeHostOptions = {}): Promise<FakeXenRig> {
  const fake = await FakeXen.start(options);
  let sshd: Sshd;
  try {
    sshd = await startSshd({ extraConfig: fake.sshdConfig() });
  } catch (e) {
    await fake.stop();
    throw e;
  }
  return {
    sshd,
    fake,
    connection: (overrides) => sshd.connection(overrides),
    transport: (hostId = FAKE_HOST_ID) => new Ssh2Transport({ hostId, connection: sshd.connection() }),
    stop: async () => {
      await sshd.stop();
      await fake.stop();
    },
  };
}

/** XenHost props that reach the fake host through `c` (a pinned key or a known_hosts file). */
export function fakeHostProps(c: HostConnection): { address: string; port: number; user: string; privateKeyPath?: string; hostKey?: string; knownHostsFile?: string } {
  return {
    address: c.address,
    port: c.port,
    user: c.user,
    ...(c.privateKeyPath === null ? {} : { privateKeyPath: c.privateKeyPath }),
    ...(c.hostKey === null ? {} : { hostKey: c.hostKey }),
    ...(c.knownHostsFile === null ? {} : { knownHostsFile: c.knownHostsFile }),
  };
}

/** The root volume of {@link fakeDomain} `name`. */
export function fakeRootVolume(name: string, sizeMiB = 256, retention: RetentionPolicy = "retain"): VolumeSpec {
  return { name: `${name}-root`, pool: FAKE_POOL.name, sizeMiB, format: "raw", retention };
}

/**
 * A PV domain on the fake host with a root disk on {@link fakeRootVolume}. No vif: this
 * machine has no bridge in /sys/class/net, which the snapshot reads, so a vif would be refused.
 */
export function fakeDomain(name: string, overrides: Partial<DomainSpec> = {}): DomainSpec {
  return {
    name,
    type: "pv",
    vcpus: 2,
    maxVcpus: 4,
    memoryMiB: 256,
    maxMemoryMiB: 512,
    boot: { kind: "kernel", kernel: "/var/lib/xen/boot/vmlinuz-guest", ramdisk: null, cmdline: "console=hvc0 root=/dev/xvda" },
    disks: [
      {
        vdev: "xvda",
        target: `/dev/${FAKE_VG}/${name}-root`,
        format: "raw",
        access: "rw",
        devtype: "disk",
        volume: `${FAKE_POOL.name}/${name}-root`,
      },
    ],
    vifs: [],
    onPoweroff: "destroy",
    onReboot: "restart",
    onCrash: "destroy",
    autostart: true,
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

/** A host spec of the fake host: its pool, the given domains and volumes. */
export function fakeHostSpec(domains: readonly DomainSpec[], volumes: readonly VolumeSpec[], host = FAKE_HOST_ID): HostSpec {
  return { version: 1, host, pools: [FAKE_POOL], volumes, domains };
}
