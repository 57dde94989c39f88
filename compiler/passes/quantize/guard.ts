// Which low-SNR activations may be quantized after all, measured rather than guessed: the model with
// every other chosen value quantized is the baseline; each candidate (best estimated SNR first) is
// added alone and kept when the model's output error on the calibration data grows by at most
// MAX_GROWTH over the baseline's. A value whose range a few outliers stretch may still be harmless
// where the network is (e.g. PP-OCRv4 det's stem after the affine folds), or ruin the output.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import { exportModel } from '../../../runtime/onnx/export.ts';
import { importModel } from '../../../runtime/onnx/import.ts';
import type { Sample } from '../../data/calibration.ts';
import type { ActivationSettings } from './options.ts';
import type { SliceParams } from './uniform.ts';

/** A candidate is kept when it raises the output error by at most this factor (1.25 = +25%). */
export const MAX_GROWTH = 1.25;

/**
 * Below this estimated SNR a value stays float unmeasured: the bulk of it is lost on the grid, and a
 * whole-output error that large outputs dominate could miss that.
 */
export const FLOOR_SNR_DB = 15;

/** Calibration samples the measurement runs (each candidate costs one pass over them). */
export const GUARD_SAMPLES = 2;

export interface QdqChoice {
  params: SliceParams;
  s: ActivationSettings;
}

type Insert = (model: Model, value: string, p: SliceParams, s: ActivationSettings) => void;

async function outputs(model: Model, samples: Sample[]): Promise<Tensor[][]> {
  const { createSession } = await import('../../../runtime/exec/index.ts');
  const session = await createSession(model);
  try {
    const out: Tensor[][] = [];
    for (const feeds of samples) out.push(Object.values(await session.run(feeds)));
    return out;
  } finally {
    session.dispose();
  }
}

/** Σ‖y − ref‖² / Σ‖ref‖² over every output of every sample. */
function relativeError(ys: Tensor[][], ref: Tensor[][]): number {
  let num = 0;
  let den = 0;
  for (const [i, outs] of ys.entries()) {
    for (const [k, y] of outs.entries()) {
      const a = y.data as Float32Array;
      const b = ref[i]![k]!.data as Float32Array;
      for (let j = 0; j < a.length; j++) {
        num += (a[j]! - b[j]!) ** 2;
        den += b[j]! ** 2;
      }
    }
  }
  return den > 0 ? num / den : num;
}

/**
 * The candidates (in the order given) that may join `chosen`, each measured on the model with the
 * chosen values and the candidates already accepted quantized. `model` is not changed.
 */
export async function measuredCandidates(
  model: Model,
  chosen: Map<string, QdqChoice>,
  candidates: [string, QdqChoice][],
  samples: Sample[],
  insert: Insert,
): Promise<{ accepted: string[]; growth: Map<string, number> }> {
  if (!candidates.length) return { accepted: [], growth: new Map() };
  samples = samples.slice(0, GUARD_SAMPLES);
  const bytes = exportModel(model);
  const withQdq = (values: Map<string, QdqChoice>) => {
    const m = importModel(bytes);
    for (const [v, c] of values) insert(m, v, c.params, c.s);
    return m;
  };
  const ref = await outputs(model, samples);
  const current = new Map(chosen);
  let base = relativeError(await outputs(withQdq(current), samples), ref);
  const accepted: string[] = [];
  /** Output error with the candidate over the error without it. */
  const growth = new Map<string, number>();
  for (const [v, c] of candidates) {
    const trial = new Map(current).set(v, c);
    const e = relativeError(await outputs(withQdq(trial), samples), ref);
    growth.set(v, base > 0 ? e / base : e > 0 ? Number.POSITIVE_INFINITY : 1);
    if (e <= base * MAX_GROWTH) {
      accepted.push(v);
      current.set(v, c);
      base = e;
    }
  }
  return { accepted, growth };
}
