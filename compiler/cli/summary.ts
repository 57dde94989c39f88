// What the CLI prints about a result: compile's summary (size before → after and the factor, the
// task metric on held-apart samples with how many, time, where the report is, what to try next)
// and the fidelity lines of `squish compare`.

import type { Fidelity } from '../fidelity/metrics.ts';
import { belowFloor, RANDOM_NOTE, showInterval, showValue } from '../fidelity/verdict.ts';
import type { Report } from '../report/types.ts';

function kb(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e3).toFixed(1)} KB`;
}

const METRIC_WORDS: Record<Fidelity['metric'], string> = {
  top1: 'top-1 agreement',
  text: 'decoded-text agreement',
  iou: 'text-map IoU',
  cosine: 'output cosine',
};

/** `6 held-apart images`, `8 random inputs`, `3 samples (in-sample)`. */
function measuredOnText(f: Fidelity): string {
  const on = f.measured_on;
  const n = on?.samples ?? f.samples;
  const what =
    on?.source === 'random'
      ? 'random inputs'
      : on?.source === 'images'
        ? `image${n === 1 ? '' : 's'}`
        : `sample${n === 1 ? '' : 's'}`;
  if (on && !on.held_apart) return `${n} ${what} (in-sample: the fitting steps saw them)`;
  return `${n} ${on?.source === 'files' ? '' : 'held-apart '}${what}`;
}

/** `top-1 agreement 100.0% (6/6, 95% interval 61.0%–100.0%)`. */
function metricText(f: Fidelity): string {
  const count =
    f.metric === 'top1' || f.metric === 'text' ? `${Math.round(f.value * f.answers)}/${f.answers}, ` : '';
  return `${METRIC_WORDS[f.metric]} ${showValue(f)} (${count}95% interval ${showInterval(f)})`;
}

/** `accuracy 98.0% (49/50, 95% interval …) against labels.tsv, original 100.0%`. */
function accuracyText(f: Fidelity): string {
  const a = f.accuracy;
  if (!a) return '';
  const i = a.interval ? `, 95% interval ${pct(a.interval.low)}–${pct(a.interval.high)}` : '';
  return `; accuracy ${pct(a.value)} (${Math.round(a.value * a.answers)}/${a.answers}${i}) against ${a.labels}, original ${pct(a.original)}`;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The next thing a user could try, given how this compile went. */
function nextStep(r: Report, model: string, recipe: string): string {
  const f = r.fidelity;
  if (f && belowFloor(f).length)
    return `next: compress less where it hurts — \`npx squish plan ${model} --recipe ${recipe} --explain\` lists each layer's actions and the report.json's layers[].error shows which lost most`;
  if (!f)
    return 'next: add a calibrate { images "…" } block so fidelity is measured (examples/default.squish shows one)';
  if (f.measured_on?.source === 'random')
    return 'next: calibrate on real inputs (calibrate { images "…" }) — random inputs say nothing about accuracy';
  return `next: \`npx squish plan ${model} --recipe ${recipe} --explain\` shows what each statement did to each layer; examples/*.squish show the other methods (README lists them)`;
}

export interface SummaryContext {
  /** The output, model and recipe as the user wrote them. */
  output: string;
  model: string;
  recipe: string;
  /** Where the reports were written (as the user wrote them). */
  reports: readonly string[];
  seconds: number;
}

/** Two lines: the result, then what to try next. */
export function compileSummary(r: Report, c: SummaryContext): string {
  const factor = r.after.bytes > 0 ? r.before.bytes / r.after.bytes : 0;
  const parts = [
    `wrote ${c.output}: ${kb(r.before.bytes)} → ${kb(r.after.bytes)} (${factor.toFixed(1)}× smaller)`,
  ];
  const f = r.fidelity;
  if (f) {
    const floor = belowFloor(f);
    parts.push(
      `${metricText(f)} on ${measuredOnText(f)}${f.measured_on?.source === 'random' ? `, ${RANDOM_NOTE}` : ''}${floor.length ? `, BELOW THE FIDELITY FLOOR (${floor.join(', ')})` : ''}${accuracyText(f)}`,
    );
  }
  parts.push(`${c.seconds.toFixed(1)} s`);
  parts.push(
    c.reports.length ? `report: ${c.reports.join(', ')}` : 'no report written (--report FILE writes one)',
  );
  const html = c.reports.some((p) => /\.html?$/i.test(p))
    ? ''
    : '; --report report.html draws the report as a page';
  return `${parts.join('; ')}\n${nextStep(r, c.model, c.recipe)}${html}\n`;
}

/** `squish compare`'s figures, one per line. */
export function fidelityLines(f: Fidelity): string {
  const rows: [string, string][] = [
    ['metric', `${f.metric} (task ${f.task})`],
    ['value', metricText(f)],
    ['samples', measuredOnText(f)],
    ...(f.accuracy ? [['accuracy', accuracyText(f).slice('; accuracy '.length)] as [string, string]] : []),
    ['cosine min', f.cosine_min.toFixed(6)],
    ['cosine mean', f.cosine_mean.toFixed(6)],
    ['max abs', f.max_abs.toExponential(3)],
    ['SNR', Number.isFinite(f.snr_db) ? `${f.snr_db.toFixed(2)} dB` : 'inf (identical)'],
    ...(f.notes ?? []).map((n) => ['note', n] as [string, string]),
  ];
  return rows.map(([k, v]) => `${k.padEnd(12)} ${v}\n`).join('');
}
