// Reading `quantize weights` / `quantize activations` options from the plan (checked by the statement table).

import { findOption, wordOf } from '../../../dsl/table/index.ts';
import { hasOption, numberOf, numberOption, wordOption } from '../../plan/options.ts';
import type { PlannedAction } from '../../plan/plan.ts';
import type { CalibrationMethod } from './calibrate.ts';

export interface WeightSettings {
  perChannel: boolean;
  /** 8 (int8), 4 (int4, opset 21), 2 (2-bit codes stored as int8). */
  bits?: 8 | 4 | 2;
  /** Blocked along the reduction axis (DequantizeLinear block_size, opset 21). */
  group?: number;
  symmetric: boolean;
  /** gptq: Hessian-compensated rounding on calibration data (per-channel or group N). */
  method: 'minmax' | 'mse' | 'gptq';
  /** binary: ±α per channel; ternary: {−α, 0, α} per channel (stored int8 per-axis). */
  kind?: 'uniform' | 'binary' | 'ternary';
  from: string;
}

/** Reads one `quantize weights` action (checked by the statement table). */
export function weightSettings(a: PlannedAction): WeightSettings {
  const st = a.statement;
  const method = (wordOption(st, 'method') ?? 'minmax') as WeightSettings['method'];
  const bits = numberOption(st, 'bits') as 8 | 4 | 2 | undefined;
  const group = numberOption(st, 'group');
  const kind = hasOption(st, 'binary') ? 'binary' : hasOption(st, 'ternary') ? 'ternary' : undefined;
  return {
    perChannel: hasOption(st, 'per-channel'),
    symmetric: !hasOption(st, 'asymmetric'),
    method,
    from: a.from,
    ...(bits !== undefined ? { bits } : {}),
    ...(group !== undefined ? { group } : {}),
    ...(kind ? { kind } : {}),
  };
}

export interface ActivationSettings {
  bits: 8 | 16;
  /** Default unsigned: u8 activations with s8 weights is onnxruntime's fast x64 path (QLinearConv u8s8). */
  signed: boolean;
  method: CalibrationMethod;
  from: string;
}

/** Reads one `quantize activations` action (defaults: bits 8, unsigned, calibration minmax). */
export function activationSettings(a: PlannedAction): ActivationSettings {
  const st = a.statement;
  const calibration = findOption(st.options, 'calibration');
  const m = wordOf(calibration?.values[0]) ?? 'minmax';
  return {
    bits: (numberOption(st, 'bits') ?? 8) as 8 | 16,
    signed: hasOption(st, 'signed'),
    method:
      m === 'percentile'
        ? { kind: 'percentile', p: numberOf(calibration!.values[1])! }
        : { kind: m as 'minmax' | 'entropy' | 'mse' },
    from: a.from,
  };
}
