/**
 * Failures of a reconcile run, each naming host, domain (or volume), step, cause and fix.
 * Transport failures keep their own types (ssh/errors.ts); xl failures are classified once,
 * here at the edge, by xl/errors.ts.
 */
import type { ParseIssue } from "../xl/result.js";
import type { XlError } from "../xl/errors.js";

/** Base of every reconcile failure. */
export class ReconcileError extends Error {
  constructor(
    readonly host: string,
    readonly what: string,
    readonly why: string,
    readonly fix: string,
    readonly subject: string | null = null,
    readonly step: string | null = null,
  ) {
    super(
      `${what} [host ${host}${subject ? `, ${subject}` : ""}${step ? `, step "${step}"` : ""}]: ${why}\nFix: ${fix}`,
    );
    this.name = new.target.name;
  }
}

/** A step of the plan failed on the host; the steps before it were applied. */
export class StepFailedError extends ReconcileError {
  constructor(
    host: string,
    subject: string,
    step: string,
    readonly rc: number,
    readonly output: string,
    readonly xl: XlError | null,
    applied: number,
  ) {
    const why =
      rc === 124
        ? "it did not finish in time and was killed"
        : rc === -1
          ? "the connection ended while it ran; it may or may not have completed"
          : (xl?.why ?? (output.split("\n").find((l) => l.trim() !== "") || `exit status ${rc}`));
    const fix =
      rc === 124 || rc === -1
        ? "run the apply again: every step is safe to repeat, and it continues from the host's actual state"
        : (xl?.fix ?? "see the command's output above; fix the cause on the host or in the program, then apply again");
    super(host, `applying the plan failed after ${applied} step(s)`, why, fix, subject, step);
  }
}

/** The host's state could not be read or parsed. */
export class LiveStateError extends ReconcileError {
  constructor(host: string, readonly issues: readonly ParseIssue[]) {
    super(
      host,
      "could not read the host's live state",
      issues.map((i) => `${i.path}: ${i.message}`).join("; "),
      "check that xl and lvm work for the SSH user on dom0 (`xl list`, `lvs`), then try again",
      null,
      "read live state",
    );
  }
}

/** The plan ran, but reading the host again still shows differences. */
export class NotConvergedError extends ReconcileError {
  constructor(host: string, readonly remaining: readonly string[]) {
    super(
      host,
      "the host did not reach the declared state",
      `after applying, these differences remain: ${remaining.join("; ")}`,
      "look at the guest (a vCPU it did not bring online, a balloon driver that does not follow) and apply again",
      null,
      "verify",
    );
  }
}

/** The stack file does not match what Terraform planned (CDKTF_XEN_EXPECT). */
export class StackChangedError extends ReconcileError {
  constructor(host: string, expected: string, actual: string) {
    super(
      host,
      "cdk.tf.json changed since Terraform planned this apply",
      `the host's declared state hashes to ${actual.slice(0, 12)}…, Terraform planned ${expected.slice(0, 12)}…`,
      "run `cdktf synth` (or `cdktf deploy`, which synthesizes) and plan again",
      null,
      "check cdk.tf.json against Terraform's plan",
    );
  }
}

/** The plan refuses some changes (they would lose data or cannot work); nothing was applied. */
export class PlanRefusedError extends ReconcileError {
  constructor(host: string, readonly refusals: readonly { subject: string; reason: string; fix: string }[]) {
    super(
      host,
      `the plan refuses ${refusals.length} change(s), so nothing was applied`,
      refusals.map((r) => `${r.subject}: ${r.reason}`).join("; "),
      refusals.map((r) => `${r.subject}: ${r.fix}`).join("; "),
      null,
      "plan",
    );
  }
}
