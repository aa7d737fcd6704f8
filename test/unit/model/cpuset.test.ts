import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CPU_LIST_SYNTAX, XenModelError } from "../../../src/model/errors.js";
import { CpuSet, canonicalCpuList, type CpuTopology } from "../../../src/model/cpuset.js";

const FIXTURES = fileURLToPath(new URL("../../fixtures", import.meta.url));

/**
 * A reference implementation of xl's `vcpupin_parse` on a known host: items applied left to
 * right on a bitmap of nrCpus bits (bits beyond it ignored, as libxl_bitmap_set does), printed
 * as `xl vcpu-list` prints a map ("all" when every bit is set, "none" when none is).
 */
function xlEvaluate(list: string, topo: Required<CpuTopology>): string {
  const map = new Array<boolean>(topo.nrCpus).fill(false);
  for (const raw of list.split(",")) {
    let item = raw.trim();
    const exclude = item.startsWith("^");
    if (exclude) item = item.slice(1);
    const nodes = item.startsWith("node:") || item.startsWith("nodes:");
    if (nodes) item = item.slice(item.indexOf(":") + 1);
    if (item === "all") {
      map.fill(true);
      continue;
    }
    const [a, b] = item.split("-").map(Number) as [number, number | undefined];
    for (let id = a; id <= (b ?? a); id++) {
      if (nodes) {
        topo.nodeOfCpu.forEach((node, cpu) => {
          if (node === id) map[cpu] = !exclude;
        });
      } else if (id < topo.nrCpus) {
        map[id] = !exclude;
      }
    }
  }
  if (map.every(Boolean)) return "all";
  const cpus = map.flatMap((on, cpu) => (on ? [cpu] : []));
  return cpus.length === 0 ? "none" : CpuSet.of(...cpus).toString();
}

/** A host topology and an xl CPU list over it (CPU items may exceed the host, as users' can). */
const topologyAndList = fc
  .record({
    nrCpus: fc.integer({ min: 1, max: 10 }),
    nrNodes: fc.integer({ min: 1, max: 3 }),
  })
  .chain(({ nrCpus, nrNodes }) =>
    fc.record({
      topo: fc.array(fc.integer({ min: 0, max: nrNodes - 1 }), { minLength: nrCpus, maxLength: nrCpus }).map((nodeOfCpu) => ({
        nrCpus,
        // Node numbers up to nrNodes-1 must exist even when no CPU sits in the last one.
        nodeOfCpu: [...nodeOfCpu.slice(0, -1), nodeOfCpu.includes(nrNodes - 1) ? nodeOfCpu[nrCpus - 1]! : nrNodes - 1],
      })),
      list: fc
        .array(
          fc.oneof(
            { weight: 1, arbitrary: fc.constantFrom("all", "nodes:all") },
            {
              weight: 6,
              arbitrary: fc
                .record({
                  exclude: fc.boolean(),
                  nodes: fc.boolean(),
                  prefix: fc.constantFrom("node:", "nodes:"),
                  lo: fc.integer({ min: 0, max: nrCpus + 2 }),
                  len: fc.integer({ min: 0, max: 3 }),
                })
                .map(({ exclude, nodes, prefix, lo, len }) => {
                  const max = nodes ? nrNodes - 1 : nrCpus + 2;
                  const a = Math.min(lo, max);
                  const b = Math.min(a + len, max);
                  return `${exclude ? "^" : ""}${nodes ? prefix : ""}${a === b ? String(a) : `${String(a)}-${String(b)}`}`;
                }),
            },
          ),
          { minLength: 1, maxLength: 7 },
        )
        .map((items) => items.join(",")),
    }),
  );

/** A CPU-only list: numbers, ranges and exclusions, as people write them. */
const cpuOnlyList = fc
  .array(
    fc.record({ exclude: fc.boolean(), lo: fc.integer({ min: 0, max: 40 }), len: fc.integer({ min: 0, max: 5 }) }),
    { minLength: 1, maxLength: 8 },
  )
  .map((items) =>
    items.map(({ exclude, lo, len }) => `${exclude ? "^" : ""}${len === 0 ? String(lo) : `${String(lo)}-${String(lo + len)}`}`).join(","),
  );

describe("CpuSet", () => {
  describe("GIVEN CPU lists as xl accepts them", () => {
    it.each([
      ["all", "all"],
      ["0", "0"],
      ["0-3", "0-3"],
      ["0-3,^1", "0,2-3"],
      ["2,5-7", "2,5-7"],
      ["3,1,2", "1-3"],
      ["1-2,2-3", "1-3"],
      ["0,1,2,5", "0-2,5"],
      [" 0 , 2 ", "0,2"],
      ["01", "1"],
      ["^1,2", "2"],
      ["0-3,all", "all"],
      ["all,2", "all"],
      ["all,^1", "all,^1"],
      ["all,^1,1", "all"],
      ["all,^3,^1-2", "all,^1-3"],
      ["nodes:all", "all"],
      ["nodes:0", "nodes:0"],
      ["node:0", "nodes:0"],
      ["nodes:0-1,^node:1", "nodes:0"],
      ["nodes:0-1,nodes:3", "nodes:0-1,nodes:3"],
      ["nodes:3,nodes:0-1", "nodes:0-1,nodes:3"],
      ["all,^nodes:1", "all,^nodes:1"],
      ["nodes:0,3", "nodes:0,3"],
      ["3,nodes:0", "nodes:0,3"],
      ["nodes:0,^3", "nodes:0,^3"],
      ["nodes:0,^3,nodes:1", "nodes:0,^3,nodes:1"],
      ["nodes:0,^3,nodes:1,nodes:2", "nodes:0,^3,nodes:1-2"],
      ["nodes:0,^3,nodes:1,all", "all"],
      ["none", "none"],
      ["0,^0", "none"],
      ["nodes:0,^nodes:0", "none"],
      ["^nodes:0", "none"],
    ])("WHEN %j is parsed THEN it prints canonically as %j", (text, canonical) => {
      expect(CpuSet.parse(text).toString()).toBe(canonical);
      expect(canonicalCpuList(text)).toBe(canonical);
      expect(canonicalCpuList(canonical)).toBe(canonical);
    });

    it.each([
      ["", "is empty"],
      ["   ", "is empty"],
      ["1,,2", "empty item"],
      ["1,", "empty item"],
      ["x", '"x" is not a CPU number'],
      ["nodes:x", '"nodes:x" is not a node number'],
      ["nodes:", '"nodes:" is not a node number'],
      ["^all", 'combines "^" with "all"'],
      ["^nodes:all", 'combines "^" with "all"'],
      ["3-1", "runs backwards (write 1-3)"],
      ["1-", '"1-" is not a CPU number'],
      ["-1", '"-1" is not a CPU number'],
      ["1 2", '"1 2" is not a CPU number'],
      ["+1", '"+1" is not a CPU number'],
      ["node:^1", '"node:^1" is not a node number'],
      ["16383", "above the highest Xen supports (16382)"],
      ["0-99999999999", "above the highest Xen supports"],
      ["nodes:64", "names node 64, above the highest Xen supports (63)"],
    ])("WHEN %j is parsed THEN it throws naming the fault (%s) and the accepted syntax", (text, fault) => {
      const parse = () => CpuSet.parse(text);
      expect(parse).toThrow(XenModelError);
      expect(parse).toThrow(fault);
      expect(parse).toThrow(`CPU list ${JSON.stringify(text)}`);
      expect(parse).toThrow(CPU_LIST_SYNTAX);
    });
  });

  describe("GIVEN the affinity columns of real `xl vcpu-list` outputs", () => {
    const affinities = ["xen-4.17", "xen-4.17-capture2"].flatMap((dir) =>
      ["xl-vcpu-list.out", "xl-vcpu-list-pv1.out", "xl-vcpu-list-after-pin.out", "xl-vcpu-list-after-set1.out"].flatMap((file) => {
        let text: string;
        try {
          text = readFileSync(`${FIXTURES}/${dir}/${file}`, "utf8");
        } catch {
          return [];
        }
        return text
          .split("\n")
          .slice(1)
          .filter((line) => line.trim() !== "")
          .flatMap((line) => {
            const m = /(\S+) \/ (\S+)\s*$/.exec(line);
            return m === null ? [] : [m[1]!, m[2]!];
          });
      }),
    );

    it("WHEN the fixtures are read THEN they hold pinned and unpinned affinities", () => {
      expect(new Set(affinities)).toEqual(new Set(["all", "0", "1"]));
    });

    it.each([...new Set(affinities)])("WHEN %j is canonicalized THEN it stays as xl printed it", (affinity) => {
      expect(canonicalCpuList(affinity)).toBe(affinity);
    });

    it.each([
      ["0-1", "0-1"],
      ["0,2-3", "0,2-3"],
      ["none", "none"],
    ])("WHEN xl prints a multi-CPU affinity %j THEN it is already canonical", (printed, canonical) => {
      expect(canonicalCpuList(printed)).toBe(canonical);
    });
  });

  describe("GIVEN sets built in code", () => {
    it.each([
      ["CpuSet.all()", "all", CpuSet.all()],
      ["CpuSet.of(5, 0, 1, 2)", "0-2,5", CpuSet.of(5, 0, 1, 2)],
      ["CpuSet.of(3, 3)", "3", CpuSet.of(3, 3)],
      ["CpuSet.of()", "none", CpuSet.of()],
      ["CpuSet.range(4, 7)", "4-7", CpuSet.range(4, 7)],
      ["CpuSet.range(2, 2)", "2", CpuSet.range(2, 2)],
    ])("WHEN %s is printed THEN it reads %j", (_label, text, set) => {
      expect(set.toString()).toBe(text);
    });

    it.each([
      ["a negative CPU", () => CpuSet.of(-1), "-1 is not a valid CPU number"],
      ["a fractional CPU", () => CpuSet.of(1.5), "1.5 is not a valid CPU number"],
      ["a CPU above Xen's limit", () => CpuSet.of(20000), "from 0 to 16382"],
      ["a backwards range", () => CpuSet.range(3, 1), "CpuSet.range(1, 3)"],
    ])("WHEN built with %s THEN it throws and says what is allowed", (_label, build, message) => {
      expect(build).toThrow(XenModelError);
      expect(build).toThrow(message);
    });
  });

  describe("GIVEN a set, WHEN it is queried", () => {
    it.each([
      ["0-2,5", [0, 1, 2, 5], 5, false, false],
      ["3", [3], 3, false, false],
      ["all", null, null, true, false],
      ["all,^1", null, null, false, false],
      ["nodes:0", null, null, false, false],
      ["nodes:0,7", null, 7, false, false],
      ["nodes:0,^3,nodes:1,5", null, 5, false, false],
      ["none", [], null, false, true],
    ])("THEN %j has cpus() %j, maxCpu() %j, isAll() %s and isEmpty() %s", (text, cpus, maxCpu, isAll, isEmpty) => {
      const set = CpuSet.parse(text);
      expect(set.cpus()).toEqual(cpus);
      expect(set.maxCpu()).toBe(maxCpu);
      expect(set.isAll()).toBe(isAll);
      expect(set.isEmpty()).toBe(isEmpty);
    });

    it("THEN it serializes to JSON as its canonical list", () => {
      expect(JSON.stringify({ hard: CpuSet.parse("3,1-2") })).toBe('{"hard":"1-3"}');
    });

    it("THEN sets selecting the same CPUs are equal however they were written", () => {
      expect(CpuSet.parse("0-3,^1").equals(CpuSet.of(0, 2, 3))).toBe(true);
      expect(CpuSet.parse("nodes:all").equals(CpuSet.all())).toBe(true);
      expect(CpuSet.parse("node:1,nodes:0").equals(CpuSet.parse("nodes:0-1"))).toBe(true);
      expect(CpuSet.parse("0-3").equals(CpuSet.all())).toBe(false);
      expect(CpuSet.parse("nodes:0").equals(CpuSet.parse("0"))).toBe(false);
    });
  });

  describe("GIVEN a host topology, WHEN a set is resolved", () => {
    const twoCpus = { nrCpus: 2 };
    const twoNodes = { nrCpus: 4, nodeOfCpu: [0, 0, 1, 1] };
    it.each([
      ["0-1", twoCpus, "all"],
      ["0-3", twoCpus, "all"],
      ["1-3", twoCpus, "1"],
      ["0", twoCpus, "0"],
      ["all,^1", twoCpus, "0"],
      ["none", twoCpus, "none"],
      ["nodes:1", twoNodes, "2-3"],
      ["nodes:0-1,^node:1", twoNodes, "0-1"],
      ["nodes:0,^1,nodes:1", twoNodes, "0,2-3"],
      ["all,^nodes:0", twoNodes, "2-3"],
      ["nodes:0,3", twoNodes, "0-1,3"],
    ])("THEN %j on %j is %j, as xl vcpu-list would print it", (text, topo, resolved) => {
      expect(CpuSet.parse(text).resolve(topo).toString()).toBe(resolved);
    });

    it("THEN a node the host lacks is an error naming the nodes it has", () => {
      const resolve = () => CpuSet.parse("nodes:2").resolve(twoNodes);
      expect(resolve).toThrow(XenModelError);
      expect(resolve).toThrow("NUMA node 2, which the host does not have (it has nodes 0, 1)");
      expect(() => CpuSet.parse("nodes:0").resolve(twoCpus)).toThrow("it has no NUMA information");
    });

    it("THEN a host without pCPUs is refused", () => {
      expect(() => CpuSet.parse("0").resolve({ nrCpus: 0 })).toThrow("a host with 0 pCPUs cannot resolve");
    });
  });

  describe("GIVEN generated sets and lists (properties)", () => {
    it("WHEN a set of CPUs is printed, parsed and printed again THEN the text is stable and the CPUs are the same", () => {
      fc.assert(
        fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 40 }), (cpus) => {
          const printed = CpuSet.of(...cpus).toString();
          const reparsed = CpuSet.parse(printed);
          expect(reparsed.toString()).toBe(printed);
          expect(reparsed.cpus()).toEqual([...cpus].sort((a, b) => a - b));
        }),
      );
    });

    it("WHEN a CPU-only list is parsed THEN its CPUs are those xl's left-to-right evaluation selects", () => {
      fc.assert(
        fc.property(cpuOnlyList, (list) => {
          const expected = new Set<number>();
          for (const item of list.split(",")) {
            const exclude = item.startsWith("^");
            const [a, b] = item.replace("^", "").split("-").map(Number) as [number, number | undefined];
            for (let c = a; c <= (b ?? a); c++) {
              if (exclude) expected.delete(c);
              else expected.add(c);
            }
          }
          expect(CpuSet.parse(list).cpus()).toEqual([...expected].sort((x, y) => x - y));
        }),
      );
    });

    it("WHEN any list (CPUs, nodes, all, exclusions) is canonicalized THEN printing is idempotent", () => {
      fc.assert(
        fc.property(topologyAndList, ({ list }) => {
          const once = canonicalCpuList(list);
          expect(canonicalCpuList(once)).toBe(once);
        }),
      );
    });

    it("WHEN any list is canonicalized THEN it selects the same CPUs as xl would on every topology", () => {
      fc.assert(
        fc.property(topologyAndList, ({ topo, list }) => {
          const expected = xlEvaluate(list, topo);
          expect(CpuSet.parse(list).resolve(topo).toString()).toBe(expected);
          expect(CpuSet.parse(canonicalCpuList(list)).resolve(topo).toString()).toBe(expected);
        }),
        { numRuns: 2000 },
      );
    });
  });
});
