// The data a training statement learns from: its own `data { … }` files, read lazily (decoded samples
// kept up to a memory budget), or the calibration samples; and, for finetune, the labels file
// (input file → class index, label sequence, or .npy tensor), every row checked against the data.

import { type Diagnostic, diag } from '../../../dsl/diagnostics.ts';
import type { Span } from '../../../dsl/span.ts';
import { sizeOf } from '../../../runtime/ir/tensor.ts';
import { parseNpy } from '../../../runtime/npy.ts';
import {
  type CalibrationSpec,
  calibrationFiles,
  type InputSpec,
  loadCalibration,
  type Sample,
  sampleLoader,
} from '../../data/calibration.ts';
import type { Host } from '../../data/host.ts';
import type { DataSource, Label } from '../../train/loop/data.ts';
import type { TrainingSettings } from './options.ts';

/** Decoded samples kept in memory; past it, files are decoded again when a step needs them. */
const CACHE_BYTES = 256 * 2 ** 20;

export interface TrainingData {
  source: DataSource;
  /** The files behind the samples (undefined for calibration samples or random data). */
  files?: string[];
}

/** A problem found while reading the data or labels: where in the recipe, and what. */
export class DataProblem extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

function fail(code: Parameters<typeof diag>[0], span: Span, message: string, help?: string): never {
  throw new DataProblem(diag(code, span, message, help));
}

/** Files of an images/tensors spec, read lazily. */
async function lazyFiles(spec: CalibrationSpec, inputs: InputSpec[], host: Host): Promise<TrainingData> {
  const files = await calibrationFiles(spec, host);
  if (!Array.isArray(files)) fail('SQ408', files.span ?? spec.span!, files.message, files.help);
  const load = sampleLoader(spec, inputs, host);
  const cache = new Map<number, Sample>();
  let bytes = 0;
  return {
    files,
    source: {
      size: files.length,
      async get(i) {
        const hit = cache.get(i);
        if (hit) return { inputs: hit };
        const s = await load(files[i]!);
        const size = Object.values(s).reduce((n, t) => n + sizeOf(t.dims) * 4, 0);
        if (bytes + size <= CACHE_BYTES) {
          cache.set(i, s);
          bytes += size;
        }
        return { inputs: s };
      },
    },
  };
}

/**
 * The training samples of a statement: `data { … }`, else the calibration samples (read again from
 * the calibrate block's files when labels name them).
 */
export async function trainingData(
  settings: TrainingSettings,
  calibration: readonly Sample[] | undefined,
  inputs: InputSpec[],
  host: Host,
  calibrationSpec?: CalibrationSpec,
): Promise<TrainingData> {
  const labelled = settings.labels && calibrationSpec && calibrationSpec.source !== 'random';
  const spec = settings.data ?? (labelled ? calibrationSpec : undefined);
  if (spec) {
    if (spec.source === 'random') {
      const samples = await loadCalibration(spec, inputs, host);
      return { source: { size: samples.length, get: (i) => ({ inputs: samples[i]! }) } };
    }
    return lazyFiles(spec, inputs, host);
  }
  if (!calibration?.length)
    fail(
      'SQ322',
      settings.statement.keywordSpan,
      `${settings.kind} has no training data`,
      'add data { images "…" } to the statement, or a calibrate block',
    );
  return { source: { size: calibration.length, get: (i) => ({ inputs: calibration[i]! }) } };
}

/** The label of one row: a class index, a sequence of class indices, or a .npy tensor. */
async function parseLabel(text: string, resolve: () => Promise<Uint8Array>): Promise<Label | undefined> {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  if (/^\d+([\s,]+\d+)*$/.test(t)) return t.split(/[\s,]+/).map(Number);
  if (t.endsWith('.npy')) return parseNpy(await resolve(), t);
  return undefined;
}

/**
 * Labels for the training files from a tab-separated file (input file → label; paths relative to
 * the labels file; a header row `file<TAB>…` is skipped). Every training file needs a label and every
 * row must name a file that exists.
 */
export async function readLabels(
  settings: TrainingSettings,
  data: TrainingData,
  host: Host,
): Promise<Label[]> {
  const labels = settings.labels!;
  const span = labels.span;
  if (!data.files)
    fail(
      'SQ412',
      span,
      'labels need training files to label',
      'give the statement data { images "…" } (or a calibrate block with images or tensors)',
    );
  const path = host.resolve(settings.statement.span.file, labels.file);
  let text: string;
  try {
    text = new TextDecoder().decode(await host.readFile(path));
  } catch (e) {
    fail('SQ412', span, `cannot read labels "${labels.file}": ${(e as Error).message}`);
  }
  const byFile = new Map<string, string>();
  const rows = text.split(/\r?\n/).filter((r) => r.trim());
  for (const [k, row] of rows.entries()) {
    const tab = row.indexOf('\t');
    if (tab < 0)
      fail('SQ412', span, `"${labels.file}" line ${k + 1} has no tab`, 'each line is FILE<TAB>LABEL');
    const name = row.slice(0, tab);
    if (k === 0 && /^(file|path|image|input)$/i.test(name)) continue;
    byFile.set(host.resolve(path, name), row.slice(tab + 1));
  }
  const known = new Set(data.files);
  for (const file of byFile.keys()) {
    if (known.has(file)) continue;
    const exists = await host.readFile(file).then(
      () => true,
      () => false,
    );
    if (!exists)
      fail(
        'SQ412',
        span,
        `"${labels.file}" labels ${file}, which does not exist`,
        'paths in a labels file are relative to the labels file',
      );
  }
  const out: Label[] = [];
  for (const file of data.files) {
    const raw = byFile.get(file);
    if (raw === undefined)
      fail('SQ412', span, `"${labels.file}" has no label for ${file}`, 'give every training file a label');
    const label = await parseLabel(raw, () => host.readFile(host.resolve(path, raw.trim())));
    if (label === undefined)
      fail(
        'SQ412',
        span,
        `"${labels.file}": the label of ${file} is '${raw}'`,
        'a label is a class index, class indices separated by spaces (ctc), or a .npy file',
      );
    out.push(label);
  }
  return out;
}
