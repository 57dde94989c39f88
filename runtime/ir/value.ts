// A value (an edge of the graph) seen from its graph: producer, consumers, type, constant data.

import type { Graph } from './graph.ts';
import type { Node } from './node.ts';
import type { Tensor } from './tensor.ts';
import type { ValueType } from './types.ts';

export class Value {
  constructor(
    readonly graph: Graph,
    readonly name: string,
  ) {}

  get producer(): Node | undefined {
    return this.graph.producer(this.name);
  }

  get consumers(): Node[] {
    return this.graph.consumers(this.name);
  }

  /** Declared type (value_info, graph inputs/outputs, constants). */
  get type(): ValueType | undefined {
    return this.graph.declaredType(this.name);
  }

  /** Constant data (initializer or Constant node), else undefined. */
  get constant(): Tensor | undefined {
    return this.graph.constant(this.name);
  }

  get isInitializer(): boolean {
    return this.graph.initializers.has(this.name);
  }

  get isGraphInput(): boolean {
    return this.graph.isInput(this.name);
  }

  get isGraphOutput(): boolean {
    return this.graph.isOutput(this.name);
  }
}
