// Rewrite rules as values {name, pattern, check?, rewrite}, validated when their module loads:
// unique names, captures bound once, op types known.

import type { Graph } from '../../runtime/ir/graph.ts';
import { ONNX_OPS } from '../../runtime/ops/onnx-ops.ts';
import { captures, type Match, type OpPattern, opsOf } from './pattern.ts';

/** What a rewrite guarantees (ARCHITECTURE.md convention 6). */
export type Contract = { kind: 'exact' } | { kind: 'lossy'; bound: string };

export interface Rule {
  name: string;
  /** One line: what it rewrites, e.g. `Conv → BatchNormalization ⇒ Conv`. */
  summary: string;
  contract: Contract;
  pattern: OpPattern;
  /** true to rewrite, or a reason why not (kept as a near-miss). */
  check?: (m: Match, g: Graph) => true | string;
  /**
   * Build the replacement; returns the value names that replace the root's outputs, in order
   * (the driver reroutes uses, keeps graph output names and sweeps what became dead).
   */
  rewrite: (m: Match, g: Graph) => (string | undefined)[];
}

export interface RuleSet {
  name: string;
  rules: Rule[];
}

/** ONNX default-domain op types squish's rules may mention. */
const KNOWN_OPS = new Set(ONNX_OPS);

/** Validates a rule family; throws (a squish bug, not user input) on the first problem. */
export function defineRules(name: string, rules: Rule[]): RuleSet {
  const seen = new Set<string>();
  for (const r of rules) {
    if (!r.name) throw new Error(`rule set ${name}: a rule has no name`);
    if (seen.has(r.name)) throw new Error(`rule set ${name}: rule ${r.name} defined twice`);
    seen.add(r.name);
    if (r.pattern.kind !== 'op') throw new Error(`rule ${r.name}: the pattern root must be an op`);
    const names = captures(r.pattern);
    const nodeCaps = new Set<string>();
    for (const c of names)
      if (!/^[A-Za-z_]\w*$/.test(c)) throw new Error(`rule ${r.name}: bad capture name '${c}'`);
    const walk = (pat: OpPattern) => {
      if (pat.capture) {
        if (nodeCaps.has(pat.capture))
          throw new Error(`rule ${r.name}: node capture ${pat.capture} bound twice`);
        nodeCaps.add(pat.capture);
      }
      for (const i of pat.inputs) if (i.kind === 'op') walk(i);
    };
    walk(r.pattern);
    for (const op of opsOf(r.pattern)) {
      if (!KNOWN_OPS.has(op)) throw new Error(`rule ${r.name}: unknown op type ${op}`);
    }
    if (r.contract.kind === 'lossy' && !r.contract.bound)
      throw new Error(`rule ${r.name}: lossy without a bound`);
  }
  return { name, rules };
}
