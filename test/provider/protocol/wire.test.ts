/**
 * The pure parts of the protocol layer: cty values over msgpack and JSON, the default plan,
 * schema messages, the AutoMTLS certificate, the installer and the RPC wrapper.
 */
import { ExtData, decode, encode } from "@msgpack/msgpack";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateServerCertificate } from "../../../src/provider/protocol/cert.js";
import { CtyError, blockType, decodeJson, decodeMsgpack, encodeMsgpack, stateFromJson } from "../../../src/provider/protocol/cty.js";
import { UNKNOWN, defaultPlan, installProvider, terraformPlatform, type CtyType, type Schema, type Value } from "../../../src/provider/protocol/index.js";
import { protocolRoot } from "../../../src/provider/protocol/proto.js";
import { schemaMessage } from "../../../src/provider/protocol/schema.js";
import { diagnosticMessage, providerService } from "../../../src/provider/protocol/service.js";

const domainSchema: Schema = {
  version: 0,
  attributes: {
    host: { type: "string", required: true },
    domain: {
      optional: true,
      nested: {
        nesting: "map",
        attributes: {
          memory: { type: "number", required: true },
          domid: { type: "number", computed: true },
          ipv4: { type: ["list", "string"], computed: true },
        },
      },
    },
  },
  blocks: { disk: { nesting: "list", block: { attributes: { vdev: { type: "string", required: true } } } } },
};

const roundTrip = (t: CtyType, v: Value): Value => decodeMsgpack(t, encodeMsgpack(t, v));

describe("cty values over msgpack", () => {
  it("round-trips every type, null and unknown", () => {
    const t: CtyType = [
      "object",
      {
        s: "string",
        n: "number",
        f: "number",
        b: "bool",
        l: ["list", "string"],
        st: ["set", "number"],
        m: ["map", "bool"],
        tu: ["tuple", ["string", "number"]],
        o: ["object", { x: "string" }],
        nul: "string",
        unk: ["list", "string"],
      },
    ];
    const v: Value = { s: "é", n: 42, f: 1.5, b: true, l: ["a", UNKNOWN], st: [1, 2], m: { k: false }, tu: ["x", 3], o: { x: "y" }, nul: null, unk: UNKNOWN };
    expect(roundTrip(t, v)).toEqual(v);
  });

  it("encodes an unknown as msgpack extension 0 and reads every extension code (12: refined) as unknown", () => {
    const raw = decode(encodeMsgpack("string", UNKNOWN)) as ExtData;
    expect(raw).toBeInstanceOf(ExtData);
    expect(raw.type).toBe(0);
    const refined = encode(new ExtData(12, encode({ 1: false, 2: "web-" })));
    expect(decodeMsgpack("string", refined)).toBe(UNKNOWN);
  });

  it("reads numbers sent as int64, float64 and decimal strings", () => {
    expect(decodeMsgpack("number", encode(2n ** 40n, { useBigInt64: true }))).toBe(2 ** 40);
    expect(decodeMsgpack("number", encode(0.25))).toBe(0.25);
    expect(decodeMsgpack("number", encode("12345678901234567890"))).toBe(12345678901234567890);
  });

  it("fills every object attribute of the schema with null where the value lacks it", () => {
    const t = blockType(domainSchema);
    const raw = decode(encodeMsgpack(t, { host: "h", domain: { "web-1": { memory: 512 } } })) as Record<string, unknown>;
    expect(raw).toEqual({ host: "h", domain: { "web-1": { memory: 512, domid: null, ipv4: null } }, disk: null });
  });

  it("refuses a value that does not fit the schema, naming where", () => {
    const t = blockType(domainSchema);
    expect(() => encodeMsgpack(t, { host: "h", domain: { "web-1": { memory: "lots" } } })).toThrow(CtyError);
    expect(() => encodeMsgpack(t, { host: "h", domain: { "web-1": { memory: "lots" } } })).toThrow('domain["web-1"].memory: expected a finite number');
    expect(() => encodeMsgpack(t, { host: "h", colour: "red" })).toThrow("colour: no such attribute in the schema");
  });

  it("encodes dynamic values as [JSON type, value] and keeps the type of values that came from Terraform", () => {
    const raw = decode(encodeMsgpack("dynamic", { a: [1, "x"] })) as [Uint8Array, unknown];
    expect(JSON.parse(Buffer.from(raw[0]).toString())).toEqual(["object", { a: ["tuple", ["number", "string"]] }]);
    expect(raw[1]).toEqual({ a: [1, "x"] });

    const incoming = encode([Buffer.from('["list","string"]'), ["p", "q"]]);
    const v = decodeMsgpack("dynamic", incoming);
    expect(v).toEqual(["p", "q"]);
    const back = decode(encodeMsgpack("dynamic", v)) as [Uint8Array, unknown];
    expect(Buffer.from(back[0]).toString()).toBe('["list","string"]');
  });
});

describe("cty values over JSON", () => {
  it("reads DynamicValue.json and state JSON with dynamic {type, value} wrappers and absent attributes", () => {
    const t: CtyType = ["object", { d: "dynamic", s: "string", gone: "number" }];
    expect(decodeJson(t, JSON.stringify({ d: { type: ["map", "number"], value: { x: 1 } }, s: "v", extra: 1 }))).toEqual({ d: { x: 1 }, s: "v", gone: null });
    expect(stateFromJson(domainSchema, { host: "h", domain: { w: { memory: 1 } } })).toEqual({ host: "h", domain: { w: { memory: 1, domid: null, ipv4: null } }, disk: null });
  });
});

describe("the default plan", () => {
  it("makes computed attributes of a new object unknown", () => {
    expect(defaultPlan(domainSchema, null, { host: "h", domain: { a: { memory: 1, domid: null, ipv4: null } }, disk: [] })).toEqual({
      host: "h",
      domain: { a: { memory: 1, domid: UNKNOWN, ipv4: UNKNOWN } },
      disk: [],
    });
  });

  it("keeps what Terraform proposed for entries that existed and makes only a new map key's computed attributes unknown", () => {
    const prior = { host: "h", domain: { a: { memory: 1, domid: 7, ipv4: null } }, disk: null };
    const proposed = { host: "h", domain: { a: { memory: 2, domid: 7, ipv4: null }, b: { memory: 3, domid: null, ipv4: null } }, disk: null };
    expect(defaultPlan(domainSchema, prior, proposed)).toEqual({
      host: "h",
      domain: { a: { memory: 2, domid: 7, ipv4: null }, b: { memory: 3, domid: UNKNOWN, ipv4: UNKNOWN } },
      disk: null,
    });
  });

  it("plans null for a destroy", () => {
    expect(defaultPlan(domainSchema, { host: "h" }, null)).toBeNull();
  });
});

describe("protocol messages", () => {
  it("describes a MAP-nested attribute as nested_type with nesting MAP and a block as block_types", () => {
    const root = protocolRoot();
    const Schema = root.lookupType("tfplugin6.Schema");
    const msg = Schema.toObject(Schema.decode(Schema.encode(Schema.fromObject(schemaMessage(domainSchema))).finish()), { enums: String, longs: Number }) as {
      block: { attributes: { name: string; nested_type?: { nesting: string; attributes: { name: string; computed?: boolean }[] } }[]; block_types: { type_name: string; nesting: string }[] };
    };
    const domain = msg.block.attributes.find((a) => a.name === "domain")!;
    expect(domain.nested_type?.nesting).toBe("MAP");
    expect(domain.nested_type?.attributes.find((a) => a.name === "domid")?.computed).toBe(true);
    expect(msg.block.block_types).toEqual([expect.objectContaining({ type_name: "disk", nesting: "LIST" })]);
  });

  it("puts a diagnostic's attribute path into attribute names, string keys and int keys", () => {
    expect(diagnosticMessage({ severity: "warning", summary: "s", attribute: ["domain", { key: "web-1" }, "disk", { index: 0 }] })).toEqual({
      severity: 2,
      summary: "s",
      detail: "",
      attribute: { steps: [{ attribute_name: "domain" }, { element_key_string: "web-1" }, { attribute_name: "disk" }, { element_key_int: 0 }] },
    });
  });
});

describe("the RPC layer", () => {
  const def = {
    providerSchema: { version: 0, attributes: {} },
    resources: { t_x: { version: 0, attributes: { a: { type: "string" as const, optional: true } } } },
    async readResource(): Promise<never> {
      throw new Error("read broke");
    },
  };

  it("turns a handler's exception into an error diagnostic", async () => {
    const logged: string[] = [];
    const rpcs = providerService(def, { log: (_l, m) => logged.push(m) });
    const res = (await rpcs.ReadResource!({ type_name: "t_x", current_state: { msgpack: encodeMsgpack(blockType(def.resources.t_x), { a: "v" }) } })) as {
      diagnostics: { severity: number; summary: string }[];
    };
    expect(res.diagnostics).toEqual([expect.objectContaining({ severity: 1, summary: "read broke" })]);
    expect(logged[0]).toContain("ReadResource (t_x) failed");
  });

  it("refuses a schema Terraform would refuse", () => {
    expect(() => providerService({ ...def, resources: { t_x: { version: 0, attributes: { a: { type: "string" } } } } }, { log: () => undefined })).toThrow(
      "one of required, optional, computed",
    );
  });

  it("runs concurrent requests concurrently", async () => {
    let running = 0;
    let most = 0;
    const rpcs = providerService(
      {
        ...def,
        async readResource(_t: string, state: Value) {
          running += 1;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 20));
          running -= 1;
          return { state };
        },
      },
      { log: () => undefined },
    );
    const req = { type_name: "t_x", current_state: { msgpack: encodeMsgpack(blockType(def.resources.t_x), { a: "v" }) } };
    await Promise.all([1, 2, 3, 4, 5].map(() => rpcs.ReadResource!(req)));
    expect(most).toBe(5);
  });
});

describe("the AutoMTLS certificate", () => {
  it("is a self-signed CA for localhost and 127.0.0.1, handed over as unpadded base64 DER", () => {
    const cert = generateServerCertificate();
    const x = new X509Certificate(cert.certPem);
    expect(x.ca).toBe(true);
    expect(x.checkHost("localhost")).toBe("localhost");
    expect(x.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(x.verify(x.publicKey)).toBe(true);
    expect(cert.handshakeField).not.toMatch(/[=\n]/);
    expect(Buffer.from(cert.handshakeField, "base64").equals(x.raw)).toBe(true);
  });
});

describe("installProvider", () => {
  it("writes an executable launcher into the mirror layout, atomically and only once", () => {
    const dir = mkdtempSync(join(tmpdir(), "cdktf-xen-install-"));
    try {
      const entry = join(dir, "entry.js");
      writeFileSync(entry, "");
      const opts = { pluginsDir: join(dir, "plugins"), hostname: "cdktf-xen.local", namespace: "cdktf-xen", type: "xen", version: "0.1.0", entry, node: "/usr/bin/node" };
      const first = installProvider(opts);
      expect(first.changed).toBe(true);
      expect(first.source).toBe("cdktf-xen.local/cdktf-xen/xen");
      expect(first.path).toBe(join(dir, "plugins/cdktf-xen.local/cdktf-xen/xen/0.1.0", terraformPlatform(), "terraform-provider-xen_v0.1.0"));
      expect(readFileSync(first.path, "utf8")).toBe(`#!/bin/sh\n# Terraform provider cdktf-xen.local/cdktf-xen/xen 0.1.0, written by cdktf-xen.\nexec '/usr/bin/node' '${entry}' "$@"\n`);
      expect(statSync(first.path).mode & 0o777).toBe(0o755);
      expect(installProvider(opts).changed).toBe(false);
      expect(readdirSync(join(first.path, ".."))).toEqual(["terraform-provider-xen_v0.1.0"]);
      expect(() => installProvider({ ...opts, version: "latest" })).toThrow("not a semantic version");
      expect(() => installProvider({ ...opts, entry: join(dir, "missing.js") })).toThrow("does not exist");
      expect(existsSync(first.path)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names platforms as Terraform does", () => {
    expect(terraformPlatform("linux", "x64")).toBe("linux_amd64");
    expect(terraformPlatform("darwin", "arm64")).toBe("darwin_arm64");
  });
});
