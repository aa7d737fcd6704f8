/**
 * The native provider's side of synthesis: one `xen_host` resource per XenHost holding the
 * host's whole declaration (./../provider/xen/schema.ts), and the stack's `xen` provider with
 * its `required_providers` entry. Chosen with `LifecycleResource.PROVIDER`.
 */
import type { Construct } from "constructs";
import { TerraformProvider } from "cdktf";
import { Lazy, TerraformResource, TerraformStack, Token } from "../cdktf.js";
import { directoryEntryAttributes, hostAttributes, type DirectoryEntry, type HostDeclaration } from "../provider/xen/convert.js";
import { HOST_RESOURCE_TYPE } from "../provider/xen/schema.js";
import { PROVIDER_SOURCE, PROVIDER_VERSION } from "../provider/xen/address.js";
import { escapeTemplateDeep } from "./template-escape.js";

/** Terraform's local name of the provider in a stack. */
export const PROVIDER_LOCAL_NAME = "xen";

/** Cell form of the attributes cdktf's HCL output wants. */
function hclAttributes(a: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(a).map(([k, value]) => [k, { value, isBlock: false, type: "simple", storageClassType: "any" }]));
}

/**
 * The stack's `xen` provider; its one setting is the stack's host directory (`hosts`: each
 * host's connection, migration settings, pools and domain names), rendered late.
 */
export class XenTerraformProvider extends TerraformProvider {
  private directory: () => readonly DirectoryEntry[] = () => [];

  constructor(scope: Construct, id: string) {
    super(scope, id, {
      terraformResourceType: PROVIDER_LOCAL_NAME,
      terraformGeneratorMetadata: { providerName: PROVIDER_LOCAL_NAME, providerVersion: PROVIDER_VERSION },
      terraformProviderSource: PROVIDER_SOURCE,
    });
  }

  /** Sets where the directory comes from (the stack's hosts, read at synth). */
  useDirectory(directory: () => readonly DirectoryEntry[]): void {
    this.directory = directory;
  }

  /**
   * A lazy value: cdktf snake-cases a provider's attribute keys (host ids are paths such as
   * `fleet/xen-a`, and a null value trips its walk), but leaves a token's value alone.
   */
  private attrs(): Record<string, unknown> {
    return {
      hosts: Lazy.anyValue({
        produce: () => escapeTemplateDeep(Object.fromEntries(this.directory().map((e) => [e.hostId, directoryEntryAttributes(e)])), { sortKeys: true }),
      }),
    };
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return this.attrs();
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.attrs());
  }
}

const providers = new WeakMap<TerraformStack, XenTerraformProvider>();

/** The stack's provider, added on first use. */
export function ensureXenProvider(scope: Construct): XenTerraformProvider {
  const stack = TerraformStack.of(scope);
  let p = providers.get(stack);
  if (p === undefined) {
    p = new XenTerraformProvider(stack, "cdktf-xen-provider");
    providers.set(stack, p);
  }
  return p;
}

/** A host's `xen_host` resource; its attributes are the host's declaration, rendered late. */
export class XenHostResource extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly declaration: () => HostDeclaration,
  ) {
    const provider = ensureXenProvider(scope);
    super(scope, id, {
      terraformResourceType: HOST_RESOURCE_TYPE,
      terraformGeneratorMetadata: { providerName: PROVIDER_LOCAL_NAME, providerVersion: PROVIDER_VERSION },
      provider,
    });
  }

  /** Every value escaped for Terraform's templates: a declared `${` stays a literal. */
  private attrs(): Record<string, unknown> {
    return escapeTemplateDeep(hostAttributes(this.declaration()), { sortKeys: true }) as Record<string, unknown>;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return this.attrs();
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.attrs());
  }

  /** A token for `domain["NAME"].ATTRIBUTE` of this resource (e.g. ip_addresses). */
  domainAttribute(name: string, attribute: string): string {
    return Token.asString(this.interpolationForAttribute(`domain[${JSON.stringify(name)}].${attribute}`));
  }
}
