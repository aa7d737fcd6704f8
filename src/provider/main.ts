/**
 * The `xen` Terraform provider's process: what Terraform starts (through the launcher that
 * `cdktf-xen provider install` writes) for each operation. Serves plugin protocol 6 until
 * Terraform shuts it down, then closes every SSH connection it opened.
 */
import { serveProvider } from "./protocol/server.js";
import { xenProvider } from "./xen/provider.js";

const provider = xenProvider();
try {
  await serveProvider(provider.definition);
} finally {
  await provider.close();
}
process.exit(0);
