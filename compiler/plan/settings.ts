// The recipe's non-layer statements as compile settings: model inputs, calibration data, output
// (opset, format), cleanup and targets.

import type { Option, Statement, StatementOf, Value } from '../../dsl/ast.ts';
import type { Span } from '../../dsl/span.ts';
import { findOption, wordOf } from '../../dsl/table/index.ts';
import { valueText } from '../../dsl/values.ts';
import type { CalibrationSpec } from '../data/calibration.ts';
import type { Task } from '../fidelity/task.ts';
import type { AugmentSpec } from '../train/loop/augment.ts';
import { at, atCol, numberOf, numberOption, numbersOf, wordOption } from './options.ts';

export type TargetMetric =
  | 'size'
  | 'params'
  | 'flops'
  | 'latency'
  | 'agreement'
  | 'accuracy'
  | 'cosine'
  | 'snr';
export interface TargetSpec {
  metric: TargetMetric;
  op: '==' | '!=' | '<' | '<=' | '>' | '>=';
  /** In the metric's unit: bytes, count, ratio 0..1 for agreement/accuracy/cosine, dB for snr. */
  value: number;
  /** When the recipe gave a percentage of the original (size/params/flops ≤ 50%). */
  relative: boolean;
  text: string;
  /** `file:line` of the statement (plan output), and the metric's span (messages). */
  where: string;
  span: Span;
}

export interface Settings {
  name?: string;
  cleanup: boolean;
  opset?: number;
  opsetSpan?: Span;
  format: 'onnx' | 'sqz';
  inputs: { name: string; dtype: string; dims: (number | string)[] }[];
  calibration?: CalibrationSpec;
  targets: TargetSpec[];
}

/** A `calibrate { … }` block, or the `data { … }` of a training statement, as a data spec. */
export function calibrationSpec(options: readonly Option[], keywordSpan: Span): CalibrationSpec {
  const spec: CalibrationSpec = {
    source: 'random',
    file: keywordSpan.file,
    where: atCol(keywordSpan),
    span: keywordSpan,
  };
  for (const o of options) {
    const v = o.values[0];
    switch (o.name) {
      case 'images':
      case 'tensors':
        spec.source = o.name;
        spec.glob = wordOf(v);
        if (v) spec.globSpan = v.span;
        break;
      case 'random':
        spec.source = 'random';
        break;
      case 'samples':
        spec.samples = numberOf(v);
        break;
      case 'seed':
        spec.seed = numberOf(v);
        break;
      case 'holdout':
        spec.holdout = (numberOf(v) ?? 25) / 100;
        break;
      case 'task':
        spec.task = wordOf(v) as Task;
        break;
      case 'threshold':
        spec.threshold = numberOf(v);
        break;
      case 'trust':
        spec.trust = true;
        break;
      case 'resize':
        if (v?.kind === 'dims') spec.resize = [v.a, v.b];
        break;
      case 'channels':
        spec.channels = wordOf(v) as 'rgb' | 'bgr';
        break;
      case 'layout':
        spec.layout = wordOf(v) as 'nchw' | 'nhwc';
        break;
      case 'fit':
        spec.fit = wordOf(v) as 'fill' | 'pad';
        break;
      case 'normalize':
        for (let i = 0; i < o.values.length; i++) {
          const w = wordOf(o.values[i]);
          if (w === 'mean') spec.mean = numbersOf(o.values[++i]);
          else if (w === 'std') spec.std = numbersOf(o.values[++i]);
        }
        break;
      case 'augment':
        if (v?.kind === 'block') spec.augment = augmentSpec(v.options);
        break;
    }
  }
  return spec;
}

/** `lo..hi` or one value v (→ [v, 1] for a crop share, [v, v] otherwise). */
function interval(v: Value | undefined, crop: boolean): [number, number] | undefined {
  if (!v) return undefined;
  if (v.kind === 'range') return [numberOf(v.lo)!, numberOf(v.hi)!];
  const x = numberOf(v)!;
  return crop ? [Math.min(x, 1), 1] : [Math.min(x, 1 / x), Math.max(x, 1 / x)];
}

function augmentSpec(options: readonly Option[]): AugmentSpec {
  const spec: AugmentSpec = {};
  for (const o of options) {
    const v = o.values[0];
    if (o.name === 'crop') spec.crop = interval(v, true);
    else if (o.name === 'scale') spec.scale = interval(v, false);
    else if (o.name === 'rotate') spec.rotate = numberOf(v);
    else if (o.name === 'jitter') spec.jitter = numberOf(v);
    else if (o.name === 'noise') spec.noise = numberOf(v);
    else if (o.name === 'flip') spec.flip = true;
  }
  return spec;
}

function target(s: StatementOf<'target'>): TargetSpec {
  const metric = s.metric as TargetMetric;
  const text = `target ${s.metric} ${s.op} ${valueText(s.value)}`;
  const v = s.value;
  const value0 = numberOf(v)!;
  const pct = v.kind === 'number' && v.unit === '%';
  let value = value0;
  let relative = false;
  if (metric === 'agreement' || metric === 'accuracy' || metric === 'cosine')
    value = pct ? value0 / 100 : value0;
  else if (pct && (metric === 'size' || metric === 'params' || metric === 'flops' || metric === 'latency')) {
    value = value0 / 100;
    relative = true;
  }
  return { metric, op: s.op, value, relative, text, where: at(s.span), span: s.metricSpan };
}

export function settingsOf(statements: Statement[]): Settings {
  const out: Settings = { cleanup: true, format: 'onnx', inputs: [], targets: [] };
  for (const s of statements) {
    if (s.kind === 'recipe') out.name = s.name;
    else if (s.kind === 'cleanup') out.cleanup = s.mode !== 'none';
    else if (s.kind === 'model')
      for (const i of s.inputs) out.inputs.push({ name: i.name, dtype: i.dtype, dims: i.dims });
    else if (s.kind === 'calibrate') out.calibration = calibrationSpec(s.options ?? [], s.keywordSpan);
    else if (s.kind === 'target') out.targets.push(target(s));
    else if (s.kind === 'output') {
      const opset = numberOption(s, 'opset');
      if (opset !== undefined) {
        out.opset = opset;
        out.opsetSpan = findOption(s.options, 'opset')!.values[0]!.span;
      }
      const format = wordOption(s, 'format');
      if (format === 'sqz' || format === 'onnx') out.format = format;
    }
  }
  return out;
}
