/**
 * Bookkeeping for synth-time validation: the problems found while building a host's spec,
 * filed under the construct they belong to, so that `cdktf synth` prints each one with the
 * path of the construct the user has to change.
 */
import type { IConstruct } from "constructs";
import { Token } from "../cdktf.js";
import { unresolvedToken } from "./errors.js";

/** Problems filed by construct; a construct's validation returns its list. */
export class ProblemLog {
  private readonly byConstruct = new Map<IConstruct, string[]>();
  private fatalCount = 0;
  private readonly fatalMessages: string[] = [];

  /**
   * Files `message` under `construct`. `fatal` marks a problem that leaves the spec unfaithful
   * (a value that could not be converted): `toSpec()` refuses to return such a spec.
   */
  add(construct: IConstruct, message: string, fatal = false): void {
    const list = this.byConstruct.get(construct);
    if (list === undefined) this.byConstruct.set(construct, [message]);
    else list.push(message);
    if (fatal) {
      this.fatalCount++;
      this.fatalMessages.push(`[${construct.node.path}] ${message}`);
    }
  }

  /** The problems filed under `construct`, in the order found. */
  for(construct: IConstruct): readonly string[] {
    return this.byConstruct.get(construct) ?? [];
  }

  /** Whether a problem made the spec unfaithful. */
  get hasFatal(): boolean {
    return this.fatalCount > 0;
  }

  /** The fatal problems, each prefixed with its construct path. */
  get fatal(): readonly string[] {
    return this.fatalMessages;
  }
}

/**
 * Where a value is wrong inside a spec (relative paths such as `.boot` or `.disks[0].volume`)
 * when the construct already reported it better: spec issues at or under these are dropped.
 */
export class Suppressions {
  private readonly paths: string[] = [];

  /** Drops spec issues at `relativePath` and below. */
  add(relativePath: string): void {
    this.paths.push(relativePath);
  }

  /** Whether the issue at `relativePath` was already reported by the construct. */
  covers(relativePath: string): boolean {
    for (const p of this.paths) {
      if (relativePath === p) return true;
      if (relativePath.startsWith(p) && (p === "" || relativePath[p.length] === "." || relativePath[p.length] === "[")) {
        return true;
      }
    }
    return false;
  }
}

/**
 * The fields of `value` that hold an unresolved Terraform token, as `field.sub[0]` paths.
 * The host's spec is hashed and read back at synth time, so every value must be a literal.
 */
export function tokenFields(value: unknown, path: string): string[] {
  const out: string[] = [];
  walk(value, path, out);
  return out;
}

function walk(value: unknown, path: string, out: string[]): void {
  if (typeof value === "string" || typeof value === "number") {
    if (Token.isUnresolved(value)) out.push(path);
    return;
  }
  if (Array.isArray(value)) {
    if (Token.isUnresolved(value)) {
      out.push(path);
      return;
    }
    value.forEach((v: unknown, i) => walk(v, `${path}[${String(i)}]`, out));
    return;
  }
  if (value !== null && typeof value === "object") {
    if (Token.isUnresolved(value)) {
      out.push(path);
      return;
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, path === "" ? k : `${path}.${k}`, out);
  }
}

/** Files one {@link unresolvedToken} problem per tokenized field of `value`. */
export function reportTokens(log: ProblemLog, construct: IConstruct, value: unknown, path: string): boolean {
  const fields = tokenFields(value, path);
  for (const f of fields) log.add(construct, unresolvedToken(f), true);
  return fields.length > 0;
}
