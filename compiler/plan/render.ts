// `squish plan` output: per layer, each action and the statement (file:line) it came from, as a
// table or JSON; --explain adds near-misses (why a layer was not selected).

import type { ModelPlan } from './model-plan.ts';
import { twoPhaseStatements } from './phases.ts';

export interface PlanJson {
  recipe?: string;
  cleanup: boolean;
  opset?: number;
  format: string;
  layers: {
    name: string;
    op: string;
    params: number;
    actions: { action: string; kind: string; from: string; options: Record<string, string> }[];
    kept_by?: string;
  }[];
  statements: ModelPlan['statements'];
  targets: { metric: string; op: string; value: number; relative: boolean; from: string }[];
  near_misses?: ModelPlan['nearMisses'];
  /** Training statements that run half their steps before clustering (plan/phases.ts). */
  two_phase_training?: { from: string; action: string; layers: string[] }[];
}

export function planJson(plan: ModelPlan, explain = false): PlanJson {
  const params = new Map(plan.layerInfo.map((l) => [l.name, l.params]));
  const s = plan.settings;
  return {
    recipe: s.name,
    cleanup: s.cleanup,
    opset: s.opset,
    format: s.format,
    layers: plan.layers
      .filter((l) => l.actions.length || l.keptBy || (params.get(l.name) ?? 0) > 0)
      .map((l) => ({
        name: l.name,
        op: l.op,
        params: params.get(l.name) ?? 0,
        actions: l.actions.map((a) => ({ action: a.action, kind: a.kind, from: a.from, options: a.options })),
        ...(l.keptBy ? { kept_by: l.keptBy } : {}),
      })),
    statements: plan.statements,
    targets: s.targets.map((t) => ({
      metric: t.metric,
      op: t.op,
      value: t.value,
      relative: t.relative,
      from: t.where,
    })),
    ...(explain ? { near_misses: plan.nearMisses } : {}),
    ...(twoPhaseStatements(plan).length ? { two_phase_training: twoPhaseStatements(plan) } : {}),
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function planText(plan: ModelPlan, explain = false): string {
  const j = planJson(plan, explain);
  const rows = j.layers.map((l) => {
    const acts = l.actions.map((a) => {
      const opts = Object.entries(a.options)
        .map(([k, v]) => (v ? `${k} ${v}` : k))
        .join(', ');
      return `${a.action}${opts ? ` {${opts}}` : ''} (${a.from})`;
    });
    if (l.kept_by) acts.push(`keep (${l.kept_by})`);
    return [l.name, l.op, String(l.params), acts.join('; ') || '-'];
  });
  const w = [0, 1, 2].map((i) =>
    Math.max(['layer', 'op', 'params'][i].length, ...rows.map((r) => r[i].length)),
  );
  const lines = [
    `${pad('layer', w[0])}  ${pad('op', w[1])}  ${pad('params', w[2])}  actions`,
    ...rows.map((r) => `${pad(r[0], w[0])}  ${pad(r[1], w[1])}  ${pad(r[2], w[2])}  ${r[3]}`),
  ];
  const active = j.layers.filter((l) => l.actions.length).length;
  lines.push('');
  lines.push(
    `${active} of ${j.layers.length} layers with weights have actions; cleanup ${j.cleanup ? 'on' : 'off'}` +
      `${j.opset ? `; output opset ${j.opset}` : ''}; format ${j.format}`,
  );
  for (const s of j.statements)
    lines.push(`  ${s.statement} (${s.from}): selects ${s.selected}, applies to ${s.applied}`);
  for (const t of j.two_phase_training ?? [])
    lines.push(
      `  ${t.action} (${t.from}) trains in two phases: half its steps before clustering (each surviving weight), the rest after (the centroids)`,
    );
  for (const t of j.targets)
    lines.push(
      `  target ${t.metric} ${t.op} ${t.value}${t.relative ? ' (of the original)' : ''} (${t.from})`,
    );
  if (explain) {
    lines.push('', 'not selected:');
    if (!plan.nearMisses.length) lines.push('  (no near-misses)');
    for (const n of plan.nearMisses) lines.push(`  ${n.layer}: ${n.statement} (${n.from}): ${n.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
