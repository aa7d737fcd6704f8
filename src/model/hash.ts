import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical.js";
import type { HostSpec } from "./spec.js";

/**
 * The identity of a host's declared state: sha256 of its canonical JSON. It is the trigger of
 * the host's reconcile resource, and the CLI recomputes it from cdk.tf.json to refuse applying
 * a stack file that changed since Terraform planned it.
 */
export function hostSpecHash(spec: HostSpec): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex");
}
