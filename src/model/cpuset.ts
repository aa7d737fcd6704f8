import { XenModelError, invalidCpuList, unknownNumaNode } from "./errors.js";

/**
 * The highest pCPU number a CPU list may name. Xen's `NR_CPUS` build option goes up to 16383
 * (4095 in 4.17); a bigger number is a typo, and refusing it keeps `0-4000000000` from
 * expanding into billions of entries.
 */
export const MAX_CPU_NUMBER = 16382;

/** The highest NUMA node number a CPU list may name (x86 Xen's `MAX_NUMNODES` is 64). */
export const MAX_NODE_NUMBER = 63;

/** An inclusive range of CPU or node numbers. */
interface Range {
  readonly lo: number;
  readonly hi: number;
}

/**
 * One element of an xl CPU list, as xl applies them: left to right, each adding to or
 * removing from the map. `all` (also `nodes:all`) sets every CPU.
 */
type Step =
  | { readonly op: "all" }
  | { readonly op: "add" | "remove"; readonly kind: "cpus" | "nodes"; readonly ranges: readonly Range[] };

/**
 * What the host looks like, for {@link CpuSet.resolve}: the facts `xl info -n` prints.
 */
export interface CpuTopology {
  /** `nr_cpus`: pCPUs are numbered 0 … nrCpus-1. */
  readonly nrCpus: number;
  /**
   * NUMA node of each pCPU, indexed by CPU number (the `node` column of `cpu_topology`).
   * @default - no NUMA information: a list that names a node cannot be resolved
   */
  readonly nodeOfCpu?: readonly number[];
}

/**
 * A set of physical CPUs, as Xen's `xl` writes it for vCPU affinity (xl.cfg `cpus`,
 * `cpus_soft`, `xl vcpu-pin`) and prints it in `xl vcpu-list`.
 *
 * `toString()` is canonical: two lists that select the same CPUs on every host print the
 * same, so the desired state (`PinSpec.hard`/`soft`) and the live state (`LiveVcpu.hard`/
 * `soft`) compare as strings:
 * - `all`, or sorted, merged CPU ranges: `0-2,5`;
 * - NUMA nodes as `nodes:…` items (`nodes:0-1,nodes:3`), after them the CPUs added and then the
 *   CPUs excluded (`nodes:0,^3`); `all,^1` when everything but a few CPUs;
 * - `none` for the empty set (what `xl vcpu-list` prints for an empty map; xl does not accept
 *   it as input, and the validators refuse it in a spec).
 *
 * Which CPUs belong to a node is only known on the host, so node lists are kept symbolic.
 * A list that excludes a CPU and then adds a node (`nodes:0,^3,nodes:1`) means something that
 * depends on the topology; such lists keep their order (adjacent items of one kind merged) and
 * may compare unequal to an equivalent list spelled differently — never the reverse.
 * {@link CpuSet.resolve} turns any list into plain CPUs once the topology is known.
 *
 * Each item may be surrounded by spaces; empty items (`1,,2`), which xl skips, are refused
 * as likely typos.
 *
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html (cpus)
 */
export class CpuSet {
  /**
   * Parses a CPU list as xl accepts it: `all`, `0`, `0-3`, `0-3,^1`, `2,5-7`, `nodes:0`,
   * `nodes:0-1,^node:1`; also `none` (xl's spelling of the empty map in `xl vcpu-list`).
   *
   * @throws XenModelError naming the offending item and the accepted syntax.
   */
  static parse(s: string): CpuSet {
    if (typeof s !== "string") {
      throw invalidCpuList(String(s), String(s), "is not a string");
    }
    const text = s.trim();
    if (text === "") throw invalidCpuList(s, s, "is empty");
    if (text === "none") return new CpuSet([]);
    return CpuSet.fromSteps(text.split(",").map((item) => parseItem(s, item)));
  }

  /** Every pCPU of the host (`all`). */
  static all(): CpuSet {
    return new CpuSet([{ op: "all" }]);
  }

  /**
   * Exactly these pCPUs; duplicates and order do not matter. No argument gives the empty set.
   * @throws XenModelError when a number is negative, fractional or above {@link MAX_CPU_NUMBER}.
   */
  static of(...cpus: number[]): CpuSet {
    const ranges = cpus.map((c) => {
      checkNumber(c, "CPU");
      return { lo: c, hi: c };
    });
    return CpuSet.fromSteps(ranges.length === 0 ? [] : [{ op: "add", kind: "cpus", ranges }]);
  }

  /**
   * pCPUs `first` to `last`, both included.
   * @throws XenModelError when `last` is below `first` or either is not a valid CPU number.
   */
  static range(first: number, last: number): CpuSet {
    checkNumber(first, "CPU");
    checkNumber(last, "CPU");
    if (last < first) {
      throw new XenModelError({
        what: `CPU range ${String(first)}-${String(last)} runs backwards`,
        fix: `write the lower CPU first: CpuSet.range(${String(last)}, ${String(first)})`,
      });
    }
    return CpuSet.fromSteps([{ op: "add", kind: "cpus", ranges: [{ lo: first, hi: last }] }]);
  }

  private static fromSteps(steps: readonly Step[]): CpuSet {
    return new CpuSet(normalize(steps));
  }

  private readonly text: string;

  private constructor(private readonly steps: readonly Step[]) {
    this.text = printSteps(steps);
  }

  /** The canonical CPU list (see the class description); `CpuSet.parse` reads it back. */
  toString(): string {
    return this.text;
  }

  /**
   * The pCPUs, ascending, when the set is plain CPU numbers (`[]` for `none`); null when it
   * is `all` or involves NUMA nodes, which only the host can expand (see {@link resolve}).
   */
  cpus(): number[] | null {
    if (this.steps.length === 0) return [];
    const [only] = this.steps;
    if (this.steps.length !== 1 || only === undefined || only.op !== "add" || only.kind !== "cpus") return null;
    return expand(only.ranges);
  }

  /**
   * The highest pCPU the list adds by number, or null when it adds none (`all`, `none`,
   * nodes only). A host needs more than this many pCPUs for the list to mean what it says.
   */
  maxCpu(): number | null {
    let max: number | null = null;
    for (const step of this.steps) {
      if (step.op !== "add" || step.kind !== "cpus") continue;
      for (const r of step.ranges) max = max === null ? r.hi : Math.max(max, r.hi);
    }
    return max;
  }

  /** Whether this is every pCPU (`all`, `nodes:all`), i.e. no affinity restriction. */
  isAll(): boolean {
    return this.text === "all";
  }

  /** Whether this selects no pCPU at all (`none`). */
  isEmpty(): boolean {
    return this.steps.length === 0;
  }

  /** The canonical list, so a CpuSet inside JSON (a spec, a plan) reads as xl would write it. */
  toJSON(): string {
    return this.text;
  }

  /** Same canonical list. */
  equals(other: CpuSet): boolean {
    return this.text === other.text;
  }

  /**
   * The plain CPUs this list selects on a host with the given topology, the way xl would
   * build the map: CPUs at or above `nrCpus` are dropped (libxl ignores bits beyond the map),
   * and a set holding every CPU becomes `all` — as `xl vcpu-list` prints it, so
   * `CpuSet.parse("0-1").resolve({ nrCpus: 2 })` is `all`.
   *
   * @throws XenModelError when the list names a NUMA node the topology does not have.
   */
  resolve(topology: CpuTopology): CpuSet {
    const n = topology.nrCpus;
    if (!Number.isInteger(n) || n < 1) {
      throw new XenModelError({
        what: `a host with ${String(n)} pCPUs cannot resolve CPU list ${JSON.stringify(this.text)}`,
        fix: "pass nr_cpus from `xl info` (a whole number, at least 1)",
      });
    }
    const nodeOf = topology.nodeOfCpu ?? [];
    const knownNodes = [...new Set(nodeOf)].sort((a, b) => a - b);
    const nrNodes = nodeOf.length === 0 ? 0 : Math.max(...nodeOf) + 1;
    const map = new Array<boolean>(n).fill(false);
    for (const step of this.steps) {
      if (step.op === "all") {
        map.fill(true);
        continue;
      }
      const value = step.op === "add";
      for (const id of expand(step.ranges)) {
        if (step.kind === "cpus") {
          if (id < n) map[id] = value;
          continue;
        }
        if (id >= nrNodes) throw unknownNumaNode(this.text, id, knownNodes);
        for (let cpu = 0; cpu < n; cpu++) if (nodeOf[cpu] === id) map[cpu] = value;
      }
    }
    if (map.every((b) => b)) return CpuSet.all();
    const cpus: number[] = [];
    map.forEach((b, cpu) => {
      if (b) cpus.push(cpu);
    });
    return CpuSet.of(...cpus);
  }
}

/**
 * The canonical form of an xl CPU list: `canonicalCpuList("1,0")` is `0-1`. This is the form
 * `PinSpec.hard`/`soft` and `LiveVcpu.hard`/`soft` carry.
 *
 * @throws XenModelError when `s` is not a CPU list xl accepts.
 */
export function canonicalCpuList(s: string): string {
  return CpuSet.parse(s).toString();
}

function checkNumber(n: number, what: "CPU" | "node"): void {
  const max = what === "CPU" ? MAX_CPU_NUMBER : MAX_NODE_NUMBER;
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new XenModelError({
      what: `${String(n)} is not a valid ${what} number`,
      fix: `use a whole number from 0 to ${String(max)}`,
    });
  }
}

function parseItem(text: string, raw: string): Step {
  const item = raw.trim();
  if (item === "") throw invalidCpuList(text, raw, "is an empty item (two commas in a row, or a comma at an end)");
  let rest = item;
  const exclude = rest.startsWith("^");
  if (exclude) rest = rest.slice(1);
  let kind: "cpus" | "nodes" = "cpus";
  for (const prefix of ["nodes:", "node:"]) {
    if (rest.startsWith(prefix)) {
      kind = "nodes";
      rest = rest.slice(prefix.length);
      break;
    }
  }
  if (rest === "all") {
    if (exclude) throw invalidCpuList(text, item, 'combines "^" with "all", which xl refuses');
    return { op: "all" };
  }
  const noun = kind === "cpus" ? "CPU" : "node";
  const m = /^(\d+)(?:-(\d+))?$/.exec(rest);
  if (m === null) {
    throw invalidCpuList(text, item, `is not a ${noun} number, a ${noun} range (a-b) or "all"`);
  }
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  const max = kind === "cpus" ? MAX_CPU_NUMBER : MAX_NODE_NUMBER;
  if (hi < lo) throw invalidCpuList(text, item, `is a range that runs backwards (write ${String(hi)}-${String(lo)})`);
  if (hi > max) throw invalidCpuList(text, item, `names ${noun} ${String(hi)}, above the highest Xen supports (${String(max)})`);
  return { op: exclude ? "remove" : "add", kind, ranges: [{ lo, hi }] };
}

/**
 * Rewrites a step list into the canonical one (see {@link CpuSet}). Works symbolically: which
 * CPUs a node holds is unknown, so a node's membership is tracked apart from per-CPU
 * overrides, which win over it.
 */
function normalize(steps: readonly Step[]): Step[] {
  // The node layer: `base` for every node, flipped for the nodes in `flips`.
  let base = false;
  let flips = new Set<number>();
  // CPUs named by number, with the value the last item naming them gave.
  let overrides = new Map<number, boolean>();
  // Once an item's meaning depends on the topology, the rest is kept in order here.
  let tail: Step[] | null = null;

  for (const step of steps) {
    if (step.op === "all") {
      base = true;
      flips = new Set();
      overrides = new Map();
      tail = null;
      continue;
    }
    if (tail !== null) {
      appendMerged(tail, step);
      continue;
    }
    const value = step.op === "add";
    if (step.kind === "cpus") {
      for (const cpu of expand(step.ranges)) overrides.set(cpu, value);
    } else {
      // A CPU set the other way by number would now depend on which node it sits in.
      if ([...overrides.values()].some((v) => v !== value)) {
        tail = [step];
        continue;
      }
      for (const node of expand(step.ranges)) {
        if (value === base) flips.delete(node);
        else flips.add(node);
      }
    }
    // With every node alike, an override that agrees with them says nothing.
    if (flips.size === 0) {
      for (const [cpu, v] of overrides) if (v === base) overrides.delete(cpu);
    }
  }

  const out: Step[] = [];
  if (base) out.push({ op: "all" });
  if (flips.size > 0) out.push({ op: base ? "remove" : "add", kind: "nodes", ranges: toRanges([...flips]) });
  const added = [...overrides].filter(([, v]) => v).map(([cpu]) => cpu);
  const removed = [...overrides].filter(([, v]) => !v).map(([cpu]) => cpu);
  if (added.length > 0) out.push({ op: "add", kind: "cpus", ranges: toRanges(added) });
  if (removed.length > 0) out.push({ op: "remove", kind: "cpus", ranges: toRanges(removed) });
  for (const step of tail ?? []) appendMerged(out, step);
  return out;
}

/** Appends `step`, merging it into the last step when both add (or remove) the same kind. */
function appendMerged(steps: Step[], step: Step): void {
  const last = steps[steps.length - 1];
  if (last !== undefined && last.op !== "all" && step.op !== "all" && last.op === step.op && last.kind === step.kind) {
    steps[steps.length - 1] = {
      op: last.op,
      kind: last.kind,
      ranges: toRanges([...expand(last.ranges), ...expand(step.ranges)]),
    };
    return;
  }
  steps.push(step.op === "all" ? step : { op: step.op, kind: step.kind, ranges: toRanges(expand(step.ranges)) });
}

function expand(ranges: readonly Range[]): number[] {
  const out: number[] = [];
  for (const r of ranges) for (let i = r.lo; i <= r.hi; i++) out.push(i);
  return out;
}

/** Sorted, merged ranges of a list of numbers. */
function toRanges(ids: readonly number[]): Range[] {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const out: { lo: number; hi: number }[] = [];
  for (const id of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && id === last.hi + 1) last.hi = id;
    else out.push({ lo: id, hi: id });
  }
  return out;
}

function printSteps(steps: readonly Step[]): string {
  if (steps.length === 0) return "none";
  const items: string[] = [];
  for (const step of steps) {
    if (step.op === "all") {
      items.push("all");
      continue;
    }
    const prefix = (step.op === "remove" ? "^" : "") + (step.kind === "nodes" ? "nodes:" : "");
    for (const r of step.ranges) {
      items.push(prefix + (r.lo === r.hi ? String(r.lo) : `${String(r.lo)}-${String(r.hi)}`));
    }
  }
  return items.join(",");
}
