// Conformance cases — Resize (opset 10–13, nearest/linear, coordinate modes) and Upsample.

import { type CaseDef, f, fv, i64 } from './types.ts';

export const RESIZE: CaseDef[] = [
  {
    op: 'Resize',
    name: 'nearest asymmetric floor x2 (det form)',
    opset: 11,
    attrs: {
      mode: { s: 'nearest' },
      coordinate_transformation_mode: { s: 'asymmetric' },
      nearest_mode: { s: 'floor' },
    },
    inputs: [f(1, 2, 3, 4), fv([], [0]), fv([1, 1, 2, 2])],
  },
  {
    op: 'Resize',
    name: 'nearest half_pixel round_prefer_floor downscale',
    opset: 13,
    attrs: { mode: { s: 'nearest' } },
    inputs: [f(1, 1, 8, 6), null, fv([1, 1, 0.5, 0.5])],
  },
  {
    op: 'Resize',
    name: 'nearest round_prefer_ceil x3',
    opset: 13,
    attrs: { mode: { s: 'nearest' }, nearest_mode: { s: 'round_prefer_ceil' } },
    inputs: [f(1, 1, 2, 3), null, fv([1, 1, 3, 3])],
  },
  {
    op: 'Resize',
    name: 'nearest ceil, sizes',
    opset: 13,
    attrs: { mode: { s: 'nearest' }, nearest_mode: { s: 'ceil' } },
    inputs: [f(1, 2, 4, 5), null, null, i64([1, 2, 7, 3])],
  },
  {
    op: 'Resize',
    name: 'linear half_pixel sizes',
    opset: 13,
    attrs: { mode: { s: 'linear' } },
    inputs: [f(1, 2, 4, 5), null, null, i64([1, 2, 7, 9])],
  },
  {
    op: 'Resize',
    name: 'linear align_corners',
    opset: 13,
    attrs: { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'align_corners' } },
    inputs: [f(1, 1, 3, 4), null, fv([1, 1, 2, 1.5])],
  },
  {
    op: 'Resize',
    name: 'linear pytorch_half_pixel downscale',
    opset: 13,
    attrs: { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'pytorch_half_pixel' } },
    inputs: [f(1, 1, 8, 9), null, null, i64([1, 1, 3, 4])],
  },
  {
    op: 'Resize',
    name: 'linear asymmetric x2',
    opset: 11,
    attrs: { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'asymmetric' } },
    inputs: [f(1, 2, 3, 3), fv([], [0]), fv([1, 1, 2, 2])],
  },
  {
    op: 'Resize',
    name: 'opset 10 nearest',
    opset: 10,
    attrs: { mode: { s: 'nearest' } },
    inputs: [f(1, 1, 3, 2), fv([1, 1, 2, 3])],
  },
  {
    op: 'Resize',
    name: 'opset 10 linear',
    opset: 10,
    attrs: { mode: { s: 'linear' } },
    inputs: [f(1, 1, 3, 2), fv([1, 1, 2, 2])],
  },
  {
    op: 'Upsample',
    name: 'opset 9 nearest',
    opset: 9,
    attrs: { mode: { s: 'nearest' } },
    inputs: [f(1, 2, 2, 3), fv([1, 1, 2, 2])],
  },
  {
    op: 'Upsample',
    name: 'opset 7 scales attribute, linear',
    opset: 7,
    attrs: { mode: { s: 'linear' }, scales: { floats: [1, 1, 2, 2] } },
    inputs: [f(1, 1, 3, 3)],
  },
];
