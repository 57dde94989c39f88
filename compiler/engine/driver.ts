// Applies a rule set to a graph until nothing matches: counts matches per rule and records
// near-misses (the pattern matched but `check` said no) for `squish plan --explain` and tests.
//
// Rounds walk the graph in topological order and try, at each node, the rules indexed under its op
// type (highest priority first). The first round visits every node; later rounds, and the rest of a
// round after a rewrite, only nodes a rewrite could have changed the outcome for: the producers of
// the values it touched and their consumers down to the deepest pattern's depth. Each round is one
// topological sort plus work per candidate, so a pass is near-linear in the node count.

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Node } from '../../runtime/ir/node.ts';
import { Match, matchAt, type Pattern } from './pattern.ts';
import { Replacement } from './replace.ts';
import type { Rule, RuleSet } from './rule.ts';

export interface NearMiss {
  rule: string;
  node: string;
  reason: string;
}

export interface RewriteStats {
  matches: Record<string, number>;
  nearMisses: NearMiss[];
  /** Nodes the rules were tried at (with at least one rule for their op type). */
  visits: number;
}

export function emptyStats(): RewriteStats {
  return { matches: {}, nearMisses: [], visits: 0 };
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
    if (!used && n.graph === g) g.removeNode(n);
  }
}

/** Values a rewrite read or wrote: inputs and outputs of the matched and the added nodes. */
function valuesOf(nodes: Iterable<Node>, into: Set<string>): Set<string> {
  for (const n of nodes) {
    for (const v of n.inputs) if (v) into.add(v);
    for (const v of n.outputs) if (v) into.add(v);
  }
  return into;
}

function tryRule(
  g: Graph,
  rule: Rule,
  node: Node,
  stats: RewriteStats,
  misses: NearMiss[],
): Set<string> | undefined {
  const m = new Match(g, node);
  if (matchAt(rule.pattern, node, m) !== null) return undefined;
  const ok = rule.check ? rule.check(m, g) : true;
  if (ok !== true) {
    misses.push({ rule: rule.name, node: node.label, reason: ok });
    return undefined;
  }
  const touched = valuesOf(m.matched, new Set());
  const r = new Replacement(g, node);
  const out = rule.rewrite(m, g, r);
  reroute(g, m, out);
  valuesOf([...m.matched, ...r.added], touched);
  for (const v of out) if (v) touched.add(v);
  stats.matches[rule.name] = (stats.matches[rule.name] ?? 0) + 1;
  return touched;
}

function depth(p: Pattern): number {
  return p.kind === 'op' ? 1 + Math.max(0, ...p.inputs.map(depth)) : 0;
}

/** Nodes whose match may have changed: producers of the values and their consumers `levels` deep. */
function affected(g: Graph, values: Set<string>, levels: number, into: Set<Node>): void {
  let frontier = [...values];
  for (const v of frontier) {
    const p = g.producer(v);
    if (p) into.add(p);
  }
  for (let k = 0; k < levels && frontier.length; k++) {
    const next: string[] = [];
    for (const v of frontier) {
      for (const c of g.consumers(v)) {
        if (into.has(c)) continue;
        into.add(c);
        for (const o of c.outputs) if (o) next.push(o);
      }
    }
    frontier = next;
  }
}

/**
 * Rewrite to a fixpoint (at most `maxRounds` rounds). Near-misses are those of the last round
 * (earlier ones may have been resolved). Returns whether anything changed. `exhaustive` tries every
 * node in every round: the plain fixpoint the tracked one must equal (specs compare the two).
 */
export function applyRules(
  g: Graph,
  set: RuleSet,
  stats: RewriteStats = emptyStats(),
  opts: { maxRounds?: number; exhaustive?: boolean } = {},
): boolean {
  const maxRounds = opts.maxRounds ?? 20;
  const reach = Math.max(1, ...set.rules.map((r) => depth(r.pattern)));
  let changed = false;
  // each node's near-misses from its latest visit: a node not visited again kept its outcome
  const misses = new Map<Node, NearMiss[]>();
  let dirty: Set<Node> | undefined;
  for (let round = 0; round < maxRounds; round++) {
    const candidates = dirty;
    const next = new Set<Node>();
    let any = false;
    for (const node of g.topoOrder()) {
      if (node.graph !== g || (candidates && !candidates.has(node))) continue;
      const rules = set.byOp.get(node.opType);
      if (!rules) continue;
      stats.visits++;
      const mine: NearMiss[] = [];
      misses.set(node, mine);
      for (const rule of rules) {
        const touched = tryRule(g, rule, node, stats, mine);
        if (!touched) continue;
        any = true;
        affected(g, touched, reach, next);
        if (candidates) for (const n of next) candidates.add(n);
        break;
      }
    }
    if (!any) break;
    changed = true;
    dirty = opts.exhaustive ? undefined : next;
  }
  for (const node of g.topoOrder()) stats.nearMisses.push(...(misses.get(node) ?? []));
  return changed;
}
