/**
 * go-plugin's side of the contract, checked without Terraform: the TEST PROVIDER started as
 * Terraform starts it (magic cookie, protocol versions, a client certificate), its handshake
 * line, mutual TLS, health, the Provider service, and Shutdown ending the process.
 */
import * as grpc from "@grpc/grpc-js";
import { spawn, type ChildProcess } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateServerCertificate } from "../../../src/provider/protocol/cert.js";
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from "../../../src/provider/protocol/index.js";
import { protocolRoot } from "../../../src/provider/protocol/proto.js";
import { methodDefinitions } from "../../../src/provider/protocol/server.js";
import { buildFixture } from "./support.js";

const T = 60_000;

interface Started {
  readonly child: ChildProcess;
  readonly line: string;
  readonly exit: Promise<number | null>;
}

function start(entry: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const exit = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  return new Promise((res, rej) => {
    let out = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) res({ child, line: out.slice(0, nl), exit });
    });
    void exit.then((code) => rej(new Error(`provider exited (${code}) before its handshake: ${out}`)));
  });
}

function client(service: string, address: string, creds: grpc.ChannelCredentials): grpc.Client & Record<string, (req: unknown, cb: (err: grpc.ServiceError | null, res: Record<string, unknown>) => void) => void> {
  const Ctor = grpc.makeGenericClientConstructor(methodDefinitions(protocolRoot().lookupService(service)), service);
  return new Ctor(`unix:${address}`, creds, { "grpc.ssl_target_name_override": "localhost", "grpc.default_authority": "localhost" }) as never;
}

const call = (c: ReturnType<typeof client>, method: string, req: unknown = {}): Promise<Record<string, unknown>> =>
  new Promise((res, rej) => c[method]!(req, (err, out) => (err ? rej(err) : res(out))));

describe("the go-plugin handshake of a provider on the protocol layer", () => {
  let fixture: { entry: string; cleanup: () => void };
  beforeAll(() => {
    fixture = buildFixture();
  }, T);
  afterAll(() => fixture?.cleanup());

  it("prints 1|6|unix|<socket>|grpc|<its certificate>, serves only Terraform's certificate, and exits on Shutdown", async () => {
    const terraformCert = generateServerCertificate();
    const p = await start(fixture.entry, { [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: "5,6", PLUGIN_CLIENT_CERT: terraformCert.certPem });
    const [core, app, network, address, protocol, cert] = p.line.split("|");
    expect([core, app, network, protocol]).toEqual(["1", "6", "unix", "grpc"]);
    expect(existsSync(address!)).toBe(true);
    expect(cert).not.toMatch(/=$/);
    const serverCert = new X509Certificate(Buffer.from(cert!, "base64"));
    expect(serverCert.checkHost("localhost")).toBe("localhost");

    const trusted = grpc.credentials.createSsl(Buffer.from(serverCert.toString()), Buffer.from(terraformCert.keyPem), Buffer.from(terraformCert.certPem));
    const health = client("grpc.health.v1.Health", address!, trusted);
    expect(await call(health, "Check", { service: "plugin" })).toMatchObject({ status: 1 });
    const provider = client("tfplugin6.Provider", address!, trusted);
    const meta = (await call(provider, "GetMetadata")) as { server_capabilities: Record<string, boolean>; resources: { type_name: string }[] };
    expect(meta.server_capabilities).toMatchObject({ plan_destroy: true, move_resource_state: false });
    expect(meta.resources.map((r) => r.type_name).sort()).toEqual(["testfixture_fleet", "testfixture_thing"]);

    // A client with another certificate is turned away at the TLS handshake.
    const stranger = generateServerCertificate();
    const untrusted = client("grpc.health.v1.Health", address!, grpc.credentials.createSsl(Buffer.from(serverCert.toString()), Buffer.from(stranger.keyPem), Buffer.from(stranger.certPem)));
    await expect(call(untrusted, "Check", { service: "plugin" })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    untrusted.close();

    const controller = client("plugin.GRPCController", address!, trusted);
    await call(controller, "Shutdown");
    expect(await p.exit).toBe(0);
    expect(existsSync(address!)).toBe(false);
    for (const c of [health, provider, controller]) c.close();
  }, T);

  it("refuses a client that offers only protocol 5", async () => {
    const child = spawn(process.execPath, [fixture.entry], { env: { PATH: process.env.PATH ?? "", [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: "5" } });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((res) => child.on("exit", (c) => res(c)));
    expect(code).toBe(1);
    expect(stderr).toContain("speaks plugin protocol 6");
  }, T);
});
