// Calibration data from a recipe's `calibrate { … }`: images (decoded by the host), .npy tensors,
// or seeded random tensors shaped like the model's inputs. Paths are relative to the recipe file.

import type { Span } from '../../dsl/span.ts';
import { UserError } from '../../runtime/errors.ts';
import { defaultMaxMemoryBytes, formatBytes, typeBytes } from '../../runtime/exec/budget.ts';
import type { DType } from '../../runtime/ir/dtype.ts';
import { makeTensor, sizeOf, type Tensor } from '../../runtime/ir/tensor.ts';
import { parseNpy } from '../../runtime/npy.ts';
import type { Task } from '../fidelity/task.ts';
import type { AugmentSpec } from '../train/loop/augment.ts';
import type { Host } from './host.ts';
import { normal, rng, shuffled } from './random.ts';

export interface CalibrationSpec {
  source: 'images' | 'tensors' | 'random';
  glob?: string;
  samples?: number;
  resize?: [width: number, height: number];
  mean?: number[];
  std?: number[];
  channels?: 'rgb' | 'bgr';
  layout?: 'nchw' | 'nhwc';
  /** How `resize` treats the aspect ratio (default fill: stretch). */
  fit?: 'fill' | 'pad';
  seed?: number;
  /** Random variants of each sample that training steps see (calibrate's `augment { … }`). */
  augment?: AugmentSpec;
  /** Share of the samples held apart from every fitting step, 0..1 (default 0.25, see split.ts). */
  holdout?: number;
  /** The model's task, which picks the fidelity metric (default: from the outputs). */
  task?: Task;
  /** Binarization threshold of segment maps (default 0.3). */
  threshold?: number;
  /** Random data may back an agreement target (`calibrate { random  trust }`). */
  trust?: boolean;
  /** The recipe file the block came from (paths are relative to it) and where (file:line:col), for messages. */
  file: string;
  where?: string;
  /** Spans of the calibrate keyword and of the glob, for diagnostics. */
  span?: Span;
  globSpan?: Span;
}

/** Why calibration data cannot be used, and where in the recipe (the glob, or the block). */
export interface CalibrationProblem {
  message: string;
  help?: string;
  span?: Span;
}

/** A model input as the data loader needs it (dynamic dims may be pinned by `model { input … }`). */
export interface InputSpec {
  name: string;
  dtype: DType;
  shape: (number | string)[] | undefined;
}

export type Sample = Record<string, Tensor>;

const DEFAULT_RANDOM_SAMPLES = 8;

function isFixed(shape: InputSpec['shape']): shape is number[] {
  return !!shape && shape.every((d) => typeof d === 'number' && d >= 0);
}

function imageInputs(inputs: InputSpec[]): InputSpec[] {
  return inputs.filter((i) => i.shape?.length === 4 && (i.dtype === 'float32' || i.dtype === 'float64'));
}

/** Why this model cannot take this calibration data (known before any file is read), or undefined. */
export function calibrationMismatch(
  spec: CalibrationSpec,
  inputs: InputSpec[],
): CalibrationProblem | undefined {
  const span = spec.span;
  if (spec.source === 'random') {
    const input = inputs.find((i) => !isFixed(i.shape));
    if (!input) return undefined;
    return {
      message: `random calibration data needs a fixed shape for input ${input.name} (it is [${(input.shape ?? ['?']).join(', ')}])`,
      help: `pin it in the recipe, model { input ${input.name}: ${input.dtype}[1, 3, 48, 192] }, or on the command line, --shape ${input.name}=1x3x48x192`,
      span,
    };
  }
  if (spec.source === 'tensors' && inputs.length !== 1)
    return {
      message: `tensors calibration feeds a single-input model; this model has ${inputs.length} inputs`,
      span,
    };
  const images = imageInputs(inputs).length;
  if (spec.source === 'images' && images !== 1)
    return {
      message: `images calibration needs exactly one 4-D float input, the model has ${images}`,
      help: 'use tensors "…/*.npy" or random instead',
      span,
    };
  return undefined;
}

/** The files a calibrate block reads (in seeded order, the first `samples`), or why there are none. */
export async function calibrationFiles(
  spec: CalibrationSpec,
  host: Host,
): Promise<string[] | CalibrationProblem> {
  const files = await host.glob(spec.file, spec.glob ?? '');
  if (files.length === 0)
    return {
      message: `${spec.source} "${spec.glob}" matches no file (relative to ${spec.file})`,
      help: 'paths in calibrate are relative to the recipe file; check the glob',
      span: spec.globSpan ?? spec.span,
    };
  const ordered = spec.seed === undefined ? files : shuffled(files, rng(spec.seed));
  return ordered.slice(0, spec.samples ?? ordered.length);
}

/** Random samples are made up front: refuse sizes past the memory budget before allocating. */
function checkRandomSize(inputs: InputSpec[], shapes: number[][], samples: number, where: string): void {
  const one = inputs.reduce((a, inp, k) => a + (typeBytes({ dtype: inp.dtype, shape: shapes[k] }) ?? 0), 0);
  const limit = defaultMaxMemoryBytes();
  if (one * samples > limit) {
    throw new UserError(
      `${where}: ${samples} random samples of ${inputs.map((inp, k) => `${inp.name} [${shapes[k]!.join(', ')}]`).join(', ')} take ${formatBytes(one * samples)}, more than the memory budget of ${formatBytes(limit)}`,
      'pin a smaller input shape (model { input … } or --shape), use fewer samples, or raise --max-memory',
    );
  }
}

function randomTensor(input: InputSpec, dims: number[], draw: () => number): Tensor {
  const t = makeTensor(input.dtype, dims);
  const n = sizeOf(dims);
  const d = t.data;
  if (d instanceof Float32Array || d instanceof Float64Array) for (let i = 0; i < n; i++) d[i] = draw();
  else if (d instanceof BigInt64Array)
    for (let i = 0; i < n; i++) d[i] = BigInt(Math.floor(Math.abs(draw()) * 4));
  else if (!Array.isArray(d))
    for (let i = 0; i < n; i++) (d as Int32Array)[i] = Math.floor(Math.abs(draw()) * 4);
  return t;
}

/** Load (or generate) the calibration samples: one feeds record per sample. */
export async function loadCalibration(
  spec: CalibrationSpec,
  inputs: InputSpec[],
  host: Host,
): Promise<Sample[]> {
  const where = spec.where ?? spec.file;
  const problem = calibrationMismatch(spec, inputs);
  if (problem) throw new UserError(`${where}: ${problem.message}`, problem.help);
  if (spec.source === 'random') {
    const draw = normal(rng(spec.seed ?? 0));
    const shapes = inputs.map((i) => i.shape as number[]);
    checkRandomSize(inputs, shapes, spec.samples ?? DEFAULT_RANDOM_SAMPLES, where);
    const out: Sample[] = [];
    for (let s = 0; s < (spec.samples ?? DEFAULT_RANDOM_SAMPLES); s++) {
      const feeds: Sample = {};
      inputs.forEach((inp, k) => {
        feeds[inp.name] = randomTensor(inp, shapes[k], draw);
      });
      out.push(feeds);
    }
    return out;
  }
  const files = await calibrationFiles(spec, host);
  if (!Array.isArray(files)) {
    const at = files.span ? `${files.span.file}:${files.span.line}:${files.span.column}` : where;
    throw new UserError(`${at}: ${files.message}`, files.help);
  }
  const load = sampleLoader(spec, inputs, host);
  const out: Sample[] = [];
  for (const f of files) out.push(await load(f));
  return out;
}

/** Reads one file of an images/tensors spec as a sample (the same preprocessing as loadCalibration). */
export function sampleLoader(
  spec: CalibrationSpec,
  inputs: InputSpec[],
  host: Host,
): (file: string) => Promise<Sample> {
  const where = spec.where ?? spec.file;
  if (spec.source === 'tensors')
    return async (f) => ({ [inputs[0].name]: parseNpy(await host.readFile(f), f) });
  const input = imageInputs(inputs)[0]!;
  const loadImage = host.loadImage?.bind(host);
  if (!loadImage) throw new UserError(`${where}: this host cannot decode images`, 'use tensors or random');
  const nhwc = spec.layout === 'nhwc';
  const shape = input.shape ?? [];
  const fixedH = shape[nhwc ? 1 : 2];
  const fixedW = shape[nhwc ? 2 : 3];
  const [width, height] =
    spec.resize ??
    (typeof fixedH === 'number' && typeof fixedW === 'number' && fixedH > 0
      ? [fixedW, fixedH]
      : [undefined, undefined]);
  return async (f) => ({
    [input.name]: await loadImage(f, {
      width,
      height,
      fit: width ? (spec.fit ?? 'fill') : 'none',
      mean: spec.mean,
      std: spec.std,
      channels: spec.channels ?? 'rgb',
      layout: spec.layout ?? 'nchw',
    }),
  });
}
