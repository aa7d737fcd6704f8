/**
 * A cdktf-xen stack synthesized for real (cdktf App + our constructs) whose one XenHost is the
 * FAKE Xen host behind a {@link FakeXenRig}: what `cdktf-xen plan|apply <stack-dir>` and the
 * provisioner entry points read in the CLI tests and the benchmark.
 *
 * Free of vitest so that bench/ can use it too.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, DomainType, Size, TerraformStack, XenDomain, XenHost, XenStoragePool, XenVcpuPin, XenVolume } from "../../../src/index.js";
import type { HostConnection, RetentionPolicy } from "../../../src/model/spec.js";
import { FAKE_VG } from "./index.js";

/** Name of the synthesized stack; the host id is `${STACK_NAME}/xen-a`. */
export const STACK_NAME = "fake-fleet";
/** The XenHost construct path. */
export const STACK_HOST_ID = `${STACK_NAME}/xen-a`;

/** One domain of the stack. */
export interface StackDomain {
  readonly name: string;
  /** @default 256 */
  readonly memoryMiB?: number;
  /** @default 512 */
  readonly maxMemoryMiB?: number;
  /** @default 1 */
  readonly vcpus?: number;
  /** @default 2 */
  readonly maxVcpus?: number;
  /** Root volume size. @default 256 */
  readonly diskMiB?: number;
  /** Hard pins by vCPU. @default - none */
  readonly pins?: Readonly<Record<number, string>>;
  /** Retention of the root volume. @default "retain" */
  readonly retention?: RetentionPolicy;
}

/**
 * Synthesizes a stack with one host reached through `connection`, an LVM pool on the fake's
 * volume group, and per domain a root volume and the domain (PV, direct kernel boot, no vif).
 * @returns the stack directory holding cdk.tf.json
 */
export function synthFakeStack(outdir: string, connection: HostConnection, domains: readonly StackDomain[]): string {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, STACK_NAME);
  const host = new XenHost(stack, "xen-a", {
    address: connection.address,
    port: connection.port,
    user: connection.user,
    ...(connection.privateKeyPath === null ? {} : { privateKeyPath: connection.privateKeyPath }),
    ...(connection.hostKey === null ? { knownHostsFile: connection.knownHostsFile! } : { hostKey: connection.hostKey }),
  });
  const pool = new XenStoragePool(stack, "vg", { host, lvmVolumeGroup: FAKE_VG });
  for (const d of domains) {
    const root = new XenVolume(stack, `${d.name}-root`, {
      pool,
      size: Size.mebibytes(d.diskMiB ?? 256),
      ...(d.retention === undefined ? {} : { retention: d.retention }),
    });
    const domain = new XenDomain(stack, d.name, {
      host,
      name: d.name,
      type: DomainType.PV,
      vcpus: d.vcpus ?? 1,
      maxVcpus: d.maxVcpus ?? 2,
      memory: Size.mebibytes(d.memoryMiB ?? 256),
      maxMemory: Size.mebibytes(d.maxMemoryMiB ?? 512),
      kernel: "/var/lib/xen/boot/vmlinuz-guest",
      cmdline: "console=hvc0 root=/dev/xvda",
      disks: [{ volume: root, vdev: "xvda" }],
    });
    if (d.pins !== undefined) new XenVcpuPin(stack, `${d.name}-pins`, { domain, pins: d.pins });
  }
  app.synth();
  return join(outdir, "stacks", STACK_NAME);
}

/** A resource of the synthesized stack with the given marker, and its recorded input. */
export function stackResource(
  stackDir: string,
  kind: "host" | "domain" | "volume",
  name?: string,
): { readonly address: string; readonly input: Record<string, unknown>; readonly triggers: Record<string, unknown> } {
  const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as {
    resource: { terraform_data: Record<string, { input: Record<string, unknown>; triggers_replace: Record<string, unknown> }> };
  };
  for (const [id, r] of Object.entries(json.resource.terraform_data)) {
    if (r.triggers_replace?.cdktf_xen !== kind || r.input?.cdktf_xen !== kind) continue;
    if (name !== undefined && r.input.name !== name && (r.input.volume as { name?: string } | undefined)?.name !== name) continue;
    return { address: `terraform_data.${id}`, input: r.input, triggers: r.triggers_replace };
  }
  throw new Error(`no ${kind} resource${name === undefined ? "" : ` ${name}`} in ${stackDir}/cdk.tf.json`);
}
