// The HTML report's charts as Chart.js configurations (plain JSON; the page script adds the tick
// formatters named in `format` and draws them): per-layer bytes before/after and error, the search's
// frontier and per-layer sensitivity, the training loss.

import { field, isObj, readCurve, readCurves, type Series } from './html-series.ts';
import type { LayerReport, Report } from './types.ts';

/** A chart the page draws into `<canvas id>`; `height` in CSS pixels. */
export interface ChartSpec {
  id: string;
  title: string;
  note?: string;
  height: number;
  /** Tick formats by axis: bytes, exp (small errors), percent (0..1), or the labels of x = 0, 1, …. */
  format?: Record<string, 'bytes' | 'exp' | 'percent' | string[]>;
  config: Record<string, unknown>;
}

const MAX_BARS = 120;
const BEFORE = '#8da0cb';
const AFTER = '#e07b39';
const PALETTE = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666'];

/** The layers worth a bar: those something acted on, and any holding ≥ 1% of the model's bytes. */
export function chartedLayers(
  layers: readonly LayerReport[],
  totalBytes: number,
): { shown: number[]; of: number } {
  const worth = layers
    .map((l, i) => ({ l, i }))
    .filter(({ l }) => l.actions.length > 0 || l.part_of || l.bytes_before >= totalBytes * 0.01);
  const shown =
    worth.length <= MAX_BARS
      ? worth
      : [...worth]
          .sort(
            (a, b) =>
              Math.max(b.l.bytes_before, b.l.bytes_after) - Math.max(a.l.bytes_before, a.l.bytes_after),
          )
          .slice(0, MAX_BARS)
          .sort((a, b) => a.i - b.i);
  return { shown: shown.map((x) => x.i), of: worth.length };
}

const barHeight = (n: number, perBar: number) => Math.max(160, 60 + n * perBar);

function horizontalBars(
  labels: string[],
  datasets: Record<string, unknown>[],
  axis: string,
  log = false,
): Record<string, unknown> {
  return {
    type: 'bar',
    data: { labels, datasets },
    options: {
      indexAxis: 'y',
      scales: {
        x: { type: log ? 'logarithmic' : 'linear', title: { display: true, text: axis } },
        y: { ticks: { autoSkip: false, font: { size: 10 } } },
      },
    },
  };
}

export function layerCharts(report: Report): ChartSpec[] {
  const layers = report.layers;
  const { shown, of } = chartedLayers(layers, report.before.bytes);
  const charts: ChartSpec[] = [];
  const note = (n: number, total: number) =>
    n < total ? `the ${n} largest of ${total} layers; the table lists all` : undefined;
  if (shown.length) {
    const ls = shown.map((i) => layers[i]!);
    charts.push({
      id: 'chart-bytes',
      title: 'Bytes per layer, before and after',
      note: note(shown.length, of),
      height: barHeight(shown.length, 22),
      format: { x: 'bytes' },
      config: horizontalBars(
        ls.map((l) => l.name),
        [
          { label: 'before', data: ls.map((l) => l.bytes_before), backgroundColor: BEFORE },
          { label: 'after', data: ls.map((l) => l.bytes_after), backgroundColor: AFTER },
        ],
        'bytes',
      ),
    });
  }
  const erred = layers.map((l, i) => ({ l, i })).filter(({ l }) => l.error > 0);
  const top =
    erred.length <= MAX_BARS ? erred : [...erred].sort((a, b) => b.l.error - a.l.error).slice(0, MAX_BARS);
  top.sort((a, b) => a.i - b.i);
  if (top.length) {
    charts.push({
      id: 'chart-error',
      title: "Error each layer's actions introduced",
      note: note(top.length, erred.length),
      height: barHeight(top.length, 14),
      format: { x: 'exp' },
      config: horizontalBars(
        top.map(({ l }) => l.name),
        [{ label: 'error', data: top.map(({ l }) => l.error), backgroundColor: '#c0504d' }],
        'error (as the pass measures it)',
        true,
      ),
    });
  }
  return charts;
}

/** Curves on linear axes: `points` marks each point (candidates), else only lines (loss). */
function scatter(series: Series[], x: string, y: string, points: boolean): Record<string, unknown> {
  return {
    type: 'scatter',
    data: {
      datasets: series.map((s, k) => ({
        label: s.name,
        data: [...s.points].sort((a, b) => a.x - b.x).map((p) => ({ x: p.x, y: p.y })),
        borderColor: PALETTE[k % PALETTE.length],
        backgroundColor: PALETTE[k % PALETTE.length],
        pointRadius: points ? 3 : 0,
        borderWidth: 1.5,
        showLine: true,
      })),
    },
    options: {
      parsing: false,
      scales: {
        x: { type: 'linear', title: { display: true, text: x } },
        y: { type: 'linear', title: { display: true, text: y } },
      },
    },
  };
}

const COST = ['bytes', 'size', 'cost', 'params', 'flops', 'latency_ms', 'latency'];
const QUALITY = ['fidelity', 'agreement', 'error', 'sensitivity', 'loss', 'snr_db', 'cosine'];

/** The search's cost/fidelity frontier and the layers' sensitivity curves, when a range was searched. */
export function searchCharts(report: Report): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const search = (report as { search?: unknown }).search;
  if (isObj(search)) {
    const frontier = readCurve(field(search, ['frontier', 'pareto']), { x: COST, y: QUALITY });
    if (frontier?.points.length) {
      const chosen = isObj(search.chosen) ? readCurve([search.chosen], { x: COST, y: QUALITY }) : undefined;
      const series: Series[] = [{ name: 'frontier', ...frontier }];
      if (chosen?.points.length && chosen.xKey === frontier.xKey && chosen.yKey === frontier.yKey)
        series.push({ name: 'chosen', ...chosen });
      charts.push({
        id: 'chart-frontier',
        title: 'Search frontier: cost against fidelity',
        height: 320,
        format: /bytes|size/.test(frontier.xKey) ? { x: 'bytes' } : undefined,
        config: scatter(series, frontier.xKey, frontier.yKey, true),
      });
    }
  }
  const curves: Series[] = [];
  for (const l of report.layers) {
    const c = readCurve((l as { sensitivity?: unknown }).sensitivity, {
      x: ['value', 'bits', 'sparsity', 'rank', 'candidate', 'x'],
      y: ['sensitivity', 'error', 'loss', 'delta', 'y'],
    });
    if (c && c.points.length > 1) curves.push({ name: l.name, ...c });
  }
  if (curves.length) {
    const worst = [...curves]
      .sort((a, b) => Math.max(...b.points.map((p) => p.y)) - Math.max(...a.points.map((p) => p.y)))
      .slice(0, 12);
    const labels = curves[0]!.points.some((p) => p.label)
      ? curves[0]!.points.map((p) => p.label ?? String(p.x))
      : undefined;
    charts.push({
      id: 'chart-sensitivity',
      title: 'Per-layer sensitivity',
      note:
        curves.length > worst.length
          ? `the ${worst.length} most sensitive of ${curves.length} layers`
          : undefined,
      height: 320,
      format: labels ? { x: labels } : undefined,
      config: scatter(worst, worst[0]!.xKey, worst[0]!.yKey, true),
    });
  }
  return charts;
}

/** The training loss curve (and any other loss series it records, e.g. on held-out data). */
export function trainingCharts(report: Report): ChartSpec[] {
  const training = (report as { training?: unknown }).training;
  if (!isObj(training)) return [];
  const curve = field(training, ['loss_curve', 'losses', 'loss', 'curve', 'history']);
  const series = readCurves(curve, ['step', 'steps', 'epoch', 'iteration'], /loss/i);
  if (!series.length || !series.some((s) => s.points.length)) return [];
  return [
    {
      id: 'chart-loss',
      title: 'Training loss',
      height: 300,
      config: scatter(series, series[0]!.xKey, 'loss', false),
    },
  ];
}
