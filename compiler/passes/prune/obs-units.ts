// `criterion sparsegpt` for structured units (k×k kernels, R×C blocks): layer by layer in graph order,
// on the inputs the already pruned layers produce, each unit's OBS cost w_Sᵀ·[(H⁻¹)_SS]⁻¹·w_S (the
// output error of removing its weights S alone and compensating with the rest, H = Σ x·xᵀ on
// calibration data) ranks the units, the cheapest are zeroed (exact share per layer), and the kept
// weights are refit by least squares towards the original model's output (the optimal update for
// that mask, as reconstruct least-squares does; `reconstruct none` skips it). With `scope global`
// one ranking across the layers decides how many units each loses: every unit's OBS cost on the
// unpruned model divided by its layer's output energy tr(W·H·Wᵀ) (a share of that layer's output, so
// layers of different scale compare), the cheapest round(p · all units) in all; each layer then
// prunes its count in the sequential walk above.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Sample } from '../../data/calibration.ts';
import type { PassContext } from '../../engine/pass.ts';
import { choleskyDamped, choleskyInverse } from '../../linalg/cholesky.ts';
import type { LayerGrams } from './hessian.ts';
import {
  lowest,
  pruneUnits,
  removedCount,
  type SparseUnit,
  unitCount,
  unitScores,
  unitsOf,
  zeroUnits,
} from './masks.ts';
import { type MaskedTarget, refitTarget } from './refit-masked.ts';
import { outputEnergy } from './sparsegpt.ts';
import { augmented, enoughRows, type GptTarget, privateBias, walkLayers } from './sparsegpt-layers.ts';

/** H⁻¹ of the damped Hessian (n × n); dead inputs (Hᵢᵢ = 0) get Hᵢᵢ = 1 first. */
function inverseHessian(h: Float64Array, n: number, damp = 0.01): Float64Array {
  const a = h.slice();
  for (let i = 0; i < n; i++) if (a[i * n + i]! <= 0) a[i * n + i] = 1;
  return choleskyInverse(choleskyDamped({ rows: n, cols: n, data: a }, { damp }).L).data;
}

/** [(H⁻¹)_SS]⁻¹ for the columns S (|S| × |S|, row-major). */
function groupPrecision(hinv: Float64Array, n: number, cols: number[]): Float64Array {
  const k = cols.length;
  const sub = new Float64Array(k * k);
  for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) sub[p * k + q] = hinv[cols[p]! * n + cols[q]!]!;
  return choleskyInverse(choleskyDamped({ rows: k, cols: k, data: sub }, { damp: 1e-9 }).L).data;
}

/** wᵀ·M·w for w the entries of `row` at `cols`. */
function quadratic(row: Float64Array, cols: number[], m: Float64Array): number {
  const k = cols.length;
  let s = 0;
  for (let p = 0; p < k; p++) {
    let t = 0;
    for (let q = 0; q < k; q++) t += m[p * k + q]! * row[cols[q]!]!;
    s += row[cols[p]!]! * t;
  }
  return s;
}

/**
 * The OBS cost of removing each unit alone, w_Sᵀ·[(H⁻¹)_SS]⁻¹·w_S (the exact output error increase
 * for the unit's columns S), in the order of unitsOf: kernels by (group, row, input channel), blocks by
 * (group, row block, column block). A unit's columns are scored jointly: the k×k inputs of a kernel are
 * strongly correlated, so the sum of single-weight saliencies would undercount them.
 */
type StructuredUnit = Exclude<SparseUnit, { kind: 'weights' }>;

function unitCosts(model: Model, t: MaskedTarget, acc: LayerGrams, unit: StructuredUnit): Float64Array {
  const v = t.view;
  const ws = augmented(t, privateBias(model, t));
  const n = acc.cols;
  const out: number[] = [];
  for (let g = 0; g < v.groups; g++) {
    const hinv = inverseHessian(acc.h[g]!, n);
    const w = ws[g]!;
    if (unit.kind === 'kernels') {
      const m = Array.from({ length: v.cinG }, (_, ci) => {
        const cols = Array.from({ length: v.kernel }, (_, s) => s * v.cinG + ci);
        return { cols, m: groupPrecision(hinv, n, cols) };
      });
      for (let r = 0; r < v.rows; r++)
        for (let ci = 0; ci < v.cinG; ci++)
          out.push(quadratic(w.subarray(r * n, (r + 1) * n), m[ci]!.cols, m[ci]!.m));
    } else {
      for (let r0 = 0; r0 < v.rows; r0 += unit.r)
        for (let c0 = 0; c0 < v.cols; c0 += unit.c) {
          const cols = Array.from({ length: Math.min(v.cols, c0 + unit.c) - c0 }, (_, i) => c0 + i);
          const m = groupPrecision(hinv, n, cols);
          let s = 0;
          for (let r = r0; r < Math.min(v.rows, r0 + unit.r); r++)
            s += quadratic(w.subarray(r * n, (r + 1) * n), cols, m);
          out.push(s);
        }
    }
  }
  return Float64Array.from(out);
}

/** A layer's units scored for ranking: OBS costs, or squared L2 norms where calibration rows are too few. */
function scored(model: Model, t: MaskedTarget, acc: LayerGrams, unit: StructuredUnit) {
  const units = unitsOf(t.view, unit);
  if (enoughRows(acc)) return { units, scores: unitCosts(model, t, acc, unit), obs: true };
  return { units, scores: unitScores(t.view.data, units, 'l2'), obs: false };
}

/**
 * scope global: units each layer loses, from one ranking of every unit's cost on the unpruned model
 * relative to its layer's output (OBS cost / tr(W·H·Wᵀ), or ‖w_S‖² / ‖W‖² without enough rows).
 */
async function globalCounts(
  model: Model,
  targets: MaskedTarget[],
  unit: StructuredUnit,
  p: number,
  samples: Sample[],
): Promise<Map<GptTarget, number>> {
  const rows: { t: GptTarget; s: Float64Array }[] = [];
  await walkLayers(model, targets, samples, undefined, (target, acc) => {
    const t = target as MaskedTarget;
    const { scores, obs } = scored(model, t, acc, unit);
    let scale = 0;
    if (obs) {
      const ws = augmented(t, privateBias(model, t));
      ws.forEach((w, g) => {
        scale += outputEnergy(w, t.view.rows, acc.cols, acc.h[g]!);
      });
    } else for (const x of t.view.data) scale += x * x;
    rows.push({ t, s: Float64Array.from(scores, (x) => (scale > 0 ? (obs ? x : x * x) / scale : 0)) });
  });
  const all = new Float64Array(rows.reduce((a, r) => a + r.s.length, 0));
  const owner = new Int32Array(all.length);
  let o = 0;
  rows.forEach((r, i) => {
    all.set(r.s, o);
    owner.fill(i, o, o + r.s.length);
    o += r.s.length;
  });
  const counts = rows.map(() => 0);
  for (const k of lowest(all, removedCount(p, all.length))) counts[owner[k]!]!++;
  return new Map(rows.map((r, i) => [r.t, counts[i]!]));
}

/**
 * Prunes the targets in place; `original` (the unpruned model) turns the least-squares refit on;
 * `global`: the units each layer loses come from one ranking across them (see globalCounts).
 */
export async function obsUnitLayers(
  model: Model,
  original: Model | undefined,
  targets: MaskedTarget[],
  unit: StructuredUnit,
  p: number,
  samples: Sample[],
  ctx: Pick<PassContext, 'progress' | 'warn'> = {},
  global = false,
): Promise<void> {
  const counts = global ? await globalCounts(model, targets, unit, p, samples) : undefined;
  await walkLayers(
    model,
    targets,
    samples,
    original,
    (target, acc) => {
      const t = target as MaskedTarget;
      const { units, scores, obs } = scored(model, t, acc, unit);
      if (!obs)
        ctx.warn?.(
          `criterion sparsegpt fell back to l2 for ${t.layer}: ${acc.count ?? 0} calibration rows for ${acc.cols} columns (needs ${Math.ceil(acc.cols / 4)}; add samples)`,
        );
      if (counts) zeroUnits(t.view.data, units, lowest(scores, Math.min(counts.get(t)!, unitCount(units))));
      else pruneUnits([{ data: t.view.data, units, scores }], p, 'local');
      if (obs && original) refitTarget(model, t, acc);
    },
    ctx,
  );
}
