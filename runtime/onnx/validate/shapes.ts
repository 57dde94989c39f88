// Per-op agreement checks, as the ONNX checker and onnxruntime make them: attribute values in range
// (group ≥ 1, strides and dilations ≥ 1, pads ≥ 0), weights that fit the input (channels, kernel
// shape, bias length), windows no larger than the padded input, operands that broadcast. Each
// returns what is wrong in words, or undefined. Unknown (symbolic or negative) dims are not judged.

import type { Node } from '../../ir/node.ts';
import type { Dim, ValueType } from '../../ir/types.ts';

export type ShapeCheck = (
  n: Node,
  ins: (ValueType | undefined)[],
  outs: (ValueType | undefined)[],
) => string | undefined;

const known = (d: Dim | undefined): d is number => typeof d === 'number' && d >= 0;
const fmt = (s: readonly Dim[]) => `[${s.join(', ')}]`;

function ints(v: unknown): number[] | undefined {
  return Array.isArray(v) ? (v as unknown[]).map(Number) : undefined;
}

/** strides, dilations, pads, kernel_shape: lengths and ranges for `spatial` dims (undefined: unknown). */
function windowAttrs(n: Node, spatial: number | undefined, needKernel: boolean): string | undefined {
  const a = n.attrs;
  const auto = a.auto_pad ?? 'NOTSET';
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(String(auto)))
    return `auto_pad '${String(auto)}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID`;
  const k = ints(a.kernel_shape);
  if (needKernel && !k) return 'kernel_shape is required';
  const lists: [string, number[] | undefined, number, number][] = [
    ['kernel_shape', k, 1, 1],
    ['strides', ints(a.strides), 1, 1],
    ['dilations', ints(a.dilations), 1, 1],
    ['pads', ints(a.pads), 0, 2],
  ];
  for (const [name, v, min, per] of lists) {
    if (!v) continue;
    const bad = v.find((x) => !Number.isSafeInteger(x) || x < min);
    if (bad !== undefined) return `${name} ${fmt(v)} has ${bad}; each must be an integer ≥ ${min}`;
    if (spatial !== undefined && v.length !== per * spatial)
      return `${name} ${fmt(v)} has ${v.length} values; the input has ${spatial} spatial dims, so it needs ${per * spatial}`;
  }
  return undefined;
}

/** The window (dilated kernel) must fit the padded input in every known spatial dim. */
function windowFits(n: Node, x: readonly Dim[], k: readonly Dim[]): string | undefined {
  const a = n.attrs;
  const auto = String(a.auto_pad ?? 'NOTSET');
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') return undefined;
  const s = x.length - 2;
  const dil = ints(a.dilations) ?? new Array(s).fill(1);
  const pads = auto === 'VALID' ? new Array(2 * s).fill(0) : (ints(a.pads) ?? new Array(2 * s).fill(0));
  for (let i = 0; i < s; i++) {
    const xi = x[2 + i];
    const ki = k[i];
    if (!known(xi) || !known(ki)) continue;
    const extent = (ki - 1) * dil[i]! + 1;
    const padded = xi + pads[i]! + pads[i + s]!;
    if (extent > padded)
      return `its window (kernel ${ki}, dilation ${dil[i]}) spans ${extent} in spatial dim ${i}, more than the padded input (${padded})`;
  }
  return undefined;
}

function convLike(transpose: boolean): ShapeCheck {
  return (n, [X, W, B]) => {
    const group = n.attrs.group ?? 1;
    if (typeof group !== 'number' || !Number.isSafeInteger(group) || group < 1)
      return `group ${String(group)} must be an integer ≥ 1`;
    const ws = W?.shape;
    const xs = X?.shape;
    const spatial = ws ? ws.length - 2 : xs ? xs.length - 2 : undefined;
    if (spatial !== undefined && spatial < 1)
      return `${ws ? `weights ${fmt(ws)}` : `input ${fmt(xs!)}`} need rank ≥ 3 (batch, channels, spatial dims)`;
    const w = windowAttrs(n, spatial, false);
    if (w) return w;
    if (!ws) return undefined;
    if (xs && xs.length !== ws.length)
      return `the input ${fmt(xs)} has rank ${xs.length} but the weights ${fmt(ws)} have rank ${ws.length}`;
    const k = ints(n.attrs.kernel_shape);
    if (k?.some((d, i) => known(ws[2 + i]) && d !== ws[2 + i]))
      return `kernel_shape ${fmt(k)} disagrees with the weights ${fmt(ws)}`;
    const c = xs?.[1];
    const [w0, w1] = [ws[0], ws[1]];
    if (!transpose) {
      if (known(c) && known(w1) && c !== w1 * group)
        return `the weights ${fmt(ws)} take ${w1} input channels per group (group ${group}), so the input needs ${w1 * group}, but it has ${c}`;
      if (known(w0) && w0 % group !== 0) return `${w0} output channels do not divide into ${group} groups`;
    } else {
      if (known(c) && known(w0) && c !== w0)
        return `the weights ${fmt(ws)} take ${w0} input channels, but the input has ${c}`;
      if (known(w0) && w0 % group !== 0) return `${w0} input channels do not divide into ${group} groups`;
    }
    const out = transpose ? (known(w1) ? w1 * group : undefined) : w0;
    const b = B?.shape;
    if (b && (b.length !== 1 || (known(b[0]) && known(out) && b[0] !== out)))
      return `the bias ${fmt(b)} must be one value per output channel (${out ?? '?'})`;
    return !transpose && xs ? windowFits(n, xs, k ?? ws.slice(2)) : undefined;
  };
}

const pool: ShapeCheck = (n, [X]) => {
  const xs = X?.shape;
  const w = windowAttrs(n, xs ? xs.length - 2 : undefined, true);
  if (w) return w;
  const k = ints(n.attrs.kernel_shape)!;
  const pads = ints(n.attrs.pads);
  const s = k.length;
  const big = pads?.findIndex((p, i) => p >= k[i % s]!);
  if (pads && big !== undefined && big >= 0)
    return `pads ${fmt(pads)} must each be smaller than the kernel ${fmt(k)}`;
  return xs ? windowFits(n, xs, k) : undefined;
};

function broadcasts(a: readonly Dim[], b: readonly Dim[]): boolean {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i];
    const y = b[b.length - i];
    if (known(x) && known(y) && x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

const binary: ShapeCheck = (_n, [A, B]) =>
  A?.shape && B?.shape && !broadcasts(A.shape, B.shape)
    ? `operands ${fmt(A.shape)} and ${fmt(B.shape)} do not broadcast`
    : undefined;

const gemm: ShapeCheck = (n, [A, B]) => {
  const a = A?.shape;
  const b = B?.shape;
  if (a && a.length !== 2) return `A ${fmt(a)} must be a matrix (rank 2)`;
  if (b && b.length !== 2) return `B ${fmt(b)} must be a matrix (rank 2)`;
  if (!a || !b) return undefined;
  const ka = n.attrs.transA ? a[0] : a[1];
  const kb = n.attrs.transB ? b[1] : b[0];
  return known(ka) && known(kb) && ka !== kb
    ? `A ${fmt(a)} and B ${fmt(b)} disagree on the inner dimension (${ka} vs ${kb})`
    : undefined;
};

const matmul: ShapeCheck = (_n, [A, B]) => {
  const a = A?.shape;
  const b = B?.shape;
  if (!a || !b || a.length === 0 || b.length === 0) return undefined;
  const ka = a[a.length - 1];
  const kb = b.length === 1 ? b[0] : b[b.length - 2];
  if (known(ka) && known(kb) && ka !== kb)
    return `${fmt(a)} × ${fmt(b)}: the inner dimensions disagree (${ka} vs ${kb})`;
  return broadcasts(a.slice(0, -2), b.slice(0, -2))
    ? undefined
    : `the batch dims of ${fmt(a)} and ${fmt(b)} do not broadcast`;
};

const batchNorm: ShapeCheck = (_n, [X, ...params]) => {
  const c = X?.shape?.[1];
  const names = ['scale', 'bias', 'mean', 'var'];
  for (let i = 0; i < 4; i++) {
    const p = params[i]?.shape;
    if (p && (p.length !== 1 || (known(p[0]) && known(c) && p[0] !== c)))
      return `${names[i]} ${fmt(p)} must hold one value per channel (${c ?? '?'})`;
  }
  return undefined;
};

/** `axis` within the input's rank: [-r, r) (or [-r, r] where the op allows r, as Flatten). */
function axisIn(allowRank = false): ShapeCheck {
  return (n, [X]) => {
    const r = X?.shape?.length;
    const axis = n.attrs.axis;
    if (r === undefined || typeof axis !== 'number') return undefined;
    return axis < -r || axis > r || (axis === r && !allowRank)
      ? `axis ${axis} is out of range for the input's rank ${r}`
      : undefined;
  };
}
const concat: ShapeCheck = (n, ins) => {
  const shapes = ins.map((t) => t?.shape).filter((s): s is Dim[] => !!s);
  if (!shapes.length) return undefined;
  const r = shapes[0]!.length;
  const odd = shapes.find((s) => s.length !== r);
  if (odd) return `inputs ${fmt(shapes[0]!)} and ${fmt(odd)} differ in rank`;
  const axis = Number(n.attrs.axis ?? 0);
  if (axis < -r || axis >= r) return `axis ${axis} is out of range for rank ${r}`;
  const ax = axis < 0 ? axis + r : axis;
  for (let d = 0; d < r; d++) {
    if (d === ax) continue;
    const sizes = shapes.map((s) => s[d]).filter(known);
    if (new Set(sizes).size > 1) return `inputs disagree in dim ${d} (${[...new Set(sizes)].join(' vs ')})`;
  }
  return undefined;
};

const transpose: ShapeCheck = (n, [X]) => {
  const perm = ints(n.attrs.perm);
  const r = X?.shape?.length;
  if (!perm || r === undefined) return undefined;
  const ok = perm.length === r && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  return ok ? undefined : `perm ${fmt(perm)} is not a permutation of the input's ${r} axes`;
};

/** The shape a node builds from a shape-valued input (ConstantOfShape, Expand) has no negative dim. */
const builtShape: ShapeCheck = (_n, _ins, [Y]) => {
  const shape = Y?.shape;
  return shape?.some((d) => typeof d === 'number' && d < 0)
    ? `the shape it makes, ${fmt(shape)}, has a negative dimension`
    : undefined;
};

export const SHAPE_CHECKS: Readonly<Record<string, ShapeCheck>> = {
  ConstantOfShape: builtShape,
  Expand: builtShape,
  Conv: convLike(false),
  ConvTranspose: convLike(true),
  MaxPool: pool,
  AveragePool: pool,
  Gemm: gemm,
  MatMul: matmul,
  BatchNormalization: batchNorm,
  Concat: concat,
  Transpose: transpose,
  Softmax: axisIn(),
  LogSoftmax: axisIn(),
  Flatten: axisIn(true),
  Gather: axisIn(),
  ...Object.fromEntries(
    [
      'Add',
      'Sub',
      'Mul',
      'Div',
      'Pow',
      'Equal',
      'Greater',
      'GreaterOrEqual',
      'Less',
      'LessOrEqual',
      'And',
      'Or',
      'Xor',
    ].map((op) => [op, binary]),
  ),
};
