// Reading `quantize weights` / `quantize activations` options from the plan; anything not implemented is a UserError.

import { UserError } from '../../../runtime/errors.ts';
import { num, option, word } from '../../plan/options.ts';
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

const FLAGS = new Set(['binary', 'ternary', 'per-channel', 'per-tensor', 'symmetric', 'asymmetric']);

/** Reads one `quantize weights` action; anything not implemented yet is a UserError. */
export function weightSettings(a: PlannedAction): WeightSettings {
  const s: WeightSettings = { perChannel: false, symmetric: true, method: 'minmax', from: a.from };
  for (const o of a.statement.options ?? []) {
    if (o.name === 'bits') {
      const b = num(option(a.statement.options, 'bits')?.values[0], 'bits');
      if (b !== 8 && b !== 4 && b !== 2) {
        throw new UserError(
          `${a.from}: quantize weights { bits ${b} }: bits must be 8, 4 or 2`,
          'write bits 8, 4 or 2',
        );
      }
      s.bits = b;
    } else if (o.name === 'group') {
      const gsz = num(o.values[0], 'group');
      if (!gsz || gsz < 1 || !Number.isInteger(gsz)) {
        throw new UserError(
          `${a.from}: quantize weights { group ${gsz} }: need a positive integer`,
          'e.g. group 32',
        );
      }
      s.group = gsz;
    } else if (o.name === 'method') {
      const m = word(o.values[0]);
      if (m !== 'minmax' && m !== 'mse' && m !== 'gptq') {
        throw new UserError(
          `${a.from}: quantize weights { method ${m} } is not known`,
          'use method minmax, mse or gptq',
        );
      }
      s.method = m;
    } else if (FLAGS.has(o.name)) {
      if (o.name === 'binary' || o.name === 'ternary') s.kind = o.name;
      if (o.name === 'per-channel') s.perChannel = true;
      if (o.name === 'per-tensor') s.perChannel = false;
      if (o.name === 'asymmetric') s.symmetric = false;
      if (o.name === 'symmetric') s.symmetric = true;
    } else {
      throw new UserError(
        `${a.from}: quantize weights { ${o.name} } is not implemented yet`,
        'remove it (implemented: bits 8|4|2, group N, binary, ternary, per-channel|per-tensor, symmetric|asymmetric, method minmax|mse|gptq)',
      );
    }
  }
  if (s.method === 'gptq' && (s.kind ?? 'uniform') !== 'uniform') {
    throw new UserError(
      `${a.from}: quantize weights { ${s.kind}  method gptq }: GPTQ is for bits 8|4|2`,
      'drop method gptq',
    );
  }
  if (s.method === 'gptq' && !s.perChannel && !s.group) {
    throw new UserError(
      `${a.from}: quantize weights { method gptq } is per output channel or per group`,
      'add per-channel or group N',
    );
  }
  return s;
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
  const s: ActivationSettings = { bits: 8, signed: false, method: { kind: 'minmax' }, from: a.from };
  for (const o of a.statement.options ?? []) {
    if (o.name === 'bits') {
      const b = num(o.values[0], 'bits');
      if (b !== 8 && b !== 16) {
        throw new UserError(
          `${a.from}: quantize activations { bits ${b} }: bits must be 8 or 16`,
          'write bits 8',
        );
      }
      s.bits = b;
    } else if (o.name === 'signed' || o.name === 'unsigned') {
      s.signed = o.name === 'signed';
    } else if (o.name === 'calibration') {
      const m = word(o.values[0]);
      if (m === 'percentile') {
        const p = num(o.values[1], 'calibration percentile');
        if (p === undefined || !(p > 0 && p <= 100)) {
          throw new UserError(
            `${a.from}: quantize activations { calibration percentile ${p ?? ''} }: need a percentile in (0, 100]`,
            'e.g. calibration percentile 99.99',
          );
        }
        s.method = { kind: 'percentile', p };
      } else if (m === 'minmax' || m === 'entropy' || m === 'mse') {
        s.method = { kind: m };
      } else {
        throw new UserError(
          `${a.from}: quantize activations { calibration ${m ?? '?'} } is not known`,
          'use calibration minmax, percentile P, entropy or mse',
        );
      }
    } else {
      throw new UserError(
        `${a.from}: quantize activations { ${o.name} } is not implemented`,
        'implemented: bits 8|16, signed|unsigned, calibration minmax|percentile P|entropy|mse',
      );
    }
  }
  return s;
}
