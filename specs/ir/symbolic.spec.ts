// Symbolic dims are right, not just ranks: every symbolic dim squish infers for the OCR models,
// evaluated at random input sizes (an evaluator written here: + - * / (floor) ceil), equals the
// dim inferred for those concrete sizes (which specs/ir/shape-ort checks against onnxruntime).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inferShapes } from '../../runtime/ir/shape/infer.ts';
import { importModel } from '../../runtime/onnx/index.ts';
import { MODELS } from '../support/paths.ts';

/** Evaluate a symbolic dim: integers, names, + - * / (floor division), ceil(...), parentheses. */
function evaluate(expr: string, env: Record<string, number>): number {
  const tokens = expr.match(/ceil|[A-Za-z_][\w.]*|\d+|[-+*/()]/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++]!;
  const atom = (): number => {
    const t = next();
    if (t === '(') {
      const v = sum();
      next(); // ')'
      return v;
    }
    if (t === 'ceil') {
      next(); // '('
      const a = product(true);
      next(); // ')'
      return a;
    }
    if (/^\d+$/.test(t)) return Number(t);
    if (!(t in env)) throw new Error(`unknown name ${t} in ${expr}`);
    return env[t]!;
  };
  const product = (ceil = false): number => {
    let v = atom();
    while (peek() === '*' || peek() === '/') {
      const op = next();
      const b = atom();
      v = op === '*' ? v * b : ceil ? Math.ceil(v / b) : Math.floor(v / b);
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === '+' || peek() === '-') {
      const op = next();
      const b = product();
      v = op === '+' ? v + b : v - b;
    }
    return v;
  };
  const v = sum();
  if (i !== tokens.length) throw new Error(`trailing tokens in ${expr}`);
  return v;
}

describe('symbolic dims evaluate to the concrete ones', () => {
  for (const [key, hw] of [
    [
      'det',
      fc.tuple(
        fc.integer({ min: 1, max: 8 }).map((k) => 32 * k),
        fc.integer({ min: 1, max: 8 }).map((k) => 32 * k),
      ),
    ],
    ['rec', fc.tuple(fc.constant(48), fc.integer({ min: 8, max: 400 }))],
    ['cls', fc.tuple(fc.integer({ min: 16, max: 96 }), fc.integer({ min: 16, max: 256 }))],
  ] as const) {
    it(key, () => {
      const model = importModel(new Uint8Array(readFileSync(MODELS[key])));
      const g = model.graph;
      const opset = model.opset();
      const symbolic = inferShapes(g, { opset });
      const names = g.inputs[0]!.type!.shape!;
      let compared = 0;
      fc.assert(
        fc.property(hw, fc.integer({ min: 1, max: 3 }), ([h, w], n) => {
          const dims = [n, 3, h, w];
          const env: Record<string, number> = {};
          names.forEach((d, k) => {
            if (typeof d === 'string') env[d] = dims[k]!;
          });
          const concrete = inferShapes(g, { opset, inputShapes: { x: dims } });
          for (const [name, t] of symbolic.types) {
            if (!t.shape?.some((d) => typeof d === 'string' && d !== '?')) continue;
            const want = concrete.types.get(name)!.shape!;
            t.shape.forEach((d, k) => {
              if (typeof d === 'string' && d !== '?') {
                expect(evaluate(d, env), `${name}[${k}] = ${d}`).toBe(want[k]);
                compared++;
              }
            });
          }
        }),
        { numRuns: 8 },
      );
      expect(compared).toBeGreaterThan(100);
    });
  }
});
