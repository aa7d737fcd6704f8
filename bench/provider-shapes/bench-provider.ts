/**
 * BENCH PROVIDER "benchxen": the two resource shapes of bench/provider-shapes.bench.ts on the
 * native protocol layer. It TOUCHES NO HOST: objects exist only in Terraform's state; apply
 * makes up the computed attributes; ReadResource returns the state as it is, optionally after
 * sleeping BENCH_READ_SLEEP_MS as a stand-in for reading a host (BENCH_READ_SHARED=1: one read
 * per host and process, shared by every resource on that host).
 *
 * At exit it writes `<BENCH_TIMING_DIR>/<pid>.json`: milliseconds spent in the layer's RPC
 * handlers (decode + handler + encode) per RPC, its own CPU time and peak RSS.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { UNKNOWN, defaultPlan, serveProvider, type Attribute, type Schema, type Value } from "../../src/provider/protocol/index.js";

type Obj = { [k: string]: Value };

/** A domain's attributes, without its name (shape B keys the map by name). */
const domainAttributes: Record<string, Attribute> = {
  memory: { type: "number", required: true },
  max_memory: { type: "number", optional: true },
  vcpus: { type: "number", required: true },
  max_vcpus: { type: "number", optional: true },
  type: { type: "string", optional: true },
  kernel: { type: "string", optional: true },
  cmdline: { type: "string", optional: true },
  disk: { type: ["list", ["object", { vdev: "string", target: "string" }]], optional: true },
  vif: { type: ["list", ["object", { bridge: "string", mac: "string" }]], optional: true },
  domid: { type: "number", computed: true },
  uuid: { type: "string", computed: true },
  state: { type: "string", computed: true },
  ipv4: { type: ["list", "string"], computed: true },
};

const schemas: Record<string, Schema> = {
  benchxen_host: {
    version: 0,
    attributes: { name: { type: "string", required: true }, address: { type: "string", required: true }, id: { type: "string", computed: true } },
  },
  benchxen_domain: {
    version: 0,
    attributes: { name: { type: "string", required: true }, host: { type: "string", required: true }, ...domainAttributes },
  },
  benchxen_host_domains: {
    version: 0,
    attributes: {
      host: { type: "string", required: true },
      address: { type: "string", required: true },
      domain: { optional: true, nested: { nesting: "map", attributes: domainAttributes } },
    },
  },
};

const timing: Record<string, { n: number; ms: number }> = {};
const timingDir = process.env.BENCH_TIMING_DIR;
process.on("exit", () => {
  if (timingDir === undefined) return;
  const cpu = process.cpuUsage();
  writeFileSync(
    join(timingDir, `${process.pid}.json`),
    JSON.stringify({ timing, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKiB: process.resourceUsage().maxRSS }),
  );
});

const sleepMs = Number(process.env.BENCH_READ_SLEEP_MS ?? 0);
const shared = process.env.BENCH_READ_SHARED === "1";
const hostReads = new Map<string, Promise<void>>();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What a real provider would do per read: one host round trip, or one per host shared. */
function readHost(host: string): Promise<void> {
  if (sleepMs <= 0) return Promise.resolve();
  if (!shared) return sleep(sleepMs);
  let p = hostReads.get(host);
  if (p === undefined) {
    p = sleep(sleepMs);
    hostReads.set(host, p);
  }
  return p;
}

function made(name: string, host: string, n: number, d: Obj): Obj {
  const uuid = createHash("sha256").update(`${host}/${name}`).digest("hex");
  return {
    ...d,
    domid: d.domid === UNKNOWN ? n : d.domid,
    uuid: d.uuid === UNKNOWN ? `${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20, 32)}` : d.uuid,
    state: d.state === UNKNOWN ? "running" : d.state,
    ipv4: d.ipv4 === UNKNOWN ? [`10.${n % 250}.0.${(n % 200) + 2}`] : d.ipv4,
  };
}

let domid = 0;

await serveProvider(
  {
    providerSchema: { version: 0, attributes: {} },
    resources: schemas,
    async readResource(type, state, priv) {
      const s = state as Obj | null;
      if (s !== null) await readHost(String(type === "benchxen_domain" ? s.host : type === "benchxen_host" ? s.id : s.host));
      return { state, private: priv };
    },
    async planResourceChange(type, req) {
      return { planned: defaultPlan(schemas[type]!, req.prior, req.proposed) };
    },
    async applyResourceChange(type, req) {
      const p = req.planned as Obj | null;
      if (p === null) return { state: null };
      if (type === "benchxen_host") return { state: { ...p, id: p.id === UNKNOWN ? String(p.name) : p.id } };
      if (type === "benchxen_domain") return { state: made(String(p.name), String(p.host), ++domid, p) };
      const domains: Obj = {};
      for (const [name, d] of Object.entries((p.domain as Obj | null) ?? {})) domains[name] = made(name, String(p.host), ++domid, d as Obj);
      return { state: { ...p, domain: p.domain === null ? null : domains } };
    },
  },
  {
    onCall(rpc, ms) {
      const t = (timing[rpc] ??= { n: 0, ms: 0 });
      t.n += 1;
      t.ms += ms;
    },
  },
);
