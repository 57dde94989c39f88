// The value of a `Constant` node as a Tensor (value, value_float(s), value_int(s), value_string(s)).

import type { Node } from './node.ts';
import type { Tensor } from './tensor.ts';

const utf8e = new TextEncoder();

/** The tensor a Constant node outputs, or undefined (sparse_value, or a malformed node). */
export function constantNodeValue(n: Node): Tensor | undefined {
  const a = n.attributes[0];
  if (!a || n.attributes.length !== 1) return undefined;
  switch (a.name) {
    case 'value':
      return a.type === 'TENSOR' ? (a.value as Tensor) : undefined;
    case 'value_float':
      return { dtype: 'float32', dims: [], data: Float32Array.of(a.value as number) };
    case 'value_floats': {
      const v = Float32Array.from(a.value as ArrayLike<number>);
      return { dtype: 'float32', dims: [v.length], data: v };
    }
    case 'value_int':
      return { dtype: 'int64', dims: [], data: BigInt64Array.of(BigInt(a.value as number | bigint)) };
    case 'value_ints': {
      const v = BigInt64Array.from((a.value as (number | bigint)[]).map((x) => BigInt(x)));
      return { dtype: 'int64', dims: [v.length], data: v };
    }
    case 'value_string':
      return { dtype: 'string', dims: [], data: [a.value as Uint8Array] };
    case 'value_strings': {
      const v = (a.value as Uint8Array[]).map((s) => (typeof s === 'string' ? utf8e.encode(s) : s));
      return { dtype: 'string', dims: [v.length], data: v };
    }
    default:
      return undefined;
  }
}
