/**
 * Helpers for the synth tests: real cdktf synthesis of real constructs, the result parsed as
 * JSON, and the validation messages `cdktf synth` would print.
 */
import type { IConstruct } from "constructs";
import { TerraformStack, Testing, type TerraformResource } from "../../src/cdktf.js";
import { XenHost, type XenHostProps } from "../../src/index.js";

/** A well-formed pinned host key fingerprint. */
export const HOST_KEY = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";

/** A synthesized stack, parsed. */
export interface SynthJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly provider?: Record<string, unknown>;
  readonly terraform?: Record<string, unknown>;
}

/** A fresh app and stack; `context` is app-level context (as cdktf.json's "context"). */
export function newStack(context: Record<string, unknown> = {}): TerraformStack {
  const app = Testing.app({ context });
  return new TerraformStack(app, "s");
}

/** A host with a pinned key and, unless overridden, facts. */
export function newHost(stack: TerraformStack, id = "xen-a", props: Partial<XenHostProps> = {}): XenHost {
  return new XenHost(stack, id, { address: "10.0.0.11", hostKey: HOST_KEY, ...props });
}

/** Synthesizes without validation and parses the JSON. */
export function synth(stack: TerraformStack): SynthJson {
  return JSON.parse(Testing.synth(stack)) as SynthJson;
}

/**
 * The problems `cdktf synth` reports for the stack (validations on), as `[path] message`
 * lines; empty when it synthesizes.
 */
export function problems(stack: TerraformStack): string[] {
  try {
    Testing.synth(stack, true);
    return [];
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    if (!text.startsWith("Validation failed")) throw e;
    return text
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("["));
  }
}

/** The problems reported on the construct at `construct`'s path. */
export function problemsOf(stack: TerraformStack, construct: IConstruct): string[] {
  const prefix = `[${construct.node.path}] `;
  return problems(stack)
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length));
}

/** The synthesized body of `scope`'s child resource `childId` (e.g. a domain's "identity"). */
export function resourceOf(json: SynthJson, scope: IConstruct, childId: string): Record<string, unknown> & { type: string; address: string } {
  const r = scope.node.findChild(childId) as TerraformResource;
  const type = r.terraformResourceType;
  const name = r.friendlyUniqueId;
  const body = json.resource?.[type]?.[name];
  if (body === undefined) throw new Error(`no ${type}.${name} in the synthesized JSON`);
  return { ...body, type, address: `${type}.${name}` };
}

/** Every resource of the JSON as [address, body]. */
export function allResources(json: SynthJson): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) out.push([`${type}.${name}`, body]);
  }
  return out;
}
