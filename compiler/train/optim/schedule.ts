// Learning-rate schedules: constant, cosine (to minLr), step (×gamma every stepSize), linear decay,
// each after an optional linear warm-up.

export interface ScheduleSpec {
  kind?: 'constant' | 'cosine' | 'step' | 'linear';
  /** Steps of linear warm-up from lr/warmup to lr (default 0). */
  warmup?: number;
  /** step: every how many steps the rate is multiplied by gamma (defaults: a third of the run, 0.1). */
  stepSize?: number;
  gamma?: number;
  /** cosine and linear: the rate at the last step (default 0). */
  minLr?: number;
}

/** The learning rate at `step` (0-based) of a run of `total` steps. */
export function learningRate(base: number, schedule: ScheduleSpec, step: number, total: number): number {
  const warmup = schedule.warmup ?? 0;
  if (step < warmup) return (base * (step + 1)) / warmup;
  const minLr = schedule.minLr ?? 0;
  const span = Math.max(1, total - warmup - 1);
  const t = Math.min(1, (step - warmup) / span);
  switch (schedule.kind ?? 'constant') {
    case 'cosine':
      return minLr + (base - minLr) * 0.5 * (1 + Math.cos(Math.PI * t));
    case 'linear':
      return base + (minLr - base) * t;
    case 'step': {
      const every = schedule.stepSize ?? Math.max(1, Math.ceil(total / 3));
      return base * (schedule.gamma ?? 0.1) ** Math.floor((step - warmup) / every);
    }
    default:
      return base;
  }
}
