// Conv (and FusedConv with its epilogue) on float32 NCHW with constant weights: a leading affine of
// the epilogue is folded into the weights and bias, the input padded and phase-split once when the
// kernel needs it, then conv2d (4 output channels a block, or 1 when a group has fewer) or the
// depthwise kernel.

import type { GraphNode } from '../../backend.ts';
import { nodeEpilogue } from '../../fusion/epilogue.ts';
import { FUSED_DOMAIN } from '../../fusion/fusion.ts';
import { type ConvGeometry, convGeometry } from '../../geometry.ts';
import {
  type Arg,
  floatConst,
  type PlanIO,
  registerWasmKernel,
  type Step,
  type WasmKernel,
} from '../kernel.ts';
import { type Folded, foldAffine, packBlocks, padGeometry, tapOffset } from './conv-common.ts';
import { CONV_CHUNK } from './conv-direct.ts';
import { depthwiseSteps } from './depthwise.ts';
import { channelDescs, descArgs, epilogueSteps } from './epilogue.ts';
import { padArgs, paddedFloats } from './pad.ts';
import { encodePointwise, pointwiseScratch } from './pointwise.ts';

function planConv(node: GraphNode, io: PlanIO): Step[] | undefined {
  const [x, wName, bName] = node.inputs;
  const y = node.outputs[0];
  const wt = wName ? io.constant(wName) : undefined;
  if (!x || !y || wt?.dtype !== 'float32' || node.inputs.length > 3) return undefined;
  if (bName && !floatConst(io, bName)) return undefined;
  const xs = io.shape(x);
  if (xs.dtype !== 'float32' || xs.dims.length !== 4 || wt.dims.length !== 4) return undefined;
  const g = convGeometry(xs.dims, wt.dims, node.attrs);
  if (!g) return undefined;
  const ep = node.domain === FUSED_DOMAIN ? nodeEpilogue(node.attrs) : { steps: [], channels: [] };
  const f = foldAffine(wt.data as Float32Array, floatConst(io, bName), g.oc, ep);
  const icg = g.c / g.group;
  if (icg === 1 && g.oc === g.c) return depthwiseSteps(node, io, g, f);
  return denseSteps(io, x, y, g, f);
}

function denseSteps(io: PlanIO, x: string, y: string, g: ConvGeometry, f: Folded): Step[] {
  const ocg = g.oc / g.group;
  const icg = g.c / g.group;
  const mr = ocg >= 4 ? 4 : 1;
  const [kh, kw] = g.kernel;
  const direct = kh === 1 && kw === 1 && g.strides.every((s) => s === 1) && g.pads.every((p) => p === 0);
  const p = padGeometry(g);
  const planeBytes = direct ? g.h * g.w * 4 : p.hp * p.sx * p.wq * 4;
  const taps = new Int32Array(icg * kh * kw);
  for (let ci = 0; ci < icg; ci++)
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++)
        taps[(ci * kh + ky) * kw + kx] = ci * planeBytes + (direct ? 0 : tapOffset(g, p, ky, kx));
  const program = f.ep.steps.length ? encodePointwise(epilogueSteps(f.ep, 0, 0)) : undefined;
  const padded = direct ? undefined : io.temp(paddedFloats(p));
  const packed = packBlocks(f.w, g, mr);
  const inBytes = g.c * g.h * g.w * 4;
  const outBytes = g.oc * g.oh * g.ow * 4;
  const steps: Step[] = [];
  for (let b = 0; b < g.n; b++) {
    const src: Arg = { value: x, offset: b * inBytes };
    if (padded) steps.push({ kernel: 'pad_phases', args: [src, { value: padded }, ...padArgs(p)] });
    const args: Arg[] = [
      padded ? { value: padded } : src,
      { data: packed },
      { data: f.bias },
      { value: y, offset: b * outBytes },
      { data: taps },
      taps.length,
      Math.ceil(ocg / mr),
      g.group,
      icg * planeBytes,
      ocg,
      direct ? 1 : g.oh,
      direct ? g.oh * g.ow : g.ow,
      direct ? 0 : g.strides[0] * p.sx * p.wq * 4,
      program ? { data: program } : 0,
      { scratch: 'base' },
      { scratch: 'stride' },
      ...descArgs(channelDescs(f.ep)),
    ];
    steps.push({
      kernel: `conv2d_mr${mr}`,
      work: 2 * g.oc * g.oh * g.ow * icg * kh * kw,
      args,
      scratch: program ? pointwiseScratch(f.ep.steps.length, CONV_CHUNK) : 0,
    });
  }
  return steps;
}

const conv: WasmKernel = {
  plan: planConv,
  takes: (n) => n.op === 'Conv',
};

registerWasmKernel('Conv', conv);
registerWasmKernel('FusedConv', conv, FUSED_DOMAIN);
