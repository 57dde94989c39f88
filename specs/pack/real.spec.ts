// .sqz on real models: the original PP-OCR cls comes back from pack ∘ unpack as the same ONNX bytes
// (det and rec: `npm run bench:sqz -- originals`); cls with int8 weights compiled to .sqz holds the
// compiled ONNX model but for its scales, which move no dequantized weight by more than 1/16 of its
// step, and agrees with it on the top-1 direction of the 96 fixture lines (onnxruntime-node); with
// exactScales it packs bit for bit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/compile.ts';
import { SCALE_STEP_FRACTION } from '../../compiler/pack/scales.ts';
import { packSqz } from '../../compiler/pack/write.ts';
import '../../compiler/passes/lossy.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { importModel } from '../../runtime/onnx/import.ts';
import { readSqz } from '../../runtime/sqz/read.ts';
import { MODELS } from '../support/paths.ts';
import { clsLines, clsTop1 } from './deep.ts';

const W8 = (format: string) => `recipe "cls-w8"
model { input x: float32[1, 3, 48, 192] }
quantize weights of conv, matmul { bits 8  per-channel  symmetric }
output { format ${format} }
`;

/** Largest |q − z|·|s' − s| / |s| over every DequantizeLinear of stored codes (per-axis scales). */
function worstMove(exact: Model, rounded: Model): { worst: number; scales: number } {
  let worst = 0;
  let scales = 0;
  for (const n of exact.graph.nodes) {
    if (n.opType !== 'DequantizeLinear') continue;
    const q = exact.graph.constant(n.inputs[0]!);
    if (!q) continue;
    const s = exact.graph.constant(n.inputs[1]!)!.data as Float32Array;
    const r = rounded.graph.constant(n.inputs[1]!)!.data as Float32Array;
    const axis = Number(n.attrs.axis ?? 1);
    const inner = q.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const qd = q.data as Int8Array;
    for (let i = 0; i < qd.length; i++) {
      const k = s.length === 1 ? 0 : Math.floor(i / inner) % s.length;
      worst = Math.max(worst, (Math.abs(qd[i]!) * Math.abs(r[k]! - s[k]!)) / Math.abs(s[k]!));
    }
    scales += s.length;
  }
  return { worst, scales };
}

describe('.sqz on real models', () => {
  it('the original PP-OCR cls: pack ∘ unpack gives back the same ONNX bytes', {
    timeout: 240_000,
  }, () => {
    const onnx = new Uint8Array(readFileSync(MODELS.cls));
    const model = importModel(onnx);
    const packed = packSqz(model);
    expect(exportModel(readSqz(packed.bytes))).toEqual(exportModel(model));
    console.log(`PP-OCR cls: ${onnx.length} → ${packed.bytes.length} bytes of .sqz (lossless)`);
  });

  it('cls int8 weights: the .sqz holds the compiled model but for its scales (≤ 1/16 step); same top-1 on the 96 lines', {
    timeout: 240_000,
  }, async () => {
    const original = new Uint8Array(readFileSync(MODELS.cls));
    const sqz = (await compileModel(original, W8('sqz'))).model;
    const onnx = (await compileModel(original, W8('onnx'))).model;
    const exact = importModel(onnx);
    const unpacked = readSqz(sqz);
    const { worst, scales } = worstMove(exact, unpacked);
    expect(scales).toBeGreaterThan(3000);
    expect(worst).toBeLessThanOrEqual(SCALE_STEP_FRACTION);
    expect(exportModel(readSqz(packSqz(exact, { exactScales: true }).bytes))).toEqual(exportModel(exact));
    const xs = await clsLines();
    const [a, b] = [await clsTop1(onnx, xs), await clsTop1(exportModel(unpacked), xs)];
    const agree = a.filter((v, i) => v === b[i]).length;
    console.log(
      `cls int8 weights: .sqz ${sqz.length} bytes; ${scales} scales rounded, worst weight move ${worst.toFixed(4)} of a step; top-1 agreement with the exact-scale model ${agree}/${xs.length}`,
    );
    expect(agree).toBeGreaterThanOrEqual(xs.length - 1);
  });
});
