/**
 * From plan actions to the remote commands that carry them out. Pure: it only builds command
 * lines (through xl/commands.ts and shellQuote); the reconciler runs them.
 *
 * Every step is safe to run again after an interruption: creates check for what exists,
 * config files are replaced atomically, a restart tolerates a domain that is already gone.
 */
import type { PoolSpec } from "../model/spec.js";
import { assertNever, type Action } from "../diff/plan.js";
import {
  autostartLink,
  autostartUnlink,
  lvcreate,
  lvextend,
  mkdirManagedConfigDir,
  qemuImgCreate,
  qemuImgResize,
  rawFileCreate,
  rawFileGrow,
  writeFileAtomic,
  xlBlockAttach,
  xlBlockDetach,
  xlCreate,
  xlDestroy,
  xlMemSet,
  xlNetworkAttach,
  xlNetworkDetach,
  xlSchedCredit2,
  xlShutdown,
  xlVcpuPin,
  xlVcpuSet,
} from "../xl/commands.js";
import { shellCommand, shellQuote } from "../xl/shell.js";

/** Timeouts of the steps that wait on a guest, in seconds. */
export interface StepTimeouts {
  /** Longest `xl create` (a PV guest took 35 s on the lab host under TCG). @default 300 */
  readonly createSec: number;
  /** Longest graceful `xl shutdown -w` before `xl destroy` (LAB-NOTES pitfall 4). @default 120 */
  readonly shutdownSec: number;
  /** Longest for any other command. @default 120 */
  readonly commandSec: number;
}

/** The defaults of {@link StepTimeouts}. */
export const DEFAULT_STEP_TIMEOUTS: StepTimeouts = { createSec: 300, shutdownSec: 120, commandSec: 120 };

/** One remote command line carrying out (part of) one action. */
export interface Step {
  /** For progress and errors: `xl mem-set web-1 2048m`. */
  readonly label: string;
  /** A complete command line for POSIX sh. */
  readonly command: string;
  /** Killed (`timeout -k 10`) after this many seconds. */
  readonly timeoutSec: number;
  /** The action this step belongs to. */
  readonly action: Action;
  /** The argv, when the step is a single program run (for error classification). */
  readonly argv: readonly string[] | null;
  /**
   * What a heartbeat says while the step runs long (reconcile/heartbeat.ts), and the limit it
   * counts towards: for a graceful stop, the shutdown timeout rather than the step's own.
   */
  readonly wait: { readonly what: string; readonly limitSec: number };
}

/** What a heartbeat line says about a step with no wait of its own. */
const stillRunning = (label: string, timeoutSec: number): Step["wait"] => ({ what: `still running ${label}`, limitSec: timeoutSec });

function argvStep(action: Action, argv: readonly string[], timeoutSec: number, wait?: Step["wait"]): Step {
  const label = argv.join(" ");
  return { label, command: shellCommand(argv), timeoutSec, action, argv, wait: wait ?? stillRunning(label, timeoutSec) };
}

function scriptStep(action: Action, label: string, command: string, timeoutSec: number, wait?: Step["wait"]): Step {
  return { label, command, timeoutSec, action, argv: null, wait: wait ?? stillRunning(label, timeoutSec) };
}

const waitingForCreate = (timeouts: StepTimeouts): Step["wait"] => ({ what: "waiting for xl create", limitSec: timeouts.createSec });

function shScript(script: string): string {
  return shellCommand(["sh", "-c", script]);
}

/**
 * Stops a domain: a graceful shutdown bounded by `shutdownSec`, then `xl destroy` if it is
 * still there, then waits until the name is free. A domain that is already gone is success.
 *
 * The request is sent again every 15 s rather than once with `xl shutdown -w`: a guest asked
 * while it still boots (before its kernel watches xenstore's control/shutdown, or before it
 * can run /sbin/poweroff) drops the request, and would otherwise always wait out the timeout.
 * A domain that has shut down but stays (on_poweroff = preserve) is destroyed at once.
 */
export function stopDomainCommand(name: string, shutdownSec: number): string {
  const q = shellQuote(name);
  const shutdown = shellCommand(xlShutdown(name));
  return shScript(
    [
      `if ! xl domid ${q} >/dev/null 2>&1; then exit 0; fi`,
      "i=0",
      `while xl domid ${q} >/dev/null 2>&1; do`,
      `  state=$(xl list ${q} 2>/dev/null | awk 'NR==2 {print $5}')`,
      `  case "$state" in *s*|*c*) ${shellCommand(xlDestroy(name))} >/dev/null 2>&1 || true; break;; esac`,
      `  if [ $((i % 15)) -eq 0 ]; then ${shutdown} >/dev/null 2>&1 || true; fi`,
      `  if [ $i -ge ${shutdownSec} ]; then`,
      `    echo ${shellQuote(`graceful shutdown of ${name} did not finish within ${shutdownSec}s; destroying it`)} >&2`,
      `    ${shellCommand(xlDestroy(name))} || true`,
      "    break",
      "  fi",
      "  i=$((i+1)); sleep 1",
      "done",
      // After a shutdown or destroy the domain may linger for a moment (LAB-NOTES).
      `i=0; while xl domid ${q} >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 60 ] && { echo ${shellQuote(
        `${name} is still present 60 s after destroy`,
      )} >&2; exit 1; }; sleep 1; done`,
    ].join("\n"),
  );
}

function poolGuard(pool: PoolSpec): string {
  switch (pool.kind) {
    case "lvm":
      return `vgs ${shellQuote(pool.volumeGroup)} >/dev/null 2>&1 || { echo ${shellQuote(
        `volume group ${pool.volumeGroup} (pool ${pool.name}) does not exist on this host: create it (vgcreate) or fix the pool`,
      )} >&2; exit 1; }`;
    case "dir":
      return `[ -d ${shellQuote(pool.path)} ] || { echo ${shellQuote(
        `directory ${pool.path} (pool ${pool.name}) does not exist on this host: create it or fix the pool`,
      )} >&2; exit 1; }`;
    default:
      return assertNever(pool);
  }
}

/** The steps that carry out one executable action; none for pending notices, refusals and reports. */
export function stepsFor(action: Action, timeouts: StepTimeouts = DEFAULT_STEP_TIMEOUTS): Step[] {
  const t = timeouts.commandSec;
  switch (action.kind) {
    case "create-volume": {
      const pool = action.pool;
      const create =
        pool.kind === "lvm"
          ? shellCommand(lvcreate(pool.volumeGroup, action.volume.name, action.new.sizeMiB))
          : action.new.format === "qcow2"
            ? shellCommand(qemuImgCreate(action.path, action.new.sizeMiB))
            : rawFileCreate(action.path, action.new.sizeMiB);
      // An earlier, interrupted run may have created it already: then it is not created twice.
      const script = `${poolGuard(pool)}\nif [ -e ${shellQuote(action.path)} ]; then exit 0; fi\n${create}`;
      return [scriptStep(action, `create volume ${action.path} (${action.new.sizeMiB} MiB)`, shScript(script), t)];
    }
    case "grow-volume": {
      const pool = action.pool;
      if (pool.kind === "lvm") return [argvStep(action, lvextend(pool.volumeGroup, action.volume.name, action.new), t)];
      if (action.format === "qcow2") return [argvStep(action, qemuImgResize(action.path, action.new), t)];
      return [scriptStep(action, `grow ${action.path} to ${action.new} MiB`, rawFileGrow(action.path, action.new), t)];
    }
    case "write-config":
      return [
        scriptStep(
          action,
          `write ${action.path}`,
          `${shellCommand(mkdirManagedConfigDir())} && ${writeFileAtomic(action.path, action.new)}`,
          t,
        ),
      ];
    case "create-domain": {
      // Re-entrant: an interrupted run may have left the domain created already.
      const q = shellQuote(action.domain);
      const script = `if xl domid ${q} >/dev/null 2>&1; then echo ${shellQuote(
        `${action.domain} already exists`,
      )}; exit 0; fi\n${shellCommand(xlCreate(action.configPath))}`;
      return [scriptStep(action, `xl create ${action.configPath}`, shScript(script), timeouts.createSec, waitingForCreate(timeouts))];
    }
    case "mem-set":
      return [argvStep(action, xlMemSet(action.domain, action.new), t)];
    case "vcpu-set": {
      const argv = xlVcpuSet(action.domain, action.new);
      // xl refuses more vCPUs than pCPUs without --ignore-host (LAB-NOTES); the spec asked for it.
      const withFlag = action.ignoreHost ? [argv[0]!, argv[1]!, "--ignore-host", ...argv.slice(2)] : argv;
      return [argvStep(action, withFlag, t)];
    }
    case "vcpu-pin":
      return [argvStep(action, xlVcpuPin(action.domain, action.vcpu, action.new.hard, action.new.soft), t)];
    case "sched-credit2":
      return [argvStep(action, xlSchedCredit2(action.domain, action.new.weight, action.new.cap), t)];
    case "block-attach":
      return [argvStep(action, xlBlockAttach(action.domain, action.new), t)];
    case "block-detach":
      return [argvStep(action, xlBlockDetach(action.domain, action.vdev), t)];
    case "network-attach":
      return [argvStep(action, xlNetworkAttach(action.domain, action.new), t)];
    case "network-detach":
      return [argvStep(action, xlNetworkDetach(action.domain, action.devid), t)];
    case "restart-domain":
      return [
        scriptStep(
          action,
          `stop ${action.domain} (graceful, then forced after ${timeouts.shutdownSec}s)`,
          stopDomainCommand(action.domain, timeouts.shutdownSec),
          timeouts.shutdownSec + 90,
          { what: "waiting for shutdown", limitSec: timeouts.shutdownSec },
        ),
        argvStep(action, xlCreate(action.configPath), timeouts.createSec, waitingForCreate(timeouts)),
      ];
    case "link-autostart":
      return [scriptStep(action, `link ${action.linkPath}`, autostartLink(action.domain), t)];
    case "unlink-autostart":
      return [argvStep(action, autostartUnlink(action.domain), t)];
    case "refuse-volume-shrink":
    case "refuse-volume-resize-in-use":
    case "pending-restart":
    case "refuse-name-conflict":
    case "refuse-missing-bridge":
    case "refuse-scheduler":
    case "report-unmanaged-domain":
    case "report-undeclared-domain":
    case "report-inactive-domain":
    // A move spans two hosts: diffFleet plans it, reconcile/move.ts carries it out.
    case "move-domain":
    case "refuse-move":
      return [];
    default:
      return assertNever(action);
  }
}
