// `target accuracy`: the task accuracy of the original and of the compiled model against labels, on
// the held-apart calibration samples only (no fitting or training step saw them). Classifiers: the
// top-1 class of every row of the first output equals the class index; CTC models: the greedy
// decoding equals the label sequence.

import { UserError } from '../../runtime/errors.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { Label } from '../train/loop/data.ts';
import { ctcGreedy, top1 } from './answers.ts';
import { type Interval, wilson } from './interval.ts';
import type { Task } from './task.ts';

export interface Accuracy {
  /** The labels file as the recipe names it. */
  labels: string;
  /** Answers counted: rows of the first output (classify) or batch items (ctc-text). */
  answers: number;
  /** The original's accuracy on the same samples, with its 95% (Wilson) interval. */
  original: number;
  original_interval: Interval | null;
  /** The compiled model's accuracy (what `target accuracy` compares), with its interval. */
  value: number;
  interval: Interval | null;
}

/** Tasks whose answers a label can be: a class index, or a label sequence. */
export const LABELLED_TASKS: readonly Task[] = ['classify', 'ctc-text'];

const sequenceOf = (l: Label): number[] | undefined =>
  typeof l === 'number' ? [l] : Array.isArray(l) ? l : undefined;

/** 1/0 per answer of one output against its sample's label. */
export function correctAnswers(out: Tensor, label: Label, task: Task): number[] {
  if (task === 'classify') {
    const want =
      typeof label === 'number' ? label : Array.isArray(label) && label.length === 1 ? label[0] : -1;
    return top1(out).map((c) => (c === want ? 1 : 0));
  }
  if (task === 'ctc-text') {
    const want = sequenceOf(label);
    return ctcGreedy(out).map((got) =>
      want && got.length === want.length && got.every((c, i) => c === want[i]) ? 1 : 0,
    );
  }
  throw new UserError(
    `target accuracy: the model's first output [${out.dims.join(', ')}] holds no class scores or CTC scores (task ${task}), so accuracy against labels is undefined`,
    'name the task: calibrate { task classify|ctc-text }, or use target agreement',
  );
}

/** Counts correct answers of both models, sample by sample (first output; same order as the labels). */
export class AccuracyMeter {
  private original = 0;
  private compiled = 0;
  private answers = 0;

  constructor(
    private readonly labels: readonly Label[],
    private readonly file: string,
  ) {}

  add(index: number, task: Task, reference: Record<string, Tensor>, candidate: Record<string, Tensor>): void {
    const label = this.labels[index];
    if (label === undefined) throw new Error(`no label for held-apart sample ${index + 1}`);
    const first = Object.keys(reference)[0]!;
    const a = correctAnswers(reference[first]!, label, task);
    const b = correctAnswers(candidate[first]!, label, task);
    this.answers += a.length;
    this.original += a.reduce((s, x) => s + x, 0);
    this.compiled += b.reduce((s, x) => s + x, 0);
  }

  result(): Accuracy {
    const n = this.answers;
    return {
      labels: this.file,
      answers: n,
      original: n ? this.original / n : 0,
      original_interval: n ? wilson(this.original, n) : null,
      value: n ? this.compiled / n : 0,
      interval: n ? wilson(this.compiled, n) : null,
    };
  }
}
