// Fidelity of a compressed model's outputs against the original's, accumulated sample by sample:
// the task metric (top-1 or decoded-text agreement with a Wilson interval, map IoU with the bounded
// interval, cosine with a t interval) on the first output, and cosine (min, mean), max abs difference and SNR over all.

import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { Accuracy } from './accuracy.ts';
import { ctcGreedy, mapIoU, numbersOf, top1 } from './answers.ts';
import { boundedMeanInterval, type Interval, meanInterval, wilson } from './interval.ts';
import { DEFAULT_MAP_THRESHOLD, METRIC_OF, type MetricName, type Task, taskOf } from './task.ts';

/** Which samples the figures rest on (compile fills it in; `squish compare` too). */
export interface MeasuredOn {
  /** Samples measured: held apart from every fitting step when `held_apart`. */
  samples: number;
  /** Calibration samples loaded in all (fitting steps saw the others). */
  of: number;
  /** false: too few samples (or `holdout 0%`) to hold any apart, so the figures are in-sample. */
  held_apart: boolean;
  /** The calibrate block's kind of data, or `files` given to `squish compare --data` (squish cannot
   * tell whether a compile saw those). */
  source: 'images' | 'tensors' | 'random' | 'files';
}

export interface Fidelity {
  /** How many samples every figure rests on. */
  samples: number;
  task: Task;
  metric: MetricName;
  /** The task metric: share of agreeing answers (top1, text), mean IoU (iou) or mean cosine (cosine). */
  value: number;
  /** How many answers `value` counts (top1: rows of every sample; otherwise one per batch item). */
  answers: number;
  /** 95% interval of `value`; null when one answer leaves no spread to estimate. */
  interval: Interval | null;
  /** The task metric as a share (what `target agreement` means); null for the cosine metric. */
  agreement: number | null;
  /** Binarization threshold of the iou metric. */
  threshold?: number;
  cosine_min: number;
  cosine_mean: number;
  max_abs: number;
  snr_db: number;
  measured_on?: MeasuredOn;
  /** Both models' task accuracy against the recipe's labels (`target accuracy`), on the same samples. */
  accuracy?: Accuracy;
  /** What the figures do not show (random inputs, a wide interval, in-sample figures, the floor). */
  notes?: string[];
}

export interface MetricOptions {
  /** The task (default: from the first output, see taskOf). */
  task?: Task;
  /** Binarization threshold for segment maps (default 0.3). */
  threshold?: number;
}

/** Cosine similarity of two vectors; 1 when both are all zero, 0 when only one is. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  if (aa === 0 && bb === 0) return 1;
  if (aa === 0 || bb === 0) return 0;
  return ab / Math.sqrt(aa * bb);
}

const sameLabels = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Accumulates metrics sample by sample (each sample: the outputs of both models, same names). */
export class FidelityMeter {
  private samples = 0;
  private task: Task | undefined;
  private readonly threshold: number;
  /** Per answer: 1/0 for agreement metrics, the score for iou and cosine. */
  private readonly scores: number[] = [];
  private cosMin = Number.POSITIVE_INFINITY;
  private cosSum = 0;
  private cosCount = 0;
  private maxAbs = 0;
  private signal = 0;
  private noise = 0;

  constructor(options: MetricOptions = {}) {
    this.task = options.task;
    this.threshold = options.threshold ?? DEFAULT_MAP_THRESHOLD;
  }

  add(reference: Record<string, Tensor>, candidate: Record<string, Tensor>): void {
    this.samples++;
    const names = Object.keys(reference);
    const sampleCos: number[] = [];
    for (const name of names) {
      const ref = reference[name]!;
      const cand = candidate[name];
      if (!cand) throw new Error(`output ${name} missing from the compared model`);
      const a = numbersOf(ref);
      const b = numbersOf(cand);
      if (a.length !== b.length)
        throw new Error(`output ${name} has ${a.length} elements in one model and ${b.length} in the other`);
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(a[i]! - b[i]!);
        if (Number.isNaN(d)) this.maxAbs = Number.NaN;
        else if (d > this.maxAbs) this.maxAbs = d;
        this.signal += a[i]! * a[i]!;
        this.noise += (a[i]! - b[i]!) * (a[i]! - b[i]!);
      }
      const c = cosine(a, b);
      sampleCos.push(c);
      this.cosMin = Math.min(this.cosMin, c);
      this.cosSum += c;
      this.cosCount++;
    }
    const first = names[0];
    if (first === undefined) return;
    this.task ??= taskOf(reference[first]!);
    this.scores.push(...this.answerScores(reference[first]!, candidate[first]!, sampleCos));
  }

  private answerScores(ref: Tensor, cand: Tensor, sampleCos: number[]): number[] {
    switch (this.task) {
      case 'classify': {
        const a = top1(ref);
        const b = top1(cand);
        return a.map((x, i) => (x === b[i] ? 1 : 0));
      }
      case 'ctc-text': {
        const a = ctcGreedy(ref);
        const b = ctcGreedy(cand);
        return a.map((x, i) => (sameLabels(x, b[i]!) ? 1 : 0));
      }
      case 'segment-map':
        return mapIoU(ref, cand, this.threshold);
      default:
        return [sampleCos.reduce((s, x) => s + x, 0) / Math.max(1, sampleCos.length)];
    }
  }

  result(): Fidelity {
    const task = this.task ?? 'regress';
    const metric = METRIC_OF[task];
    const n = this.scores.length;
    const sum = this.scores.reduce((s, x) => s + x, 0);
    const value = n ? sum / n : 1;
    const share = metric === 'top1' || metric === 'text';
    const interval = share
      ? wilson(sum, n)
      : metric === 'iou'
        ? boundedMeanInterval(this.scores)
        : meanInterval(this.scores, -1, 1);
    const snr =
      this.noise === 0
        ? Number.POSITIVE_INFINITY
        : 10 * Math.log10(this.signal / Math.max(this.noise, 1e-300));
    return {
      samples: this.samples,
      task,
      metric,
      value,
      answers: n,
      interval: n === 0 ? null : (interval ?? null),
      agreement: metric === 'cosine' ? null : value,
      ...(metric === 'iou' ? { threshold: this.threshold } : {}),
      cosine_min: this.cosCount ? this.cosMin : 1,
      cosine_mean: this.cosCount ? this.cosSum / this.cosCount : 1,
      max_abs: this.maxAbs,
      snr_db: snr,
    };
  }
}
