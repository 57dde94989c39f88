// Fused epilogues: an elementwise chain (affine, activations, HardSwish decompositions) applied to
// a producer's output inside its kernel; encoded as JSON in the fused node's `epilogue` attribute.
// Every backend that fuses reads the same steps (gpu.js renders them as kernel source, the wasm
// backend as a pointwise program).

import { roundEven } from '../../ops/reference/quant.ts';

/** An operand: an earlier value (v0 = the producer's output), a scalar, or a per-channel array. */
/** `input` (binary-op anchors only): the anchor's own input k, read at the output element. */
export type Operand = { ref: number } | { scalar: number } | { chan: number } | { input: number };

export type EpilogueOp =
  | 'Add'
  | 'Sub'
  | 'Mul'
  | 'Div'
  | 'Max'
  | 'Min'
  | 'Relu'
  | 'Sigmoid'
  | 'HardSigmoid'
  | 'HardSwish'
  | 'Round';

/** Step i defines value v(i+1). Channel operands index `Epilogue.channels`. */
export interface EpilogueStep {
  op: EpilogueOp;
  args: Operand[];
  alpha?: number;
  beta?: number;
}

export interface Epilogue {
  steps: EpilogueStep[];
  /** Per-channel operand arrays (length = output channels). */
  channels: Float32Array[];
}

export function encodeSteps(steps: EpilogueStep[]): string {
  return JSON.stringify(steps);
}

export function decodeSteps(text: unknown): EpilogueStep[] {
  if (typeof text !== 'string' || text === '') return [];
  return JSON.parse(text) as EpilogueStep[];
}

/** A fused node's epilogue, from its attributes. */
export function nodeEpilogue(attrs: Readonly<Record<string, unknown>>): Epilogue {
  const chans = Array.isArray(attrs.channels) ? (attrs.channels as { data: unknown }[]) : [];
  return { steps: decodeSteps(attrs.epilogue), channels: chans.map((t) => t.data as Float32Array) };
}

/**
 * The same epilogue in plain TypeScript over a whole NCHW-ordered buffer (channel = ⌊i / plane⌋ mod
 * C); `inputs` are the anchor's inputs already broadcast to the output shape.
 */
export function applyEpilogue(
  data: Float32Array,
  ep: Epilogue,
  plane: number,
  channelsCount: number,
  inputs: Float32Array[] = [],
): void {
  if (ep.steps.length === 0) return;
  const vals = new Float64Array(ep.steps.length + 1);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / plane) % channelsCount;
    vals[0] = data[i] as number;
    for (let s = 0; s < ep.steps.length; s++) {
      const st = ep.steps[s] as EpilogueStep;
      const a = st.args.map((o) =>
        'ref' in o
          ? (vals[o.ref] as number)
          : 'scalar' in o
            ? Math.fround(o.scalar)
            : 'chan' in o
              ? (ep.channels[o.chan]?.[c] as number)
              : (inputs[o.input]?.[i] as number),
      );
      vals[s + 1] = Math.fround(evalStep(st, a));
    }
    data[i] = vals[ep.steps.length] as number;
  }
}

function evalStep(s: EpilogueStep, a: number[]): number {
  const x = a[0] as number;
  const y = a[1] as number;
  switch (s.op) {
    case 'Add':
      return x + y;
    case 'Sub':
      return x - y;
    case 'Mul':
      return x * y;
    case 'Div':
      return x / y;
    case 'Max':
      return Math.max(x, y);
    case 'Min':
      return Math.min(x, y);
    case 'Relu':
      return Math.max(x, 0);
    case 'Sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'HardSigmoid':
      return Math.min(Math.max(x * (s.alpha ?? 0.2) + (s.beta ?? 0.5), 0), 1);
    case 'HardSwish':
      return x * Math.min(Math.max(x / 6 + 0.5, 0), 1);
    case 'Round':
      return roundEven(x);
  }
}
