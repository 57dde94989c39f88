// A fused epilogue (runtime/backends/fusion) as a pointwise program, and the strided input
// descriptors its operands read: per-channel constants, and for elementwise anchors their inputs.

import type { Epilogue } from '../../fusion/epilogue.ts';
import type { Arg, PlanIO } from '../kernel.ts';
import type { PwOperand, PwStep } from './pointwise.ts';

/** An input the program reads: a value or a constant array, with byte strides per level. */
export interface Desc {
  src: Arg;
  batch: number;
  channel: number;
  element: number;
}

export const descArgs = (ds: readonly Desc[]): Arg[] =>
  ds.flatMap((d) => [d.src, d.batch, d.channel, d.element]);

/**
 * Steps of `ep` applied after a value held in register `base` (0: a producer's output row in place;
 * 1: the result of an elementwise anchor's own step). Channel operands become inputs from
 * `firstChan` on; anchor inputs keep their index.
 */
export function epilogueSteps(ep: Epilogue, base: number, firstChan: number): PwStep[] {
  const operand = (o: Epilogue['steps'][number]['args'][number]): PwOperand =>
    'ref' in o
      ? { ref: o.ref + base }
      : 'scalar' in o
        ? { scalar: o.scalar }
        : 'chan' in o
          ? { input: firstChan + o.chan }
          : { input: o.input };
  return ep.steps.map((s) => {
    const step: PwStep = { op: s.op, a: operand(s.args[0] as never) };
    if (s.args[1]) step.b = operand(s.args[1]);
    if (s.op === 'HardSigmoid') {
      step.alpha = s.alpha ?? 0.2;
      step.beta = s.beta ?? 0.5;
    }
    return step;
  });
}

/** Descriptors of an epilogue's per-channel constants for rows of one channel each. */
export function channelDescs(ep: Epilogue): Desc[] {
  return ep.channels.map((a) => ({ src: { data: a }, batch: 0, channel: 4, element: 0 }));
}

/**
 * Factor an elementwise output into [outer, channels, n] rows so that every input reads with fixed
 * byte strides per level (its dims right-aligned, 1 = broadcast). `forceChannelAxis` keeps axis 1
 * a level of its own (for per-channel operands). Undefined when three levels
 * cannot express the broadcast.
 */
export function factorRows(
  out: readonly number[],
  inputs: readonly (readonly number[])[],
  forceChannelAxis = false,
): { outer: number; channels: number; n: number; strides: [number, number, number][] } | undefined {
  const rank = out.length;
  const varies = (dims: readonly number[], axis: number) => {
    const d = dims[dims.length - rank + axis] ?? 1;
    return d !== 1;
  };
  for (const dims of inputs)
    for (let a = 0; a < rank; a++) {
      const d = dims[dims.length - rank + a] ?? 1;
      if (d !== 1 && d !== out[a]) return undefined;
    }
  const pattern = (a: number) => inputs.map((d) => (varies(d, a) ? '1' : '0')).join('');
  const groups: number[][] = [];
  if (forceChannelAxis) {
    if (rank < 2) return undefined;
    const plane = out.map((_, a) => a).filter((a) => a >= 2 && out[a] !== 1);
    if (plane.some((a) => pattern(a) !== pattern(plane[0] as number))) return undefined;
    groups.push([0], [1], plane);
  } else
    for (let a = 0; a < rank; a++) {
      if (out[a] === 1) continue;
      const last = groups[groups.length - 1];
      if (last && pattern(last[0] as number) === pattern(a)) last.push(a);
      else groups.push([a]);
    }
  if (groups.length > 3) return undefined;
  while (groups.length < 3) groups.unshift([]);
  const size = (g: number[]) => g.reduce((p, a) => p * (out[a] as number), 1);
  const [g0, g1, g2] = groups as [number[], number[], number[]];
  const strides = inputs.map((dims): [number, number, number] => {
    const v = (g: number[]) => g.length > 0 && varies(dims, g[0] as number);
    const e = v(g2) ? 1 : 0;
    const ch = v(g1) ? (v(g2) ? size(g2) : 1) : 0;
    const b = v(g0) ? (v(g1) ? size(g1) : 1) * (v(g2) ? size(g2) : 1) : 0;
    return [b * 4, ch * 4, e * 4];
  });
  return { outer: size(g0), channels: size(g1), n: size(g2), strides };
}

/** A value input's descriptor from factorRows' strides. */
export const valueDesc = (name: string, s: [number, number, number]): Desc => ({
  src: { value: name },
  batch: s[0],
  channel: s[1],
  element: s[2],
});

export type { PlanIO };
