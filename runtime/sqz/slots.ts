// The tensors a .sqz container may code, in the order records index them: the graph's initializers
// (map order), then the `value` tensor of each top-level Constant node (node order).

import type { Graph } from '../ir/graph.ts';
import type { Tensor } from '../ir/tensor.ts';

export interface TensorSlot {
  /** Initializer name, or `Constant node 'name'` for messages. */
  label: string;
  get(): Tensor;
  set(t: Tensor): void;
}

export function tensorSlots(g: Graph): TensorSlot[] {
  const out: TensorSlot[] = [];
  for (const name of g.initializers.keys()) {
    out.push({
      label: name,
      get: () => g.initializers.get(name)!,
      set: (t) => {
        g.initializers.set(name, t);
      },
    });
  }
  for (const n of g.nodes) {
    if (n.opType !== 'Constant' || (n.domain !== '' && n.domain !== 'ai.onnx')) continue;
    const attr = n.attributes.find((a) => a.name === 'value' && a.type === 'TENSOR');
    if (!attr) continue;
    out.push({
      label: `Constant node '${n.name || n.outputs[0]}'`,
      get: () => attr.value as Tensor,
      set: (t) => {
        attr.value = t;
        n.attrsChanged();
      },
    });
  }
  return out;
}
