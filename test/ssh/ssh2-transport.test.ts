/**
 * Ssh2Transport against a real OpenSSH sshd on 127.0.0.1: host-key policies, every way to
 * authenticate, command results, timeouts, dropped connections, connection reuse
 * (counted by sshd itself).
 */
import { execFile } from "node:child_process";
import { randomBytes, createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { HostConnection } from "../../src/model/spec.js";
import {
  AuthError,
  CommandTimeoutError,
  ConnectError,
  ConnectionLostError,
  HostKeyMismatchError,
  HostKeyRevokedError,
  HostKeyUnknownError,
  TransportConfigError,
} from "../../src/ssh/errors.js";
import { Ssh2Transport, type Ssh2TransportOptions } from "../../src/ssh/ssh2-transport.js";
import { startSshAgent } from "../helpers/ssh-agent.js";
import { freePort, generateKey, processAlive, startSshd, waitUntil, type GeneratedKey, type Sshd } from "../helpers/sshd.js";

const execFileP = promisify(execFile);
const HOST = "stack/xen-test";

describe("Ssh2Transport against a real sshd", { timeout: 60_000 }, () => {
  let sshd: Sshd;
  const open: Ssh2Transport[] = [];
  const transport = (connection: HostConnection, options: Partial<Ssh2TransportOptions> = {}): Ssh2Transport => {
    const t = new Ssh2Transport({ hostId: HOST, connection, retryBackoffMs: 50, ...options });
    open.push(t);
    return t;
  };
  const knownHosts = (name: string, lines: string[]): string => {
    const path = join(sshd.dir, name);
    writeFileSync(path, `${lines.join("\n")}\n`);
    return path;
  };
  const hostName = (): string => `[127.0.0.1]:${sshd.port}`;

  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  describe("host key verification", () => {
    it("GIVEN the server's pinned Ed25519 fingerprint WHEN running a command THEN it connects and runs it", async () => {
      const r = await transport(sshd.connection()).exec("echo hello; id -un");
      expect(r).toEqual({ stdout: "hello\nroot\n", stderr: "", code: 0, signal: null });
    });

    it("GIVEN a pinned fingerprint of another key WHEN connecting THEN it refuses with a mismatch naming both keys, before logging in", async () => {
      const other = await generateKey(join(sshd.dir, "not-the-host"));
      const logins = sshd.acceptedLoginCount();
      const err = await transport(sshd.connection({ hostKey: other.fingerprint })).exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      const m = (err as HostKeyMismatchError).message;
      expect(m).toContain("MAN-IN-THE-MIDDLE");
      expect(m).toContain(sshd.hostKeys.ed25519.fingerprint);
      expect(m).toContain(other.fingerprint);
      expect(m).toContain(`${HOST} (127.0.0.1:${sshd.port})`);
      expect(sshd.acceptedLoginCount()).toBe(logins);
    });

    it("GIVEN known_hosts without this host WHEN connecting THEN it refuses, printing the presented fingerprint and how to pin it", async () => {
      const path = knownHosts("kh-other-host", [`xen-elsewhere ${sshd.hostKeys.ed25519.publicKeyLine}`]);
      const connections = sshd.connectionCount();
      const err = await transport(sshd.connection({ hostKey: null, knownHostsFile: path })).exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyUnknownError);
      const m = (err as Error).message;
      expect(m).toContain(`hostKey: "${sshd.hostKeys.ed25519.fingerprint}"`);
      expect(m).toContain(`ssh-keyscan -p ${sshd.port} -t ed25519 127.0.0.1 >> ${path}`);
      // Host-key refusals are never retried.
      expect(sshd.connectionCount()).toBe(connections + 1);
    });

    it.each([
      ["a plain [127.0.0.1]:port line", (s: Sshd) => [`[127.0.0.1]:${s.port} ${s.hostKeys.ed25519.publicKeyLine}`]],
      ["a comma-separated host list", (s: Sshd) => [`xen-a,[127.0.0.1]:${s.port},10.9.9.9 ${s.hostKeys.ed25519.publicKeyLine}`]],
      ["a wildcard port pattern", (s: Sshd) => [`[127.0.0.1]:* ${s.hostKeys.ed25519.publicKeyLine}`]],
      ["only the RSA key (so the RSA key must be asked for)", (s: Sshd) => [`[127.0.0.1]:${s.port} ${s.hostKeys.rsa.publicKeyLine}`]],
    ])("GIVEN known_hosts with %s WHEN connecting THEN it is accepted", async (_name, lines) => {
      const path = knownHosts("kh-plain", lines(sshd));
      const r = await transport(sshd.connection({ hostKey: null, knownHostsFile: path })).exec("echo ok");
      expect(r.stdout).toBe("ok\n");
    });

    it("GIVEN known_hosts hashed by ssh-keygen -H WHEN connecting THEN the hashed [127.0.0.1]:port entry is accepted", async () => {
      const path = knownHosts("kh-hashed", [
        `xen-a ${sshd.hostKeys.rsa.publicKeyLine}`,
        `[127.0.0.1]:${sshd.port} ${sshd.hostKeys.ed25519.publicKeyLine}`,
      ]);
      await execFileP("ssh-keygen", ["-q", "-H", "-f", path]);
      expect(readFileSync(path, "utf8")).not.toContain("127.0.0.1");
      const r = await transport(sshd.connection({ hostKey: null, knownHostsFile: path })).exec("echo ok");
      expect(r.stdout).toBe("ok\n");
    });

    it("GIVEN known_hosts with another key for this host WHEN connecting THEN it refuses loudly and says how to replace the line", async () => {
      const other = await generateKey(join(sshd.dir, "impostor"));
      const path = knownHosts("kh-changed", [`[127.0.0.1]:${sshd.port} ${other.publicKeyLine}`]);
      const err = await transport(sshd.connection({ hostKey: null, knownHostsFile: path })).exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      expect((err as Error).message).toContain("REMOTE HOST IDENTIFICATION HAS CHANGED");
      expect((err as Error).message).toContain(`ssh-keygen -R '${hostName()}' -f ${path}`);
    });

    it("GIVEN known_hosts marking the server's key @revoked WHEN connecting THEN it refuses", async () => {
      const path = knownHosts("kh-revoked", [
        `[127.0.0.1]:${sshd.port} ${sshd.hostKeys.ed25519.publicKeyLine}`,
        `@revoked * ${sshd.hostKeys.ed25519.publicKeyLine}`,
      ]);
      const err = await transport(sshd.connection({ hostKey: null, knownHostsFile: path })).exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyRevokedError);
    });

    it("GIVEN neither a pinned key nor known_hosts WHEN running a command THEN it refuses without connecting", async () => {
      const connections = sshd.connectionCount();
      const err = await transport(sshd.connection({ hostKey: null, knownHostsFile: null })).exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportConfigError);
      expect(sshd.connectionCount()).toBe(connections);
    });
  });

  describe("authentication", () => {
    let encrypted: GeneratedKey;
    beforeAll(async () => {
      encrypted = await generateKey(join(sshd.dir, "encrypted"), { passphrase: "correct horse" });
      sshd.authorize(encrypted.publicKeyLine);
    });

    it("GIVEN a passphrase-protected key and the passphrase in the named env var WHEN connecting THEN it logs in", async () => {
      const t = transport(sshd.connection({ privateKeyPath: encrypted.path, passphraseEnv: "XEN_KEY_PASS" }), {
        env: { XEN_KEY_PASS: "correct horse" },
      });
      expect((await t.exec("echo in")).stdout).toBe("in\n");
    });

    it("GIVEN the passphrase variable is unset WHEN connecting THEN it names the variable to export", async () => {
      const t = transport(sshd.connection({ privateKeyPath: encrypted.path, passphraseEnv: "XEN_KEY_PASS" }), { env: {} });
      await expect(t.exec("true")).rejects.toThrow(/export XEN_KEY_PASS=/);
    });

    it("GIVEN a wrong passphrase WHEN connecting THEN it fails with a non-transient AuthError before contacting the server", async () => {
      const connections = sshd.connectionCount();
      const t = transport(sshd.connection({ privateKeyPath: encrypted.path, passphraseEnv: "P" }), { env: { P: "wrong" } });
      const err = await t.exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      expect((err as AuthError).transient).toBe(false);
      expect(sshd.connectionCount()).toBe(connections);
    });

    it("GIVEN an encrypted key and no passphraseEnv WHEN connecting THEN it says to set passphraseEnv", async () => {
      const err = await transport(sshd.connection({ privateKeyPath: encrypted.path })).exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      expect((err as Error).message).toContain("passphraseEnv");
    });

    it("GIVEN a key with ~ in its path WHEN connecting THEN ~ is the home directory", async () => {
      const t = transport(sshd.connection({ privateKeyPath: "~/.cdktf-xen-test-no-such-key" }));
      const err = await t.exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportConfigError);
      expect((err as TransportConfigError).why).not.toContain("~");
      expect((err as TransportConfigError).why).toContain("/.cdktf-xen-test-no-such-key");
    });

    it("GIVEN no key path and an ssh-agent holding the key WHEN connecting THEN it logs in through the agent", async () => {
      const agent = await startSshAgent();
      try {
        await agent.add(sshd.clientKey.path);
        expect(await agent.list()).toContain(sshd.clientKey.fingerprint);
        const t = transport(sshd.connection({ privateKeyPath: null }), { env: { SSH_AUTH_SOCK: agent.socket } });
        expect((await t.exec("echo agent")).stdout).toBe("agent\n");
      } finally {
        await agent.stop();
      }
    });

    it("GIVEN agent forwarding WHEN a command runs THEN dom0 sees a forwarded agent socket that lists our key", async () => {
      const agent = await startSshAgent();
      try {
        await agent.add(sshd.clientKey.path);
        const t = transport(sshd.connection(), { env: { SSH_AUTH_SOCK: agent.socket }, agentForward: true });
        const r = await t.exec('test -S "$SSH_AUTH_SOCK" && ssh-add -l');
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(sshd.clientKey.fingerprint);
      } finally {
        await agent.stop();
      }
    });

    it("GIVEN no key path and no SSH_AUTH_SOCK WHEN connecting THEN it says to start an agent or set privateKeyPath", async () => {
      const t = transport(sshd.connection({ privateKeyPath: null }), { env: {} });
      await expect(t.exec("true")).rejects.toThrow(/SSH_AUTH_SOCK is not set/);
    });

    it("GIVEN a key the server does not accept WHEN connecting THEN it fails with AuthError after exactly one retry", async () => {
      const stranger = await generateKey(join(sshd.dir, "stranger"));
      const connections = sshd.connectionCount();
      const err = await transport(sshd.connection({ privateKeyPath: stranger.path })).exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      const m = (err as Error).message;
      expect(m).toContain(`${HOST} (127.0.0.1:${sshd.port})`);
      expect(m).toContain("authorized_keys");
      // LAB-NOTES pitfall 7: a refused login is retried once, not more.
      expect(sshd.connectionCount()).toBe(connections + 2);
    });

    it("GIVEN nothing listens on the port WHEN connecting THEN it fails with ConnectError saying connection refused", async () => {
      const port = await freePort();
      const err = await transport(sshd.connection({ port })).exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as Error).message).toContain("connection refused");
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    });
  });

  describe("commands", () => {
    it("GIVEN a command failing with status 3 WHEN run THEN the status, stdout and stderr are a result, not an error", async () => {
      const r = await transport(sshd.connection()).exec("echo out; echo 'no such domain' >&2; exit 3");
      expect(r).toEqual({ stdout: "out\n", stderr: "no such domain\n", code: 3, signal: null });
    });

    it("GIVEN a command with a shell syntax error WHEN run THEN the shell's message is the result's stderr, without our PID line", async () => {
      const r = await transport(sshd.connection()).exec("if then fi");
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("syntax error");
      expect(r.stderr).not.toContain("cdktf-xen:pid");
    });

    it("GIVEN a command killed by a signal WHEN run THEN the result names the signal", async () => {
      const r = await transport(sshd.connection()).exec("kill -TERM $$");
      expect(r).toMatchObject({ code: -1, signal: "TERM" });
    });

    it("GIVEN a stderr line handler WHEN a command writes lines in pieces THEN it receives whole lines in order", async () => {
      const lines: string[] = [];
      const r2 = await transport(sshd.connection()).exec("printf 'Parsing config' >&2; sleep 0.2; printf ' from x\\nline 2\\r\\n' >&2; printf tail >&2", {
        onStderrLine: (l) => lines.push(l),
      });
      expect(r2.stderr).toBe("Parsing config from x\nline 2\r\ntail");
      expect(lines).toEqual(["Parsing config from x", "line 2", "tail"]);
    });

    it("GIVEN stdin text and binary bytes WHEN run THEN the command reads exactly them", async () => {
      const t = transport(sshd.connection());
      expect((await t.exec("cat", { stdin: "name = 'web-1'\nmemory = 512\n" })).stdout).toBe("name = 'web-1'\nmemory = 512\n");
      const bytes = randomBytes(300_000);
      const r = await t.exec("sha256sum", { stdin: bytes });
      expect(r.stdout.split(" ")[0]).toBe(createHash("sha256").update(bytes).digest("hex"));
    });

    it("GIVEN no stdin WHEN a command reads stdin THEN it sees EOF instead of hanging", async () => {
      const r = await transport(sshd.connection()).exec("cat; echo eof", { timeoutMs: 10_000 });
      expect(r.stdout).toBe("eof\n");
    });

    it("GIVEN several MB of output WHEN run THEN stdout arrives intact", async () => {
      const path = join(sshd.dir, "big.txt");
      const content = randomBytes(4_500_000).toString("base64"); // 6 MB of text
      writeFileSync(path, content);
      const r = await transport(sshd.connection()).exec(`cat ${path}`);
      expect(r.stdout.length).toBe(content.length);
      expect(r.stdout === content).toBe(true);
    });

    it("GIVEN 20 commands in a row WHEN run THEN sshd saw one connection and one login", async () => {
      const connections = sshd.connectionCount();
      const logins = sshd.acceptedLoginCount();
      const t = transport(sshd.connection());
      for (let i = 0; i < 20; i += 1) expect((await t.exec(`echo ${i}`)).stdout).toBe(`${i}\n`);
      expect(sshd.connectionCount() - connections).toBe(1);
      expect(sshd.acceptedLoginCount() - logins).toBe(1);
    });

    it("GIVEN 20 commands at once (more than sshd's MaxSessions of 10) WHEN run THEN all succeed over one connection", async () => {
      const connections = sshd.connectionCount();
      const t = transport(sshd.connection());
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => t.exec(`sleep 0.2; echo ${i}`)));
      expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
      expect(sshd.connectionCount() - connections).toBe(1);
    });

    it("GIVEN a transport never used WHEN closed THEN it never connected", async () => {
      const connections = sshd.connectionCount();
      const t = transport(sshd.connection());
      await t.close();
      expect(sshd.connectionCount()).toBe(connections);
    });

    it("GIVEN a closed transport WHEN running a command THEN it rejects", async () => {
      const t = transport(sshd.connection());
      await t.exec("true");
      await t.close();
      await expect(t.exec("true")).rejects.toThrow(/closed/);
    });
  });

  describe("timeouts", () => {
    it("GIVEN `sleep 30` with a 1 s timeout WHEN run THEN CommandTimeoutError names host, step, command and seconds; the remote processes are killed; the connection stays usable", async () => {
      const connections = sshd.connectionCount();
      const pidFile = join(sshd.dir, "sleeper.pid");
      const t = transport(sshd.connection());
      await t.exec("true");
      // The sleep is a child of the command's shell: the whole process group must die.
      const command = `sleep 30 & echo $! > ${pidFile}; wait`;
      const err = await t.exec(command, { timeoutMs: 1_000, step: "wait for guest" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommandTimeoutError);
      const m = (err as Error).message;
      expect(m).toContain(HOST);
      expect(m).toContain('step "wait for guest"');
      expect(m).toContain("sleep 30 &");
      expect(m).toContain("1 s");
      const pid = Number(readFileSync(pidFile, "utf8"));
      expect(await waitUntil(() => !processAlive(pid), 5_000)).toBe(true);
      expect((await t.exec("echo still here")).stdout).toBe("still here\n");
      expect(sshd.connectionCount() - connections).toBe(1);
    });

    it("GIVEN an idempotent command that times out WHEN run THEN it is not retried", async () => {
      const marker = join(sshd.dir, "timeouts.log");
      const t = transport(sshd.connection());
      await expect(t.exec(`echo run >> ${marker}; sleep 30`, { timeoutMs: 500, idempotent: true })).rejects.toBeInstanceOf(CommandTimeoutError);
      expect(readFileSync(marker, "utf8")).toBe("run\n");
    });
  });
});

describe("Ssh2Transport when the server goes away", { timeout: 60_000 }, () => {
  let sshd: Sshd | null = null;
  let t: Ssh2Transport | null = null;
  afterEach(async () => {
    await t?.close();
    await sshd?.stop();
    t = null;
    sshd = null;
  });

  /** Runs `command`, which prints "started" on stderr when it is ready to be killed, and then calls `kill` (once). */
  const runAndKill = (transport: Ssh2Transport, command: string, kill: () => unknown, options: { idempotent?: boolean } = {}) => {
    let killed = false;
    return transport.exec(command, {
      step: "read live state",
      timeoutMs: 20_000,
      ...options,
      onStderrLine: (line) => {
        if (line === "started" && !killed) {
          killed = true;
          void kill();
        }
      },
    });
  };

  it("GIVEN a running command WHEN sshd is killed THEN it fails with ConnectionLostError saying the command may or may not have run", async () => {
    sshd = await startSshd();
    const s = sshd;
    t = new Ssh2Transport({ hostId: HOST, connection: s.connection(), retryBackoffMs: 50 });
    const err = await runAndKill(t, "echo started >&2; sleep 30", () => s.kill()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    const m = (err as Error).message;
    expect(m).toContain("may or may not have taken effect");
    expect(m).toContain('step "read live state"');
    expect(m).toContain(`127.0.0.1:${s.port}`);
  });

  it("GIVEN an idempotent command WHEN its session is killed THEN it is re-run on a new connection and succeeds", async () => {
    sshd = await startSshd();
    const s = sshd;
    const marker = join(s.dir, "first-run-done");
    t = new Ssh2Transport({ hostId: HOST, connection: s.connection(), retryBackoffMs: 50 });
    await t.exec("true");
    const connections = s.connectionCount();
    const r = await runAndKill(t, `if [ -e ${marker} ]; then echo second run; else touch ${marker}; echo started >&2; sleep 30; fi`, () => s.killSessions(), {
      idempotent: true,
    });
    expect(r.stdout).toBe("second run\n");
    expect(s.connectionCount() - connections).toBe(1);
  });

  it("GIVEN a non-idempotent command WHEN its session is killed THEN it is not re-run, and the next command reconnects", async () => {
    sshd = await startSshd();
    const s = sshd;
    const marker = join(s.dir, "runs");
    t = new Ssh2Transport({ hostId: HOST, connection: s.connection(), retryBackoffMs: 50 });
    const err = await runAndKill(t, `echo run >> ${marker}; echo started >&2; sleep 30`, () => s.killSessions()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect(readFileSync(marker, "utf8")).toBe("run\n");
    expect((await t.exec("echo back")).stdout).toBe("back\n");
    expect(existsSync(marker)).toBe(true);
  });
});
