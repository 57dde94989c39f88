// Gradients of the layout ops: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand, Tile, Concat,
// Split, Slice, Pad, Gather (of weights). Slices and constant pads invert each other; strided
// slices, reflect/edge/wrap pads and Gather scatter the gradient back.

import { UserError } from '../../../../runtime/errors.ts';
import type { Tensor } from '../../../../runtime/ir/tensor.ts';
import { numel } from '../../graph/emitter.ts';
import { defineGradRules, type GradContext } from '../rule.ts';
import { scatterByMap } from './scatter.ts';

const reshapeBack = (c: GradContext) => [c.emit.reshape(c.grads[0]!, c.emit.shape(c.node.inputs[0]!))];

function constInts(c: GradContext, i: number): number[] | undefined {
  const name = c.node.inputs[i];
  if (!name) return undefined;
  const t: Tensor | undefined = c.graph.constant(name);
  if (!t)
    throw new UserError(
      `${c.node.opType} '${c.node.label}': training needs its input ${i} ('${name}') to be a constant`,
    );
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** Source index of every output element, from per-axis source coordinates (−1: none). */
function sourceMap(xShape: readonly number[], perAxis: number[][]): Int32Array {
  const outShape = perAxis.map((a) => a.length);
  const total = numel(outShape);
  const map = new Int32Array(total);
  const strides = xShape.map((_, i) => numel(xShape.slice(i + 1)));
  for (let k = 0; k < total; k++) {
    let rest = k;
    let src = 0;
    for (let a = outShape.length - 1; a >= 0; a--) {
      const s = perAxis[a]![rest % outShape[a]!]!;
      rest = Math.floor(rest / outShape[a]!);
      if (s < 0 || src < 0) src = -1;
      else src += s * strides[a]!;
    }
    map[k] = src;
  }
  return map;
}

function sliceGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const xs = e.shape(c.node.inputs[0]!);
  const r = xs.length;
  const starts = constInts(c, 1)!;
  const ends = constInts(c, 2)!;
  const axes = (constInts(c, 3) ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + r : a));
  const steps = constInts(c, 4) ?? starts.map(() => 1);
  const perAxis = xs.map((d) => Array.from({ length: d }, (_, i) => i));
  axes.forEach((a, j) => {
    const d = xs[a]!;
    const step = steps[j]!;
    let s = starts[j]!;
    let t = ends[j]!;
    if (s < 0) s += d;
    if (t < 0) t += d;
    const picked: number[] = [];
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      t = Math.min(Math.max(t, 0), d);
      for (let i = s; i < t; i += step) picked.push(i);
    } else {
      s = Math.min(Math.max(s, -1), d - 1);
      t = Math.min(Math.max(t, -1), d - 1);
      for (let i = s; i > t; i += step) picked.push(i);
    }
    perAxis[a] = picked;
  });
  const contiguous = perAxis.every((p) => p.every((v, i) => i === 0 || v === p[i - 1]! + 1));
  if (contiguous && perAxis.every((p) => p.length > 0)) {
    const begin = perAxis.map((p) => p[0]!);
    const end = perAxis.map((p, a) => xs[a]! - p[p.length - 1]! - 1);
    return [e.op('Pad', [c.grads[0]!, e.ints([...begin, ...end])], xs)];
  }
  return [scatterByMap(e, c.grads[0]!, sourceMap(xs, perAxis), xs)];
}

function padGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const xs = e.shape(c.node.inputs[0]!);
  const r = xs.length;
  const raw = constInts(c, 1)!;
  const axes = (constInts(c, 3) ?? xs.map((_, i) => i)).map((a) => (a < 0 ? a + r : a));
  const begin = new Array(r).fill(0);
  const end = new Array(r).fill(0);
  axes.forEach((a, j) => {
    begin[a] = raw[j]!;
    end[a] = raw[j + axes.length]!;
  });
  const mode = String(c.node.attrs.mode ?? 'constant');
  if (mode === 'constant' && [...begin, ...end].every((p) => p >= 0)) {
    const ends = xs.map((d, a) => begin[a]! + d);
    return [e.op('Slice', [c.grads[0]!, e.ints(begin), e.ints(ends), e.ints(xs.map((_, i) => i))], xs)];
  }
  const perAxis = xs.map((d, a) =>
    Array.from({ length: d + begin[a]! + end[a]! }, (_, o) => {
      let i = o - begin[a]!;
      if (i >= 0 && i < d) return i;
      if (mode === 'constant') return -1;
      if (mode === 'edge') return Math.min(Math.max(i, 0), d - 1);
      if (mode === 'wrap') return ((i % d) + d) % d;
      // reflect (the edge value is not repeated)
      const period = 2 * (d - 1);
      if (period === 0) return 0;
      i = ((i % period) + period) % period;
      return i < d ? i : period - i;
    }),
  );
  return [scatterByMap(e, c.grads[0]!, sourceMap(xs, perAxis), xs)];
}

function gatherGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const [data, indices] = c.node.inputs as [string, string];
  const ds = e.shape(data);
  const is = e.shape(indices);
  const r = ds.length;
  const raw = Number(c.node.attrs.axis ?? 0);
  const axis = raw < 0 ? raw + r : raw;
  const pre = ds.slice(0, axis);
  const post = ds.slice(axis + 1);
  const M = numel(is);
  const rest = numel(pre) * numel(post);
  // dY is pre + indices + post: bring the index axes first, then scatter rows of the flat [V, rest]
  const ni = is.length;
  const gPerm = [
    ...Array.from({ length: ni }, (_, i) => pre.length + i),
    ...pre.map((_, i) => i),
    ...post.map((_, i) => pre.length + ni + i),
  ];
  const rows = e.reshape(e.transpose(c.grads[0]!, gPerm), [M, rest]);
  const idx = e.expand(e.reshape(indices, [M, 1]), [M, rest]);
  const V = ds[axis]!;
  const scattered = e.op('ScatterElements', [e.zeros([V, rest]), idx, rows], [V, rest], {
    axis: 0,
    reduction: 'add',
  });
  const moved = e.reshape(scattered, [V, ...pre, ...post]);
  const back = [...pre.map((_, i) => i + 1), 0, ...post.map((_, i) => pre.length + 1 + i)];
  return [e.transpose(moved, back)];
}

function concatGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const ins = c.node.inputs;
  const r = e.shape(ins[0]!).length;
  const raw = Number(c.node.attrs.axis);
  const axis = raw < 0 ? raw + r : raw;
  const sizes = ins.map((v) => e.shape(v)[axis]!);
  const outs = e.ops(
    'Split',
    [c.grads[0]!, e.ints(sizes)],
    { axis },
    ins.map((v) => ({ shape: e.shape(v) })),
  );
  return outs.map((o, i) => (c.needs(i) ? o : undefined));
}

function splitGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const xs = e.shape(c.node.inputs[0]!);
  const raw = Number(c.node.attrs.axis ?? 0);
  const axis = raw < 0 ? raw + xs.length : raw;
  const parts = c.node.outputs.map((o, i) => c.grads[i] ?? e.zeros(e.shape(o)));
  return [e.op('Concat', parts, xs, { axis })];
}

function tileGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const xs = e.shape(c.node.inputs[0]!);
  const reps = constInts(c, 1)!;
  const split = xs.flatMap((d, i) => [reps[i]!, d]);
  const summed = e.sum(
    e.reshape(c.grads[0]!, split),
    xs.map((_, i) => 2 * i),
    false,
  );
  return [e.reshape(summed, xs)];
}

export const LAYOUT_GRADS = defineGradRules('layout', [
  { op: 'Reshape', summary: 'dX = reshape(dY)', inputs: [0], backward: reshapeBack },
  { op: 'Flatten', summary: 'dX = reshape(dY)', inputs: [0], backward: reshapeBack },
  { op: 'Squeeze', summary: 'dX = reshape(dY)', inputs: [0], backward: reshapeBack },
  { op: 'Unsqueeze', summary: 'dX = reshape(dY)', inputs: [0], backward: reshapeBack },
  {
    op: 'Transpose',
    summary: 'dX = transpose(dY, perm⁻¹)',
    inputs: [0],
    backward: (c) => {
      const r = c.emit.shape(c.node.inputs[0]!).length;
      const perm = Array.isArray(c.node.attrs.perm)
        ? (c.node.attrs.perm as number[]).map(Number)
        : Array.from({ length: r }, (_, i) => r - 1 - i);
      const inv = new Array<number>(r);
      perm.forEach((p, i) => {
        inv[p] = i;
      });
      return [c.emit.transpose(c.grads[0]!, inv)];
    },
  },
  {
    op: 'Expand',
    summary: 'dX = dY summed over the expanded axes',
    inputs: [0],
    backward: (c) => [c.emit.unbroadcast(c.grads[0]!, c.emit.shape(c.node.inputs[0]!))],
  },
  { op: 'Tile', summary: 'dX = dY summed over the tiles', inputs: [0], backward: tileGrad },
  { op: 'Concat', summary: 'dXᵢ = Split(dY)ᵢ', inputs: 'all', backward: concatGrad },
  {
    op: 'Split',
    summary: 'dX = Concat(dYᵢ), zeros where an output has none',
    inputs: [0],
    backward: splitGrad,
  },
  { op: 'Slice', summary: 'dX = Pad(dY) (strided: scattered back)', inputs: [0], backward: sliceGrad },
  {
    op: 'Pad',
    summary: 'dX = Slice(dY) (reflect/edge/wrap: scattered back, added)',
    inputs: [0],
    backward: padGrad,
  },
  {
    op: 'Gather',
    summary: 'dData = dY rows scattered (added) to their indices',
    inputs: [0],
    backward: gatherGrad,
  },
]);
