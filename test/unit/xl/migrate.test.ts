/**
 * The pure builders of src/xl/migrate.ts: the known_hosts line of a migration job, the ssh argv
 * of the host-to-host hop, the job's result line, and the reading of Xen 4.17 `xl migrate`
 * failures (messages as the lab saw them, LAB-NOTES "Two hosts and live migration").
 *
 * The job script itself runs for real in migrate-job.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  MIGRATION_RUN_DIR,
  TARGET_KEY_ALIAS,
  checkHop,
  classifyMigrationFailure,
  hopSshArgv,
  hopSshCommand,
  knownHostsContent,
  migrationJobPaths,
  migrationJobResult,
  migrationJobScript,
  type MigrationHop,
} from "../../../src/xl/migrate.js";
import { XlArgumentError } from "../../../src/xl/errors.js";

/** An Ed25519 public key blob (SSH wire format, base64), as ssh-keygen writes it. */
const ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

function hop(overrides: Partial<MigrationHop> = {}): MigrationHop {
  return {
    address: "192.168.77.2",
    port: 22,
    user: "root",
    hostKey: { type: "ssh-ed25519", base64: ED25519 },
    identityFile: null,
    ...overrides,
  };
}

/** The value of every `-o Key=value` option of an ssh argv, by key. */
function options(argv: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  argv.forEach((a, i) => {
    if (a !== "-o") return;
    const [key, ...rest] = (argv[i + 1] ?? "").split("=");
    out.set(key!, [...(out.get(key!) ?? []), rest.join("=")]);
  });
  return out;
}

/** The argument following the flag `flag` (`-p`, `-l`, `-i`), or undefined. */
function flagValue(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
}

const KNOWN_HOSTS = migrationJobPaths("web-1").knownHosts;

describe("migrationJobPaths", () => {
  it("GIVEN a domain name THEN the pid, rc, log, known_hosts and lock files are NAME.* in /run/cdktf-xen/migrate", () => {
    expect(migrationJobPaths("web-1")).toEqual({
      dir: "/run/cdktf-xen/migrate",
      pid: "/run/cdktf-xen/migrate/web-1.pid",
      rc: "/run/cdktf-xen/migrate/web-1.rc",
      log: "/run/cdktf-xen/migrate/web-1.log",
      knownHosts: "/run/cdktf-xen/migrate/web-1.known_hosts",
      lock: "/run/cdktf-xen/migrate/web-1.lock",
    });
    expect(MIGRATION_RUN_DIR).toBe("/run/cdktf-xen/migrate");
  });

  it.each(["", "../etc", "a/b", "12", "-x"])("GIVEN the name %j, which cannot be a file name or an xl domain name, THEN it throws XlArgumentError", (name) => {
    expect(() => migrationJobPaths(name)).toThrow(XlArgumentError);
  });
});

describe("knownHostsContent", () => {
  it("GIVEN the target's verified key THEN the file is one line: the alias, the key type and the base64 blob", () => {
    expect(knownHostsContent(hop())).toBe(`cdktf-xen-migration-target ssh-ed25519 ${ED25519}\n`);
    expect(TARGET_KEY_ALIAS).toBe("cdktf-xen-migration-target");
  });

  it.each([
    ["ecdsa-sha2-nistp256", "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY="],
    ["sk-ssh-ed25519@openssh.com", "AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t"],
    ["ssh-rsa", "AAAAB3NzaC1yc2EAAAADAQABAAABAQC+/x=="],
  ])("GIVEN a %s key THEN it is accepted as is", (type, base64) => {
    expect(knownHostsContent(hop({ hostKey: { type, base64 } }))).toBe(`${TARGET_KEY_ALIAS} ${type} ${base64}\n`);
  });

  it.each<[string, { type: string; base64: string }]>([
    ["an empty type", { type: "", base64: ED25519 }],
    ["an empty blob", { type: "ssh-ed25519", base64: "" }],
    ["a type with a space (a second field smuggled in)", { type: "ssh-ed25519 AAAA", base64: ED25519 }],
    ["an upper-case type", { type: "SSH-ED25519", base64: ED25519 }],
    ["a blob with a newline (a second line smuggled in)", { type: "ssh-ed25519", base64: `${ED25519}\n@cert-authority * ssh-ed25519 ${ED25519}` }],
    ["a blob with a trailing newline", { type: "ssh-ed25519", base64: `${ED25519}\n` }],
    ["a blob with a space and a comment", { type: "ssh-ed25519", base64: `${ED25519} root@evil` }],
    ["a blob with a shell quote", { type: "ssh-ed25519", base64: `${ED25519}'` }],
    ["a blob in base64url", { type: "ssh-ed25519", base64: "AAAA-_" }],
  ])("GIVEN %s THEN it throws, naming the malformed host key", (_what, hostKey) => {
    expect(() => knownHostsContent(hop({ hostKey }))).toThrow(/^malformed host key /);
  });
});

describe("hopSshArgv", () => {
  it("GIVEN agent mode (no identityFile) THEN ssh uses only the forwarded agent: IdentityFile=none, no -i, agent not turned off", () => {
    const argv = hopSshArgv(hop({ identityFile: null }), KNOWN_HOSTS);
    const o = options(argv);
    expect(argv[0]).toBe("ssh");
    expect(o.get("IdentityFile")).toEqual(["none"]);
    expect(argv).not.toContain("-i");
    expect(o.has("IdentitiesOnly")).toBe(false);
    expect(o.has("IdentityAgent")).toBe(false);
  });

  it("GIVEN key mode THEN ssh uses that key file alone: -i PATH, IdentitiesOnly=yes, IdentityAgent=none, no IdentityFile=none", () => {
    const argv = hopSshArgv(hop({ identityFile: "/root/.ssh/migration key" }), KNOWN_HOSTS);
    const o = options(argv);
    expect(flagValue(argv, "-i")).toBe("/root/.ssh/migration key");
    expect(o.get("IdentitiesOnly")).toEqual(["yes"]);
    expect(o.get("IdentityAgent")).toEqual(["none"]);
    expect(o.has("IdentityFile")).toBe(false);
  });

  it.each([null, "/root/.ssh/id_ed25519"])(
    "GIVEN identityFile %j THEN the target's key is pinned (StrictHostKeyChecking=yes, this job's known_hosts only, under the alias) and no prompt can hang it (BatchMode=yes)",
    (identityFile) => {
      const argv = hopSshArgv(hop({ identityFile }), KNOWN_HOSTS);
      const o = options(argv);
      expect(o.get("BatchMode")).toEqual(["yes"]);
      expect(o.get("StrictHostKeyChecking")).toEqual(["yes"]);
      expect(o.get("UserKnownHostsFile")).toEqual([KNOWN_HOSTS]);
      expect(o.get("GlobalKnownHostsFile")).toEqual(["/dev/null"]);
      expect(o.get("HostKeyAlias")).toEqual([TARGET_KEY_ALIAS]);
      expect(o.get("HostKeyAlgorithms")).toEqual(["ssh-ed25519"]);
      // Each option once: ssh takes the FIRST value of an option given twice.
      for (const [key, values] of o) expect({ key, n: values.length }).toEqual({ key, n: 1 });
    },
  );

  it("GIVEN a port and a user THEN they are -p and -l, then '--', and the destination is left to the caller (xl appends it)", () => {
    const argv = hopSshArgv(hop({ port: 2222, user: "migrator" }), KNOWN_HOSTS);
    expect(flagValue(argv, "-p")).toBe("2222");
    expect(flagValue(argv, "-l")).toBe("migrator");
    expect(argv).not.toContain("192.168.77.2");
    expect(argv.slice(-5)).toEqual(["-p", "2222", "-l", "migrator", "--"]);
  });

  it("GIVEN agent mode THEN the whole argv is exactly this", () => {
    expect(hopSshArgv(hop(), KNOWN_HOSTS)).toEqual([
      "ssh",
      "-o", "BatchMode=yes",
      "-o", "StrictHostKeyChecking=yes",
      "-o", `UserKnownHostsFile=${KNOWN_HOSTS}`,
      "-o", "GlobalKnownHostsFile=/dev/null",
      "-o", "HostKeyAlias=cdktf-xen-migration-target",
      "-o", "HostKeyAlgorithms=ssh-ed25519",
      "-o", "ConnectTimeout=20",
      "-o", "ServerAliveInterval=15",
      "-o", "LogLevel=ERROR",
      "-o", "IdentityFile=none",
      "-p", "22",
      "-l", "root",
      "--",
    ]);
  });

  // KNOWN BUG (reported, not fixed here): with an RSA host key the hop offers only the SHA-1
  // `ssh-rsa` signature algorithm, which OpenSSH >= 8.8 sshd (Debian 12 ships 9.2) no longer
  // accepts: "no matching host key type found. Their offer: ssh-rsa" on the target, and xl
  // reports "truncated reading banner". src/ssh/host-key.ts already maps ssh-rsa to
  // rsa-sha2-512,rsa-sha2-256,ssh-rsa for the CLI's own connections. Flip to `it` once fixed.
  it("GIVEN an RSA host key THEN HostKeyAlgorithms allows the SHA-2 RSA signatures a current sshd offers", () => {
    const argv = hopSshArgv(hop({ hostKey: { type: "ssh-rsa", base64: "AAAAB3NzaC1yc2EAAAADAQAB" } }), KNOWN_HOSTS);
    expect(options(argv).get("HostKeyAlgorithms")?.[0]?.split(",")).toContain("rsa-sha2-512");
  });
});

describe("migrationJobResult", () => {
  it.each<[string, string, number | "timeout" | undefined]>([
    ["success", "@@cdktf-xen-migrate rc=0\n", 0],
    ["a failure", "@@cdktf-xen-migrate rc=1\n", 1],
    ["a large status", "@@cdktf-xen-migrate rc=255\n", 255],
    ["a timeout", "@@cdktf-xen-migrate rc=timeout\n", "timeout"],
    ["other output around the line", "motd line\n@@cdktf-xen-migrate rc=3\ntrailer\n", 3],
    ["no line (the script died)", "", undefined],
    ["an empty status (the rc file was empty)", "@@cdktf-xen-migrate rc=\n", undefined],
    ["a status that is not a number", "@@cdktf-xen-migrate rc=abc\n", undefined],
  ])("GIVEN %s THEN %j", (_what, stdout, expected) => {
    expect(migrationJobResult(stdout)).toBe(expected);
  });
});

describe("classifyMigrationFailure on Xen 4.17 xl migrate output", () => {
  const ctx = { domain: "web-1", source: "s/xen-a", target: "s/xen-b" };

  it("GIVEN 'Failed to enable logdirty' (a PV guest) THEN the cause is shadow paging on the source and the fix is PVH or a cold move", () => {
    const out = [
      "migration target: Ready to receive domain.",
      "Saving to migration stream new xl format (info 0x3/0x0/1500)",
      "Loading new save file <incoming migration stream> (new xl fmt info 0x3/0x0/1500)",
      " Savefile contains xl domain config in JSON format",
      "Parsing config from <saved>",
      "xc: error: Failed to enable logdirty: 95,22,0: Internal error",
      "libxl: error: libxl_stream_write.c:329:libxl__xc_domain_save_done: Domain 3:saving domain: domain responded to suspend request: Operation not supported",
      "Migration failed, resuming at sender.",
    ].join("\n");
    const f = classifyMigrationFailure(out, ctx);
    expect(f.cause).toMatch(/^Xen on s\/xen-a cannot migrate PV domains: .*shadow paging/);
    expect(f.cause).toContain("Migration failed, resuming at sender.");
    expect(f.fix).toContain("make web-1 a PVH domain (type: DomainType.PVH)");
    expect(f.fix).toContain("MigrationPolicy.COLD");
  });

  it("GIVEN 'Host key verification failed.' (followed by the truncated banner it causes) THEN the cause is the target's host key, not a login problem", () => {
    const out = "Host key verification failed.\nxl: error: file/stream truncated reading banner from migration receiver stream\nmigration sender: Target has rejected the migration\n";
    const f = classifyMigrationFailure(out, ctx);
    expect(f.cause).toMatch(/^s\/xen-b's host key did not match the key pinned on its XenHost when s\/xen-a connected to it/);
    expect(f.fix).toContain("same host key");
  });

  it.each([
    ["Permission denied (publickey)", "root@192.168.77.2: Permission denied (publickey).\nfile/stream truncated reading banner from migration receiver stream"],
    ["the truncated banner alone", "file/stream truncated reading banner from migration receiver stream"],
    ["a connection timeout", "ssh: connect to host 192.168.77.2 port 22: Connection timed out\nfile/stream truncated reading banner from migration receiver stream"],
    ["a refused connection", "ssh: connect to host 192.168.77.2 port 22: Connection refused"],
  ])("GIVEN %s THEN the cause is that the source could not log in to the target, and the fix names the address, the agent and identityFile", (_what, out) => {
    const f = classifyMigrationFailure(out, ctx);
    expect(f.cause).toMatch(/^s\/xen-a could not log in to s\/xen-b by SSH for the migration \(/);
    expect(f.cause).toContain(out.trim().split("\n")[0]);
    expect(f.fix).toContain("s/xen-b's migration address and port are reachable from s/xen-a");
    expect(f.fix).toContain("forwarded SSH agent");
    expect(f.fix).toContain("migration.identityFile");
  });

  it("GIVEN 'Could not find bridge device xenbr7' THEN the cause is the target's missing bridge", () => {
    const out = [
      "libxl: error: libxl_exec.c:117:libxl_report_child_exitstatus: /etc/xen/scripts/vif-bridge online [2345] exited with error status 1",
      "Could not find bridge device xenbr7",
      "migration target: Domain creation failed (code -3).",
      "Migration failed, resuming at sender.",
    ].join("\n");
    const f = classifyMigrationFailure(out, ctx);
    expect(f.cause).toMatch(/^s\/xen-b lacks a bridge the domain's network uses \(.*Could not find bridge device xenbr7/);
    expect(f.fix).toMatch(/^create the bridge on s\/xen-b/);
  });

  it("GIVEN 'failed to stat: /dev/vg0/x' THEN the cause is a disk missing on the target and the fix is shared storage or a cold move", () => {
    const out = [
      "libxl: error: libxl_device.c:455:libxl__device_disk_set_backend: Disk vdev=xvda failed to stat: /dev/vg0/x: No such file or directory",
      "migration target: Domain creation failed (code -3).",
      "Migration failed, resuming at sender.",
    ].join("\n");
    const f = classifyMigrationFailure(out, ctx);
    expect(f.cause).toMatch(/^a disk of web-1 does not exist on s\/xen-b at the same path \(/);
    expect(f.cause).toContain("failed to stat: /dev/vg0/x");
    expect(f.fix).toContain("shared by both hosts");
    expect(f.fix).toContain("MigrationPolicy.COLD");
  });

  it("GIVEN an unknown message THEN the cause quotes its last three non-empty lines and the fix points at the source's xl log", () => {
    const out = "line one\n\nline two\nline three\n\nline four\n";
    const f = classifyMigrationFailure(out, ctx);
    expect(f.cause).toBe("xl migrate failed: line two | line three | line four");
    expect(f.fix).toContain("/var/log/xen/xl-web-1.log");
    expect(f.fix).toContain("the domain still runs on s/xen-a");
  });

  it("GIVEN no output at all THEN the cause says so", () => {
    expect(classifyMigrationFailure("  \n", ctx).cause).toBe("xl migrate failed without output");
  });
});

describe("the hop's values are checked again where xl migrate builds its shell line", () => {
  it.each<[string, Partial<MigrationHop>, RegExp]>([
    ["an address with command substitution", { address: "10.9.0.12$(touch${IFS}/tmp/x)" }, /invalid migration address .* contains "\$".*xl migrate would paste it unquoted into a shell command on the source dom0\. Fix: set the target XenHost's migration\.address/],
    ["an address that is an ssh option", { address: "-oProxyCommand=touch /tmp/x" }, /invalid migration address/],
    ["an address with a pipe", { address: "a|b" }, /invalid migration address "a\|b"/],
    ["an address with a newline", { address: "host\nreboot" }, /invalid migration address/],
    ["a user that is an option", { user: "-oProxyCommand=x" }, /invalid migration user/],
    ["a port out of range", { port: 0 }, /invalid migration port/],
    ["a relative identity file", { identityFile: "id_migration" }, /invalid migration\.identityFile "id_migration": the path is not absolute/],
    ["an identity file with a newline", { identityFile: "/root/id\nreboot" }, /invalid migration\.identityFile .* line break/],
  ])("GIVEN %s THEN hopSshArgv, hopSshCommand and migrationJobScript refuse it with XlArgumentError", (_, overrides, message) => {
    const bad = hop(overrides);
    for (const build of [() => hopSshArgv(bad, "/kh"), () => hopSshCommand(bad, "/kh", "true"), () => migrationJobScript("web-1", bad, 20), () => checkHop(bad)]) {
      expect(build).toThrow(XlArgumentError);
      expect(build).toThrow(message);
    }
  });

  it.each(["192.168.77.2", "xen-b.example.org", "fd00::12", "::ffff:10.0.9.12"])("GIVEN the address %j THEN the hop is built", (address) => {
    expect(checkHop(hop({ address }))).toEqual(hop({ address }));
  });

  it("GIVEN a cold copy THEN its ssh command ends the options with '--', then the address and the remote command as one word each", () => {
    const command = hopSshCommand(hop({ identityFile: "/root/.ssh/migration key" }), "/kh", "dd of='/dev/vg0/x' bs=4M");
    expect(command).toMatch(/ -l root -- 192\.168\.77\.2 'dd of='\\''\/dev\/vg0\/x'\\'' bs=4M'$/);
    expect(command).toContain("-i '/root/.ssh/migration key'");
  });
});
