// A backend runs nodes. The executor asks it to prepare each node once per session (weights are
// known then, so it can pack and upload them once); a node it does not prepare runs on the op's
// plain-TypeScript reference kernel. 'cpu' is the reference backend.

import type { Tensor } from '../ir/tensor.ts';
import type { Attrs, ValueType } from '../ir/types.ts';
import type { KernelContext } from '../ops/registry.ts';

export type BackendName = 'webgpu' | 'headlessgl' | 'webasm' | 'cpu';

export interface NodeSpec {
  op: string;
  domain: string;
  name: string;
  attrs: Attrs;
  /** Static types of the inputs (undefined for an absent optional input). */
  inputTypes: (ValueType | undefined)[];
  /** Inputs whose value is fixed for the session (weights, constants); undefined otherwise. */
  constInputs: (Tensor | undefined)[];
  outputTypes: (ValueType | undefined)[];
}

/** A node with its value names, as a graph-level hook sees it (topological order, '' = absent input). */
export interface GraphNode extends NodeSpec {
  inputs: string[];
  outputs: string[];
}

export type PreparedKernel = (inputs: (Tensor | undefined)[]) => Promise<Tensor[]>;

/** A whole graph for one set of input shapes, for a backend that runs graphs as one program. */
export interface GraphProgramSpec {
  /** Topological order, after the backend's fusion. */
  nodes: readonly GraphNode[];
  /** Initializers, folded constants and shape arithmetic known for these input shapes. */
  consts: ReadonlyMap<string, Tensor>;
  /** Values each run writes first (graph inputs). */
  inputs: readonly string[];
  /** Values each run returns. */
  outputs: readonly string[];
  /** Concrete dtype and dims of every computed value. */
  shapes: ReadonlyMap<string, { dtype: Tensor['dtype']; dims: number[] }>;
  ctx: KernelContext;
}

export interface GraphProgram {
  /** How many of the graph's nodes run on the backend's own kernels (the rest on reference kernels). */
  readonly accelerated: number;
  run(
    feeds: ReadonlyMap<string, Tensor>,
    onValue?: (name: string, t: Tensor) => void,
  ): Promise<Map<string, Tensor>>;
  dispose(): void;
}

export interface Backend {
  readonly name: BackendName;
  /** Prepare one node for this session, or return undefined to fall back to the reference kernel. */
  prepareNode(node: NodeSpec, ctx: KernelContext): PreparedKernel | undefined;
  /**
   * Optional graph-level fusion, run once per session before prepareNode: returns the node list to
   * run instead, where chains the backend fuses (e.g. Conv + BatchNormalization + activations) are
   * replaced by nodes of its own op types (which only this backend prepares). Values in `keep`
   * (graph outputs, observed intermediates) are never fused away.
   */
  fuseGraph?(nodes: readonly GraphNode[], keep: ReadonlySet<string>): GraphNode[];
  /**
   * Optional: plan a whole graph (for given input shapes) into one program, so values stay where
   * the backend keeps them between nodes; the executor then runs it instead of node by node.
   */
  compileGraph?(spec: GraphProgramSpec): Promise<GraphProgram>;
  /** Release everything the backend holds for the session. */
  dispose?(): void;
}
