// Targets: each `target METRIC CMP VALUE` checked against the compiled model's figures; a miss
// says what was achieved and by how much it missed.

import { type Diagnostic, diag } from '../../dsl/diagnostics.ts';
import { compare } from '../../dsl/select.ts';
import { UserError } from '../../runtime/errors.ts';
import type { Fidelity } from '../fidelity/metrics.ts';
import type { TargetSpec } from '../plan/settings.ts';
import type { LatencyReport, TargetReport, Totals } from './types.ts';

function achievedOf(
  t: TargetSpec,
  before: Totals,
  after: Totals,
  fidelity: Fidelity | undefined,
  latency: LatencyReport | undefined,
): number {
  const rel = (a: number, b: number) => (t.relative ? (b === 0 ? 0 : a / b) : a);
  switch (t.metric) {
    case 'size':
      return rel(after.bytes, before.bytes);
    case 'params':
      return rel(after.params, before.params);
    case 'flops':
      return rel(after.flops, before.flops);
    case 'latency':
      if (!latency) throw new Error('target latency reached the report without a timing');
      // relative: the share of the original's time; absolute: seconds
      return t.relative ? latency.ratio : latency.compiled_ms / 1000;
    default: {
      if (!fidelity) throw new Error(`${t.where}: ${t.text} without calibration data passed the checks`);
      if (t.metric === 'accuracy') {
        if (!fidelity.accuracy) throw new Error(`${t.where}: ${t.text} reached the report without labels`);
        return fidelity.accuracy.value;
      }
      if (t.metric === 'agreement') {
        if (fidelity.agreement === null) {
          const at = `${t.span.file}:${t.span.line}:${t.span.column}`;
          throw new UserError(
            `${at}: ${t.text}: the model's first output holds no answers (class scores, CTC scores, a probability map), so agreement is undefined`,
            'use target cosine or target snr for this model, or name its task: calibrate { task classify|ctc-text|segment-map }',
          );
        }
        return fidelity.agreement;
      }
      return t.metric === 'cosine' ? fidelity.cosine_min : fidelity.snr_db;
    }
  }
}

function show(t: TargetSpec, v: number): string {
  if (t.relative || t.metric === 'agreement' || t.metric === 'accuracy') return `${(v * 100).toFixed(2)}%`;
  if (t.metric === 'size') return v >= 1e6 ? `${(v / 1e6).toFixed(3)} MB` : `${(v / 1e3).toFixed(1)} KB`;
  if (t.metric === 'snr') return `${v.toFixed(2)} dB`;
  if (t.metric === 'latency') return `${(v * 1000).toFixed(2)} ms`;
  if (t.metric === 'cosine') return v.toFixed(6);
  return String(v);
}

export function evaluateTargets(
  targets: TargetSpec[],
  before: Totals,
  after: Totals,
  fidelity: Fidelity | undefined,
  latency?: LatencyReport,
): TargetReport[] {
  return targets.map((t) => {
    const achieved = achievedOf(t, before, after, fidelity, latency);
    return { metric: t.metric, op: t.op, value: t.value, achieved, met: compare(achieved, t.op, t.value) };
  });
}

/** One diagnostic (SQ502, at the target's metric) for each target that was missed. */
export function missedTargets(targets: TargetSpec[], reports: TargetReport[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  reports.forEach((r, i) => {
    if (r.met || r.achieved === null) return;
    const t = targets[i]!;
    const gap = Math.abs(r.achieved - r.value);
    const dir = r.achieved > r.value ? 'over' : 'under';
    out.push(
      diag(
        'SQ502',
        t.span,
        `${t.text} missed: achieved ${show(t, r.achieved)}, ${show(t, gap)} ${dir}`,
        'loosen the target or compress more (stronger settings or more layers)',
      ),
    );
  });
  return out;
}
