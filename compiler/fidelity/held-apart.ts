// Fidelity as compile reports it: measured on the held-apart share of the calibration samples (all
// of them, marked in-sample, when none could be held apart), then judged (notes, the floor).

import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { CalibrationSpec, Sample } from '../data/calibration.ts';
import { DEFAULT_HOLDOUT, type HeldApartSplit, holdApart } from '../data/split.ts';
import type { Label } from '../train/loop/data.ts';
import { AccuracyMeter } from './accuracy.ts';
import { measureFidelity, type Runner } from './compare.ts';
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
  const raw = await measureFidelity(reference, candidate, measured, {
    task: cal.task,
    threshold: cal.threshold,
    onSample: (done) => onSample?.(done, measured.length),
    onPair: meter
      ? (i, ref, cand) => meter.add(i, cal.task ?? taskOf(Object.values(ref)[0]!), ref, cand)
      : undefined,
  });
  if (meter) raw.accuracy = meter.result();
  return judgeFidelity(raw, {
    samples: measured.length,
    of: split.fit.length + split.heldApart.length,
    held_apart: held,
    source: cal.source,
  });
}
