// Training data: a source of examples (inputs plus an optional label), a seeded split into a training
// share and a held-back share, and batches stacked along axis 0 with an augmentation hook.

import { UserError } from '../../../runtime/errors.ts';
import { sizeOf, type Tensor } from '../../../runtime/ir/tensor.ts';
import {
  type CalibrationSpec,
  type InputSpec,
  loadCalibration,
  type Sample,
} from '../../data/calibration.ts';
import type { Host } from '../../data/host.ts';
import { rng, shuffled } from '../../data/random.ts';

/** A class index, a label sequence (ctc), or a target tensor (mse/l1/cosine against labels). */
export type Label = number | readonly number[] | Tensor;

export interface Example {
  /** Each input with a leading batch axis of 1 (as calibration samples are). */
  inputs: Record<string, Tensor>;
  label?: Label;
}

export interface DataSource {
  readonly size: number;
  get(index: number): Example | Promise<Example>;
}

/** Transforms one example's inputs for one step (random crop, noise …); `random` is seeded per step. */
export type Augment = (inputs: Record<string, Tensor>, random: () => number) => Record<string, Tensor>;

/** Calibration samples (the `calibrate` forms: images, tensors, random) with optional labels. */
export function samplesData(samples: readonly Sample[], labels?: readonly Label[]): DataSource {
  if (labels && labels.length !== samples.length)
    throw new UserError(`${labels.length} labels for ${samples.length} samples: give one label per sample`);
  return { size: samples.length, get: (i) => ({ inputs: samples[i]!, label: labels?.[i] }) };
}

/** The `calibrate` forms as training data: images (decoded by the host), .npy tensors or seeded random. */
export async function calibrationData(
  spec: CalibrationSpec,
  inputs: InputSpec[],
  host: Host,
  labels?: readonly Label[],
): Promise<DataSource> {
  return samplesData(await loadCalibration(spec, inputs, host), labels);
}

export interface Batch {
  inputs: Record<string, Tensor>;
  labels: (Label | undefined)[];
}

/** A seeded split: the last `share` of a shuffled order is held back for evaluation. */
export function splitIndices(size: number, share: number, seed: number): { train: number[]; held: number[] } {
  const order = shuffled(
    Array.from({ length: size }, (_, i) => i),
    rng(seed),
  );
  const n = share > 0 ? Math.max(1, Math.round(size * share)) : 0;
  if (n >= size)
    throw new UserError(`holdout ${Math.round(share * 100)}% leaves no training data of ${size} samples`);
  return { train: order.slice(0, size - n), held: order.slice(size - n) };
}

/** Stack examples along axis 0 (each input must have the same shape in every example). */
export async function makeBatch(
  data: DataSource,
  indices: readonly number[],
  augment?: Augment,
  random?: () => number,
): Promise<Batch> {
  const examples: Example[] = [];
  for (const i of indices) {
    const ex = await data.get(i);
    examples.push(augment && random ? { ...ex, inputs: augment(ex.inputs, random) } : ex);
  }
  const inputs: Record<string, Tensor> = {};
  for (const name of Object.keys(examples[0]!.inputs)) {
    const parts = examples.map((e) => e.inputs[name]);
    const first = parts[0]!;
    const rest = first.dims.slice(1);
    for (const [k, p] of parts.entries())
      if (!p || p.dims.length !== first.dims.length || p.dims.slice(1).some((d, j) => d !== rest[j]))
        throw new UserError(
          `sample ${indices[k]} has input '${name}' of shape [${p?.dims.join(', ') ?? 'none'}], the first of its batch [${first.dims.join(', ')}]`,
          'batched training needs samples of one shape: resize them alike, or train with batch 1',
        );
    const total = parts.reduce((s, p) => s + p!.dims[0]!, 0);
    const data = new Float32Array(total * sizeOf(rest));
    let at = 0;
    for (const p of parts) {
      data.set(p!.data as Float32Array, at);
      at += p!.data.length;
    }
    inputs[name] = { dtype: 'float32', dims: [total, ...rest], data };
  }
  return { inputs, labels: examples.map((e) => e.label) };
}
