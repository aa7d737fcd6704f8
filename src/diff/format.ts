/**
 * A plan for people (Terraform-like text) and for programs (JSON, docs/plan-schema.md).
 *
 * Text: one block per host, then the volumes and domains it touches, each action on one line
 * with a symbol and its reason below it:
 *   `+` create or attach, `~` change in place, `»` move from another host, `-` remove or
 *   detach, `⟳` restart, `…` pending until the next boot, `!` refused (with the fix), `#` notice.
 * Lines within a subject keep the plan's execution order; the JSON form lists the whole plan
 * in execution order.
 */
import type { DiskSpec, VifSpec } from "../model/spec.js";
import type { LiveDisk, LiveVif } from "../xl/live.js";
import { compareStrings, formatMiB } from "./diff.js";
import {
  ACTION_CLASSES,
  actionSubject,
  assertNever,
  isExecutable,
  isVolumeAction,
  type Action,
  type ActionClass,
  type MoveDomainAction,
  type NextBootChange,
  type Plan,
  type PlanSummary,
  type RefuseMoveAction,
} from "./plan.js";
import { changedSettings } from "./config-changes.js";
import { shellCommand } from "../xl/shell.js";

/** Version of the JSON plan document; bumped on an incompatible change (see docs/plan-schema.md). */
export const PLAN_FORMAT_VERSION = 1 as const;

/** Options of {@link formatPlan}. */
export interface FormatOptions {
  /**
   * Colour the output with ANSI escapes; callers pass true when writing to a terminal.
   * @default false
   */
  readonly color?: boolean;
}

type Style = "create" | "change" | "move" | "remove" | "restart" | "pending" | "refused" | "report" | "dim" | "bold";

const ANSI: Record<Style, string> = {
  create: "\u001b[32m",
  change: "\u001b[33m",
  move: "\u001b[34m",
  remove: "\u001b[31m",
  restart: "\u001b[35m",
  pending: "\u001b[36m",
  refused: "\u001b[1;31m",
  report: "\u001b[2m",
  dim: "\u001b[2m",
  bold: "\u001b[1m",
};
const RESET = "\u001b[0m";

interface Line {
  readonly symbol: string;
  readonly style: Style;
  readonly text: string;
  /** Nested lines (the settings of a config rewrite, the changes of a restart). */
  readonly details: readonly string[];
}

/** The plan as Terraform-like text, ending with its summary line and a newline. */
export function formatPlan(plan: Plan, options: FormatOptions = {}): string {
  return formatPlans([plan], options);
}

/** Several hosts' plans, one block each, then one summary line for all of them. */
export function formatPlans(plans: readonly Plan[], options: FormatOptions = {}): string {
  const color = options.color ?? false;
  const paint = (style: Style, text: string): string => (color ? `${ANSI[style]}${text}${RESET}` : text);
  const out: string[] = [];
  for (const plan of plans) {
    if (plan.actions.length === 0) continue;
    out.push(paint("bold", `host ${plan.host}`));
    for (const [subject, actions] of groupBySubject(plan.actions)) {
      out.push(`  ${paint("bold", subject)}`);
      for (const action of actions) {
        const line = describe(action);
        out.push(`    ${paint(line.style, `${line.symbol} ${line.text}`)}`);
        for (const d of line.details) out.push(`        ${paint(line.style, d)}`);
        out.push(`        ${paint("dim", action.reason)}`);
        if (action.class === "refused") out.push(`        ${paint("bold", "fix:")} ${action.fix}`);
      }
    }
    out.push("");
  }
  out.push(summaryLine(sumSummaries(plans.map((p) => p.summary))));
  return `${out.join("\n")}\n`;
}

/**
 * One action on one line, its subject first: `domain web-1: move xen-a → xen-b (live)`,
 * `volume vg0/web-1-root: size: 256 MiB → 512 MiB` (for logs and messages; no reason, no colour).
 */
export function describeAction(action: Action): string {
  return `${actionSubject(action)}: ${describe(action).text}`;
}

/** Volumes (by pool, then name) first, then domains (by name); actions keep plan order within a subject. */
function groupBySubject(actions: readonly Action[]): [string, Action[]][] {
  const groups = new Map<string, { order: string; actions: Action[] }>();
  for (const a of actions) {
    const subject = actionSubject(a);
    const order = isVolumeAction(a) ? `0 ${a.volume.pool}\u0000${a.volume.name}` : `1 ${a.domain}`;
    const g = groups.get(subject) ?? { order, actions: [] };
    g.actions.push(a);
    groups.set(subject, g);
  }
  return [...groups.entries()]
    .sort(([, a], [, b]) => compareStrings(a.order, b.order))
    .map(([subject, g]) => [subject, g.actions]);
}

/** The summary sentence: "Plan: 1 to create, 3 to change in place, 1 to move, 1 restart, 1 refused." */
export function summaryLine(summary: PlanSummary): string {
  const words: Record<ActionClass, (n: number) => string> = {
    create: (n) => `${n} to create`,
    live: (n) => `${n} to change in place`,
    move: (n) => `${n} to move`,
    delete: (n) => `${n} to remove`,
    restart: (n) => `${n} ${n === 1 ? "restart" : "restarts"}`,
    pending: (n) => `${n} pending`,
    refused: (n) => `${n} refused`,
    report: (n) => `${n} ${n === 1 ? "notice" : "notices"}`,
  };
  const parts = ACTION_CLASSES.filter((c) => summary[c] > 0).map((c) => words[c](summary[c]));
  if (parts.length === 0) return "No changes. The host matches its declared state.";
  const executable = summary.create + summary.live + summary.move + summary.delete + summary.restart;
  return executable === 0 ? `Nothing to apply: ${parts.join(", ")}.` : `Plan: ${parts.join(", ")}.`;
}

function sumSummaries(summaries: readonly PlanSummary[]): PlanSummary {
  const total: Record<ActionClass, number> = { create: 0, live: 0, move: 0, delete: 0, restart: 0, pending: 0, refused: 0, report: 0 };
  for (const s of summaries) for (const c of ACTION_CLASSES) total[c] += s[c];
  return total;
}

function describe(a: Action): Line {
  const line = (symbol: string, style: Style, text: string, details: readonly string[] = []): Line => ({ symbol, style, text, details });
  switch (a.kind) {
    case "create-volume":
      return line("+", "create", `create ${a.new.sizeMiB} MiB ${a.new.format} volume at ${a.path}`);
    case "grow-volume":
      return line("~", "change", `size: ${formatMiB(a.old)} MiB → ${a.new} MiB`);
    case "refuse-volume-shrink":
      return line("!", "refused", `size: ${formatMiB(a.old)} MiB → ${a.new} MiB (refused: shrink)`);
    case "refuse-volume-resize-in-use":
      return line("!", "refused", `size: ${formatMiB(a.old)} MiB → ${a.new} MiB (refused: in use by ${a.inUseBy.join(", ")})`);
    case "write-config": {
      if (a.old === null) return line("+", "create", `config file ${a.path}`);
      const changed = changedSettings(a.old, a.new);
      return line(
        "~",
        "change",
        `config file ${a.path}`,
        changed.map((c) => `${c.key}: ${c.old ?? "(unset)"} → ${c.new ?? "(unset)"}`),
      );
    }
    case "create-domain":
      return line("+", "create", shellCommand(["xl", "create", a.configPath]));
    case "mem-set":
      return line("~", "change", `memory: ${a.old} MiB → ${a.new} MiB (xl mem-set)`);
    case "vcpu-set":
      return line("~", "change", `vcpus: ${a.old} → ${a.new} (xl vcpu-set${a.ignoreHost ? " --ignore-host" : ""})`);
    case "vcpu-pin":
      return line("~", "change", `vcpu ${a.vcpu} affinity: ${a.old.hard} / ${a.old.soft} → ${a.new.hard} / ${a.new.soft} (xl vcpu-pin)`);
    case "sched-credit2":
      return line("~", "change", `credit2 weight/cap: ${a.old.weight}/${a.old.cap} → ${a.new.weight}/${a.new.cap} (xl sched-credit2)`);
    case "block-attach":
      return line("+", "create", `disk ${a.vdev}: ${describeDisk(a.new)} (xl block-attach)`);
    case "block-detach":
      return line("-", "remove", `disk ${a.vdev}: ${describeDisk(a.old)} (xl block-detach)`);
    case "network-attach":
      return line("+", "create", `vif ${a.devid}: ${describeVif(a.new)} (xl network-attach)`);
    case "network-detach":
      return line("-", "remove", `vif ${a.devid}: ${describeVif(a.old)} (xl network-detach)`);
    case "restart-domain":
      return line("⟳", "restart", "restart (xl shutdown, then xl create)", a.changes.map(describeChange));
    case "pending-restart":
      return line("…", "pending", "pending until the next boot", a.changes.map(describeChange));
    case "link-autostart":
      return line("+", "create", `autostart link ${a.linkPath} → ${a.configPath}`);
    case "unlink-autostart":
      return line("-", "remove", `autostart link ${a.linkPath}`);
    case "move-domain":
      return line("»", "move", moveText(a.old, a.new, moveDetails(a)));
    case "refuse-move":
      return line("!", "refused", moveText(a.old ?? `(${a.sources.join(" or ")})`, a.new, `${a.method}; refused: ${refusedCheck(a)}`));
    case "refuse-name-conflict":
      return line("!", "refused", `name taken by a domain cdktf-xen does not manage (${a.old})`);
    case "refuse-missing-bridge":
      return line("!", "refused", `vif ${a.devid}: bridge ${a.new} does not exist on dom0`);
    case "refuse-scheduler":
      return line("!", "refused", `credit2 weight/cap: ${a.old.weight}/${a.old.cap} → ${a.new.weight}/${a.new.cap} (host scheduler: ${a.hostScheduler})`);
    case "report-unmanaged-domain":
      return line("#", "report", `not managed by cdktf-xen (${a.old}): left untouched`);
    case "report-undeclared-domain":
      return line("#", "report", `no longer declared (${a.old ?? "not running"}): left for Terraform's destroy`);
    case "report-inactive-domain":
      return line("#", "report", `domain is ${a.old}: left as it is`);
    default:
      return assertNever(a);
  }
}

/** `move xen-a → xen-b (live)`. */
function moveText(from: string, to: string, details: string): string {
  return `move ${from} → ${to} (${details})`;
}

/** `live`, `cold, copies 1 volume: vg0/web-1-root 256 MiB`, with `; not running` when nothing runs on the source. */
function moveDetails(a: MoveDomainAction): string {
  const parts: string[] = [a.method];
  if (a.copies.length > 0) {
    parts.push(`copies ${a.copies.length} ${a.copies.length === 1 ? "volume" : "volumes"}: ${a.copies.map((c) => `${c.volume.pool}/${c.volume.name} ${c.volume.sizeMiB} MiB`).join(", ")}`);
  }
  return `${parts.join(", ")}${a.running ? "" : "; not running"}`;
}

/** What a refused move's check is about, in a few words. */
function refusedCheck(a: RefuseMoveAction): string {
  switch (a.check) {
    case "policy":
      return "migration policy is refuse";
    case "pv-shadow":
      return `PV live migration needs shadow paging, which ${a.old ?? "the source"} lacks`;
    case "source-state":
      return `not running normally on ${a.old ?? "the source"}`;
    case "source-config":
      return `config file on ${a.old ?? "the source"} unreadable`;
    case "disk":
      return `disk ${a.item ?? "?"}`;
    case "bridge":
      return `bridge ${a.item ?? "?"} missing`;
    case "memory":
      return "not enough free memory";
    case "pins":
      return "pins name pCPUs the target lacks";
    case "name":
      return "name taken on the target";
    case "ambiguous":
      return `held by ${a.sources.join(" and ")}`;
    case "both":
      return "already runs on the target";
    default:
      return assertNever(a.check);
  }
}

function describeChange(c: NextBootChange): string {
  switch (c.property) {
    case "type":
    case "onPoweroff":
    case "onReboot":
    case "onCrash":
      return `${c.property}: ${c.old} → ${c.new}`;
    case "memoryMiB":
    case "maxMemoryMiB":
      return `${c.property === "memoryMiB" ? "memory" : "maxmem"}: ${c.old} MiB → ${c.new} MiB`;
    case "vcpus":
    case "maxVcpus":
      return `${c.property}: ${c.old} → ${c.new}`;
    case "kernel":
    case "ramdisk":
    case "cmdline":
    case "bootloader":
    case "cpupool":
      return `${c.property}: ${c.old ?? "(none)"} → ${c.new ?? "(none)"}`;
    case "disk":
      return `disk ${c.vdev}: ${c.old === null ? "(none)" : describeDisk(c.old)} → ${c.new === null ? "(none)" : describeDisk(c.new)}`;
    case "vif":
      return `vif ${c.devid}: ${c.old === null ? "(none)" : describeVif(c.old)} → ${c.new === null ? "(none)" : describeVif(c.new)}`;
    case "cpuid":
    case "firmware":
    case "bootOrder":
    case "serial":
      return `${c.property}: ${c.old ?? "(none)"} → ${c.new ?? "(none)"}`;
    case "bootloaderArgs":
      return `bootloaderArgs: [${c.old.join(" ")}] → [${c.new.join(" ")}]`;
    case "vnc":
      return `vnc: ${c.old ? "on" : "off"} → ${c.new ? "on" : "off"}`;
    default:
      return assertNever(c);
  }
}

function describeDisk(d: DiskSpec | LiveDisk): string {
  return `${d.target} (${d.format}, ${d.access}${d.devtype === "cdrom" ? ", cdrom" : ""})`;
}

function describeVif(v: VifSpec | LiveVif): string {
  const parts = [`bridge ${v.bridge}`];
  if (v.mac !== null) parts.push(`mac ${v.mac}`);
  if (v.model !== null) parts.push(`model ${v.model}`);
  if (v.rate !== null) parts.push(`rate ${v.rate}`);
  return parts.join(", ");
}

/** One action in the JSON document: the action's own fields plus `executable`. */
export type PlanJsonAction = Action & { readonly executable: boolean };

/** The JSON form of a plan (docs/plan-schema.md). */
export interface PlanDocument {
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  readonly host: string;
  /** True when the plan holds at least one executable action. */
  readonly hasChanges: boolean;
  readonly summary: PlanSummary;
  /** In execution order. */
  readonly actions: readonly PlanJsonAction[];
}

/** The JSON document of a plan (plain data; `JSON.stringify` it). */
export function planDocument(plan: Plan): PlanDocument {
  const actions = plan.actions.map((a) => ({ ...a, executable: isExecutable(a) }));
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    host: plan.host,
    hasChanges: actions.some((a) => a.executable),
    summary: plan.summary,
    actions,
  };
}

/** The plan as indented JSON text with a trailing newline. */
export function formatPlanJson(plan: Plan): string {
  return `${JSON.stringify(planDocument(plan), null, 2)}\n`;
}
