// The replacement builder, the rewrite side of a rule: it mirrors the pattern builder
// (`r.op('Mul', [x, hs])` for `p.op('Mul', x, hs)`) and places what it builds before the matched
// root, so the graph stays in topological order.

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Node, NodeInit } from '../../runtime/ir/node.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';

export class Replacement {
  /** The nodes built, in order. */
  readonly added: Node[] = [];

  constructor(
    readonly graph: Graph,
    readonly root: Node,
  ) {}

  /**
   * A new `op(...inputs)` node before the root; returns its output's name: `output` (made unique), or
   * one built from the root's first output.
   */
  op(
    op: string,
    inputs: string[],
    opts: { attrs?: NodeInit['attrs']; name?: string; output?: string } = {},
  ): string {
    const g = this.graph;
    const out = g.uniqueName(opts.output ?? `${this.root.outputs[0] || op}_${op.toLowerCase()}`);
    this.added.push(
      g.addNode(
        { op, name: opts.name ?? '', inputs, outputs: [out], attrs: opts.attrs ?? {} },
        { before: this.root },
      ),
    );
    return out;
  }

  /** A new initializer holding `tensor`, named from `base` (made unique); returns its name. */
  constant(tensor: Tensor, base: string): string {
    const name = this.graph.uniqueName(base);
    this.graph.addInitializer(name, tensor);
    return name;
  }
}
