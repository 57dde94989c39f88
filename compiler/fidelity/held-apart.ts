// Fidelity as compile reports it: measured on the held-apart share of the calibration samples (all
// of them, marked in-sample, when none could be held apart), then judged (notes, the floor).

import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { CalibrationSpec, Sample } from '../data/calibration.ts';
import { DEFAULT_HOLDOUT, type HeldApartSplit, holdApart } from '../data/split.ts';
import type { Label } from '../train/loop/data.ts';
import { AccuracyMeter } from './accuracy.ts';
import { measureFidelity, type Outputs, type Runner } from './compare.ts';
import type { Fidelity, MeasuredOn } from './metrics.ts';
import { taskOf } from './task.ts';
import { judgeFidelity, randomDataWarning } from './verdict.ts';

/** A calibrate block's samples split for fitting and measuring, and its warning when they are random. */
export function splitCalibration(
  cal: CalibrationSpec | undefined,
  samples: Sample[] | undefined,
): { split?: HeldApartSplit<Sample>; warnings: string[] } {
  if (!cal || !samples) return { warnings: [] };
  return {
    split: holdApart(samples, cal.holdout ?? DEFAULT_HOLDOUT, cal.seed ?? 0),
    warnings: cal.source === 'random' ? [randomDataWarning(cal)] : [],
  };
}

/** Labels of the held-apart samples (in their order), from the labels file the recipe names. */
export interface HeldApartLabels {
  labels: Label[];
  file: string;
}

/** The report's fidelity of `candidate` against `reference` (the calibrate block's task, threshold and
 * source), with both models' accuracy when `labels` label the held-apart samples, and the warnings
 * compile prints. */
export async function heldApartFidelity(
  reference: Runner,
  candidate: Runner,
  split: HeldApartSplit<Record<string, Tensor>>,
  cal: Pick<CalibrationSpec, 'task' | 'threshold'> & { source: MeasuredOn['source'] },
  onSample?: (done: number, total: number) => void,
  labels?: HeldApartLabels,
): Promise<{ fidelity: Fidelity; warnings: string[] }> {
  const held = split.heldApart.length > 0;
  const measured = held ? split.heldApart : split.fit;
  // accuracy rests on held-apart samples only: labels come for nothing else
  const meter = labels && held ? new AccuracyMeter(labels.labels, labels.file) : undefined;
  let last: Outputs | undefined;
  let n = 0;
  const ref: Runner = async (feeds) => {
    last = await reference(feeds);
    return last;
  };
  const cand: Runner = async (feeds) => {
    const out = await candidate(feeds);
    if (meter && last) {
      const first = Object.keys(last)[0]!;
      meter.add(n, cal.task ?? taskOf(last[first]!), last, out);
    }
    n++;
    return out;
  };
  const raw = await measureFidelity(ref, cand, measured, {
    task: cal.task,
    threshold: cal.threshold,
    onSample: (done) => onSample?.(done, measured.length),
  });
  if (meter) raw.accuracy = meter.result();
  return judgeFidelity(raw, {
    samples: measured.length,
    of: split.fit.length + split.heldApart.length,
    held_apart: held,
    source: cal.source,
  });
}
