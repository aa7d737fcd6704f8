/**
 * Reading the operator's OpenSSH config for one host, and the route built from it: pure, on
 * config texts written as people write them.
 */
import { describe, expect, it } from "vitest";
import type { HostConnection } from "../../../src/model/spec.js";
import { resolveRoute, type Route } from "../../../src/ssh/route.js";
import { expandPathTokens, parseProxyJump, patternListMatches, resolveSshConfigHost, type ExplicitSettings, type LocalContext, type SshConfigSource } from "../../../src/ssh/ssh-config.js";

const local: LocalContext = { home: "/home/op", localUser: "op", uid: 1000, env: { SSH_AUTH_SOCK: "/run/agent.sock", KEYS: "/keys" } };
const source = (text: string, files: Record<string, string> = {}): SshConfigSource => ({
  path: "/home/op/.ssh/config",
  text,
  include: (pattern) =>
    Object.entries(files)
      .filter(([path]) => (pattern.endsWith("*") ? path.startsWith(pattern.slice(0, -1)) : path === pattern))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([path, text]) => ({ path, text })),
});
const none: ExplicitSettings = { port: null, user: null };
const resolve = (text: string, name: string, explicit = none, files: Record<string, string> = {}) => {
  const r = resolveSshConfigHost(source(text, files), name, explicit, local);
  if (!r.ok) throw new Error(r.message);
  return r.value;
};
const refusal = (text: string, name: string): string => {
  const r = resolveSshConfigHost(source(text), name, none, local);
  if (r.ok) throw new Error("expected a refusal");
  return r.message;
};

describe("resolveSshConfigHost", () => {
  it("GIVEN two Host blocks that both match WHEN resolving THEN the first value of each directive wins", () => {
    const h = resolve("Host xen-*\n  User admin\n  Port 2222\nHost *\n  User root\n  Port 22\n  HostKeyAlias all\n", "xen-a");
    expect([h.user, h.port, h.hostKeyAlias]).toEqual(["admin", 2222, "all"]);
  });

  it("GIVEN settings before any Host line WHEN resolving THEN they apply to every host and come first", () => {
    expect(resolve("User early\nHost xen-a\n  User late\n", "xen-a").user).toBe("early");
  });

  it("GIVEN a HostName with %h WHEN resolving an alias THEN %h is the alias", () => {
    expect(resolve("Host xen-a\n  HostName %h.dc1.example.org\n", "xen-a").hostName).toBe("xen-a.dc1.example.org");
  });

  it("GIVEN a negated pattern on the Host line WHEN the name matches it THEN the block does not apply", () => {
    const text = "Host *.example.org !bastion.example.org\n  ProxyJump bastion.example.org\n";
    expect(resolve(text, "xen-a.example.org").proxyJump).toBe("bastion.example.org");
    expect(resolve(text, "bastion.example.org").proxyJump).toBeNull();
  });

  it("GIVEN Host patterns in another case WHEN resolving THEN they match as ssh matches them (case-insensitively)", () => {
    expect(resolve("Host XEN-A\n  User admin\n", "xen-a").user).toBe("admin");
  });

  it("GIVEN several IdentityFile lines in matching blocks WHEN resolving THEN they accumulate in order", () => {
    expect(resolve("Host xen-a\n  IdentityFile ~/.ssh/a\nHost *\n  IdentityFile ~/.ssh/b\n", "xen-a").identityFiles).toEqual(["~/.ssh/a", "~/.ssh/b"]);
  });

  it("GIVEN an explicit user and port WHEN the config sets others THEN the config's are not taken", () => {
    const h = resolve("Host xen-a\n  User admin\n  Port 2222\n", "xen-a", { port: 22, user: "root" });
    expect([h.user, h.port]).toEqual([null, null]);
  });

  it("GIVEN Match host on the HostName found so far WHEN resolving THEN it applies", () => {
    const h = resolve("Host xen-a\n  HostName 10.0.0.11\nMatch host 10.0.0.*\n  User dc1\n", "xen-a");
    expect(h.user).toBe("dc1");
  });

  it("GIVEN Match originalhost, user and localuser WHEN resolving THEN each is evaluated", () => {
    expect(resolve("Match originalhost xen-a user op localuser op\n  Port 2200\n", "xen-a").port).toBe(2200);
    expect(resolve("Match originalhost xen-a localuser other\n  Port 2200\n", "xen-a").port).toBeNull();
    expect(resolve("Match all\n  Port 2201\n", "xen-a").port).toBe(2201);
  });

  it("GIVEN Match exec WHEN it is reached THEN it is refused instead of run or guessed", () => {
    expect(refusal('Match exec "test -f /tmp/x"\n  User x\n', "xen-a")).toMatch(/for host "xen-a": "Match exec test -f \/tmp\/x" cannot be evaluated/);
  });

  it("GIVEN Match exec after a criterion that does not hold WHEN resolving THEN it is never reached, so nothing is refused", () => {
    expect(resolve('Match host other exec "false"\n  User x\n', "xen-a").user).toBeNull();
  });

  it.each([
    ["ProxyCommand", "Host xen-a\n  ProxyCommand ssh -W %h:%p bastion\n", /ProxyCommand ssh -W %h:%p bastion is not supported: .*use ProxyJump/],
    ["CanonicalizeHostname", "CanonicalizeHostname yes\n", /CanonicalizeHostname yes is not supported/],
    ["CertificateFile", "Host *\n  CertificateFile ~/.ssh/id-cert.pub\n", /CertificateFile .* is not supported/],
    ["PKCS11Provider", "PKCS11Provider /usr/lib/opensc-pkcs11.so\n", /PKCS11Provider .* is not supported/],
    ["BindAddress", "BindAddress 10.0.0.1\n", /BindAddress 10.0.0.1 is not supported/],
  ])("GIVEN %s for the host WHEN resolving THEN it is refused naming the file, the host and the directive", (_name, text, message) => {
    const m = refusal(text, "xen-a");
    expect(m).toContain('/home/op/.ssh/config, for host "xen-a"');
    expect(m).toMatch(message);
  });

  it("GIVEN ProxyCommand none, or a ProxyCommand after a ProxyJump WHEN resolving THEN nothing is refused (it would not take effect)", () => {
    expect(resolve("Host xen-a\n  ProxyCommand none\n", "xen-a").proxyJump).toBeNull();
    expect(resolve("Host xen-a\n  ProxyJump b\nHost *\n  ProxyCommand nc %h %p\n", "xen-a").proxyJump).toBe("b");
  });

  it("GIVEN a ProxyCommand in a block for other hosts WHEN resolving THEN nothing is refused", () => {
    expect(resolve("Host legacy\n  ProxyCommand nc %h %p\nHost xen-a\n  User root\n", "xen-a").user).toBe("root");
  });

  it("GIVEN an Include of a directory's files WHEN resolving THEN their settings apply, relative paths under ~/.ssh, in name order", () => {
    const h = resolve("Include config.d/*\nHost *\n  User fallback\n", "xen-a", none, {
      "/home/op/.ssh/config.d/10-xen": "Host xen-*\n  Port 2222\n",
      "/home/op/.ssh/config.d/20-all": "User from-include\n",
    });
    expect([h.port, h.user]).toEqual([2222, "from-include"]);
  });

  it("GIVEN an Include inside a Host block that does not match WHEN resolving THEN nothing in the file applies", () => {
    expect(resolve("Host other\n  Include ~/.ssh/other.conf\n", "xen-a", none, { "/home/op/.ssh/other.conf": "User x\n" }).user).toBeNull();
  });

  it("GIVEN a Port that is not a TCP port WHEN resolving THEN it is refused", () => {
    expect(refusal("Port 70000\n", "xen-a")).toMatch(/Port "70000" is not a TCP port/);
  });

  it("GIVEN UserKnownHostsFile with two files, or none WHEN resolving THEN the list is kept as given", () => {
    expect(resolve("UserKnownHostsFile ~/.ssh/kh1 ~/.ssh/kh2\n", "x").userKnownHostsFiles).toEqual(["~/.ssh/kh1", "~/.ssh/kh2"]);
    expect(resolve("UserKnownHostsFile none\n", "x").userKnownHostsFiles).toEqual(["none"]);
  });
});

describe("patterns and tokens", () => {
  it.each([
    ["xen-a", ["xen-?"], true],
    ["xen-10", ["xen-?"], false],
    ["xen-10", ["xen-*"], true],
    ["a.example.org", ["*.example.org,!b.example.org"], true],
    ["b.example.org", ["*.example.org", "!b.example.org"], false],
    ["c", ["!c"], false],
  ])("GIVEN the name %s and patterns %j THEN it matches: %s", (name, patterns, expected) => {
    expect(patternListMatches(name, patterns)).toBe(expected);
  });

  const tokens = { host: "10.0.0.11", originalHost: "xen-a", port: 2222, user: "root", hostKeyAlias: "xen-a" };
  it("GIVEN an IdentityFile with ~, ${VAR} and tokens WHEN expanded THEN each is replaced as OpenSSH does", () => {
    expect(expandPathTokens("~/.ssh/%n-%r@%h:%p", "IdentityFile", tokens, local)).toEqual({ ok: true, value: "/home/op/.ssh/xen-a-root@10.0.0.11:2222" });
    expect(expandPathTokens("${KEYS}/%u/%%/%d", "IdentityFile", tokens, local)).toEqual({ ok: true, value: "/keys/op/%//home/op" });
  });

  it("GIVEN a token cdktf-xen cannot know, or an unset variable WHEN expanded THEN it is refused naming the directive", () => {
    const c = expandPathTokens("~/.ssh/%C", "IdentityFile", tokens, local);
    expect(c.ok ? "" : c.message).toMatch(/IdentityFile "~\/.ssh\/%C" uses the token %C/);
    const v = expandPathTokens("${NOPE}/k", "IdentityFile", tokens, local);
    expect(v.ok ? "" : v.message).toMatch(/environment variable NOPE, which is not set/);
  });

  it("GIVEN ProxyJump lists in every form WHEN parsed THEN each hop has its user, host and port", () => {
    expect(parseProxyJump("jump@bastion:2222,ssh://admin@[fd00::1]:22,inner", tokens)).toEqual({
      ok: true,
      value: [
        { host: "bastion", user: "jump", port: 2222 },
        { host: "fd00::1", user: "admin", port: 22 },
        { host: "inner", user: null, port: null },
      ],
    });
    expect(parseProxyJump("none", tokens)).toEqual({ ok: true, value: [] });
    expect(parseProxyJump("bastion-for-%n", tokens)).toEqual({ ok: true, value: [{ host: "bastion-for-xen-a", user: null, port: null }] });
  });
});

describe("resolveRoute", () => {
  const connection = (overrides: Partial<HostConnection> = {}): HostConnection => ({
    address: "xen-a",
    port: 22,
    user: "root",
    privateKeyPath: null,
    passphraseEnv: null,
    hostKey: null,
    knownHostsFile: null,
    sshConfig: { file: "~/.ssh/config", explicit: [] },
    ...overrides,
  });
  const route = (c: HostConnection, text: string | null, env = local.env): Route => {
    const r = resolveRoute(c, text === null ? null : source(text), { ...local, env });
    if (!r.ok) throw new Error(r.message);
    return r.value;
  };
  const summary = (r: Route): string[] => r.hops.map((h) => `${h.role}: ${h.user}@${h.address}:${h.port}`);

  it("GIVEN the config off WHEN routing THEN exactly the declared settings are used and nothing under ~/.ssh", () => {
    const r = route(connection({ address: "10.0.0.11", hostKey: "SHA256:x", sshConfig: undefined }), null, {});
    expect(r.hops).toEqual([
      { role: "host", name: "10.0.0.11", address: "10.0.0.11", port: 22, user: "root", hostKey: "SHA256:x", knownHosts: [], hostKeyAlias: null, identities: [], agent: null },
    ]);
  });

  it("GIVEN a key path and SSH_AUTH_SOCK WHEN routing THEN the key is offered first and the agent too, unless useAgent is false", () => {
    const withAgent = route(connection({ privateKeyPath: "~/.ssh/xen", sshConfig: undefined, hostKey: "SHA256:x" }), null);
    expect(withAgent.hops[0]!.identities).toEqual([{ path: "/home/op/.ssh/xen", explicit: true, passphraseEnv: null }]);
    expect(withAgent.hops[0]!.agent).toBe("/run/agent.sock");
    expect(route(connection({ privateKeyPath: "~/.ssh/xen", useAgent: false, sshConfig: undefined, hostKey: "SHA256:x" }), null).hops[0]!.agent).toBeNull();
  });

  it("GIVEN the config on and nothing named WHEN routing THEN the default identity files and known_hosts are used", () => {
    const h = route(connection(), "").hops[0]!;
    expect(h.identities.map((i) => i.path)).toEqual(["/home/op/.ssh/id_ed25519", "/home/op/.ssh/id_ecdsa", "/home/op/.ssh/id_rsa"]);
    expect(h.knownHosts).toEqual([
      { path: "/home/op/.ssh/known_hosts", explicit: false },
      { path: "/home/op/.ssh/known_hosts2", explicit: false },
    ]);
    expect([h.user, h.port]).toEqual(["root", 22]);
  });

  it("GIVEN explicit key, known_hosts, port and user WHEN the config names others THEN the explicit ones win", () => {
    const text = "Host xen-a\n  HostName 10.0.0.11\n  Port 2222\n  User admin\n  IdentityFile ~/.ssh/cfg\n  UserKnownHostsFile ~/.ssh/cfg_kh\n";
    const h = route(connection({ port: 22, user: "root", privateKeyPath: "/k", knownHostsFile: "/kh", sshConfig: { file: "~/.ssh/config", explicit: ["port", "user"] } }), text).hops[0]!;
    expect([h.address, h.port, h.user]).toEqual(["10.0.0.11", 22, "root"]);
    expect(h.identities.map((i) => i.path)).toEqual(["/k"]);
    expect(h.knownHosts).toEqual([{ path: "/kh", explicit: true }]);
  });

  it("GIVEN ProxyJump a,b where a has its own ProxyJump WHEN routing THEN a's bastion comes first, and each bastion takes its own Host block", () => {
    const text = [
      "Host xen-a", "  HostName 10.0.1.11", "  ProxyJump jump-a,jump-b:2202",
      "Host jump-a", "  HostName 192.0.2.10", "  User ja", "  ProxyJump edge",
      "Host jump-b", "  HostName 10.0.1.2", "  ProxyJump ignored-for-an-inner-hop",
      "Host edge", "  HostName 198.51.100.1", "  User edge",
      "",
    ].join("\n");
    expect(summary(route(connection(), text))).toEqual([
      "jump host 1 of 3: edge@198.51.100.1:22",
      "jump host 2 of 3: ja@192.0.2.10:22",
      "jump host 3 of 3: op@10.0.1.2:2202",
      "host: root@10.0.1.11:22",
    ]);
  });

  it("GIVEN a ProxyJump loop WHEN routing THEN it is refused instead of followed forever", () => {
    const r = resolveRoute(connection(), source("Host xen-a\n  ProxyJump loop\nHost loop\n  ProxyJump loop\n"), local);
    expect(r.ok ? "" : r.message).toMatch(/more than 8 jump hosts \(a ProxyJump loop\?\)/);
  });

  it("GIVEN explicit jumpHosts WHEN the config has a ProxyJump THEN only the explicit ones are used, filled in from their own Host blocks", () => {
    const text = "Host xen-a\n  ProxyJump other\nHost bastion\n  HostName 192.0.2.1\n  User jump\n";
    const r = route(
      connection({ jumpHosts: [{ address: "bastion", port: null, user: null, privateKeyPath: null, passphraseEnv: null, hostKey: "SHA256:b", knownHostsFile: null }] }),
      text,
    );
    expect(summary(r)).toEqual(["jump host 1 of 1: jump@192.0.2.1:22", "host: root@xen-a:22"]);
    expect(r.hops[0]!.hostKey).toBe("SHA256:b");
  });

  it("GIVEN a HostName that is not a host address WHEN routing THEN it is refused before anything dials it", () => {
    const r = resolveRoute(connection(), source("Host xen-a\n  HostName 10.0.0.1;id\n"), local);
    expect(r.ok ? "" : r.message).toMatch(/host "xen-a" \(from \/home\/op\/.ssh\/config\): address "10.0.0.1;id" is not a host name or IP address/);
  });

  it("GIVEN a ProxyJump user that is an ssh option WHEN routing THEN it is refused", () => {
    const r = resolveRoute(connection(), source("Host xen-a\n  ProxyJump -oProxyCommand=x@b\n"), local);
    expect(r.ok ? "" : r.message).toMatch(/user "-oProxyCommand=x" is not a valid login name/);
  });

  it("GIVEN IdentitiesOnly with an IdentityFile, or IdentityAgent none WHEN routing THEN the agent is not offered", () => {
    expect(route(connection(), "IdentitiesOnly yes\nIdentityFile ~/.ssh/only\n").hops[0]!.agent).toBeNull();
    expect(route(connection(), "IdentityAgent none\n").hops[0]!.agent).toBeNull();
    expect(route(connection(), "IdentityAgent ~/.ssh/agent.sock\n").hops[0]!.agent).toBe("/home/op/.ssh/agent.sock");
  });

  it("GIVEN HostKeyAlias WHEN routing THEN known_hosts is searched under the alias", () => {
    expect(route(connection(), "HostKeyAlias xen-a-key\n").hops[0]!.hostKeyAlias).toBe("xen-a-key");
  });
});
