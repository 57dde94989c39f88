// Patterns that mirror the IR: `p.op('BatchNormalization', p.op('Conv', x, w, p.opt(b)).as('conv'), …)`.
// Leaves capture values (`p.v('x')`) or constants (`p.c('w')`); captures become the rewrite's
// named arguments. Interior op nodes must feed only the pattern (one use, not a graph output).
// `.commute()` on a two-input op also matches its inputs swapped (Add(c, x) as Add(x, c)).

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Node } from '../../runtime/ir/node.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';

export type Pattern = OpPattern | ValuePattern | OptionalPattern;

export interface ValuePattern {
  kind: 'value';
  capture: string;
  /** Only match values with constant data (initializer or Constant node). */
  constant: boolean;
}

export interface OptionalPattern {
  kind: 'optional';
  inner: ValuePattern;
}

export interface OpPattern {
  kind: 'op';
  op: string;
  domain: string;
  inputs: Pattern[];
  /** Capture name for the matched node. */
  capture?: string;
  /** The two inputs may come in either order. */
  commutative?: boolean;
  as(name: string): OpPattern;
  commute(): OpPattern;
}

function opPattern(op: string, inputs: Pattern[], domain = ''): OpPattern {
  const pat: OpPattern = {
    kind: 'op',
    op,
    domain,
    inputs,
    as(name: string) {
      pat.capture = name;
      return pat;
    },
    commute() {
      if (inputs.length !== 2)
        throw new Error(`commute() on ${op} with ${inputs.length} inputs: only two-input ops`);
      pat.commutative = true;
      return pat;
    },
  };
  return pat;
}

/** Pattern builders. */
export const p = {
  op: (op: string, ...inputs: Pattern[]): OpPattern => opPattern(op, inputs),
  opIn: (domain: string, op: string, ...inputs: Pattern[]): OpPattern => opPattern(op, inputs, domain),
  /** Any value, captured by name. */
  v: (capture: string): ValuePattern => ({ kind: 'value', capture, constant: false }),
  /** A constant value (its tensor is captured too). */
  c: (capture: string): ValuePattern => ({ kind: 'value', capture, constant: true }),
  /** An optional trailing input: absent, '' or present (and then matching `inner`). */
  opt: (inner: ValuePattern): OptionalPattern => ({ kind: 'optional', inner }),
};

/** What a match binds: value names, constants and nodes by capture name. */
export class Match {
  readonly values: Record<string, string | undefined> = {};
  readonly tensors: Record<string, Tensor | undefined> = {};
  readonly nodes: Record<string, Node> = {};
  /** Every node the pattern matched, root first. */
  readonly matched: Node[] = [];
  constructor(
    readonly graph: Graph,
    readonly root: Node,
  ) {}

  value(name: string): string {
    const v = this.values[name];
    if (v === undefined) throw new Error(`capture ${name} is not bound`);
    return v;
  }

  /** The constant bound to `name` (undefined for an absent optional input). */
  tensor(name: string): Tensor | undefined {
    return this.tensors[name];
  }

  node(name: string): Node {
    const n = this.nodes[name];
    if (!n) throw new Error(`node capture ${name} is not bound`);
    return n;
  }

  /** What is bound so far, to undo a failed try (a commutative op's first order). */
  save(): () => void {
    const values = { ...this.values };
    const tensors = { ...this.tensors };
    const nodes = { ...this.nodes };
    const matched = this.matched.length;
    return () => {
      for (const [k, o] of [
        [this.values, values],
        [this.tensors, tensors],
        [this.nodes, nodes],
      ] as const) {
        for (const key of Object.keys(k)) if (!(key in o)) delete (k as Record<string, unknown>)[key];
        Object.assign(k, o);
      }
      this.matched.length = matched;
    };
  }
}

/** Why a pattern did not match at a node (null when it matched). */
export function matchAt(pattern: OpPattern, node: Node, m: Match): string | null {
  return matchOp(pattern, node, m, true);
}

function sameOp(pattern: OpPattern, node: Node): boolean {
  const d = node.domain === 'ai.onnx' ? '' : node.domain;
  return node.opType === pattern.op && d === pattern.domain;
}

function matchOp(pattern: OpPattern, node: Node, m: Match, root: boolean): string | null {
  if (!sameOp(pattern, node)) return `${node.label} is ${node.opType}, not ${pattern.op}`;
  if (!root) {
    for (const o of node.outputs) {
      if (!o) continue;
      if (m.graph.isOutput(o)) return `${node.label}'s output ${o} is a graph output`;
      if (m.graph.consumers(o).length !== 1) return `${node.label}'s output ${o} has other uses`;
    }
  }
  const needed = pattern.inputs.filter((x) => x.kind !== 'optional').length;
  const present = node.inputs.length;
  if (present < needed) return `${node.label} has ${present} inputs, the pattern needs ${needed}`;
  if (present > pattern.inputs.length) return `${node.label} has more inputs (${present}) than the pattern`;
  m.matched.push(node);
  if (pattern.capture) m.nodes[pattern.capture] = node;
  if (!pattern.commutative) return matchInputs(pattern.inputs, node, m);
  const undo = m.save();
  const why = matchInputs(pattern.inputs, node, m);
  if (why === null) return null;
  undo();
  return matchInputs([pattern.inputs[1]!, pattern.inputs[0]!], node, m) === null ? null : why;
}

/** The node's inputs against the pattern's, in this order. */
function matchInputs(inputs: Pattern[], node: Node, m: Match): string | null {
  for (let i = 0; i < inputs.length; i++) {
    const sub = inputs[i]!;
    const name = node.inputs[i] ?? '';
    if (sub.kind === 'optional') {
      if (!name) {
        m.values[sub.inner.capture] = undefined;
        continue;
      }
      const why = matchValue(sub.inner, name, m);
      if (why) return why;
      continue;
    }
    if (!name) return `${node.label} input ${i} is absent`;
    if (sub.kind === 'value') {
      const why = matchValue(sub, name, m);
      if (why) return why;
      continue;
    }
    const producer = m.graph.producer(name);
    if (!producer) return `${node.label} input ${i} (${name}) is not produced by a ${sub.op}`;
    const why = matchOp(sub, producer, m, false);
    if (why) return why;
  }
  return null;
}

function matchValue(pattern: ValuePattern, name: string, m: Match): string | null {
  const bound = m.values[pattern.capture];
  if (bound !== undefined && bound !== name) return `${pattern.capture} bound to ${bound} and ${name}`;
  m.values[pattern.capture] = name;
  if (pattern.constant) {
    const t = m.graph.constant(name);
    if (!t) return `${name} is not a constant`;
    m.tensors[pattern.capture] = t;
  }
  return null;
}

/** Capture names of a pattern, with duplicates (for load-time validation). */
export function captures(pattern: Pattern, out: string[] = []): string[] {
  if (pattern.kind === 'value') out.push(pattern.capture);
  else if (pattern.kind === 'optional') out.push(pattern.inner.capture);
  else {
    if (pattern.capture) out.push(pattern.capture);
    for (const i of pattern.inputs) captures(i, out);
  }
  return out;
}

/** Op types a pattern mentions. */
export function opsOf(pattern: Pattern, out: string[] = []): string[] {
  if (pattern.kind === 'op') {
    out.push(pattern.op);
    for (const i of pattern.inputs) opsOf(i, out);
  }
  return out;
}
