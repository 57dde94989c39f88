// Gradient of DequantizeLinear. After a QuantizeLinear of a float value (a fake quantizer,
// x̂ = s·(clamp(round(x/s) + z) − z)) the value gets the straight-through estimator, dx = dY inside
// the clamp range and 0 outside, and the scale the LSQ gradient dY·((q − z) − x/s inside).
// Dequantizing a stored integer tensor, only the scale has a gradient: dY·(q − z).

import { UserError } from '../../../../runtime/errors.ts';
import type { Node } from '../../../../runtime/ir/node.ts';
import type { Emitter } from '../../graph/emitter.ts';
import { defineGradRules, type GradContext } from '../rule.ts';

const RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int4: [-8, 7],
  uint4: [0, 15],
  int2: [-2, 1],
  uint2: [0, 3],
  int32: [-2147483648, 2147483647],
};

/** A per-axis scale or zero point reshaped to broadcast over the value (per tensor: as is). */
function alongAxis(e: Emitter, v: string, rank: number, axis: number): string {
  const s = e.shape(v);
  if (s.length === 0 || (s.length === 1 && s[0] === 1)) return v;
  return e.reshape(
    v,
    Array.from({ length: rank }, (_, i) => (i === axis ? s[0]! : 1)),
  );
}

function dequantizeGrad(c: GradContext): (string | undefined)[] {
  const e = c.emit;
  const [q, scale, zp] = c.node.inputs as [string, string, string | undefined];
  const g = c.grads[0]!;
  const r = e.shape(q).length;
  const rawAxis = Number(c.node.attrs.axis ?? 1);
  const axis = rawAxis < 0 ? rawAxis + r : rawAxis;
  if (Number(c.node.attrs.block_size ?? 0) > 0)
    throw new UserError(
      `DequantizeLinear '${c.node.label}': blocked quantization has no gradient rule yet; train it per tensor or per channel`,
    );
  const s = alongAxis(e, scale, r, axis);
  const z = zp ? alongAxis(e, e.cast(zp), r, axis) : undefined;
  const level = z ? e.sub(e.cast(q), z) : e.cast(q);
  const quantizer: Node | undefined = c.graph.producer(q);
  const fake = quantizer?.opType === 'QuantizeLinear' ? quantizer : undefined;
  const source = fake?.inputs[0];
  let scaleLocal = level;
  if (fake && source && c.active(source)) {
    const [lo, hi] = RANGES[e.dtype(q)] ?? [-128, 127];
    const sameScale = fake.inputs[1] === scale;
    const sq = sameScale ? s : alongAxis(e, fake.inputs[1]!, r, axis);
    const ratio = e.div(source, sq);
    const shifted = z ? e.add(ratio, z) : ratio;
    const inside = e.op(
      'And',
      [e.compare('GreaterOrEqual', shifted, e.scalar(lo)), e.compare('LessOrEqual', shifted, e.scalar(hi))],
      e.shape(source),
      undefined,
      'bool',
    );
    const through = sameScale ? g : e.mul(g, e.div(s, sq));
    c.accumulate(source, e.where(inside, through, e.scalar(0)));
    if (sameScale) scaleLocal = e.sub(level, e.where(inside, ratio, e.scalar(0)));
  }
  let dScale: string | undefined;
  if (c.needs(1)) {
    const per = e.mul(g, scaleLocal);
    const ss = e.shape(scale);
    const keep = ss.length === 1 && ss[0]! > 1 ? [axis] : [];
    dScale = e.reshape(
      e.sum(
        per,
        e
          .shape(per)
          .map((_, i) => i)
          .filter((i) => !keep.includes(i)),
        false,
      ),
      ss,
    );
  }
  return [undefined, dScale, undefined];
}

export const QUANT_GRADS = defineGradRules('quant', [
  {
    op: 'DequantizeLinear',
    summary: 'fake quantizer: dX = dY inside the range (STE), dS = dY·((q − z) − x/s) (LSQ)',
    inputs: [1],
    roles: { 1: 'quant-scale' },
    backward: dequantizeGrad,
  },
]);
