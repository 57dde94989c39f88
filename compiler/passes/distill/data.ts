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

/** Files of an images/tensors spec but those held apart, read lazily. */
async function lazyFiles(
  spec: CalibrationSpec,
  inputs: InputSpec[],
  host: Host,
  heldApart: ReadonlySet<string>,
): Promise<TrainingData> {
  const found = await calibrationFiles(spec, host);
  if (!Array.isArray(found)) fail('SQ408', found.span ?? spec.span!, found.message, found.help);
  const files = found.filter((f) => !heldApart.has(f));
  if (files.length === 0)
    fail(
      'SQ322',
      spec.globSpan ?? spec.span!,
      `every file of "${spec.glob}" is held apart from training to measure fidelity`,
      'give the statement more files (data { … }), or hold fewer apart (calibrate { holdout … })',
    );
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
 * the calibrate block's files when labels name them). Files held apart for fidelity (`heldApart`)
 * never train, whichever spec names them.
 */
export async function trainingData(
  settings: TrainingSettings,
  calibration: readonly Sample[] | undefined,
  inputs: InputSpec[],
  host: Host,
  calibrationSpec?: CalibrationSpec,
  heldApart: ReadonlySet<string> = new Set(),
): Promise<TrainingData> {
  const labelled = settings.labels && calibrationSpec && calibrationSpec.source !== 'random';
  const spec = settings.data ?? (labelled ? calibrationSpec : undefined);
  if (spec) {
    if (spec.source === 'random') {
      const samples = await loadCalibration(spec, inputs, host);
      return { source: { size: samples.length, get: (i) => ({ inputs: samples[i]! }) } };
    }
    return lazyFiles(spec, inputs, host, heldApart);
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

/** A labels file read: input file (resolved) → the label as written; the file's own path. */
export interface LabelRows {
  byFile: Map<string, string>;
  path: string;
}

/** The rows of a labels file (tab-separated input file → label; paths relative to the labels file;
 * a header row `file<TAB>…` is skipped). */
export async function readLabelRows(
  labels: { file: string; span: Span },
  from: string,
  host: Host,
): Promise<LabelRows> {
  const span = labels.span;
  const path = host.resolve(from, labels.file);
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
  return { byFile, path };
}

/** The label of each file, in order; `help` says why every one needs a label. */
export async function labelsOf(
  labels: { file: string; span: Span },
  rows: LabelRows,
  files: readonly string[],
  host: Host,
  help: string,
): Promise<Label[]> {
  const out: Label[] = [];
  for (const file of files) {
    const raw = rows.byFile.get(file);
    if (raw === undefined) fail('SQ412', labels.span, `"${labels.file}" has no label for ${file}`, help);
    const label = await parseLabel(raw, () => host.readFile(host.resolve(rows.path, raw.trim())));
    if (label === undefined)
      fail(
        'SQ412',
        labels.span,
        `"${labels.file}": the label of ${file} is '${raw}'`,
        'a label is a class index, class indices separated by spaces (ctc), or a .npy file',
      );
    out.push(label);
  }
  return out;
}

/**
 * Labels for the training files from a tab-separated file (see readLabelRows). Every training file
 * needs a label and every row must name a file that exists.
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
  const rows = await readLabelRows(labels, settings.statement.span.file, host);
  const known = new Set(data.files);
  for (const file of rows.byFile.keys()) {
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
  return labelsOf(labels, rows, data.files, host, 'give every training file a label');
}
