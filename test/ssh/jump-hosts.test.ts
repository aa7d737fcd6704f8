/**
 * Bastions and the operator's ssh config against real OpenSSH sshd processes: hosts in a
 * network namespace that only a bastion (an sshd in the namespace in front of it) can reach,
 * so a direct connection fails and one through the bastion works. Counted by each sshd's own
 * log.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readInput } from "../../src/cli/provisioner-input.js";
import { DEFAULT_HOST_MIGRATION, SPEC_VERSION, type HostConnection, type JumpHostConnection } from "../../src/model/spec.js";
import { hostAttributes, hostFromValue } from "../../src/provider/xen/convert.js";
import { HostSessions } from "../../src/provider/xen/host-sessions.js";
import { AuthError, ConnectError, HostKeyMismatchError, HostKeyUnknownError, TransportConfigError } from "../../src/ssh/errors.js";
import { TransportPool, ssh2TransportFactory } from "../../src/ssh/pool.js";
import { Ssh2Transport, type Ssh2TransportOptions } from "../../src/ssh/ssh2-transport.js";
import { createIsolatedNetwork, type IsolatedNetwork } from "../helpers/netns.js";
import { startSshAgent, type SshAgent } from "../helpers/ssh-agent.js";
import { generateKey, startSshd, type Sshd } from "../helpers/sshd.js";

const HOST = "stack/xen-behind";

describe("hosts behind bastions, with real sshd processes", { timeout: 60_000 }, () => {
  let net: IsolatedNetwork;
  /** In the root ns, on 127.0.0.1: the outermost bastion of the two-hop tests. */
  let front: Sshd;
  /** In the outer ns: the bastion in front of the hosts. */
  let bastion: Sshd;
  /** In the inner ns: reachable only from the outer ns. */
  let target: Sshd;
  let target2: Sshd;
  let agent: SshAgent;
  let home: string;
  const open: Ssh2Transport[] = [];
  const pools: TransportPool[] = [];
  /** No agent, and a HOME without keys, unless a test says otherwise. */
  let env: NodeJS.ProcessEnv = { HOME: "/nonexistent" };

  const transport = (connection: HostConnection, options: Partial<Ssh2TransportOptions> = {}): Ssh2Transport => {
    const t = new Ssh2Transport({ hostId: HOST, connection, retryBackoffMs: 50, connectTimeoutMs: 10_000, env, ...options });
    open.push(t);
    return t;
  };
  const jump = (s: Sshd, overrides: Partial<JumpHostConnection> = {}): JumpHostConnection => ({
    address: s.address,
    port: s.port,
    user: "root",
    privateKeyPath: s.clientKey.path,
    passphraseEnv: null,
    hostKey: s.hostKeys.ed25519.fingerprint,
    knownHostsFile: null,
    ...overrides,
  });
  const knownHostsLine = (s: Sshd): string => `[${s.address}]:${s.port} ${s.hostKeys.ed25519.publicKeyLine}`;
  const file = (name: string, text: string): string => {
    const path = join(home, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    net = await createIsolatedNetwork();
    [front, bastion, target, target2, agent] = await Promise.all([
      startSshd(),
      startSshd({ netns: net.outerNs, listenAddress: net.outerAddress }),
      startSshd({ netns: net.innerNs, listenAddress: net.innerAddress }),
      startSshd({ netns: net.innerNs, listenAddress: net.innerAddress }),
      startSshAgent(),
    ]);
    home = await mkdtemp(join(tmpdir(), "cdktf-xen-home-"));
    mkdirSync(join(home, ".ssh"));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
    await Promise.all(pools.splice(0).map((p) => p.closeAll()));
    env = { HOME: home };
  });
  afterAll(async () => {
    await Promise.all([front, bastion, target, target2].map((s) => s?.stop()));
    await agent?.stop();
    await net?.remove();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  describe("explicit jumpHosts", () => {
    it("GIVEN a host only the bastion reaches WHEN dialled directly THEN it fails, AND WHEN dialled through the bastion THEN the command runs there", async () => {
      env = { HOME: home };
      const direct = await transport(target.connection(), { connectRetries: 0 }).exec("true").catch((e: unknown) => e);
      expect(direct).toBeInstanceOf(ConnectError);
      expect(target.connectionCount()).toBe(0);

      const before = bastion.connectionCount();
      const r = await transport(target.connection({ jumpHosts: [jump(bastion)] })).exec("ip -o -4 addr show | grep -c 'inet '; hostname -I");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(net.innerAddress);
      expect(bastion.connectionCount() - before).toBe(1);
      expect(target.connectionCount()).toBe(1);
      // The host saw the connection come from the bastion's side of the namespaces.
      expect(target.log()).toMatch(/Connection from 100\.64\.\d+\.5/);
    });

    it("GIVEN a wrong pinned key for the bastion WHEN connecting THEN it is refused naming that jump host, and nothing reaches the host", async () => {
      env = { HOME: home };
      const other = await generateKey(join(home, "not-the-bastion"));
      const targetBefore = target.connectionCount();
      const loginsBefore = bastion.acceptedLoginCount();
      const err = await transport(target.connection({ jumpHosts: [jump(bastion, { hostKey: other.fingerprint })] }))
        .exec("true")
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      const m = (err as Error).message;
      expect(m).toContain(`host ${HOST} at jump host 1 of 1 "${bastion.address}" (${bastion.address}:${bastion.port})`);
      expect(m).toContain(bastion.hostKeys.ed25519.fingerprint);
      expect(m).toContain(other.fingerprint);
      expect(bastion.acceptedLoginCount()).toBe(loginsBefore);
      expect(target.connectionCount()).toBe(targetBefore);
    });

    it("GIVEN a bastion missing from its known_hosts file WHEN connecting THEN it is refused as unknown, with the bastion's fingerprint and address in the fix", async () => {
      env = { HOME: home };
      const kh = file("kh-empty", "");
      const err = await transport(target.connection({ jumpHosts: [jump(bastion, { hostKey: null, knownHostsFile: kh })] }))
        .exec("true")
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyUnknownError);
      expect((err as Error).message).toContain(`ssh-keyscan -p ${bastion.port} -t ed25519 ${bastion.address} >> ${kh}`);
    });

    it("GIVEN a wrong pinned key for the host behind a good bastion WHEN connecting THEN the host's own key is refused (every hop is checked)", async () => {
      env = { HOME: home };
      const other = await generateKey(join(home, "not-the-target"));
      const err = await transport(target.connection({ hostKey: other.fingerprint, jumpHosts: [jump(bastion)] })).exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      expect((err as Error).message).toContain(`host ${HOST} (${target.address}:${target.port})`);
    });

    it("GIVEN two bastions in a row WHEN connecting THEN the host is reached through both, one connection each", async () => {
      env = { HOME: home };
      const [f, b, t] = [front.connectionCount(), bastion.connectionCount(), target.connectionCount()];
      const r = await transport(target.connection({ jumpHosts: [jump(front), jump(bastion)] })).exec("echo two hops");
      expect(r.stdout).toBe("two hops\n");
      expect([front.connectionCount() - f, bastion.connectionCount() - b, target.connectionCount() - t]).toEqual([1, 1, 1]);
      // The middle bastion was reached from the front one (over the root side of the veth), not from 127.0.0.1.
      expect(bastion.log()).toMatch(/Connection from 100\.64\.\d+\.1/);
    });

    it("GIVEN two hosts behind one bastion in one pool WHEN both run commands THEN each host has one connection and they share one connection to the bastion", async () => {
      env = { HOME: home };
      const pool = new TransportPool(ssh2TransportFactory({ env, retryBackoffMs: 50 }));
      pools.push(pool);
      const [b, t1, t2] = [bastion.connectionCount(), target.connectionCount(), target2.connectionCount()];
      const a = pool.get("stack/xen-1", target.connection({ jumpHosts: [jump(bastion)] }));
      const c = pool.get("stack/xen-2", target2.connection({ jumpHosts: [jump(bastion)] }));
      await Promise.all([a.exec("echo 1"), c.exec("echo 2"), a.exec("echo 3"), c.exec("echo 4")]);
      await Promise.all([a.exec("true"), c.exec("true")]);
      expect([bastion.connectionCount() - b, target.connectionCount() - t1, target2.connectionCount() - t2]).toEqual([1, 1, 1]);
      // The bastion's connection is closed with the last host behind it.
      const disconnects = (): number => bastion.log().split("\n").filter((l) => l.includes("Disconnected from user root")).length;
      const before = disconnects();
      await pool.closeAll();
      await expect.poll(disconnects, { timeout: 5_000 }).toBe(before + 1);
    });

    it("GIVEN a host behind a bastion WHEN the bastion's sessions are killed THEN an idempotent command reconnects through a new bastion connection", async () => {
      env = { HOME: home };
      const t = transport(target.connection({ jumpHosts: [jump(bastion)] }));
      await t.exec("true");
      const b = bastion.connectionCount();
      bastion.killSessions();
      const r = await t.exec("echo again", { idempotent: true });
      expect(r.stdout).toBe("again\n");
      expect(bastion.connectionCount() - b).toBe(1);
    });

    it("GIVEN the host a bastion forwards to refuses connections WHEN connecting THEN the error says the bastion could not reach it", async () => {
      env = { HOME: home };
      const err = await transport(target.connection({ port: 1, jumpHosts: [jump(bastion)] }), { connectRetries: 0 }).exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as Error).message).toMatch(new RegExp(`cannot reach the host through jump host 1 of 1 .*could not open a connection to ${net.innerAddress.replace(/\./g, "\\.")}:1`));
    });
  });

  describe("both lifecycle paths", () => {
    it("GIVEN a connection through a bastion WHEN carried as the provider's ssh block and as a provisioner input, read back and dialled THEN both reach the host", async () => {
      env = { HOME: home };
      const connection = target.connection({ jumpHosts: [jump(bastion)] });
      const declared = hostFromValue(
        hostAttributes({ spec: { version: SPEC_VERSION, host: HOST, pools: [], volumes: [], domains: [] }, connection, migration: DEFAULT_HOST_MIGRATION, domainsElsewhere: [] }),
      );
      expect(declared.connection).toEqual(connection);
      const sessions = new HostSessions(ssh2TransportFactory({ env, retryBackoffMs: 50 }));
      try {
        expect((await sessions.transport(HOST, declared.connection).exec("echo provider")).stdout).toBe("provider\n");
      } finally {
        await sessions.closeAll();
      }
      const input = readInput({ CDKTF_XEN_INPUT: JSON.stringify({ cdktf_xen: "host", host: HOST, connection }) }, "host");
      expect((await transport(input.connection).exec("echo provisioner")).stdout).toBe("provisioner\n");
    });
  });

  describe("the operator's ssh config", () => {
    const config = (extra = ""): string =>
      file(
        "ssh_config",
        [
          "Host xen-behind",
          `  HostName ${net.innerAddress}`,
          `  Port ${target.port}`,
          "  User root",
          `  IdentityFile ${target.clientKey.path}`,
          `  UserKnownHostsFile ${file("kh-target", `${knownHostsLine(target)}\n`)}`,
          "  ProxyJump bastion-a",
          "Host bastion-a",
          `  HostName ${net.outerAddress}`,
          `  Port ${bastion.port}`,
          "  User root",
          `  IdentityFile ${bastion.clientKey.path}`,
          `  UserKnownHostsFile ${file("kh-bastion", `${knownHostsLine(bastion)}\n`)}`,
          extra,
          "",
        ].join("\n"),
      );
    const viaConfig = (path: string, overrides: Partial<HostConnection> = {}): HostConnection => ({
      address: "xen-behind",
      port: 22,
      user: "root",
      privateKeyPath: null,
      passphraseEnv: null,
      hostKey: null,
      knownHostsFile: null,
      sshConfig: { file: path, explicit: [] },
      ...overrides,
    });

    it("GIVEN a Host alias with HostName, Port, User, IdentityFile, UserKnownHostsFile and ProxyJump WHEN connecting to the alias THEN every one is honoured", async () => {
      env = { HOME: home };
      const b = bastion.connectionCount();
      const r = await transport(viaConfig(config())).exec("echo via config");
      expect(r.stdout).toBe("via config\n");
      expect(bastion.connectionCount() - b).toBe(1);
    });

    it("GIVEN explicit port and user that differ from the config WHEN connecting THEN the explicit ones win", async () => {
      env = { HOME: home };
      const path = file(
        "ssh_config_wrong",
        readConfigWith(config(), (t) => t.replace(`  Port ${target.port}`, "  Port 1").replace("  User root\n  IdentityFile " + target.clientKey.path, `  User nobody\n  IdentityFile ${target.clientKey.path}`)),
      );
      const wrong = await transport(viaConfig(path), { connectRetries: 0 }).exec("true").catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(ConnectError);
      const r = await transport(viaConfig(path, { port: target.port, user: "root", sshConfig: { file: path, explicit: ["port", "user"] } })).exec("id -un");
      expect(r.stdout).toBe("root\n");
    });

    it("GIVEN explicit jumpHosts and a config ProxyJump to a bastion that does not answer WHEN connecting THEN the explicit bastion is used", async () => {
      env = { HOME: home };
      const path = file("ssh_config_bad_jump", readConfigWith(config(), (t) => t.replace(`  Port ${bastion.port}`, "  Port 1")));
      const r = await transport(viaConfig(path, { jumpHosts: [jump(bastion)] })).exec("echo explicit bastion");
      expect(r.stdout).toBe("explicit bastion\n");
    });

    it("GIVEN a ProxyCommand for the host WHEN connecting THEN it is refused naming the host and the directive, before dialling", async () => {
      env = { HOME: home };
      const path = file("ssh_config_proxycommand", `Host xen-behind\n  ProxyCommand nc %h %p\n${readConfigWith(config(), (t) => t)}`);
      const err = await transport(viaConfig(path)).exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportConfigError);
      expect((err as Error).message).toMatch(/for host "xen-behind": ProxyCommand nc %h %p is not supported/);
    });

    it("GIVEN no key and no known_hosts named anywhere WHEN connecting with the config on THEN ~/.ssh/id_ed25519 and ~/.ssh/known_hosts are used", async () => {
      const defaultHome = await mkdtemp(join(tmpdir(), "cdktf-xen-home-"));
      try {
        mkdirSync(join(defaultHome, ".ssh"));
        copyFileSync(bastion.clientKey.path, join(defaultHome, ".ssh", "id_ed25519"));
        writeFileSync(join(defaultHome, ".ssh", "known_hosts"), `${knownHostsLine(bastion)}\n`);
        env = { HOME: defaultHome };
        const r = await transport({ ...bastion.connection({ privateKeyPath: null, hostKey: null }), sshConfig: { file: "~/.ssh/config", explicit: ["port", "user"] } }).exec("echo defaults");
        expect(r.stdout).toBe("defaults\n");
        // Without the config opted in, the same settings are refused: nothing is read that is not named.
        const err = await transport(bastion.connection({ privateKeyPath: null, hostKey: null })).exec("true").catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TransportConfigError);
      } finally {
        await rm(defaultHome, { recursive: true, force: true });
      }
    });
  });

  describe("agent fallback", () => {
    it("GIVEN a key file the host refuses and an agent holding the right key WHEN connecting THEN the agent's key logs in", async () => {
      await agent.add(bastion.clientKey.path);
      const stranger = await generateKey(join(home, "stranger"));
      env = { HOME: home, SSH_AUTH_SOCK: agent.socket };
      const r = await transport(bastion.connection({ privateKeyPath: stranger.path })).exec("echo agent");
      expect(r.stdout).toBe("agent\n");
    });

    it("GIVEN the same key file with useAgent false WHEN connecting THEN only the key file is offered and the login fails", async () => {
      const stranger = await generateKey(join(home, "stranger2"));
      env = { HOME: home, SSH_AUTH_SOCK: agent.socket };
      const err = await transport(bastion.connection({ privateKeyPath: stranger.path, useAgent: false }), { connectRetries: 0 }).exec("true").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      expect((err as Error).message).toContain(`refused the key ${stranger.path} (`);
    });
  });
});

/** The config file at `path`, rewritten by `edit` (for variants of one config). */
function readConfigWith(path: string, edit: (text: string) => string): string {
  return edit(readFileSync(path, "utf8"));
}
