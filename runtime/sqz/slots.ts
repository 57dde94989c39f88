// The tensors a .sqz container may code, in the order records index them: the graph's initializers
// (map order), then the `value` tensor of each top-level Constant node (node order).

import type { Graph } from '../ir/graph.ts';
import type { Tensor } from '../ir/tensor.ts';
import { TENSOR_META } from '../ir/tensor-meta.ts';
import { STORAGE } from './format.ts';

export interface TensorSlot {
  /** Initializer name, or `Constant node 'name'` for messages. */
  label: string;
  /** The value the graph reads it as (the initializer's name, the Constant node's output). */
  value: string;
  get(): Tensor;
  set(t: Tensor): void;
}

export function tensorSlots(g: Graph): TensorSlot[] {
  const out: TensorSlot[] = [];
  for (const name of g.initializers.keys()) {
    out.push({
      label: name,
      value: name,
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
      value: n.outputs[0] ?? '',
      get: () => attr.value as Tensor,
      set: (t) => {
        attr.value = t;
        n.attrsChanged();
      },
    });
  }
  return out;
}

/** Put a decoded tensor in its slot, keeping the placeholder's metadata and the recorded storage. */
export function restoreSlot(slot: TensorSlot, tensor: Tensor, storage: number): void {
  const meta = TENSOR_META.get(slot.get());
  TENSOR_META.set(tensor, { ...(meta ?? {}), storage: storage === STORAGE.typed ? 'typed' : 'raw' });
  slot.set(tensor);
}
