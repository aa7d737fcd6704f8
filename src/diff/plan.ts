/**
 * Plans are data: what the diff engine decided, as a discriminated union of actions the
 * reconciler executes, the simulator models and the formatter prints. Nothing here runs
 * anything.
 *
 * Every action carries `kind` (what to do), `class` (how it takes effect), `host`, its
 * subject (`domain` or `volume`), and a `reason` a person understands. Actions that change
 * one property carry `property`, `old` and `new`, typed per kind. The two restart actions
 * carry a list of {@link NextBootChange}s instead, each with its own property/old/new,
 * because one restart applies many changes at once.
 *
 * See docs/plan-schema.md for the JSON form of every field.
 */
import type {
  DiskSpec,
  DomainSpec,
  DomainType,
  MigrationPolicy,
  PoolSpec,
  ShutdownAction,
  VifSpec,
  VolumeSpec,
} from "../model/spec.js";
import type { LiveDisk, LiveVif, RunState } from "../xl/live.js";

/**
 * How an action takes effect. Every plan action has exactly one class.
 * - `create`: brings into existence something that is missing — a volume, a config file, a
 *   domain (`xl create`, also to start a declared domain that is not running), an autostart link.
 * - `live`: changes something that exists, now, without rebooting a guest — `xl mem-set`,
 *   `vcpu-set`, `vcpu-pin`, `sched-credit2`, block/network attach and detach, volume growth,
 *   and the atomic rewrite of a config file (which persists every live change).
 * - `move`: the domain's declared host changed: it leaves the old host for this one, by live
 *   migration (`xl migrate`) or cold (stop, copy its local volumes, start here), as its
 *   migration policy says. Only in plans made across hosts ({@link MoveDomainAction}).
 * - `delete`: removes something the declared state no longer wants: an autostart link. (The
 *   diff never deletes a domain, a config file or a volume: destroys come from Terraform's
 *   destroy-time provisioners.)
 * - `restart`: the domain is shut down and created again from its (rewritten) config file,
 *   because some change only takes effect at boot and its update policy is `restart`.
 * - `pending`: such boot-time changes under the `pending` update policy: reported, NOT
 *   executed; they take effect the next time the domain boots.
 * - `refused`: a change that would lose data or cannot work (shrinking a volume, a missing
 *   bridge, a name taken by a domain cdktf-xen does not manage, a move whose disks are not on
 *   shared storage): never executed; says why and how to fix it.
 * - `report`: a notice about something the diff leaves alone (an unmanaged domain, a managed
 *   config file no spec declares, a crashed domain).
 *
 * There is no `replace` class: a domain's identity is its name on its host, and a different
 * name is a different domain. A rename is a Terraform replacement of the domain's identity
 * resource; in a host's plan it shows up as a create of the new name plus a report of the old
 * one, whose destroy-domain provisioner removes it. A move to another host is planned across
 * hosts (diff/move.ts): one `move` action in the new host's plan instead.
 */
export type ActionClass = "create" | "live" | "move" | "delete" | "restart" | "pending" | "refused" | "report";

/** Every class, in summary order. */
export const ACTION_CLASSES: readonly ActionClass[] = [
  "create",
  "live",
  "move",
  "delete",
  "restart",
  "pending",
  "refused",
  "report",
];

/** A volume by pool and name, as declared in {@link VolumeSpec}. */
export interface VolumeRef {
  readonly pool: string;
  readonly name: string;
}

/** Hard and soft affinity of one vCPU, as canonical CPU-list strings (`all`, `0-2,5`). */
export interface Affinity {
  readonly hard: string;
  readonly soft: string;
}

/** credit2 weight and cap. */
export interface SchedulerParams {
  readonly weight: number;
  readonly cap: number;
}

interface ActionBase {
  /** Logical host id ({@link HostSpec.host}). */
  readonly host: string;
  /** One or two sentences for a person: what changes and why this way. */
  readonly reason: string;
}

interface DomainActionBase extends ActionBase {
  /** Domain name on the host. */
  readonly domain: string;
}

interface VolumeActionBase extends ActionBase {
  readonly volume: VolumeRef;
}

interface RefusedBase {
  readonly class: "refused";
  /** What the user can do so the change becomes possible or unnecessary. */
  readonly fix: string;
}

// ---------------------------------------------------------------------------------------------
// Volumes

/** Create a missing volume: `lvcreate` in an LVM pool, a file (raw, or `qemu-img create` for qcow2) in a dir pool. The step first checks that its pool (volume group or directory) exists. */
export interface CreateVolumeAction extends VolumeActionBase {
  readonly kind: "create-volume";
  readonly class: "create";
  readonly property: "volume";
  readonly old: null;
  readonly new: { readonly sizeMiB: number; readonly format: DiskSpec["format"] };
  readonly pool: PoolSpec;
  /** Absolute path on dom0 of the new LV or file. */
  readonly path: string;
}

/**
 * Grow a volume: `lvextend` or a file resize. A running guest using it through blkback sees
 * the new size (blkback re-reads the device size and the guest's blkfront updates the disk's
 * capacity); the filesystem inside must still be grown by the guest.
 */
export interface GrowVolumeAction extends VolumeActionBase {
  readonly kind: "grow-volume";
  readonly class: "live";
  readonly property: "sizeMiB";
  /** Live size in MiB (may be fractional for a file). */
  readonly old: number;
  readonly new: number;
  readonly pool: PoolSpec;
  readonly path: string;
  readonly format: DiskSpec["format"];
  /** Running domains with this volume attached, sorted. */
  readonly inUseBy: readonly string[];
}

/** Refused: the declared size is smaller than the volume; shrinking would lose data. */
export interface RefuseVolumeShrinkAction extends VolumeActionBase, RefusedBase {
  readonly kind: "refuse-volume-shrink";
  readonly property: "sizeMiB";
  readonly old: number;
  readonly new: number;
}

/** Refused: a qcow2 image attached to a running domain cannot be resized safely. */
export interface RefuseVolumeResizeInUseAction extends VolumeActionBase, RefusedBase {
  readonly kind: "refuse-volume-resize-in-use";
  readonly property: "sizeMiB";
  readonly old: number;
  readonly new: number;
  readonly inUseBy: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Domains: files and lifecycle

/** Write the domain's config file atomically (temp file + rename) with `renderXlCfg(spec)`. */
export interface WriteConfigAction extends DomainActionBase {
  readonly kind: "write-config";
  /** `create` when there was no file, `live` when an existing file is rewritten. */
  readonly class: "create" | "live";
  readonly property: "config";
  /** Current content, or null when there is no file. */
  readonly old: string | null;
  readonly new: string;
  /** `${MANAGED_CONFIG_DIR}/NAME.cfg` */
  readonly path: string;
  /** xl.cfg settings whose value differs (or that appear or disappear), sorted. */
  readonly changedSettings: readonly string[];
}

/** `xl create` the domain from its managed config file: a new domain, or a declared domain that is not running. */
export interface CreateDomainAction extends DomainActionBase {
  readonly kind: "create-domain";
  readonly class: "create";
  readonly property: "state";
  /** Null: no such domain on the host. */
  readonly old: null;
  readonly new: "running";
  readonly configPath: string;
  /** The spec the config file was rendered from (what the domain will run). */
  readonly spec: DomainSpec;
}

// ---------------------------------------------------------------------------------------------
// Domains: live changes

/** `xl mem-set`: a new memory target within the domain's boot-time maxmem. */
export interface MemSetAction extends DomainActionBase {
  readonly kind: "mem-set";
  readonly class: "live";
  readonly property: "memoryMiB";
  readonly old: number;
  readonly new: number;
}

/** `xl vcpu-set`: vCPUs online, within the boot-time maxvcpus. */
export interface VcpuSetAction extends DomainActionBase {
  readonly kind: "vcpu-set";
  readonly class: "live";
  readonly property: "vcpus";
  readonly old: number;
  readonly new: number;
  /** More vCPUs than the host has pCPUs: xl refuses without `--ignore-host`. */
  readonly ignoreHost: boolean;
}

/** `xl vcpu-pin DOMAIN VCPU HARD SOFT` (also for an offline vCPU: its affinity is kept). */
export interface VcpuPinAction extends DomainActionBase {
  readonly kind: "vcpu-pin";
  readonly class: "live";
  readonly property: "affinity";
  readonly vcpu: number;
  readonly old: Affinity;
  readonly new: Affinity;
}

/** `xl sched-credit2 -d DOMAIN -w WEIGHT -c CAP`. */
export interface SchedCredit2Action extends DomainActionBase {
  readonly kind: "sched-credit2";
  readonly class: "live";
  readonly property: "scheduler";
  readonly old: SchedulerParams;
  readonly new: SchedulerParams;
}

/** `xl block-attach`: a disk declared but not attached. */
export interface BlockAttachAction extends DomainActionBase {
  readonly kind: "block-attach";
  readonly class: "live";
  readonly property: "disk";
  readonly vdev: string;
  readonly old: null;
  readonly new: DiskSpec;
}

/** `xl block-detach`: a disk attached but no longer declared (or changed: detach, then attach). */
export interface BlockDetachAction extends DomainActionBase {
  readonly kind: "block-detach";
  readonly class: "live";
  readonly property: "disk";
  readonly vdev: string;
  readonly old: LiveDisk;
  readonly new: null;
}

/** `xl network-attach` with `devid=N`. */
export interface NetworkAttachAction extends DomainActionBase {
  readonly kind: "network-attach";
  readonly class: "live";
  readonly property: "vif";
  readonly devid: number;
  readonly old: null;
  readonly new: VifSpec;
}

/** `xl network-detach DOMAIN DEVID`. */
export interface NetworkDetachAction extends DomainActionBase {
  readonly kind: "network-detach";
  readonly class: "live";
  readonly property: "vif";
  readonly devid: number;
  readonly old: LiveVif;
  readonly new: null;
}

// ---------------------------------------------------------------------------------------------
// Domains: changes that take effect at boot

interface NextBootBase {
  /** Why this property cannot change on the running domain. */
  readonly reason: string;
}

/** One setting that differs between the running domain and its declaration and takes effect only at boot. */
export type NextBootChange =
  | (NextBootBase & { readonly property: "type"; readonly old: DomainType; readonly new: DomainType })
  | (NextBootBase & {
      readonly property: "memoryMiB" | "maxMemoryMiB" | "vcpus" | "maxVcpus";
      readonly old: number;
      readonly new: number;
    })
  | (NextBootBase & {
      readonly property: "kernel" | "ramdisk" | "cmdline" | "bootloader" | "cpupool";
      readonly old: string | null;
      readonly new: string | null;
    })
  | (NextBootBase & {
      readonly property: "onPoweroff" | "onReboot" | "onCrash";
      readonly old: ShutdownAction;
      readonly new: ShutdownAction;
    })
  | (NextBootBase & {
      readonly property: "disk";
      readonly vdev: string;
      readonly old: LiveDisk | null;
      readonly new: DiskSpec | null;
    })
  | (NextBootBase & {
      readonly property: "vif";
      readonly devid: number;
      readonly old: LiveVif | null;
      readonly new: VifSpec | null;
    })
  // Settings `xl list -l` does not report in a comparable form: compared between the managed
  // config file (what the domain was last booted from) and the rendered one.
  | (NextBootBase & {
      readonly property: "cpuid" | "firmware" | "bootOrder" | "serial";
      readonly old: string | null;
      readonly new: string | null;
    })
  | (NextBootBase & { readonly property: "bootloaderArgs"; readonly old: readonly string[]; readonly new: readonly string[] })
  | (NextBootBase & { readonly property: "vnc"; readonly old: boolean; readonly new: boolean });

/** Every property a {@link NextBootChange} can name. */
export type NextBootProperty = NextBootChange["property"];

/**
 * Restart the domain (update policy `restart`): graceful `xl shutdown -w` with a timeout,
 * `xl destroy` if it does not stop, then `xl create` from the rewritten config file. It
 * applies every change in `changes` and every live difference of the domain at once, so the
 * plan holds no live action for a domain it restarts.
 */
export interface RestartDomainAction extends DomainActionBase {
  readonly kind: "restart-domain";
  readonly class: "restart";
  readonly changes: readonly NextBootChange[];
  readonly configPath: string;
  /** The spec the domain runs after the restart. */
  readonly spec: DomainSpec;
}

/** Boot-time changes under update policy `pending`: reported, not executed. */
export interface PendingRestartAction extends DomainActionBase {
  readonly kind: "pending-restart";
  readonly class: "pending";
  readonly changes: readonly NextBootChange[];
}

// ---------------------------------------------------------------------------------------------
// Autostart

/** Link `${AUTOSTART_DIR}/NAME.cfg` to the managed config file so dom0 starts the domain at boot. */
export interface LinkAutostartAction extends DomainActionBase {
  readonly kind: "link-autostart";
  readonly class: "create";
  readonly property: "autostart";
  readonly old: false;
  readonly new: true;
  readonly linkPath: string;
  readonly configPath: string;
}

/** Remove the autostart link. */
export interface UnlinkAutostartAction extends DomainActionBase {
  readonly kind: "unlink-autostart";
  readonly class: "delete";
  readonly property: "autostart";
  readonly old: true;
  readonly new: false;
  readonly linkPath: string;
}

// ---------------------------------------------------------------------------------------------
// Moves between hosts (planned across hosts by diff/move.ts, never by diffHost alone)

/** A local volume a cold move copies from the old host to the new one. */
export interface VolumeCopy {
  /** The guest's virtual device the volume backs, e.g. `xvda`. */
  readonly vdev: string;
  /** Absolute path on the source host (what the domain uses there). */
  readonly from: string;
  /** Absolute path on the target host (the declared volume's path). */
  readonly to: string;
  /** The target's pool the copy is made in. */
  readonly pool: PoolSpec;
  /** The target's declaration of the volume (its size is what is created there). */
  readonly volume: VolumeSpec;
}

/**
 * Move a domain whose declared host changed to this host (the plan's `host`), from `old`.
 * - `live`: `xl migrate` from the source; the guest keeps running. Its disks are on shared
 *   storage at the same path on both hosts, so nothing is copied (`copies` is empty).
 * - `cold`: shut it down on the source, copy `copies` (verified), start it here.
 * Either way the config file (rendered from `spec`) and the autostart link move with it.
 * When the domain does not run on the source (`running` false) nothing is stopped or
 * migrated: its volumes are copied (cold) and its config file moves.
 */
export interface MoveDomainAction extends DomainActionBase {
  readonly kind: "move-domain";
  readonly class: "move";
  readonly property: "host";
  /** Source host id ({@link HostSpec.host}). */
  readonly old: string;
  /** Target host id: the plan's host. */
  readonly new: string;
  readonly method: "live" | "cold";
  /** The domain runs on the source; false when only its managed config file is there. */
  readonly running: boolean;
  /** Free memory the target needs, MiB: the domain's current memory (live), else its declared memory. */
  readonly memoryMiB: number;
  /** Volumes a cold move copies, by vdev; empty for a live move. */
  readonly copies: readonly VolumeCopy[];
  /** `${MANAGED_CONFIG_DIR}/NAME.cfg`, on both hosts. */
  readonly configPath: string;
  /** The target's declaration: the config file is rendered from it. */
  readonly spec: DomainSpec;
}

/**
 * Which pre-check of a move failed ({@link RefuseMoveAction.check}).
 * - `policy`: the domain's migration policy is `refuse`.
 * - `pv-shadow`: live migration of a PV domain, and the source's Xen has no shadow paging.
 * - `source-state`: the domain exists on the source but is shut down, crashed or dying.
 * - `source-config`: the domain does not run on the source and its config file there cannot be read.
 * - `disk`: one disk (`item` is its vdev) cannot move this way.
 * - `bridge`: a declared vif's bridge (`item`) is missing on the target.
 * - `memory`: the target has too little free memory.
 * - `pins`: a pin names a pCPU the target does not have.
 * - `name`: a domain cdktf-xen does not manage has the name on the target.
 * - `ambiguous`: several hosts hold a config file for the domain without declaring it.
 * - `both`: the domain runs on the target already (managed there), and another host still holds it.
 */
export type MoveCheck =
  | "policy"
  | "pv-shadow"
  | "source-state"
  | "source-config"
  | "disk"
  | "bridge"
  | "memory"
  | "pins"
  | "name"
  | "ambiguous"
  | "both";

/**
 * Refused: the move of a domain to this host fails one pre-check; one action per failed
 * check, so every problem shows at once. Nothing happens on either host, and the target does
 * not create the domain (it would boot a second copy of the guest).
 */
export interface RefuseMoveAction extends DomainActionBase, RefusedBase {
  readonly kind: "refuse-move";
  readonly property: "host";
  /** Source host id; null when several hosts hold the domain (`check` ambiguous, see `sources`). */
  readonly old: string | null;
  /** Target host id: the plan's host. */
  readonly new: string;
  /** Every host holding a config file for the domain without declaring it, sorted. */
  readonly sources: readonly string[];
  /** The domain's migration policy. */
  readonly method: MigrationPolicy;
  readonly check: MoveCheck;
  /** What the check is about: the vdev (`disk`), the bridge (`bridge`); null otherwise. */
  readonly item: string | null;
}

// ---------------------------------------------------------------------------------------------
// Refusals and reports about domains

/** Refused: a domain with the declared name runs, but cdktf-xen has no config file for it. */
export interface RefuseNameConflictAction extends DomainActionBase, RefusedBase {
  readonly kind: "refuse-name-conflict";
  readonly property: "domain";
  readonly old: RunState;
  readonly new: "running";
}

/** Refused: a declared vif names a bridge dom0 does not have; what needs it is not done. */
export interface RefuseMissingBridgeAction extends DomainActionBase, RefusedBase {
  readonly kind: "refuse-missing-bridge";
  readonly property: "vif";
  readonly devid: number;
  readonly old: null;
  readonly new: string;
  /** Actions left out because of it. */
  readonly blocks: readonly ("create-domain" | "restart-domain" | "network-attach")[];
}

/** Refused: weight/cap differ but the host's scheduler is not credit2. */
export interface RefuseSchedulerAction extends DomainActionBase, RefusedBase {
  readonly kind: "refuse-scheduler";
  readonly property: "scheduler";
  readonly old: SchedulerParams;
  readonly new: SchedulerParams;
  readonly hostScheduler: string;
}

/** Report: a domain runs that no spec declares and cdktf-xen has no config file for. Never touched. */
export interface ReportUnmanagedDomainAction extends DomainActionBase {
  readonly kind: "report-unmanaged-domain";
  readonly class: "report";
  readonly property: "domain";
  readonly old: RunState;
  readonly new: null;
}

/** Report: a managed config file exists for a domain no spec declares (its destroy is Terraform's). */
export interface ReportUndeclaredDomainAction extends DomainActionBase {
  readonly kind: "report-undeclared-domain";
  readonly class: "report";
  readonly property: "domain";
  /** Its run state, or null when it does not run. */
  readonly old: RunState | null;
  readonly new: null;
  readonly configPath: string;
}

/** Report: a declared domain exists but is shut down, crashed or dying; no live change is attempted. */
export interface ReportInactiveDomainAction extends DomainActionBase {
  readonly kind: "report-inactive-domain";
  readonly class: "report";
  readonly property: "state";
  readonly old: RunState;
  readonly new: "running";
}

/** Everything a plan can hold. */
export type Action =
  | CreateVolumeAction
  | GrowVolumeAction
  | RefuseVolumeShrinkAction
  | RefuseVolumeResizeInUseAction
  | WriteConfigAction
  | CreateDomainAction
  | MemSetAction
  | VcpuSetAction
  | VcpuPinAction
  | SchedCredit2Action
  | BlockAttachAction
  | BlockDetachAction
  | NetworkAttachAction
  | NetworkDetachAction
  | RestartDomainAction
  | PendingRestartAction
  | LinkAutostartAction
  | UnlinkAutostartAction
  | MoveDomainAction
  | RefuseMoveAction
  | RefuseNameConflictAction
  | RefuseMissingBridgeAction
  | RefuseSchedulerAction
  | ReportUnmanagedDomainAction
  | ReportUndeclaredDomainAction
  | ReportInactiveDomainAction;

/** Every action kind. */
export type ActionKind = Action["kind"];

/** Actions about a volume. */
export type VolumeAction = Extract<Action, { readonly volume: VolumeRef }>;
/** Actions about a domain. */
export type DomainAction = Exclude<Action, VolumeAction>;

/** How many actions of each class a plan holds. */
export type PlanSummary = { readonly [C in ActionClass]: number };

/** The ordered, minimal set of actions that brings one host to its declared state. */
export interface Plan {
  readonly host: string;
  /** In execution order (see {@link diffHost}). */
  readonly actions: readonly Action[];
  readonly summary: PlanSummary;
}

/** Compile-time exhaustiveness: a `switch` over a union ends with `default: return assertNever(x)`. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

/**
 * True when the reconciler carries the action out: classes create, live, move, delete and
 * restart. Pending notices, refusals and reports are never executed.
 */
export function isExecutable(action: Action): boolean {
  switch (action.class) {
    case "create":
    case "live":
    case "move":
    case "delete":
    case "restart":
      return true;
    case "pending":
    case "refused":
    case "report":
      return false;
    default:
      return assertNever(action);
  }
}

/** True for the actions about a volume (they carry `volume`, the others `domain`). */
export function isVolumeAction(action: Action): action is VolumeAction {
  return "volume" in action;
}

/** The subject an action is about: `domain NAME` or `volume POOL/NAME`. */
export function actionSubject(action: Action): string {
  return isVolumeAction(action)
    ? `volume ${action.volume.pool}/${action.volume.name}`
    : `domain ${action.domain}`;
}

/** Counts actions per class. */
export function summarize(actions: readonly Action[]): PlanSummary {
  const counts: Record<ActionClass, number> = {
    create: 0,
    live: 0,
    move: 0,
    delete: 0,
    restart: 0,
    pending: 0,
    refused: 0,
    report: 0,
  };
  for (const action of actions) counts[action.class] += 1;
  return counts;
}

/** Builds a {@link Plan} from ordered actions. */
export function makePlan(host: string, actions: readonly Action[]): Plan {
  return { host, actions, summary: summarize(actions) };
}

/** The actions the reconciler would execute. */
export function executableActions(plan: Plan): readonly Action[] {
  return plan.actions.filter(isExecutable);
}

/** True when applying the plan would change something on the host. */
export function hasExecutableActions(plan: Plan): boolean {
  return plan.actions.some(isExecutable);
}
