// Applies a rule set to a graph until nothing matches: counts matches per rule and records
// near-misses (the pattern matched but `check` said no) for `squish plan --explain` and tests.

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Node } from '../../runtime/ir/node.ts';
import { Match, matchAt } from './pattern.ts';
import type { Rule, RuleSet } from './rule.ts';

export interface NearMiss {
  rule: string;
  node: string;
  reason: string;
}

export interface RewriteStats {
  matches: Record<string, number>;
  nearMisses: NearMiss[];
}

export function emptyStats(): RewriteStats {
  return { matches: {}, nearMisses: [] };
}

/** Point the root's outputs at the replacements, keeping graph output names. */
function reroute(g: Graph, m: Match, replacements: (string | undefined)[]): void {
  const root = m.root;
  root.outputs.forEach((old, i) => {
    const to = replacements[i];
    if (!old || to === old) return; // edited in place: the root keeps its output
    if (to === undefined) {
      if (g.consumers(old).length || g.isOutput(old))
        throw new Error(`rewrite left output ${old} without a value`);
      return;
    }
    if (g.isOutput(old)) {
      // the graph's output keeps its name: the replacement value takes it over
      root.outputs[i] = '';
      g.touch();
      g.renameValue(to, old);
    } else g.replaceAllUsesWith(old, to);
  });
  // interior nodes fed only the pattern (checked when matching): dead now, unless the rewrite
  // kept one (edited in place) as the producer of a replacement
  for (const n of m.matched) {
    const used = n.outputs.some((o) => o && (g.consumers(o).length > 0 || g.isOutput(o)));
    if (!used && g.nodes.includes(n)) g.removeNode(n);
  }
}

function tryRule(g: Graph, rule: Rule, node: Node, stats: RewriteStats, misses: NearMiss[]): boolean {
  const m = new Match(g, node);
  if (matchAt(rule.pattern, node, m) !== null) return false;
  const ok = rule.check ? rule.check(m, g) : true;
  if (ok !== true) {
    misses.push({ rule: rule.name, node: node.label, reason: ok });
    return false;
  }
  const out = rule.rewrite(m, g);
  reroute(g, m, out);
  stats.matches[rule.name] = (stats.matches[rule.name] ?? 0) + 1;
  return true;
}

/**
 * Rewrite to a fixpoint (at most `maxRounds` passes over the graph). Near-misses are those of
 * the last pass (earlier ones may have been resolved). Returns whether anything changed.
 */
export function applyRules(
  g: Graph,
  set: RuleSet,
  stats: RewriteStats = emptyStats(),
  maxRounds = 20,
): boolean {
  let changed = false;
  let misses: NearMiss[] = [];
  for (let round = 0; round < maxRounds; round++) {
    let any = false;
    misses = [];
    const live = new Set(g.nodes);
    for (const node of g.topoOrder()) {
      if (!live.has(node) || !g.nodes.includes(node)) continue;
      for (const rule of set.rules) {
        if (rule.pattern.op !== node.opType) continue;
        if (tryRule(g, rule, node, stats, misses)) {
          any = true;
          break;
        }
      }
    }
    if (!any) break;
    changed = true;
  }
  stats.nearMisses.push(...misses);
  return changed;
}
