/**
 * Serving a provider the way go-plugin's Serve does, so Terraform can launch it:
 * 1. the magic cookie: without TF_PLUGIN_MAGIC_COOKIE (Terraform's value) the process was run by
 *    hand: say so on stderr, exit 1;
 * 2. PLUGIN_PROTOCOL_VERSIONS (Terraform offers "5,6" or "6"): we speak 6 only;
 * 3. AutoMTLS: with PLUGIN_CLIENT_CERT (Terraform's PEM cert) we serve TLS ≥ 1.2 with a fresh
 *    self-signed cert, requiring and verifying exactly that client cert;
 * 4. listen on a Unix socket in the temp dir (PLUGIN_UNIX_SOCKET_DIR if set), or on
 *    127.0.0.1 TCP (PLUGIN_MIN_PORT..PLUGIN_MAX_PORT) where Unix sockets are not available;
 * 5. print `1|6|unix|<path>|grpc|<cert>` on stdout;
 * 6. serve tfplugin6.Provider, plugin.GRPCController (Shutdown ends the process),
 *    plugin.GRPCStdio, plugin.GRPCBroker (unused by Terraform, kept open) and grpc.health.v1.
 *
 * Stdin is NOT read: go-plugin hands the plugin Terraform's own stdin (a terminal, often), and
 * reading it would steal the answer to "Enter a value:". A provider whose Terraform died
 * without a Shutdown notices its parent is gone (re-parented) and exits.
 */
import * as grpc from "@grpc/grpc-js";
import type protobuf from "protobufjs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateServerCertificate } from "./cert.js";
import { protocolRoot } from "./proto.js";
import { providerService, type Logger, type Rpc } from "./service.js";
import type { ProviderDefinition } from "./types.js";

/** Terraform's handshake (hashicorp/terraform internal/plugin: the same for protocols 5 and 6). */
export const MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE";
export const MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const CORE_PROTOCOL_VERSION = 1;
const APP_PROTOCOL_VERSION = 6;

export interface ServeOptions {
  /** Called after every Provider RPC with its name and milliseconds (decode + handler + encode). */
  readonly onCall?: (rpc: string, ms: number) => void;
  /** Where log lines go; default: stderr, as hclog-style JSON lines Terraform's TF_LOG shows. */
  readonly log?: Logger;
}

function stderrLogger(): Logger {
  return (level, message) => {
    process.stderr.write(`${JSON.stringify({ "@level": level, "@message": message, "@module": "cdktf-xen-provider", "@timestamp": new Date().toISOString() })}\n`);
  };
}

/** The grpc-js definition of a service of the protocol (also used by tests as a client). */
export function methodDefinitions(service: protobuf.Service): grpc.ServiceDefinition {
  const root = protocolRoot();
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methodsArray) {
    const reqType = root.lookupType(method.resolvedRequestType!.fullName);
    const resType = root.lookupType(method.resolvedResponseType!.fullName);
    const fullService = service.fullName.replace(/^\./, "");
    def[method.name] = {
      path: `/${fullService}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (v: unknown) => Buffer.from(reqType.encode(reqType.fromObject(v as Record<string, unknown>)).finish()),
      requestDeserialize: (b: Buffer) =>
        reqType.toObject(reqType.decode(b), { longs: Number, enums: Number, defaults: true, arrays: true, objects: true }),
      responseSerialize: (v: unknown) => Buffer.from(resType.encode(resType.fromObject(v as Record<string, unknown>)).finish()),
      responseDeserialize: (b: Buffer) => resType.toObject(resType.decode(b), { longs: Number, enums: Number, defaults: true }),
      originalName: method.name,
    };
  }
  return def as grpc.ServiceDefinition;
}

function unary(rpc: Rpc): grpc.handleUnaryCall<Record<string, unknown>, Record<string, unknown>> {
  return (call, callback) => {
    rpc(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => callback({ code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) }),
    );
  };
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/**
 * Serves `def` to the Terraform that launched this process: prints the handshake on stdout
 * and resolves when Terraform shuts the provider down (GRPCController.Shutdown, SIGTERM, or
 * the parent gone); the process exits (code 0) 1 s later at the latest.
 */
export async function serveProvider(def: ProviderDefinition, options: ServeOptions = {}): Promise<void> {
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    fail(
      "This binary is a plugin. These are not meant to be executed directly.\n" +
        "Please execute the program that consumes these plugins, which will\n" +
        "load any plugins automatically",
    );
  }
  const offered = (process.env.PLUGIN_PROTOCOL_VERSIONS ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (offered.length > 0 && !offered.includes(String(APP_PROTOCOL_VERSION))) {
    fail(`This provider speaks plugin protocol ${APP_PROTOCOL_VERSION}; the client offered ${offered.join(", ")}. Use Terraform 1.0 or later.`);
  }
  const log = options.log ?? stderrLogger();
  const rpcs = providerService(def, { log, ...(options.onCall ? { onCall: options.onCall } : {}) });
  const root = protocolRoot();

  // After the handshake, stdout belongs to go-plugin's stdio stream (as in Go providers).
  const stdioStreams = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  /** Streams that stay open until shutdown (broker, health watch). */
  const openStreams = new Set<{ end(): void }>();
  let shuttingDown = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const server = new grpc.Server({ "grpc.max_receive_message_length": 256 * 1024 * 1024, "grpc.max_send_message_length": 256 * 1024 * 1024 });
  let socketDir: string | undefined;

  const shutdown = (why: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    log("debug", `shutting down: ${why}`);
    for (const s of stdioStreams) s.end();
    for (const s of openStreams) s.end();
    server.tryShutdown(() => {
      if (socketDir !== undefined) rmSync(socketDir, { recursive: true, force: true });
      resolveDone();
    });
    // Go's Shutdown is a hard grpc Stop: the response gets a moment to leave, then we go.
    setTimeout(() => server.forceShutdown(), 100).unref();
  };

  const provider = root.lookupService("tfplugin6.Provider");
  const impl: grpc.UntypedServiceImplementation = {};
  for (const m of provider.methodsArray) {
    const rpc = rpcs[m.name];
    impl[m.name] = rpc === undefined
      ? unary(async () => { throw new Error(`${m.name} is not implemented`); })
      : unary(rpc);
  }
  server.addService(methodDefinitions(provider), impl);

  server.addService(methodDefinitions(root.lookupService("plugin.GRPCController")), {
    Shutdown: (_call: unknown, callback: grpc.sendUnaryData<Record<string, unknown>>) => {
      callback(null, {});
      setImmediate(() => shutdown("GRPCController.Shutdown"));
    },
  });
  server.addService(methodDefinitions(root.lookupService("plugin.GRPCStdio")), {
    StreamStdio: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      stdioStreams.add(call);
      call.on("cancelled", () => stdioStreams.delete(call));
      call.on("close", () => stdioStreams.delete(call));
    },
  });
  server.addService(methodDefinitions(root.lookupService("plugin.GRPCBroker")), {
    StartStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      openStreams.add(call);
      call.on("data", () => undefined);
      call.on("end", () => {
        openStreams.delete(call);
        call.end();
      });
      call.on("error", () => openStreams.delete(call));
    },
  });
  server.addService(methodDefinitions(root.lookupService("grpc.health.v1.Health")), {
    Check: (_call: unknown, callback: grpc.sendUnaryData<Record<string, unknown>>) => callback(null, { status: 1 }),
    Watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      call.write({ status: 1 });
      openStreams.add(call);
      call.on("cancelled", () => openStreams.delete(call));
    },
  });

  let credentials = grpc.ServerCredentials.createInsecure();
  let certField = "";
  const clientCert = process.env.PLUGIN_CLIENT_CERT;
  if (clientCert !== undefined && clientCert !== "") {
    const cert = generateServerCertificate();
    credentials = grpc.ServerCredentials.createSsl(
      Buffer.from(clientCert),
      [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }],
      true,
    );
    certField = cert.handshakeField;
    log("info", "configuring server automatic mTLS");
  }

  let network: "unix" | "tcp";
  let address: string;
  if (process.platform === "win32") {
    const min = Number(process.env.PLUGIN_MIN_PORT ?? 0);
    const port = await bind(server, `127.0.0.1:${min}`, credentials);
    network = "tcp";
    address = `127.0.0.1:${port}`;
  } else {
    socketDir = mkdtempSync(join(process.env.PLUGIN_UNIX_SOCKET_DIR ?? tmpdir(), "plugin"));
    address = join(socketDir, "provider.sock");
    await bind(server, `unix:${address}`, credentials);
    network = "unix";
  }

  const line = `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|${network}|${address}|grpc|${certField}\n`;
  const realStdoutWrite = process.stdout.write.bind(process.stdout);
  realStdoutWrite(line);
  // Anything printed to stdout from now on goes to the stdio stream (or stderr when nobody listens).
  process.stdout.write = ((chunk: string | Uint8Array, encodingOrCb?: unknown, cb?: unknown): boolean => {
    const data = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk);
    if (stdioStreams.size > 0) for (const s of stdioStreams) s.write({ channel: 1, data });
    else process.stderr.write(data);
    const callback = typeof encodingOrCb === "function" ? encodingOrCb : cb;
    if (typeof callback === "function") (callback as () => void)();
    return true;
  }) as typeof process.stdout.write;

  // go-plugin's servers ignore SIGINT (Terraform forwards Ctrl-C itself via StopProvider).
  process.on("SIGINT", () => log("trace", "plugin received interrupt signal, ignoring"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) shutdown("the launching process is gone");
  }, 1_000);
  watch.unref();

  await done;
  clearInterval(watch);
  // Like a Go provider's main returning, the process ends: at once when nothing else is open;
  // handles the author left open (an SSH connection) get 1 s, then we exit (go-plugin kills at 2 s).
  setTimeout(() => process.exit(0), 1_000).unref();
}

function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}
