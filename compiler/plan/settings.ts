// The recipe's non-layer statements as compile settings: model inputs, calibration data, output
// (opset, format), cleanup and targets.

import type { Statement } from '../../dsl/ast.ts';
import { valueText } from '../../dsl/values.ts';
import { UserError } from '../../runtime/errors.ts';
import type { CalibrationSpec } from '../data/calibration.ts';
import { at, num, nums, option, word } from './options.ts';

export type TargetMetric = 'size' | 'params' | 'flops' | 'agreement' | 'cosine' | 'snr';
export interface TargetSpec {
  metric: TargetMetric;
  op: '==' | '!=' | '<' | '<=' | '>' | '>=';
  /** In the metric's unit: bytes, count, ratio 0..1 for agreement/cosine, dB for snr. */
  value: number;
  /** When the recipe gave a percentage of the original (size/params/flops ≤ 50%). */
  relative: boolean;
  text: string;
  where: string;
}

export interface Settings {
  name?: string;
  cleanup: boolean;
  opset?: number;
  format: 'onnx' | 'sqz';
  inputs: { name: string; dtype: string; dims: (number | string)[] }[];
  calibration?: CalibrationSpec;
  targets: TargetSpec[];
}

function calibration(s: Extract<Statement, { kind: 'calibrate' }>): CalibrationSpec {
  const spec: CalibrationSpec = { source: 'random', file: s.span.file, where: at(s.span) };
  for (const o of s.options) {
    const v = o.values[0];
    switch (o.name) {
      case 'images':
      case 'tensors':
        spec.source = o.name;
        spec.glob = word(v);
        break;
      case 'random':
        spec.source = 'random';
        break;
      case 'samples':
        spec.samples = num(v, 'samples');
        break;
      case 'seed':
        spec.seed = num(v, 'seed');
        break;
      case 'resize':
        if (v?.kind === 'dims') spec.resize = [v.a, v.b];
        break;
      case 'channels':
        spec.channels = word(v) as 'rgb' | 'bgr';
        break;
      case 'layout':
        spec.layout = word(v) as 'nchw' | 'nhwc';
        break;
      case 'normalize':
        for (let i = 0; i < o.values.length; i++) {
          const w = word(o.values[i]);
          if (w === 'mean') spec.mean = nums(o.values[++i], 'normalize mean');
          else if (w === 'std') spec.std = nums(o.values[++i], 'normalize std');
        }
        break;
    }
  }
  return spec;
}

function target(s: Extract<Statement, { kind: 'target' }>): TargetSpec {
  const metric = s.metric as TargetMetric;
  const where = at(s.span);
  const text = `target ${s.metric} ${s.op} ${valueText(s.value)}`;
  if (s.value.kind === 'range') {
    throw new UserError(`${where}: ${text}: searching ranges is not implemented yet`, 'give a single value');
  }
  const v = s.value;
  if (v.kind !== 'number') throw new UserError(`${where}: ${text}: the value must be a number`);
  const pct = v.unit === '%';
  let value = v.value;
  let relative = false;
  if (metric === 'agreement' || metric === 'cosine') value = pct ? v.value / 100 : v.value;
  else if (pct && (metric === 'size' || metric === 'params' || metric === 'flops')) {
    value = v.value / 100;
    relative = true;
  }
  return { metric, op: s.op, value, relative, text, where };
}

export function settingsOf(statements: Statement[]): Settings {
  const out: Settings = { cleanup: true, format: 'onnx', inputs: [], targets: [] };
  for (const s of statements) {
    if (s.kind === 'recipe') out.name = s.name;
    else if (s.kind === 'cleanup') out.cleanup = s.mode !== 'none';
    else if (s.kind === 'model')
      for (const i of s.inputs) out.inputs.push({ name: i.name, dtype: i.dtype, dims: i.dims });
    else if (s.kind === 'calibrate') out.calibration = calibration(s);
    else if (s.kind === 'target') out.targets.push(target(s));
    else if (s.kind === 'output') {
      const opset = option(s.options, 'opset');
      if (opset) out.opset = num(opset.values[0], 'opset');
      const format = word(option(s.options, 'format')?.values[0]);
      if (format === 'sqz' || format === 'onnx') out.format = format;
    }
  }
  return out;
}
