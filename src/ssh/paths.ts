/**
 * Local paths in connection settings. Users write `~/.ssh/id_ed25519` in their stacks, as
 * they would for OpenSSH; Node's fs does not expand `~`, so the SSH layer does.
 */
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Expands a leading `~` or `~/` to the current user's home directory. `~user/` forms are
 * left as they are (they would need a password-database lookup; nobody writes them here).
 */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return path;
}
