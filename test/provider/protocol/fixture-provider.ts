/**
 * TEST PROVIDER "testfixture": exercises the protocol layer through real Terraform. It touches
 * nothing outside its working files: objects live only in Terraform's state; "drift" is read
 * from FIXTURE_DRIFT_FILE; every RPC it sees is appended to FIXTURE_LOG (JSON lines).
 * Compiled by the tests (tsc) and launched by Terraform through an installed launcher.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { UNKNOWN, defaultPlan, serveProvider, stateFromJson, type Diagnostic, type Schema, type Value } from "../../../src/provider/protocol/index.js";

type Obj = { [k: string]: Value };

const thing: Schema = {
  version: 1,
  description: "A test object: only in the state.",
  attributes: {
    name: { type: "string", required: true },
    size: { type: "number", optional: true },
    zone: { type: "string", optional: true, description: "Changing it replaces the object." },
    tags: { type: ["map", "string"], optional: true },
    secret: { type: "string", optional: true, sensitive: true },
    extra: { type: "dynamic", optional: true },
    id: { type: "string", computed: true },
    serial: { type: "number", computed: true },
    sleep_ms: { type: "number", optional: true },
  },
  blocks: {
    rule: { nesting: "list", block: { attributes: { port: { type: "number", required: true }, proto: { type: "string", optional: true } } } },
  },
};

const fleet: Schema = {
  version: 0,
  attributes: {
    host: { type: "string", required: true },
    domain: {
      optional: true,
      nested: {
        nesting: "map",
        attributes: {
          memory: { type: "number", required: true },
          vcpus: { type: "number", optional: true },
          domid: { type: "number", computed: true },
          uuid: { type: "string", computed: true },
        },
      },
    },
  },
};

const info: Schema = {
  version: 0,
  attributes: { input: { type: "string", required: true }, output: { type: "string", computed: true } },
};

const logFile = process.env.FIXTURE_LOG;
function record(entry: Record<string, unknown>): void {
  if (logFile !== undefined) appendFileSync(logFile, `${JSON.stringify({ ...entry, pid: process.pid, t: Date.now() })}\n`);
}

/** Paths (as strings) of the UNKNOWN values inside `v`. */
function unknownPaths(v: Value, path = ""): string[] {
  if (v === UNKNOWN) return [path || "."];
  if (v === null || typeof v !== "object") return [];
  if (Array.isArray(v)) return v.flatMap((el, i) => unknownPaths(el, `${path}[${i}]`));
  return Object.entries(v).flatMap(([k, el]) => unknownPaths(el, path ? `${path}.${k}` : k));
}

function drift(): { sizes?: Record<string, number>; gone?: string[] } {
  const file = process.env.FIXTURE_DRIFT_FILE;
  if (file === undefined || !existsSync(file)) return {};
  return JSON.parse(readFileSync(file, "utf8")) as { sizes?: Record<string, number>; gone?: string[] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let serial = 0;

await serveProvider({
  providerSchema: {
    version: 0,
    attributes: { label: { type: "string", optional: true }, token: { type: "string", optional: true, sensitive: true } },
  },
  resources: { testfixture_thing: thing, testfixture_fleet: fleet },
  dataSources: { testfixture_info: info },

  async configure(config, terraformVersion) {
    record({ rpc: "configure", config, terraformVersion });
    return [];
  },

  async validateResource(type, config) {
    record({ rpc: "validate", type, unknown: unknownPaths(config) });
    const c = config as Obj;
    const out: Diagnostic[] = [];
    if (type === "testfixture_thing") {
      if (typeof c.name === "string" && /\s/.test(c.name)) {
        out.push({ severity: "error", summary: "A name has no spaces", detail: `"${c.name}" has a space.`, attribute: ["name"] });
      }
      if (typeof c.size === "number" && c.size > 100) {
        out.push({ severity: "warning", summary: "A big size", detail: "Sizes above 100 are slow.", attribute: ["size"] });
      }
      const tags = c.tags;
      if (tags !== null && typeof tags === "object" && !Array.isArray(tags) && tags.bad !== undefined) {
        out.push({ severity: "error", summary: "The tag \"bad\" is not allowed", attribute: ["tags", { key: "bad" }] });
      }
    }
    return out;
  },

  async upgradeResourceState(type, version, raw) {
    record({ rpc: "upgrade", type, version });
    const r = { ...(raw as Obj) };
    if (type === "testfixture_thing" && version === 0) {
      // version 0 called "size" "old_size".
      r.size = r.old_size ?? null;
      delete r.old_size;
    }
    return { state: stateFromJson(type === "testfixture_thing" ? thing : fleet, r) };
  },

  async readResource(type, state, priv) {
    record({ rpc: "read", type, private: priv.toString("utf8") });
    if (type !== "testfixture_thing" || state === null) return { state, private: priv };
    const s = state as Obj;
    const d = drift();
    if (d.gone?.includes(String(s.name))) return { state: null };
    const size = d.sizes?.[String(s.name)];
    return { state: size === undefined ? s : { ...s, size }, private: priv };
  },

  async planResourceChange(type, req) {
    const schema = type === "testfixture_thing" ? thing : fleet;
    record({ rpc: "plan", type, destroy: req.proposed === null, unknown: unknownPaths(req.config) });
    const planned = defaultPlan(schema, req.prior, req.proposed);
    const requiresReplace: string[][] = [];
    if (type === "testfixture_thing" && req.prior !== null && req.proposed !== null) {
      const prior = req.prior as Obj;
      const proposed = req.proposed as Obj;
      if (proposed.zone === UNKNOWN || prior.zone !== proposed.zone) requiresReplace.push(["zone"]);
    }
    return { planned, requiresReplace, diagnostics: [] };
  },

  async applyResourceChange(type, req) {
    if (req.planned === null) {
      record({ rpc: "apply", type, destroy: true });
      return { state: null };
    }
    const p = req.planned as Obj;
    const ms = typeof p.sleep_ms === "number" ? p.sleep_ms : 0;
    record({ rpc: "apply-start", type, name: p.name ?? p.host });
    if (ms > 0) await sleep(ms);
    if (type === "testfixture_thing") {
      if (p.name === "explode") throw new Error("the fixture blew up on purpose");
      const prior = req.prior as Obj | null;
      const state: Obj = {
        ...p,
        id: p.id === UNKNOWN ? `thing-${String(p.name)}` : p.id,
        serial: p.serial === UNKNOWN ? (prior?.serial as number | undefined) ?? ++serial : p.serial,
      };
      record({ rpc: "apply-end", type, name: p.name });
      return { state, private: Buffer.from(`private-of-${String(p.name)}`) };
    }
    const domains: Obj = {};
    let n = 0;
    for (const [k, d] of Object.entries((p.domain as Obj | null) ?? {})) {
      const dom = d as Obj;
      n += 1;
      domains[k] = { ...dom, domid: dom.domid === UNKNOWN ? n : dom.domid, uuid: dom.uuid === UNKNOWN ? `uuid-${String(p.host)}-${k}` : dom.uuid };
    }
    record({ rpc: "apply-end", type, name: p.host });
    return { state: { ...p, domain: p.domain === null ? null : domains } };
  },

  async importResourceState(type, id) {
    record({ rpc: "import", type, id });
    if (type !== "testfixture_thing" || !id.startsWith("thing-")) {
      return { resources: [], diagnostics: [{ severity: "error", summary: `Cannot import "${id}"`, detail: "Import ids look like thing-<name>." }] };
    }
    return { resources: [{ type, state: { name: id.slice("thing-".length), id, serial: 0, size: 7 } }] };
  },

  async readDataSource(type, config) {
    const c = config as Obj;
    record({ rpc: "data", type });
    return { state: { ...c, output: String(c.input).toUpperCase() } };
  },
});
