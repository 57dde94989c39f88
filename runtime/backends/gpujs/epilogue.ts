// Fused epilogues: an elementwise chain (affine, activations, HardSwish decompositions) applied to
// a producer's output inside its kernel; encoded as JSON in the fused node's `epilogue` attribute.

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
  | 'HardSwish';

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

/** A float literal gpu.js parses back to the same float32. */
export function lit(v: number): string {
  const f = Math.fround(v);
  if (Number.isNaN(f)) return '(0 / 0)';
  if (!Number.isFinite(f)) return f > 0 ? '(1 / 0)' : '(-1 / 0)';
  const s = String(f);
  // integer-looking literals would be typed Integer by gpu.js: force a float literal
  return /[.eE]/.test(s) ? `(${s})` : `(${s}.0)`;
}

/**
 * Kernel source lines computing the epilogue of `v0` (already declared); returns the final value's
 * variable name. `chan` renders a per-channel read, e.g. (k) => `this.constants.e${k}[this.thread.z]`.
 */
export function epilogueSource(
  steps: EpilogueStep[],
  chan: (k: number) => string,
  prefix = 'v',
  input: (k: number) => string = () => {
    throw new Error('epilogue reads an input its kernel does not have');
  },
): { lines: string; result: string } {
  const name = (i: number) => `${prefix}${i}`;
  const operand = (o: Operand): string =>
    'ref' in o ? name(o.ref) : 'scalar' in o ? lit(o.scalar) : 'chan' in o ? chan(o.chan) : input(o.input);
  let lines = '';
  steps.forEach((s, i) => {
    const a = s.args.map(operand);
    let e: string;
    switch (s.op) {
      case 'Add':
        e = `${a[0]} + ${a[1]}`;
        break;
      case 'Sub':
        e = `${a[0]} - ${a[1]}`;
        break;
      case 'Mul':
        e = `${a[0]} * ${a[1]}`;
        break;
      case 'Div':
        e = `${a[0]} / ${a[1]}`;
        break;
      case 'Max':
        e = `Math.max(${a[0]}, ${a[1]})`;
        break;
      case 'Min':
        e = `Math.min(${a[0]}, ${a[1]})`;
        break;
      case 'Relu':
        e = `Math.max(${a[0]}, 0.0)`;
        break;
      case 'Sigmoid':
        e = `1.0 / (1.0 + Math.exp(-${a[0]}))`;
        break;
      case 'HardSigmoid':
        e = `Math.min(Math.max(${a[0]} * ${lit(s.alpha ?? 0.2)} + ${lit(s.beta ?? 0.5)}, 0.0), 1.0)`;
        break;
      case 'HardSwish':
        e = `${a[0]} * Math.min(Math.max(${a[0]} * ${lit(1 / 6)} + 0.5, 0.0), 1.0)`;
        break;
    }
    lines += `let ${name(i + 1)} = ${e};\n`;
  });
  return { lines, result: name(steps.length) };
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
  }
}
