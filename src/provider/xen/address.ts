/**
 * The provider's address and version: what `required_providers` names and where the installer
 * puts the plugin so `terraform init` finds it with no registry.
 */
import { VERSION } from "../../version.js";

/** Registry host of the source address. Never contacted: the plugin is installed locally (implied local mirror). */
export const PROVIDER_HOSTNAME = "registry.terraform.io";
export const PROVIDER_NAMESPACE = "cdktf-xen";
export const PROVIDER_TYPE = "xen";
/** `required_providers` source. */
export const PROVIDER_SOURCE = `${PROVIDER_HOSTNAME}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`;
/** The provider's version is the package's: constructs and provider always come together. */
export const PROVIDER_VERSION = VERSION;
