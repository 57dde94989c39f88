// What a fidelity measurement may be taken for: which samples it rests on, the notes the report
// carries (random inputs, in-sample figures, a wide interval) and the loud warning of the floor.

import type { CalibrationSpec } from '../data/calibration.ts';
import type { Fidelity, MeasuredOn } from './metrics.ts';

/** Under these on held-apart data a compile warns even with no target. */
export const FIDELITY_FLOOR = { cosine: 0.9, snr_db: 10 } as const;
/** An interval wider than this (as a share) is called wide. */
const WIDE = 0.1;

export const RANDOM_NOTE = 'random inputs, not evidence of accuracy';

/** The warning compile prints for `calibrate { random }`, naming the statement. */
export function randomDataWarning(cal: CalibrationSpec): string {
  return `${cal.where ?? cal.file}: calibrate { random }: fidelity will be measured on ${RANDOM_NOTE}; calibrate on real inputs (images "…" or tensors "…") to measure what users will see`;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The task metric as people read it (a share for agreements and IoU, a number for cosine). */
export function showValue(f: Pick<Fidelity, 'metric' | 'value'>): string {
  return f.metric === 'cosine' ? f.value.toFixed(4) : pct(f.value);
}

export function showInterval(f: Pick<Fidelity, 'metric' | 'interval'>): string {
  const i = f.interval;
  if (!i) return 'no interval';
  return f.metric === 'cosine' ? `${i.low.toFixed(4)}–${i.high.toFixed(4)}` : `${pct(i.low)}–${pct(i.high)}`;
}

/** The figures that fall under the floor, as words; empty when none does. */
export function belowFloor(f: Fidelity): string[] {
  const out: string[] = [];
  if (!(f.cosine_mean >= FIDELITY_FLOOR.cosine))
    out.push(`cosine mean ${f.cosine_mean.toFixed(4)} < ${FIDELITY_FLOOR.cosine}`);
  if (!(f.snr_db >= FIDELITY_FLOOR.snr_db))
    out.push(`SNR ${f.snr_db.toFixed(1)} dB < ${FIDELITY_FLOOR.snr_db} dB`);
  return out;
}

/**
 * The fidelity as the report shows it (with `measured_on` and `notes`), and the warnings compile
 * prints: the floor, loudly.
 */
export function judgeFidelity(f: Fidelity, on: MeasuredOn): { fidelity: Fidelity; warnings: string[] } {
  const notes: string[] = [];
  const warnings: string[] = [];
  const where = on.held_apart ? `${on.samples} held-apart samples` : `${on.samples} samples`;
  if (on.source === 'random') notes.push(RANDOM_NOTE);
  if (!on.held_apart)
    notes.push(
      `in-sample: measured on the samples the fitting steps saw (${on.of === 1 ? 'only one sample' : 'holdout 0%'}), so the figures flatter`,
    );
  if (!f.interval) notes.push(`${f.answers} answer${f.answers === 1 ? '' : 's'}: no interval; add samples`);
  else if (f.interval.high - f.interval.low > WIDE)
    notes.push(
      `${f.answers} answers: the 95% interval ${showInterval(f)} is wide; add calibration samples to narrow it`,
    );
  const floor = belowFloor(f);
  if (floor.length) {
    notes.push(`below the fidelity floor: ${floor.join(', ')}`);
    warnings.push(
      `WARNING: fidelity below the floor on ${where}: ${floor.join(', ')} (${f.metric} ${showValue(f)}) — the compressed model's outputs are far from the original's${on.source === 'random' ? ' even on random inputs' : ''}; compress less (fewer layers, milder settings) or check it on your data with squish compare`,
    );
  }
  return {
    fidelity: { ...f, measured_on: on, ...(notes.length ? { notes } : {}) },
    warnings,
  };
}
