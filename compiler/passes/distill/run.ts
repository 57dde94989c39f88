// One training statement on a compressed model, as one callable step: the trainable view (structure
// kept, view.ts), the losses (teacher outputs and hints, or labels), the training loop, the trained
// weights written back (codes quantized again), agreement with the teacher before and after, and
// the report section. No file I/O: data, teacher and labels come through the host.

import { diag } from '../../../dsl/diagnostics.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import { FidelityMeter } from '../../fidelity/metrics.ts';
import type { TeacherAgreement, TrainingReport } from '../../report/types.ts';
import { augmentation } from '../../train/loop/augment.ts';
import { type Augment, type DataSource, type Label, splitIndices } from '../../train/loop/data.ts';
import { type TrainHistory, TrainingDivergedError, train } from '../../train/loop/train.ts';
import type { LossTerm } from '../../train/loss/terms.ts';
import { type RunnerFactory, squishRunner } from '../../train/runner.ts';
import { DataProblem } from './data.ts';
import type { TrainingSettings } from './options.ts';
import { type TrainedNode, type TrainingView, trainingView, writeBack } from './view.ts';

/** What a training run needs besides the model and the statement. */
export interface TrainingInputs {
  data: DataSource;
  labels?: Label[];
  teacher?: Model;
  /** The model agreement is measured against when there is no teacher (finetune): the original. */
  reference: Model;
  augment?: Augment;
  runner?: RunnerFactory;
  /** Weights that cannot train and stay frozen. */
  warn?: (line: string) => void;
  /** A progress line every `every` steps. */
  status?: (line: string) => void;
  progress?: (done: number, total: number) => void;
}

/** Most samples the agreement figures use when nothing is held back. */
const AGREEMENT_SAMPLES = 64;

function withLabels(data: DataSource, labels: Label[] | undefined): DataSource {
  if (!labels) return data;
  return {
    size: data.size,
    get: async (i) => ({ ...(await data.get(i)), label: labels[i] }),
  };
}

/** Values of `model` whose names match a glob (`*` any run, `?` one character). */
export function valuesMatching(model: Model, glob: string): string[] {
  const re = new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  const g = model.graph;
  return g
    .valueNames()
    .filter(
      (v) => re.test(v) && !g.initializers.has(v) && !g.isInput(v) && g.producer(v)?.opType !== 'Constant',
    );
}

/** The loss terms of a statement on a model. */
export function lossTerms(settings: TrainingSettings, model: Model): LossTerm[] {
  const outputs = model.graph.outputs.map((o) => o.name);
  if (settings.kind === 'finetune') return [{ kind: settings.loss, value: outputs[0], target: 'label' }];
  const terms: LossTerm[] = outputs.map((value) => ({
    kind: settings.loss,
    value,
    target: 'teacher',
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
  }));
  for (const h of settings.hints)
    for (const value of valuesMatching(model, h.glob))
      terms.push({ kind: h.loss, value, target: 'teacher', weight: h.weight });
  return terms;
}

/** Agreement of two models' outputs on some samples, each run alone. */
async function agreement(
  runner: RunnerFactory,
  student: Model,
  teacher: Model,
  data: DataSource,
  indices: readonly number[],
): Promise<TeacherAgreement> {
  const [s, t] = [await runner(student), await runner(teacher)];
  const outputs = student.graph.outputs.map((o) => o.name);
  const meter = new FidelityMeter();
  try {
    for (const i of indices) {
      const feeds = (await data.get(i)).inputs;
      const [a, b] = [await t.run(feeds), await s.run(feeds)];
      const pick = (r: Record<string, Tensor>) => Object.fromEntries(outputs.map((o) => [o, r[o]!]));
      meter.add(pick(a), pick(b));
    }
  } finally {
    await s.release();
    await t.release();
  }
  const f = meter.result();
  return {
    top1: f.agreement,
    cosine_mean: f.cosine_mean,
    snr_db: Number.isFinite(f.snr_db) ? f.snr_db : null,
  };
}

/**
 * AdamW moves every element by about the learning rate a step, whatever its size: weights whose RMS
 * is below the peak lr (a conv whose folded BatchNormalization scaled it down to ~1e-4, as det's head)
 * change by more than their own size within a few steps and the model collapses. Names them.
 */
export function tinyWeights(view: TrainingView, settings: TrainingSettings): string | undefined {
  if (settings.optimizer.kind !== 'adamw') return undefined;
  const lr = settings.optimizer.lr;
  const g = view.model.graph;
  const layers = new Set(view.nodes);
  /** The selected layer a weight feeds (through a codebook Gather or a fake quantizer). */
  const layerOf = (value: string): string => {
    let frontier = [value];
    for (let depth = 0; depth < 8 && frontier.length; depth++) {
      const next: string[] = [];
      for (const v of frontier)
        for (const n of g.consumers(v)) {
          if (layers.has(n.name)) return n.name;
          next.push(...n.outputs);
        }
      frontier = next;
    }
    return value;
  };
  const small: [string, number][] = [];
  for (const name of view.trainable) {
    const d = g.constant(name)?.data as Float32Array | undefined;
    if (!d?.length) continue;
    let sq = 0;
    for (let i = 0; i < d.length; i++) sq += d[i]! * d[i]!;
    const rms = Math.sqrt(sq / d.length);
    if (rms > 0 && rms < lr) small.push([name, rms]);
  }
  if (!small.length) return undefined;
  small.sort((a, b) => a[1] - b[1]);
  const named = small
    .slice(0, 3)
    .map(([n, r]) => `${layerOf(n)} ('${n}', RMS ${r.toExponential(1)})`)
    .join(', ');
  const many = small.length > 1;
  return `${small.length} trained weight${many ? 's are' : ' is'} smaller than lr ${lr}: ${named}${small.length > 3 ? ', …' : ''} — AdamW moves each element by about lr a step, so ${many ? 'they' : 'it'} can change by more than ${many ? 'their' : 'its'} own size within a few steps; leave ${many ? 'those layers' : 'that layer'} out of the statement (\`of … where name != "…"\`) or lower lr`;
}

/** One point every `every` steps: the mean loss of those steps, the rate, the held-back loss. */
function lossCurve(h: TrainHistory, every: number): TrainingReport['loss_curve'] {
  const held = new Map(h.evals.map((e) => [e.step, e.loss]));
  const out: TrainingReport['loss_curve'] = [];
  for (let end = every; end - every < h.loss.length; end += every) {
    const last = Math.min(end, h.loss.length);
    const part = h.loss.slice(end - every, last);
    const point: TrainingReport['loss_curve'][number] = {
      step: last,
      loss: part.reduce((a, b) => a + b, 0) / part.length,
      lr: h.lr[last - 1]!,
    };
    const e = held.get(last);
    if (e !== undefined) point.held_back_loss = e;
    out.push(point);
  }
  return out;
}

/**
 * Train the named nodes of `model` (in place) by one statement. Bad input and divergence throw a
 * DataProblem located at the statement.
 */
export async function trainStatement(
  model: Model,
  settings: TrainingSettings,
  nodes: ReadonlyMap<string, TrainedNode>,
  inputs: TrainingInputs,
): Promise<TrainingReport> {
  const started = performance.now();
  const runner = inputs.runner ?? squishRunner();
  const view: TrainingView = trainingView(model, nodes);
  for (const line of view.skipped) inputs.warn?.(`${settings.kind} (${settings.from}): ${line}`);
  const tiny = tinyWeights(view, settings);
  if (tiny) inputs.warn?.(`${settings.kind} (${settings.from}): ${tiny}`);
  const data = withLabels(inputs.data, inputs.labels);
  const { held } = splitIndices(data.size, settings.holdout, settings.seed);
  const measuredOn = held.length ? 'held-back' : 'training';
  const probe = held.length
    ? held.slice(0, AGREEMENT_SAMPLES)
    : Array.from({ length: Math.min(AGREEMENT_SAMPLES, data.size) }, (_, i) => i);
  const reference = inputs.teacher ?? inputs.reference;
  const before = await agreement(runner, model, reference, data, probe);
  const terms = lossTerms(settings, view.model);
  let last = 0;
  const name = settings.kind;
  const at = settings.phase ? `${settings.from}, ${settings.phase}` : settings.from;
  let result: Awaited<ReturnType<typeof train>>;
  try {
    result = await train(view.model, {
      data,
      loss: terms,
      ...(inputs.teacher ? { teacher: inputs.teacher } : {}),
      steps: settings.steps,
      batch: settings.batch,
      optimizer: settings.optimizer,
      schedule: settings.schedule,
      ...(settings.clip !== undefined ? { clip: settings.clip } : {}),
      weights: view.trainable,
      masks: view.masks,
      holdout: settings.holdout,
      evalEvery: settings.every,
      ...(settings.patience !== undefined ? { patience: settings.patience } : {}),
      seed: settings.seed,
      ...(inputs.augment ? { augment: inputs.augment } : {}),
      runner,
      onProgress: (p) => {
        inputs.progress?.(p.step, p.steps);
        if (p.step - last < settings.every && p.step !== p.steps) return;
        last = p.step;
        const held = p.evalLoss === undefined ? '' : `  held-back ${p.evalLoss.toPrecision(4)}`;
        inputs.status?.(
          `${name} (${at}) step ${p.step}/${p.steps}  loss ${p.loss.toPrecision(4)}${held}  lr ${p.lr.toExponential(2)}  ${p.stepsPerSecond.toFixed(2)} steps/s  ${Math.round(p.secondsLeft)} s left`,
        );
      },
    });
  } catch (e) {
    if (e instanceof TrainingDivergedError)
      throw new DataProblem(diag('SQ414', settings.statement.keywordSpan, e.message, e.help));
    throw e;
  }
  writeBack(view, result.model, model);
  const after = await agreement(runner, model, reference, data, probe);
  const h = result.history;
  return {
    kind: settings.kind,
    from: settings.from,
    ...(settings.phase ? { phase: settings.phase } : {}),
    ...(settings.teacher ? { teacher: settings.teacher.file ?? 'original' } : {}),
    loss: terms.length > 1 ? `${settings.loss} + ${terms.length - 1} hint term(s)` : settings.loss,
    steps: h.steps,
    steps_planned: settings.steps,
    stopped: h.stopped,
    kept_step: h.kept,
    batch: h.batch,
    samples: data.size,
    held_back: held.length,
    every: settings.every,
    loss_curve: lossCurve(h, settings.every),
    time_ms: Math.round(performance.now() - started),
    runner: h.runner,
    trained_layers: view.nodes,
    frozen_layers: 0,
    weights: view.counts,
    agreement: { measured_on: measuredOn, samples: probe.length, before, after },
  };
}

/** The augmentation of the calibrate block, when it asks for one. */
export function augmentOf(spec: Parameters<typeof augmentation>[0] | undefined, layout?: 'nchw' | 'nhwc') {
  return spec ? augmentation(spec, layout) : undefined;
}
