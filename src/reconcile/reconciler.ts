/**
 * Brings one host to its declared state through a {@link Transport}: read the live state in
 * one command, diff, run the plan's steps in one batch that ends by reading the state again,
 * and check that nothing is left to do. With the host lock held, a reconcile of one host
 * costs one SSH connection and three remote commands however many domains it declares.
 */
import { randomBytes } from "node:crypto";
import { diffHost, type DiffOptions } from "../diff/diff.js";
import { actionSubject, executableActions, type Action, type Plan } from "../diff/plan.js";
import type { HostSpec } from "../model/spec.js";
import { acquireHostLock, type HostLock } from "../ssh/lock.js";
import { describeHolder } from "../ssh/errors.js";
import type { Transport } from "../ssh/transport.js";
import { classifyXlError } from "../xl/errors.js";
import type { LiveHost } from "../xl/live.js";
import { parseSnapshot, snapshotCommand } from "../xl/snapshot.js";
import { batchEvent, batchScript, parseBatchOutput, waitForExecLock } from "./batch.js";
import { LiveStateError, NotConvergedError, PlanRefusedError, ReconcileError, StepFailedError } from "./errors.js";
import { startHeartbeat, type Heartbeat, type HeartbeatOptions } from "./heartbeat.js";
import { DEFAULT_STEP_TIMEOUTS, stepsFor, type Step, type StepTimeouts } from "./steps.js";

/** Where progress goes: one line at a time, for a person. */
export type Log = (line: string) => void;

/** Options of {@link readHost} and {@link applyHost}. */
export interface ReconcileOptions {
  /** Progress lines. @default - silent */
  readonly log?: Log;
  /** @default DEFAULT_STEP_TIMEOUTS */
  readonly timeouts?: StepTimeouts;
  /** @default - the diff engine's defaults */
  readonly diff?: DiffOptions;
  /** Longest wait for another applier's host lock, ms. @default 600000 */
  readonly lockTimeoutMs?: number;
  /** Timeout of a state read, ms. @default 120000 */
  readonly readTimeoutMs?: number;
  /** Called with the plan once the host has been read, before anything is applied. @default - none */
  readonly onPlan?: (plan: Plan) => void;
  /**
   * Called with what was read under the host lock, before anything is applied; throwing stops
   * the apply with nothing changed (a saved plan checks here that the host is as planned).
   * @default - none
   */
  readonly verify?: (reading: HostReading) => void;
  /** Heartbeat lines while a step runs long (xl create, a graceful shutdown). @default - every 10 s, real time */
  readonly heartbeat?: HeartbeatOptions;
}

/** The live state of a host and its plan. */
export interface HostReading {
  readonly live: LiveHost;
  readonly plan: Plan;
}

/** What {@link applyHost} did. */
export interface ApplyReport {
  /** The plan before applying. */
  readonly plan: Plan;
  /** Actions carried out, in order. */
  readonly applied: readonly Action[];
  /** The plan after applying: no executable action; pending notices, refusals and reports may remain. */
  readonly after: Plan;
  /** Remote commands run (lock, reads, batch), for the benchmark. */
  readonly commands: number;
}

const nonce = (): string => randomBytes(6).toString("hex");

async function read(transport: Transport, spec: HostSpec, options: ReconcileOptions, waitForExec: boolean): Promise<LiveHost> {
  const n = nonce();
  const command = waitForExec ? `${waitForExecLock()} && ${snapshotCommand(spec.pools, { nonce: n })}` : snapshotCommand(spec.pools, { nonce: n });
  const result = await transport.exec(command, {
    idempotent: true,
    step: "read live state",
    timeoutMs: options.readTimeoutMs ?? 120_000,
  });
  if (result.code !== 0) {
    throw new LiveStateError(spec.host, [
      { path: "snapshot", message: `exit status ${result.code}: ${result.stderr.trim().split("\n").slice(-3).join(" | ")}` },
    ]);
  }
  return liveFrom(spec, result.stdout, n);
}

function liveFrom(spec: HostSpec, stdout: string, nonce: string): LiveHost {
  const parsed = parseSnapshot(stdout, spec.pools, { nonce });
  if (!parsed.ok) throw new LiveStateError(spec.host, parsed.issues);
  return parsed.value;
}

/** Reads a host and plans it: one remote command, no lock, nothing changed. */
export async function readHost(transport: Transport, spec: HostSpec, options: ReconcileOptions = {}): Promise<HostReading> {
  const live = await read(transport, spec, options, false);
  return { live, plan: diffHost(spec, live, options.diff) };
}

/** Describes an executable action in one line, for the non-convergence error. */
function describe(action: Action): string {
  return `${actionSubject(action)}: ${action.kind}`;
}

/**
 * Applies `spec` to the host behind `transport`: lock, read, plan, run, verify.
 *
 * @throws StepFailedError (the host keeps the steps applied so far; applying again continues
 *   from its actual state), NotConvergedError, LiveStateError, or a transport error.
 */
export async function applyHost(transport: Transport, spec: HostSpec, options: ReconcileOptions = {}): Promise<ApplyReport> {
  const log = options.log ?? (() => undefined);
  const timeouts = options.timeouts ?? DEFAULT_STEP_TIMEOUTS;
  let commands = 0;
  let lock: HostLock | null = null;
  try {
    lock = await acquireHostLock(transport, {
      timeoutMs: options.lockTimeoutMs ?? 600_000,
      onWait: (holder) => log(`waiting for the host lock on ${spec.host}, held by ${describeHolder(holder)}`),
    });
    commands += 1;
    const live = await read(transport, spec, options, true);
    commands += 1;
    const plan = diffHost(spec, live, options.diff);
    options.verify?.({ live, plan });
    options.onPlan?.(plan);
    const refused = plan.actions.flatMap((a) => (a.class === "refused" ? [{ subject: actionSubject(a), reason: a.reason, fix: a.fix }] : []));
    // A refusal means the declared state is wrong or unsafe: applying the rest would leave
    // the host half-way between two declarations, so nothing is applied.
    if (refused.length > 0) throw new PlanRefusedError(spec.host, refused);
    const actions = executableActions(plan);
    if (actions.length === 0) {
      return { plan, applied: [], after: plan, commands };
    }
    const steps: Step[] = actions.flatMap((a) => stepsFor(a, timeouts));
    const n = nonce();
    const script = batchScript(steps, snapshotCommand(spec.pools, { nonce: n }), n);
    lock.assertHeld();
    const started = new Map<number, number>();
    let beat: Heartbeat | null = null;
    const stopBeat = (): void => {
      beat?.stop();
      beat = null;
    };
    const result = await transport.exec("sh -s", {
      stdin: script,
      step: "apply plan",
      // The batch enforces each step's own timeout on dom0; this bounds the whole.
      timeoutMs: (steps.reduce((s, st) => s + st.timeoutSec + 15, 0) + 120) * 1000,
      onStderrLine: (line) => {
        const ev = batchEvent(line, n);
        if (ev === null) return;
        if (ev.type === "begin") {
          const step = steps[ev.index]!;
          const subject = `${spec.host}: ${actionSubject(step.action)}`;
          started.set(ev.index, Date.now());
          log(`  ${subject}: ${step.label}`);
          stopBeat();
          beat = startHeartbeat(log, { subject, ...step.wait }, options.heartbeat);
        } else if (ev.type === "end") {
          stopBeat();
          if (ev.rc !== 0) return;
          const secs = ((Date.now() - (started.get(ev.index) ?? Date.now())) / 1000).toFixed(1);
          log(`  ${spec.host}: done in ${secs}s`);
        }
      },
    }).finally(stopBeat);
    commands += 1;
    const outcome = parseBatchOutput(result.stderr, n);
    if (outcome.lockTimeout) {
      throw new ReconcileError(
        spec.host,
        "another cdktf-xen apply is still changing this host",
        "its batch of steps held exec.lock for longer than the wait allows",
        "wait for it to finish (see `ps` on dom0), then apply again",
        null,
        "apply plan",
      );
    }
    if (outcome.failed !== null || !outcome.done) {
      const f = outcome.failed ?? { index: outcome.succeeded.length, rc: -1, output: result.stderr.slice(-2000) };
      const step = steps[f.index];
      const subject = step ? actionSubject(step.action) : "plan";
      const xl =
        step && f.rc > 0 && f.rc !== 124
          ? classifyXlError({ rc: f.rc, stderr: f.output, argv: step.argv ?? undefined, host: spec.host })
          : null;
      throw new StepFailedError(spec.host, subject, step?.label ?? "apply plan", f.rc, f.output, xl, outcome.succeeded.length);
    }
    // A guest acts on some changes itself, after xl returns: its balloon driver follows a
    // memory target, and it brings vCPUs online or offline (a freshly booted guest may even
    // start every vCPU before it reads which ones Xen offers). Such differences get a few
    // more reads before they count as a failure; for a domain this batch just booted, the
    // online vCPU count is the guest's business until its next reconcile.
    const booted = new Set(actions.flatMap((a) => (a.kind === "create-domain" || a.kind === "restart-domain" ? [a.domain] : [])));
    const unsettled = (p: Plan): Action[] =>
      executableActions(p).filter((a) => !(a.kind === "vcpu-set" && booted.has(a.domain)));
    let after = diffHost(spec, liveFrom(spec, result.stdout, n), options.diff);
    for (let attempt = 0; unsettled(after).length > 0 && attempt < 3; attempt++) {
      await new Promise((r) => setTimeout(r, 5000));
      after = diffHost(spec, await read(transport, spec, options, false), options.diff);
      commands += 1;
    }
    const left = unsettled(after);
    if (left.length > 0) throw new NotConvergedError(spec.host, left.map(describe));
    return { plan, applied: actions, after, commands };
  } finally {
    await lock?.release();
  }
}
