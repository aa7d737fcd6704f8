import { Construct } from "constructs";
import { CpuSet, MAX_CPU_NUMBER } from "../model/cpuset.js";
import { reportTokens, type ProblemLog } from "./analysis.js";
import type { XenDomain } from "./domain.js";
import { problem } from "./errors.js";

/** A CPU list: a {@link CpuSet} or the xl text of one (`"2"`, `"4-7"`, `"0-3,^1"`, `"all"`). */
export type CpuListValue = CpuSet | string;

/**
 * Affinities by vCPU: keys are a vCPU number (`0`) or an inclusive range (`"2-3"`), values
 * the pCPUs those vCPUs may use.
 */
export type VcpuAffinityMap = Readonly<Record<string | number, CpuListValue>>;

/**
 * Hard and/or soft affinity for vCPUs of one domain.
 * @see https://xenbits.xen.org/docs/4.17-testing/man/xl.cfg.5.html (cpus, cpus_soft)
 */
export interface XenVcpuPinProps {
  /** The domain whose vCPUs are pinned. */
  readonly domain: XenDomain;
  /**
   * Hard affinity: the pCPUs each vCPU may run on, e.g. `{ 0: "2", 1: "3", "2-3": "4-7" }`.
   * @default - no hard affinity (`all`)
   */
  readonly pins?: VcpuAffinityMap;
  /**
   * Soft affinity: the pCPUs each vCPU prefers (within its hard affinity).
   * @default - no soft affinity (`all`)
   */
  readonly soft?: VcpuAffinityMap;
}

/** One vCPU's affinities after parsing; `all` where none was given. */
export interface PinEntry {
  readonly vcpu: number;
  readonly hard: string;
  readonly soft: string;
}

/**
 * Pins vCPUs of a domain to pCPUs. It has no resource of its own: it adds to its domain's
 * spec (`pins`, one entry per vCPU, ranges expanded), so a change re-pins the running domain
 * live (`xl vcpu-pin`) through the host's reconcile. Each vCPU may be pinned by one
 * XenVcpuPin only.
 */
export class XenVcpuPin extends Construct {
  /** The domain whose vCPUs are pinned. */
  readonly domain: XenDomain;
  private readonly props: XenVcpuPinProps;

  constructor(scope: Construct, id: string, props: XenVcpuPinProps) {
    super(scope, id);
    this.props = props;
    this.domain = props.domain;
    props.domain._addPin(this);
    this.node.addValidation({ validate: () => [...this.domain.host._problemsFor(this)] });
  }

  /**
   * @internal The per-vCPU affinities, filing this construct's own problems in `log`.
   * @param maxVcpus the domain's vCPU count: a range reaching beyond it is reported, not expanded
   */
  _entries(log: ProblemLog, maxVcpus: number): PinEntry[] {
    const p = this.props;
    if (p.pins === undefined && p.soft === undefined) {
      log.add(
        this,
        problem({ what: "neither pins nor soft is given, so this pins nothing", fix: 'give pins (hard affinity), e.g. pins: { 0: "2" }, and/or soft' }),
      );
      return [];
    }
    const hard = this.parseMap(log, "pins", p.pins ?? {}, maxVcpus);
    const soft = this.parseMap(log, "soft", p.soft ?? {}, maxVcpus);
    const vcpus = [...new Set([...hard.keys(), ...soft.keys()])].sort((a, b) => a - b);
    return vcpus.map((vcpu) => ({ vcpu, hard: hard.get(vcpu) ?? "all", soft: soft.get(vcpu) ?? "all" }));
  }

  private parseMap(log: ProblemLog, field: "pins" | "soft", map: VcpuAffinityMap, maxVcpus: number): Map<number, string> {
    const out = new Map<number, string>();
    const firstKey = new Map<number, string>();
    for (const [key, value] of Object.entries(map)) {
      const range = parseVcpuKey(key);
      if (range === undefined) {
        log.add(
          this,
          problem({
            what: `${field} key ${JSON.stringify(key)} is not a vCPU number or range`,
            fix: 'use a vCPU number (0) or an inclusive range ("2-3")',
          }),
          true,
        );
        continue;
      }
      if (typeof value === "string" && reportTokens(log, this, value, `${field}.${key}`)) continue;
      let set: CpuSet;
      try {
        set = value instanceof CpuSet ? value : CpuSet.parse(value);
      } catch (e) {
        log.add(this, `${field}[${JSON.stringify(key)}]: ${e instanceof Error ? e.message : String(e)}`, true);
        continue;
      }
      // Reported against the domain's vCPU count by validateDomainSpec; not expanding past it
      // keeps "0-16000" from producing thousands of entries.
      const last = Math.min(range.last, Math.max(range.first, Number.isInteger(maxVcpus) ? maxVcpus : range.first));
      for (let vcpu = range.first; vcpu <= last; vcpu++) {
        const earlier = firstKey.get(vcpu);
        if (earlier !== undefined) {
          log.add(
            this,
            problem({
              what: `${field} keys ${JSON.stringify(earlier)} and ${JSON.stringify(key)} both cover vCPU ${String(vcpu)}`,
              fix: "give each vCPU one affinity: split or shorten the ranges",
            }),
          );
          continue;
        }
        firstKey.set(vcpu, key);
        out.set(vcpu, set.toString());
      }
    }
    return out;
  }
}

/** `"3"` → 3..3, `"2-5"` → 2..5; undefined for anything else (or beyond Xen's CPU numbers). */
function parseVcpuKey(key: string): { first: number; last: number } | undefined {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(key);
  if (m === null) return undefined;
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (last < first || last > MAX_CPU_NUMBER) return undefined;
  return { first, last };
}
