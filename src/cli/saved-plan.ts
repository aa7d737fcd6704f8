/**
 * Saved plans: what `cdktf-xen plan -out FILE` writes and `cdktf-xen apply FILE` carries out,
 * as Terraform's plan files. A saved plan holds, for every host that was read, the plan, a
 * hash of what was read from the host ({@link liveStateHash}) and a hash of its declaration;
 * the apply reads every host again and refuses the whole plan, before anything changes, when
 * a hash or a plan differs (see {@link stalePlanReasons}).
 */
import { createHash } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { StackHost } from "../constructs/stack-reader.js";
import { canonicalJson } from "../model/canonical.js";
import type { Plan } from "../diff/plan.js";
import { VERSION } from "../version.js";
import { CliError } from "./errors.js";

/** The `format` field of a saved plan. */
export const SAVED_PLAN_FORMAT = "cdktf-xen-plan";
/** The layout version of a saved plan. */
export const SAVED_PLAN_VERSION = 1;

/** One host of a saved plan. */
export interface SavedHost {
  readonly hostId: string;
  /** {@link declarationHash} of the host when the plan was made. */
  readonly declarationHash: string;
  /** {@link liveStateHash} of what was read from the host. */
  readonly liveHash: string;
  /** The host's plan (the fleet's: moves included). */
  readonly plan: Plan;
}

/** A saved plan. */
export interface SavedPlan {
  readonly format: typeof SAVED_PLAN_FORMAT;
  readonly formatVersion: typeof SAVED_PLAN_VERSION;
  /** The CLI that made it; another version refuses it (its diff engine may plan otherwise). */
  readonly cliVersion: string;
  /** ISO time the plan was made, for people. */
  readonly createdAt: string;
  /** Absolute path of the stack directory (holding cdk.tf.json). */
  readonly stackDir: string;
  /** Host ids the plan applies to (`--host`), in stack order. */
  readonly selected: readonly string[];
  /** Every host read: the selected ones and, for moves, the stack's others. */
  readonly hosts: readonly SavedHost[];
}

/** What a host's plan depends on in the stack: its spec, connection and migration settings. */
export function declarationHash(host: StackHost): string {
  return createHash("sha256")
    .update(canonicalJson({ hostId: host.hostId, spec: host.spec, connection: host.connection, migration: host.migration }))
    .digest("hex");
}

/** A host as read now, to compare with a saved one. */
export interface CurrentHost {
  readonly hostId: string;
  /** Null when the stack no longer declares the host. */
  readonly declarationHash: string | null;
  /** Null when the host was not read (not declared). */
  readonly liveHash: string | null;
  /** Null when the host was not read. */
  readonly plan: Plan | null;
}

/**
 * Why `saved` no longer holds for the hosts as they are now, one line per host that changed;
 * empty when every host's declaration, live state and plan are as saved. Pure.
 */
export function stalePlanReasons(saved: SavedPlan, current: readonly CurrentHost[]): string[] {
  const reasons: string[] = [];
  for (const s of saved.hosts) {
    const c = current.find((h) => h.hostId === s.hostId);
    if (c === undefined || c.declarationHash === null) {
      reasons.push(`host ${s.hostId} is no longer declared in the stack`);
    } else if (c.declarationHash !== s.declarationHash) {
      reasons.push(`host ${s.hostId}: its declaration in cdk.tf.json changed (cdktf synth ran again)`);
    } else if (c.liveHash !== s.liveHash) {
      reasons.push(`host ${s.hostId}: what it runs changed (its live state hash is ${short(c.liveHash)}, the plan read ${short(s.liveHash)})`);
    } else if (c.plan !== null && canonicalJson(c.plan) !== canonicalJson(s.plan)) {
      reasons.push(`host ${s.hostId}: planning it again gives another plan`);
    }
  }
  for (const c of current) {
    if (c.declarationHash !== null && !saved.hosts.some((s) => s.hostId === c.hostId)) {
      reasons.push(`host ${c.hostId} is declared in the stack now but was not when the plan was made`);
    }
  }
  return reasons;
}

function short(hash: string | null): string {
  return hash === null ? "unknown" : hash.slice(0, 12);
}

/** The error of a saved plan that no longer holds; nothing was changed. */
export function stalePlanError(file: string, saved: SavedPlan, reasons: readonly string[]): CliError {
  return new CliError(
    `the saved plan ${file} is stale, so nothing was applied`,
    reasons.join("; "),
    `plan again (cdktf-xen plan ${saved.stackDir} -out ${file}), review it, and apply the new plan`,
  );
}

/** Writes `plan` to `file` (atomically: a reader never sees half a plan). */
export async function writeSavedPlan(file: string, plan: SavedPlan): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, file);
}

/**
 * Reads a saved plan.
 * @throws CliError when the file is missing, not a saved plan, or made by another version
 */
export async function readSavedPlan(file: string): Promise<SavedPlan> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read the saved plan ${file}`, String(e), "pass the file `cdktf-xen plan -out FILE` wrote, or a stack directory");
  }
  let v: Partial<SavedPlan>;
  try {
    v = JSON.parse(text) as Partial<SavedPlan>;
  } catch {
    v = {};
  }
  if (v === null || typeof v !== "object" || v.format !== SAVED_PLAN_FORMAT) {
    throw new CliError(`${file} is not a saved cdktf-xen plan`, "it has no `format: cdktf-xen-plan`", "pass a stack directory, or the file `cdktf-xen plan DIR -out FILE` wrote");
  }
  if (v.formatVersion !== SAVED_PLAN_VERSION || v.cliVersion !== VERSION) {
    throw new CliError(
      `the saved plan ${file} was made by cdktf-xen ${String(v.cliVersion)} (plan format ${String(v.formatVersion)})`,
      `this is cdktf-xen ${VERSION}, whose diff engine may plan otherwise`,
      "plan again with this version (cdktf-xen plan DIR -out FILE) and apply the new plan",
    );
  }
  if (typeof v.stackDir !== "string" || !Array.isArray(v.selected) || !Array.isArray(v.hosts)) {
    throw new CliError(`${file} is not a complete saved plan`, "stackDir, selected or hosts is missing", "plan again (cdktf-xen plan DIR -out FILE)");
  }
  return v as SavedPlan;
}

/** A new saved plan of the hosts read. */
export function savedPlan(stackDir: string, selected: readonly string[], hosts: readonly SavedHost[], now: Date = new Date()): SavedPlan {
  return {
    format: SAVED_PLAN_FORMAT,
    formatVersion: SAVED_PLAN_VERSION,
    cliVersion: VERSION,
    createdAt: now.toISOString(),
    stackDir: resolve(stackDir),
    selected,
    hosts,
  };
}
