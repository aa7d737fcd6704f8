/**
 * Reading back the optional parts of a {@link HostConnection} (`useAgent`, `sshConfig`,
 * `jumpHosts`) from JSON that did not come through synth — a provisioner input, a hand-edited
 * cdk.tf.json — checked field by field: every bastion address has the host-address grammar and
 * every user is a login name before anything dials them. Pure.
 */
import { hostAddressIssue, showValue } from "./address.js";
import { loginNameProblem } from "./names.js";
import { MAX_JUMP_HOSTS, type HostConnection, type JumpHostConnection, type SshConfigUse } from "./spec.js";
import { textProblem } from "./text.js";

/** The optional parts of a connection, or what is wrong with them (a path into the value, then why). */
export type ConnectionOptionsResult =
  | { readonly ok: true; readonly value: Pick<HostConnection, "useAgent" | "sshConfig" | "jumpHosts"> }
  | { readonly ok: false; readonly message: string };

type Obj = { readonly [k: string]: unknown };

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

function nullableString(o: Obj, k: string, path: string): string | null {
  const v = o[k];
  if (v === null || v === undefined) return null;
  if (typeof v !== "string") throw new Error(`${path}.${k} is not a string`);
  const t = textProblem(v);
  if (t !== null) throw new Error(`${path}.${k} ${t.replace(/^it /, "")}`);
  return v;
}

/**
 * The optional parts of the connection object `c`, as synthesized by `XenHost` (camelCase keys).
 * Absent keys stay absent, so the connection compares equal to the one synthesized.
 */
export function connectionOptionsFrom(c: Obj, path = "connection"): ConnectionOptionsResult {
  try {
    const out: { useAgent?: false; sshConfig?: SshConfigUse; jumpHosts?: JumpHostConnection[] } = {};
    if (c["useAgent"] !== undefined && c["useAgent"] !== null) {
      if (c["useAgent"] !== false) throw new Error(`${path}.useAgent is neither false nor absent`);
      out.useAgent = false;
    }
    const sc = c["sshConfig"];
    if (sc !== undefined && sc !== null) {
      if (!isObj(sc)) throw new Error(`${path}.sshConfig is not an object`);
      const file = nullableString(sc, "file", `${path}.sshConfig`);
      if (file === null || file.trim() === "") throw new Error(`${path}.sshConfig.file is missing`);
      const explicit = sc["explicit"] ?? [];
      if (!Array.isArray(explicit) || !explicit.every((e) => e === "port" || e === "user")) {
        throw new Error(`${path}.sshConfig.explicit is not a list of "port" and "user"`);
      }
      out.sshConfig = { file, explicit: explicit as ("port" | "user")[] };
    }
    const jh = c["jumpHosts"];
    if (jh !== undefined && jh !== null) {
      if (!Array.isArray(jh)) throw new Error(`${path}.jumpHosts is not a list`);
      if (jh.length > MAX_JUMP_HOSTS) throw new Error(`${path}.jumpHosts has ${jh.length} entries, more than ${MAX_JUMP_HOSTS}`);
      if (jh.length > 0) out.jumpHosts = jh.map((j, i) => jumpHostFrom(j, `${path}.jumpHosts[${i}]`));
    }
    return { ok: true, value: out };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

function jumpHostFrom(j: unknown, path: string): JumpHostConnection {
  if (!isObj(j)) throw new Error(`${path} is not an object`);
  const issue = hostAddressIssue(j["address"]);
  if (issue !== undefined) throw new Error(`${path}.address ${showValue(j["address"])} is not a host name or IP address (${issue})`);
  const port = j["port"];
  if (port !== null && port !== undefined && (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new Error(`${path}.port ${showValue(port)} is not a TCP port`);
  }
  const user = nullableString(j, "user", path);
  if (user !== null) {
    const u = loginNameProblem(user);
    if (u !== undefined) throw new Error(`${path}.${u.slice(0, u.indexOf(": "))}`);
  }
  return {
    address: j["address"] as string,
    port: typeof port === "number" ? port : null,
    user,
    privateKeyPath: nullableString(j, "privateKeyPath", path),
    passphraseEnv: nullableString(j, "passphraseEnv", path),
    hostKey: nullableString(j, "hostKey", path),
    knownHostsFile: nullableString(j, "knownHostsFile", path),
  };
}
