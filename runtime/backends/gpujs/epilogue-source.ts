// A fused epilogue rendered as gpu.js kernel source (float literals gpu.js reads back exactly).
import type { EpilogueStep, Operand } from '../fusion/epilogue.ts';

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
      case 'Round': {
        // half to even from the floor and the exact fraction (x + 0.5 can round up in float32)
        const f = `${name(i + 1)}f`;
        lines += `let ${f} = Math.floor(${a[0]});\n`;
        e = `${f} + (${a[0]} - ${f} > 0.5 || (${a[0]} - ${f} == 0.5 && ${f} - 2.0 * Math.floor(${f} * 0.5) != 0.0) ? 1.0 : 0.0)`;
        break;
      }
    }
    lines += `let ${name(i + 1)} = ${e};\n`;
  });
  return { lines, result: name(steps.length) };
}
