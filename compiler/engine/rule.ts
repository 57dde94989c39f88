// Rewrite rules as values {name, pattern, check?, rewrite, priority?}, validated when their module
// loads: unique names, captures bound once, op types known. A rule set is indexed by root op type.

import { ONNX_OPS } from '../../dsl/onnx-ops.ts';
import type { Graph } from '../../runtime/ir/graph.ts';
import { captures, type Match, type OpPattern, opsOf } from './pattern.ts';
import type { Replacement } from './replace.ts';

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
   * Build the replacement (new nodes through `r`, placed before the root); returns the value names
   * that replace the root's outputs, in order (the driver reroutes uses, keeps graph output names
   * and removes what became dead).
   */
  rewrite: (m: Match, g: Graph, r: Replacement) => (string | undefined)[];
  /** Where several rules match one node, the highest priority goes first (default 0; ties: set order). */
  priority?: number;
}

export interface RuleSet {
  name: string;
  rules: Rule[];
  /** Rules by the op type of their pattern's root, highest priority first. */
  byOp: Map<string, Rule[]>;
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
  const byOp = new Map<string, Rule[]>();
  for (const r of rules) byOp.set(r.pattern.op, [...(byOp.get(r.pattern.op) ?? []), r]);
  for (const list of byOp.values()) list.sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0));
  return { name, rules, byOp };
}
