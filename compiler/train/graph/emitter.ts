// Emits standard ONNX nodes (opset ≥ 17 forms) into a training graph: fresh names, shared constants,
// and the small building blocks gradient rules and losses are written with (reshape, sums that undo
// broadcasting, elementwise arithmetic). Shapes are static: the graph is built for one input shape.

import { makeAttribute } from '../../../runtime/ir/attribute.ts';
import type { DType } from '../../../runtime/ir/dtype.ts';
import type { Graph } from '../../../runtime/ir/graph.ts';
import { makeTensor, sizeOf, type Tensor } from '../../../runtime/ir/tensor.ts';
import type { AttrValue } from '../../../runtime/ir/types.ts';

export type Shape = readonly number[];

/** Attributes ONNX types FLOAT even when the value is a whole number. */
const FLOAT_ATTRS = new Set(['alpha', 'beta', 'epsilon', 'momentum', 'gamma']);

export class Emitter {
  private readonly constCache = new Map<string, string>();
  private readonly shapes = new Map<string, number[]>();
  private readonly dtypes = new Map<string, DType>();
  private readonly taken: Set<string>;
  /** Output → input of the Reshape nodes emitted here. */
  private readonly reshaped = new Map<string, string>();
  private counter = 0;

  constructor(
    readonly graph: Graph,
    known: ReadonlyMap<string, { shape: number[]; dtype: DType }>,
    readonly opset: number,
    private readonly prefix = 'train',
  ) {
    for (const [name, t] of known) {
      this.shapes.set(name, t.shape);
      this.dtypes.set(name, t.dtype);
    }
    this.taken = new Set([...graph.valueNames(), ...graph.nodes.map((n) => n.name)]);
  }

  /** The static shape of a value (forward values and everything emitted here). */
  shape(name: string): number[] {
    const s = this.shapes.get(name);
    if (!s) throw new Error(`training graph: no static shape for value '${name}'`);
    return s;
  }

  hasShape(name: string): boolean {
    return this.shapes.has(name);
  }

  dtype(name: string): DType {
    return this.dtypes.get(name) ?? 'float32';
  }

  /** Record the shape of a value produced outside `op` (e.g. a graph input added by the caller). */
  declare(name: string, shape: Shape, dtype: DType = 'float32'): void {
    this.shapes.set(name, [...shape]);
    this.dtypes.set(name, dtype);
  }

  /** A value or node name used nowhere in the graph. */
  fresh(base: string): string {
    let name: string;
    do name = `${this.prefix}/${base}_${this.counter++}`;
    while (this.taken.has(name));
    this.taken.add(name);
    return name;
  }

  /** Emit one node; `shapes` gives each output's static shape (and dtype, default float32). */
  ops(
    op: string,
    inputs: string[],
    attrs: Record<string, AttrValue> | undefined,
    outs: { shape: Shape; dtype?: DType; name?: string }[],
  ): string[] {
    const names = outs.map((o) => o.name ?? this.fresh(`${op}`));
    this.graph.addNode({
      op,
      inputs,
      outputs: names,
      attrs: Object.fromEntries(
        Object.entries(attrs ?? {})
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, FLOAT_ATTRS.has(k) ? makeAttribute(k, v, 'FLOAT') : v]),
      ),
      name: this.fresh(`${op}_node`),
    });
    outs.forEach((o, i) => {
      this.declare(names[i]!, o.shape, o.dtype);
    });
    return names;
  }

  op(op: string, inputs: string[], shape: Shape, attrs?: Record<string, AttrValue>, dtype?: DType): string {
    return this.ops(op, inputs, attrs, [{ shape, dtype }])[0]!;
  }

  /** A constant initializer (deduplicated by content). */
  constant(t: Tensor, base = 'const'): string {
    const key = `${t.dtype}|${t.dims.join(',')}|${Array.from(t.data as ArrayLike<number | bigint>).join(',')}`;
    const hit = key.length < 4096 ? this.constCache.get(key) : undefined;
    if (hit) return hit;
    const name = this.fresh(base);
    this.graph.addInitializer(name, t);
    this.declare(name, t.dims, t.dtype);
    if (key.length < 4096) this.constCache.set(key, name);
    return name;
  }

  ints(values: readonly number[]): string {
    return this.constant(
      makeTensor('int64', [values.length], BigInt64Array.from(values.map((v) => BigInt(v)))),
      'ints',
    );
  }

  scalar(v: number, dtype: DType = 'float32'): string {
    const t = makeTensor(dtype, []);
    (t.data as Float32Array)[0] = v;
    return this.constant(t, 'scalar');
  }

  zeros(shape: Shape): string {
    return this.constant(makeTensor('float32', shape), 'zeros');
  }

  // ---- shape ops ----

  reshape(x: string, shape: Shape): string {
    if (sameShape(this.shape(x), shape)) return x;
    // a reshape of a reshape emitted here is one reshape of the first one's input
    const src = this.reshaped.get(x) ?? x;
    if (sameShape(this.shape(src), shape)) return src;
    const out = this.op('Reshape', [src, this.ints(shape)], shape);
    this.reshaped.set(out, src);
    return out;
  }

  transpose(x: string, perm: readonly number[]): string {
    if (perm.every((p, i) => p === i)) return x;
    const s = this.shape(x);
    // moving only axes of size 1 keeps the element order: a reshape
    const moved = perm.filter((p) => s[p] !== 1);
    if (moved.every((p, i) => i === 0 || p > moved[i - 1]!))
      return this.reshape(
        x,
        perm.map((p) => s[p]!),
      );
    return this.op(
      'Transpose',
      [x],
      perm.map((p) => s[p]!),
      { perm: [...perm] },
    );
  }

  expand(x: string, shape: Shape): string {
    if (sameShape(this.shape(x), shape)) return x;
    return this.op('Expand', [x, this.ints(shape)], shape);
  }

  /** ReduceSum over `axes` (none: returns x). */
  sum(x: string, axes: readonly number[], keepdims = true): string {
    if (axes.length === 0) return x;
    const s = this.shape(x);
    const out = keepdims
      ? s.map((d, i) => (axes.includes(i) ? 1 : d))
      : s.filter((_, i) => !axes.includes(i));
    return this.op('ReduceSum', [x, this.ints(axes)], out, { keepdims: keepdims ? 1 : 0 });
  }

  /** Sum a gradient of shape `from` (a broadcast result) down to the operand's shape `to`. */
  unbroadcast(g: string, to: Shape): string {
    const from = this.shape(g);
    const lead = from.length - to.length;
    const axes: number[] = [];
    for (let i = 0; i < from.length; i++) {
      const t = i < lead ? undefined : to[i - lead];
      if (t === undefined || (t === 1 && from[i] !== 1)) axes.push(i);
    }
    return this.reshape(this.sum(g, axes, true), to);
  }

  // ---- arithmetic (numpy broadcasting) ----

  private binary(op: string, a: string, b: string): string {
    return this.op(op, [a, b], broadcast(this.shape(a), this.shape(b)));
  }
  add(a: string, b: string): string {
    return this.binary('Add', a, b);
  }
  sub(a: string, b: string): string {
    return this.binary('Sub', a, b);
  }
  mul(a: string, b: string): string {
    return this.binary('Mul', a, b);
  }
  div(a: string, b: string): string {
    return this.binary('Div', a, b);
  }
  unary(op: string, x: string, attrs?: Record<string, AttrValue>): string {
    return this.op(op, [x], this.shape(x), attrs);
  }
  /** x as float32 (a no-op when it already is). */
  cast(x: string): string {
    return this.dtype(x) === 'float32' ? x : this.op('Cast', [x], this.shape(x), { to: 1 });
  }
  neg(x: string): string {
    return this.unary('Neg', x);
  }
  /** Multiply by a number (skipped for 1). */
  scale(x: string, k: number): string {
    return k === 1 ? x : this.mul(x, this.scalar(k));
  }
  /** Where(cond, a, b) with numpy broadcasting. */
  where(cond: string, a: string, b: string): string {
    return this.op(
      'Where',
      [cond, a, b],
      broadcast(this.shape(cond), broadcast(this.shape(a), this.shape(b))),
    );
  }
  compare(op: 'Greater' | 'Less' | 'GreaterOrEqual' | 'LessOrEqual' | 'Equal', a: string, b: string): string {
    return this.op(op, [a, b], broadcast(this.shape(a), this.shape(b)), undefined, 'bool');
  }
  /** Sum of several same-shaped values (one value passes through). */
  total(values: string[]): string {
    if (values.length === 1) return values[0]!;
    return this.op('Sum', values, this.shape(values[0]!));
  }
  matmul(a: string, b: string): string {
    const sa = this.shape(a);
    const sb = this.shape(b);
    const batch = broadcast(sa.slice(0, -2), sb.slice(0, -2));
    return this.op('MatMul', [a, b], [...batch, sa[sa.length - 2]!, sb[sb.length - 1]!]);
  }
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** numpy broadcasting of two static shapes. */
export function broadcast(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`training graph: cannot broadcast [${a}] with [${b}]`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

export function numel(s: Shape): number {
  return sizeOf(s);
}
