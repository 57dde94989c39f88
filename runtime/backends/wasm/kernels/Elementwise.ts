// Elementwise nodes — Add/Sub/Mul/Div/Max/Min of broadcast float32 inputs, Relu, Sigmoid,
// HardSigmoid, HardSwish, Clip, and fused elementwise and QuantizeLinear anchors with their epilogues — as one
// pointwise program over the output's rows, split across threads in chunks of a row.

import type { GraphNode } from '../../backend.ts';
import { nodeEpilogue } from '../../fusion/epilogue.ts';
import { FUSED_DOMAIN } from '../../fusion/fusion.ts';
import type { Code } from '../asm/code.ts';
import { type Arg, type PlanIO, registerWasmKernel, type Step, type WasmKernel } from '../kernel.ts';
import { defineKernel } from '../library.ts';
import { ARGS, arg, scratchOf, share } from './common.ts';
import { channelDescs, type Desc, descArgs, epilogueSteps, factorRows, valueDesc } from './epilogue.ts';
import { encodePointwise, type PwOp, type PwStep, pointwiseScratch } from './pointwise.ts';

/** Elements of a row one pointwise call covers (its registers live in scratch). */
const CHUNK = 1024;

/** pointwise_rows: [prog, outer, channels, n, out, scratch base, scratch stride, descriptors…] */
defineKernel('pointwise_rows', (c: Code) => {
  const prog = arg(c, 0);
  const channels = arg(c, 2);
  const n = arg(c, 3);
  const out = arg(c, 4);
  const outer = arg(c, 1);
  const scratch = scratchOf(c, 5);
  const perRow = c.local('i32');
  const total = c.local('i32');
  const u = c.local('i32');
  const row = c.local('i32');
  const e = c.local('i32');
  const len = c.local('i32');
  c.get(n)
    .i32(CHUNK - 1)
    .i32_add()
    .i32(CHUNK)
    .i32_div_u()
    .set(perRow);
  c.get(outer).get(channels).i32_mul().get(perRow).i32_mul().set(total);
  const { start, end } = share(c, total);
  c.for(u, { local: start }, { local: end }, 1, () => {
    c.get(u).get(perRow).i32_div_u().set(row);
    c.get(u).get(perRow).i32_rem_u().i32(CHUNK).i32_mul().set(e);
    c.get(n)
      .get(e)
      .i32_sub()
      .tee(len)
      .i32(CHUNK)
      .i32_gt_s()
      .when(() => {
        c.i32(CHUNK).set(len);
      });
    c.get(prog)
      .get(ARGS)
      .i32(7 * 4)
      .i32_add();
    c.get(out).get(row).get(n).i32_mul().get(e).i32_add().i32(2).i32_shl().i32_add();
    c.get(len).get(row).get(channels).i32_div_u().get(row).get(channels).i32_rem_u().get(e).get(scratch);
    c.call('pointwise');
  });
});

const BINARY: readonly string[] = ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min'];
const UNARY: readonly string[] = ['Relu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Clip', 'Sqrt', 'Pow'];

/** A scalar bound of Clip: from a constant input, an attribute (opset < 11), or none; null when not constant. */
function clipBound(node: GraphNode, io: PlanIO, i: number, attr: string): number | undefined | null {
  const name = node.inputs[i];
  if (name) {
    const t = io.constant(name);
    if (t?.data.length !== 1 || t.dtype !== 'float32') return null;
    return (t.data as Float32Array)[0] as number;
  }
  const a = node.attrs[attr];
  return typeof a === 'number' ? a : undefined;
}

/** BatchNormalization (inference) as x·scale + shift per channel: the two constants, or undefined. */
function batchNormConstants(node: GraphNode, io: PlanIO): [Float32Array, Float32Array] | undefined {
  const [, s, b, m, v] = node.inputs.map((n) => (n ? io.constant(n) : undefined));
  if (!s || !b || !m || !v || node.outputs.length !== 1) return undefined;
  if (![s, b, m, v].every((t) => t.dtype === 'float32' && t.data.length === s.data.length)) return undefined;
  const eps = Number(node.attrs.epsilon ?? 1e-5);
  const scale = new Float32Array(s.data.length);
  const shift = new Float32Array(s.data.length);
  for (let c = 0; c < scale.length; c++) {
    const k =
      ((s.data as Float32Array)[c] as number) / Math.sqrt(((v.data as Float32Array)[c] as number) + eps);
    scale[c] = k;
    shift[c] = ((b.data as Float32Array)[c] as number) - ((m.data as Float32Array)[c] as number) * k;
  }
  return [scale, shift];
}

/** The node's own step over its inputs (register 0 is not read). */
function anchorStep(node: GraphNode, op: string, io: PlanIO): PwStep | undefined {
  if (BINARY.includes(op)) return { op: op as PwOp, a: { input: 0 }, b: { input: 1 } };
  if (op === 'HardSigmoid')
    return {
      op,
      a: { input: 0 },
      alpha: Number(node.attrs.alpha ?? 0.2),
      beta: Number(node.attrs.beta ?? 0.5),
    };
  if (op === 'Clip') {
    const lo = clipBound(node, io, 1, 'min');
    const hi = clipBound(node, io, 2, 'max');
    if (lo === null || hi === null) return undefined;
    return { op, a: { input: 0 }, alpha: lo ?? -3.4028234663852886e38, beta: hi ?? 3.4028234663852886e38 };
  }
  if (op === 'Pow') {
    // x² and √x (LayerNorm's variance and deviation); other exponents stay on the reference kernel
    const e = node.inputs[1] ? io.constant(node.inputs[1]) : undefined;
    const v = e?.data.length === 1 ? Number(e.data[0]) : undefined;
    if (v === 2) return { op: 'Mul', a: { input: 0 }, b: { input: 0 } };
    if (v === 0.5) return { op: 'Sqrt', a: { input: 0 } };
    return undefined;
  }
  // a fused QuantizeLinear anchor passes its input on (x + −0 = x); its epilogue quantizes
  if (op === 'QuantizeLinear') return { op: 'Add', a: { input: 0 }, b: { scalar: -0 } };
  return UNARY.includes(op) ? { op: op as PwOp, a: { input: 0 } } : undefined;
}

const batchNorm: WasmKernel = {
  plan(node, io) {
    const x = node.inputs[0];
    const y = node.outputs[0] as string;
    const k = batchNormConstants(node, io);
    if (!x || !k || io.shape(x).dtype !== 'float32') return undefined;
    const out = io.shape(y).dims;
    const rows = factorRows(out, [out], true);
    if (!rows || out[1] !== k[0].length) return undefined;
    const descs: Desc[] = [valueDesc(x, rows.strides[0] as [number, number, number])];
    for (const a of k) descs.push({ src: { data: a }, batch: 0, channel: 4, element: 0 });
    const steps: PwStep[] = [
      { op: 'Mul', a: { input: 0 }, b: { input: 1 } },
      { op: 'Add', a: { ref: 1 }, b: { input: 2 } },
    ];
    return [rowsStep(steps, rows, y, descs)];
  },
};

/** The pointwise_rows step of a program over an output factored into rows. */
function rowsStep(
  steps: PwStep[],
  rows: { outer: number; channels: number; n: number },
  y: string,
  descs: Desc[],
): Step {
  const args: Arg[] = [
    { data: encodePointwise(steps) },
    rows.outer,
    rows.channels,
    rows.n,
    { value: y },
    { scratch: 'base' },
    { scratch: 'stride' },
    ...descArgs(descs),
  ];
  const work = rows.outer * rows.channels * rows.n * steps.length;
  return { kernel: 'pointwise_rows', args, scratch: pointwiseScratch(steps.length, CHUNK), work };
}

const pointwise: WasmKernel = {
  plan(node, io) {
    const fused = node.domain === FUSED_DOMAIN;
    const op = fused ? node.op.replace(/^Fused/, '') : node.op;
    const inputs = node.inputs.filter((n) => n !== '');
    if (BINARY.includes(op) && inputs.length !== 2) return undefined;
    const ins = BINARY.includes(op) ? inputs : inputs.slice(0, 1);
    const y = node.outputs[0] as string;
    const outShape = io.shape(y);
    if (outShape.dtype !== 'float32' || ins.some((n) => dtypeOf(io, n) !== 'float32')) return undefined;
    const first = anchorStep(node, op, io);
    if (!first) return undefined;
    const ep = fused ? nodeEpilogue(node.attrs) : { steps: [], channels: [] };
    const dims = ins.map((n) => io.constant(n)?.dims ?? io.shape(n).dims);
    const rows = factorRows(outShape.dims, dims, ep.channels.length > 0);
    if (!rows) return undefined;
    const descs: Desc[] = ins.map((n, k) => {
      const t = io.constant(n);
      const s = rows.strides[k] as [number, number, number];
      return t
        ? { src: { data: t.data as Float32Array }, batch: s[0], channel: s[1], element: s[2] }
        : valueDesc(n, s);
    });
    descs.push(...channelDescs(ep));
    return [rowsStep([first, ...epilogueSteps(ep, 1, ins.length)], rows, y, descs)];
  },
};

function dtypeOf(io: PlanIO, name: string): string {
  return io.constant(name)?.dtype ?? io.shape(name).dtype;
}

for (const op of [...BINARY, ...UNARY]) registerWasmKernel(op, pointwise);
registerWasmKernel('BatchNormalization', batchNorm);
for (const op of ['Add', 'Sub', 'Mul', 'Div']) registerWasmKernel(`Fused${op}`, pointwise, FUSED_DOMAIN);
registerWasmKernel('FusedQuantizeLinear', { ...pointwise, takes: () => true }, FUSED_DOMAIN);
