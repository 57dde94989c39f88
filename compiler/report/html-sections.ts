// The HTML report's figures as markup: summary cards and the before/after table, fidelity, targets,
// warnings, the facts of the search and training sections, the .sqz breakdown and the timings. Every
// figure taken from report.json carries `data-field` (its path in the JSON) and `data-value` (the
// number as written there), so a reader — or a spec — can tie what is shown to the report.

import type { Accuracy } from '../fidelity/accuracy.ts';
import type { Interval } from '../fidelity/interval.ts';
import type { MeasuredOn } from '../fidelity/metrics.ts';
import { bytes, count, duration, esc, int, num, percent, share } from './html-format.ts';
import { isObj, scalars } from './html-series.ts';
import type { Report, TargetReport, Totals } from './types.ts';

/** A figure: shown text, with its JSON path and raw value attached. */
export function fig(path: string, value: number | string | boolean | null, shown: string): string {
  return `<span data-field="${esc(path)}" data-value="${esc(String(value))}">${esc(shown)}</span>`;
}

const TOTALS: { key: string; label: string; show: (n: number) => string }[] = [
  { key: 'bytes', label: 'size', show: (n) => `${bytes(n)} (${int(n)} bytes)` },
  { key: 'params', label: 'parameters', show: int },
  { key: 'nonzero', label: 'non-zero parameters', show: int },
  { key: 'flops', label: 'FLOPs', show: (n) => (n ? count(n) : 'unknown') },
  { key: 'latency_ms', label: 'latency', show: (n) => `${num(n, 2)} ms` },
];

function totalsRows(before: Totals, after: Totals): string {
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  const known = TOTALS.map((t) => t.key);
  const extra = Object.keys(b).filter((k) => !known.includes(k) && typeof b[k] === 'number');
  const rows = [...TOTALS, ...extra.map((key) => ({ key, label: key, show: (n: number) => num(n) }))];
  return rows
    .filter((r) => typeof b[r.key] === 'number' || typeof a[r.key] === 'number')
    .map((r) => {
      const vb = b[r.key] as number | undefined;
      const va = a[r.key] as number | undefined;
      const cell = (side: string, v: number | undefined) =>
        v === undefined
          ? '<td class="num">—</td>'
          : `<td class="num">${fig(`${side}.${r.key}`, v, r.show(v))}</td>`;
      const ratio = vb !== undefined && va !== undefined ? share(va, vb) : '';
      return `<tr><th>${esc(r.label)}</th>${cell('before', vb)}${cell('after', va)}<td class="num">${ratio}</td></tr>`;
    })
    .join('');
}

function card(label: string, big: string, small = ''): string {
  return `<div class="card"><div class="label">${esc(label)}</div><div class="big">${big}</div><div class="small">${small}</div></div>`;
}

/** Target values: sizes in bytes, relative budgets (≤ 1 for size/params/flops/latency) and shares in %. */
function targetValue(t: TargetReport, v: number | null): string {
  if (v === null) return '—';
  if (['size', 'params', 'flops', 'latency'].includes(t.metric) && v <= 1) return percent(v, 1);
  if (t.metric === 'size') return bytes(v);
  if (t.metric === 'agreement' || t.metric === 'accuracy') return percent(v, 2);
  if (t.metric === 'snr') return `${num(v, 1)} dB`;
  if (t.metric === 'latency') return `${num(v, 2)} ms`;
  return ['params', 'flops'].includes(t.metric) ? count(v) : num(v, 6);
}

export function summaryHtml(r: Report): string {
  const met = r.targets.filter((t) => t.met).length;
  const f = r.fidelity;
  const cards = [
    card(
      'size',
      fig('after.bytes', r.after.bytes, bytes(r.after.bytes)),
      `from ${bytes(r.before.bytes)} · ${share(r.after.bytes, r.before.bytes)} of the original`,
    ),
    card(
      'parameters',
      fig('after.params', r.after.params, count(r.after.params)),
      `from ${count(r.before.params)}`,
    ),
    f
      ? card(
          f.agreement === null ? 'cosine (min)' : 'agreement',
          f.agreement === null
            ? fig('fidelity.cosine_min', f.cosine_min, num(f.cosine_min, 6))
            : fig('fidelity.agreement', f.agreement, percent(f.agreement)),
          `on ${f.samples} sample${f.samples === 1 ? '' : 's'}`,
        )
      : card('fidelity', 'not measured', 'the recipe has no calibrate block'),
    card(
      'targets',
      r.targets.length
        ? `<span class="${met === r.targets.length ? 'met' : 'missed'}">${met} of ${r.targets.length} met</span>`
        : 'none',
      r.targets.map((t) => `${t.metric} ${t.op} ${targetValue(t, t.value)}`).join(' · '),
    ),
  ];
  const table = `<table class="totals"><thead><tr><th></th><th class="num">before</th><th class="num">after</th><th class="num">after / before</th></tr></thead><tbody>${totalsRows(r.before, r.after)}</tbody></table>`;
  return `<div class="cards">${cards.join('')}</div>${table}`;
}

const FIDELITY_LABELS: Record<string, string> = {
  samples: 'samples',
  agreement: 'top-1 agreement',
  cosine_min: 'cosine, worst sample',
  cosine_mean: 'cosine, mean',
  max_abs: 'max |difference|',
  snr_db: 'SNR',
};

/** `98.4% (original 98.8%) on 250 labelled answers, 95% interval 95.9%–99.4%`. */
function accuracyText(a: Accuracy): string {
  const i = a.interval ? `, 95% interval ${percent(a.interval.low)}–${percent(a.interval.high)}` : '';
  return `${percent(a.value)} (original ${percent(a.original)}) on ${int(a.answers)} answers labelled by ${esc(a.labels)}${i}`;
}

/** `43.9%–100.0% (95%, wilson)` for shares, plain numbers for cosine means. */
function intervalText(i: Interval, asShare: boolean): string {
  const v = (x: number) => (asShare ? percent(x) : num(x, 4));
  const at = (end: 'low' | 'high') => fig(`fidelity.interval.${end}`, i[end], v(i[end]));
  return `${at('low')}–${at('high')} (${Math.round(i.level * 100)}%, ${esc(i.method)})`;
}

/** `3 of 12 samples, held apart from every fitting step (images)`. */
function measuredOnText(m: MeasuredOn): string {
  const held = m.held_apart ? 'held apart from every fitting step' : 'in-sample (none could be held apart)';
  const n = (k: 'samples' | 'of') => fig(`fidelity.measured_on.${k}`, m[k], int(m[k]));
  return `${n('samples')} of ${n('of')} samples, ${held} (${esc(m.source)})`;
}

export function fidelityHtml(r: Report): string {
  const f = r.fidelity as unknown as Record<string, unknown> | undefined;
  if (!f) return '<p class="sub">No calibration data, so no fidelity was measured.</p>';
  const rows = Object.entries(f).map(([k, v]) => {
    let shown: string;
    if (k === 'agreement') shown = v === null ? 'n/a (outputs are not class scores)' : percent(v as number);
    else if (k === 'accuracy') shown = accuracyText(v as Accuracy);
    else if (k === 'snr_db') shown = v === null ? '∞ (identical outputs)' : `${num(v as number, 1)} dB`;
    else if (typeof v === 'number') shown = k === 'samples' ? int(v) : num(v, 6);
    else if (typeof v === 'string' || typeof v === 'boolean' || v === null) shown = String(v);
    else if (k === 'interval' || k === 'measured_on' || (k === 'notes' && Array.isArray(v))) {
      const asShare = f.metric === 'top1' || f.metric === 'text' || f.metric === 'iou';
      const text =
        k === 'interval'
          ? intervalText(v as Interval, asShare)
          : k === 'measured_on'
            ? measuredOnText(v as MeasuredOn)
            : (v as string[]).map(esc).join('<br>');
      return `<tr><th>${esc(k.replace('_', ' '))}</th><td>${text}</td></tr>`;
    } else return `<tr><th>${esc(k)}</th><td><code>${esc(JSON.stringify(v))}</code></td></tr>`;
    const raw =
      v === null || ['number', 'string', 'boolean'].includes(typeof v) ? (v as string | number | null) : '';
    return `<tr><th>${esc(FIDELITY_LABELS[k] ?? k)}</th><td class="num">${fig(`fidelity.${k}`, raw, shown)}</td></tr>`;
  });
  return `<table class="kv">${rows.join('')}</table>`;
}

export function targetsHtml(r: Report): string {
  if (!r.targets.length) return '<p class="sub">The recipe sets no targets.</p>';
  const rows = r.targets.map(
    (t, i) =>
      `<tr><td>${esc(t.metric)}</td><td>${esc(t.op)}</td><td class="num">${fig(`targets.${i}.value`, t.value, targetValue(t, t.value))}</td><td class="num">${fig(`targets.${i}.achieved`, t.achieved, targetValue(t, t.achieved))}</td><td class="${t.met ? 'met' : 'missed'}">${fig(`targets.${i}.met`, t.met, t.met ? '✓ met' : '✗ missed')}</td></tr>`,
  );
  return `<table><thead><tr><th>metric</th><th></th><th class="num">target</th><th class="num">achieved</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function warningsHtml(r: Report): string {
  return (r.warnings ?? []).map((w) => `<div class="warn">${esc(w)}</div>`).join('');
}

/** The plain facts of an optional section (candidates, steps, time, agreement before/after …). */
export function factsHtml(section: unknown, path: string, skip: readonly string[]): string {
  if (!isObj(section)) return '';
  const rows = scalars(section, skip).map(([k, v]) => {
    const shown =
      typeof v === 'number' && /_ms$/.test(k) ? duration(v) : typeof v === 'number' ? num(v, 6) : String(v);
    return `<tr><th>${esc(k.replace(/_ms$/, '').replace(/_/g, ' '))}</th><td class="num">${fig(`${path}.${k}`, v, shown)}</td></tr>`;
  });
  return rows.length ? `<table class="kv">${rows.join('')}</table>` : '';
}

export function packHtml(r: Report): string {
  const p = r.pack;
  if (!p) return '';
  const rows = Object.entries(p.by_storage).map(
    ([k, s]) =>
      `<tr><td>${esc(k)}</td><td class="num">${s.layers}</td><td class="num">${int(s.params)}</td><td class="num">${bytes(s.coded_bytes)}</td><td class="num">${num(s.bits_per_weight, 2)}</td></tr>`,
  );
  return `<h2 id="pack">.sqz container</h2><p>${fig('pack.file_bytes', p.file_bytes, bytes(p.file_bytes))} in all; the graph (names, attributes, uncoded tensors) takes ${fig('pack.graph_bytes', p.graph_bytes, bytes(p.graph_bytes))} (${percent(p.graph_share, 1)}); the weights ${num(p.total.bits_per_weight, 2)} bits each.</p><table><thead><tr><th>stored as</th><th class="num">layers</th><th class="num">params</th><th class="num">bytes</th><th class="num">bits/weight</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function timingsHtml(r: Report): string {
  const rows = Object.entries(r.timings_ms).map(
    ([k, v]) => `<tr><td>${esc(k)}</td><td class="num">${fig(`timings_ms.${k}`, v, duration(v))}</td></tr>`,
  );
  return `<details><summary>Timings of the compile (${duration(r.timings_ms.total ?? 0)} in all)</summary><table>${rows.join('')}</table></details>`;
}
