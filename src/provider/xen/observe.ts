/**
 * What a host has, in the declaration's own terms: the heart of honest plans and of drift.
 *
 * The diff engine already knows, with every tolerance Xen needs (LVM extents, the balloon
 * driver, offline vCPUs), where a host differs from its declaration. Instead of a second,
 * subtly different "live → spec" reader, the state a refresh stores is the declaration with
 * each live difference written back as the value the host really has: an `xl mem-set` by hand
 * turns `memory_mib` back into what dom0 reports, a missing domain disappears from the map.
 * Terraform then compares that with the configuration and plans exactly the attributes that
 * differ. Boot-time settings under update policy `pending` are not drift but a known state
 * of affairs: they go to `pending_restart`, so a host waiting for its next reboot plans empty.
 *
 * Pure: plans, specs and live data in, attribute values out.
 */
import type { Action, NextBootChange, Plan } from "../../diff/plan.js";
import type { DomainSpec, HostSpec } from "../../model/spec.js";
import type { LiveDomain, LiveHost } from "../../xl/live.js";
import { domainAttributes, volumeKey, type Attrs } from "./convert.js";

/** Terraform attribute of each next-boot property (disk and vif are lists, handled apart). */
const NEXT_BOOT_ATTRIBUTE: { readonly [P in NextBootChange["property"]]: string } = {
  type: "type",
  memoryMiB: "memory_mib",
  maxMemoryMiB: "max_memory_mib",
  vcpus: "vcpus",
  maxVcpus: "max_vcpus",
  kernel: "kernel",
  ramdisk: "ramdisk",
  cmdline: "cmdline",
  bootloader: "bootloader",
  cpupool: "cpupool",
  onPoweroff: "on_poweroff",
  onReboot: "on_reboot",
  onCrash: "on_crash",
  disk: "disk",
  vif: "vif",
  cpuid: "cpuid",
  firmware: "firmware",
  bootOrder: "boot_order",
  serial: "hvm_serial",
  bootloaderArgs: "bootloader_args",
  vnc: "hvm_vnc",
};

/** The Terraform attribute a next-boot change is about, e.g. `kernel`, `disk[xvdb]`. */
export function nextBootAttribute(c: NextBootChange): string {
  if (c.property === "disk") return `disk[${c.vdev}]`;
  if (c.property === "vif") return `vif[${String(c.devid)}]`;
  return NEXT_BOOT_ATTRIBUTE[c.property];
}

/** Settings waiting for the domain's next boot, sorted and unique (the `pending_restart` value). */
export function pendingRestart(plan: Plan, domain: string): string[] {
  const out = new Set<string>();
  for (const a of plan.actions) {
    if (a.kind === "pending-restart" && a.domain === domain) for (const c of a.changes) out.add(nextBootAttribute(c));
  }
  return [...out].sort();
}

/** The IP addresses the host knows per domain name (see ./guest-addresses.ts). */
export type AddressBook = ReadonlyMap<string, readonly string[]>;

/** Computed attributes of a domain from the live host. */
export function computedOf(live: LiveDomain | undefined, plan: Plan, name: string, addresses: AddressBook): Attrs {
  return {
    domid: live?.domid ?? null,
    uuid: live?.uuid ?? null,
    state: live?.state ?? null,
    mac_addresses: live === undefined ? [] : [...live.vifs].sort((a, b) => a.devid - b.devid).map((v) => v.mac ?? ""),
    ip_addresses: [...(addresses.get(name) ?? [])],
    pending_restart: pendingRestart(plan, name),
  };
}

function liveDiskAttrs(d: { vdev: string; target: string; format: string; access: string; devtype: string }, volume: string | null): Attrs {
  return { vdev: d.vdev, target: d.target, format: d.format, access: d.access, devtype: d.devtype, volume };
}

/** Writes one executable or refused action's live side into a domain's attributes. */
function observeDomainAction(attrs: Attrs, a: Action): void {
  switch (a.kind) {
    case "mem-set":
      attrs["memory_mib"] = a.old;
      return;
    case "vcpu-set":
      attrs["vcpus"] = a.old;
      return;
    case "sched-credit2":
    case "refuse-scheduler":
      attrs["weight"] = a.old.weight;
      attrs["cap"] = a.old.cap;
      return;
    case "vcpu-pin": {
      const pins = (attrs["pin"] as Attrs[]).filter((p) => p["vcpu"] !== a.vcpu);
      if (a.old.hard !== "all" || a.old.soft !== "all") pins.push({ vcpu: a.vcpu, hard: a.old.hard, soft: a.old.soft });
      attrs["pin"] = pins.sort((x, y) => (x["vcpu"] as number) - (y["vcpu"] as number));
      return;
    }
    case "block-attach":
      attrs["disk"] = (attrs["disk"] as Attrs[]).filter((d) => d["vdev"] !== a.vdev);
      return;
    case "block-detach": {
      const disks = (attrs["disk"] as Attrs[]).filter((d) => d["vdev"] !== a.vdev);
      disks.push(liveDiskAttrs(a.old, null));
      attrs["disk"] = disks.sort((x, y) => ((x["vdev"] as string) < (y["vdev"] as string) ? -1 : 1));
      return;
    }
    case "network-attach": {
      const vifs = [...(attrs["vif"] as Attrs[])];
      vifs.splice(a.devid, 1);
      attrs["vif"] = vifs;
      return;
    }
    case "network-detach": {
      const vifs = [...(attrs["vif"] as Attrs[])];
      vifs[a.devid] = { bridge: a.old.bridge, mac: a.old.mac, model: a.old.model, rate: a.old.rate };
      attrs["vif"] = vifs.filter((v) => v !== undefined);
      return;
    }
    case "link-autostart":
      attrs["autostart"] = false;
      return;
    case "unlink-autostart":
      attrs["autostart"] = true;
      return;
    case "restart-domain":
      // Policy `restart`: a boot-time setting the running domain lacks is drift that the next
      // apply corrects by a restart, so it shows as the value the domain runs with.
      for (const c of a.changes) {
        if (c.property === "disk" || c.property === "vif") continue;
        attrs[NEXT_BOOT_ATTRIBUTE[c.property]] = c.old as unknown;
      }
      return;
    default:
      return;
  }
}

/** A domain's refreshed attributes, or null when the host has neither the domain nor its config file. */
export function observeDomain(spec: DomainSpec, plan: Plan, live: LiveHost, addresses: AddressBook): Attrs | null {
  const running = live.domains.find((d) => d.name === spec.name);
  const hasConfig = live.configFiles.some((f) => f.name === spec.name);
  if (running === undefined && !hasConfig) return null;
  const attrs = domainAttributes(spec);
  for (const a of plan.actions) {
    if ("domain" in a && a.domain === spec.name) observeDomainAction(attrs, a);
  }
  return { ...attrs, ...computedOf(running, plan, spec.name, addresses) };
}

/** A volume's refreshed attributes, or null when it does not exist. */
export function observeVolume(spec: HostSpec["volumes"][number], plan: Plan): Attrs | null {
  const key = volumeKey(spec);
  let size = spec.sizeMiB;
  for (const a of plan.actions) {
    if (!("volume" in a) || volumeKey(a.volume) !== key) continue;
    if (a.kind === "create-volume") return null;
    if (a.kind === "grow-volume" || a.kind === "refuse-volume-shrink" || a.kind === "refuse-volume-resize-in-use") {
      // LVM rounds up to whole extents and files may be fractional MiB: show whole MiB.
      size = Math.floor(a.old);
    }
  }
  return { pool: spec.pool, name: spec.name, size_mib: size, format: spec.format, retention: spec.retention };
}
