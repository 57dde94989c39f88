// The model's task picks the fidelity metric: named in the recipe (`calibrate { task … }`) or read
// from the first output's shape — [N, K] class scores, [N, T, K] CTC scores, [N, C, H, W] maps.

import type { Tensor } from '../../runtime/ir/tensor.ts';
import { numbersOf } from './answers.ts';

export type Task = 'classify' | 'ctc-text' | 'segment-map' | 'regress';

/** top1: the arg-max class agrees; text: the greedy CTC decoding agrees; iou: map IoU; cosine: the outputs' cosine. */
export type MetricName = 'top1' | 'text' | 'iou' | 'cosine';

export const METRIC_OF: Record<Task, MetricName> = {
  classify: 'top1',
  'ctc-text': 'text',
  'segment-map': 'iou',
  regress: 'cosine',
};

/** PP-OCR's DB text detector binarizes its probability map at 0.3. */
export const DEFAULT_MAP_THRESHOLD = 0.3;

/** The task an output's shape suggests (numbers; symbolic dims count as unknown → regress). */
export function taskOfShape(dims: readonly (number | string)[]): Task {
  if (!dims.every((d) => typeof d === 'number')) return 'regress';
  const d = dims as number[];
  const last = d[d.length - 1]!;
  if (d.length === 2 && last >= 2) return 'classify';
  if (d.length === 3 && last >= 2) return d[1]! > 1 ? 'ctc-text' : 'classify';
  if (d.length === 4) return 'segment-map';
  return 'regress';
}

/** Whether every value lies in [0, 1] (a probability map that a threshold can binarize). */
function isProbability(t: Tensor): boolean {
  const x = numbersOf(t);
  for (let i = 0; i < x.length; i++) if (!(x[i]! >= 0 && x[i]! <= 1)) return false;
  return true;
}

/**
 * The task for a reference output: the named one, else from its shape — a one-channel map counts
 * as a segment map only when it holds probabilities (a threshold on anything else means nothing).
 */
export function taskOf(reference: Tensor, named?: Task): Task {
  if (named) return named;
  if (reference.dtype !== 'float32' && reference.dtype !== 'float64') return 'regress';
  const task = taskOfShape(reference.dims);
  if (task === 'segment-map' && reference.dims[1] === 1 && !isProbability(reference)) return 'regress';
  return task;
}
