// The training passes: `distill` and `finetune` (action kinds of the statement table, after
// quantization). Before the cleanups a prepass reads the teacher, the data and the labels and checks
// them, so bad input stops the compile before any work; the pass trains the compressed model in place
// (run.ts) and adds a section to the report. Plan-time checks: the loss fits the outputs, hint globs
// name values.

import type { TableStatement } from '../../../dsl/ast.ts';
import { type Diagnostic, diag, renderDiagnostic } from '../../../dsl/diagnostics.ts';
import { nearest } from '../../../dsl/suggest.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import { type Dim, inferShapes } from '../../../runtime/ir/shape/index.ts';
import { cloneModel } from '../../../runtime/onnx/clone.ts';
import type { InputSpec } from '../../data/calibration.ts';
import { NO_FILES } from '../../data/host.ts';
import { type Pass, type PassContext, passData, passDataKey } from '../../engine/pass.ts';
import {
  registerEarlyPass,
  registerLossyCheck,
  registerLossyPass,
  registerLossyPrepass,
} from '../../plan/lower.ts';
import { stepsBeforeClustering, twoPhaseStatements } from '../../plan/phases.ts';
import type { Plan } from '../../plan/plan.ts';
import { RecipeError } from '../../plan/recipe.ts';
import type { DataSource, Label } from '../../train/loop/data.ts';
import { weightSettings } from '../quantize/options.ts';
import { DataProblem, readLabels, type TrainingData, trainingData } from './data.ts';
import { type TrainingSettings, trainingSettings } from './options.ts';
import { augmentOf, lossTerms, trainStatement, valuesMatching } from './run.ts';
import { loadTeacher, teacherMismatch } from './teacher.ts';
import { layerOf, type TrainedNode } from './view.ts';

export { type TrainingInputs, trainStatement } from './run.ts';

type TrainKind = 'distill' | 'finetune';

interface Prepared {
  teacher?: Model;
  data: TrainingData;
  labels?: Label[];
}

/** The model as the compile received it, and what each statement's prepass read. */
const PREPARED = passDataKey('training inputs', () => ({
  original: undefined as (() => Model) | undefined,
  byStatement: new Map<TableStatement, Prepared>(),
}));

const SPARSE = 'prune-sparse';

/**
 * The data and labels of the plan's first finetune statement with labels, once its prepass read them
 * (before the cleanups): prune's criterion taylor takes its loss against them.
 */
export function finetuneLabels(
  ctx: Pick<PassContext, 'data'>,
): { data: DataSource; labels: Label[] } | undefined {
  for (const [s, p] of passData(ctx, PREPARED).byStatement)
    if (s.kind === 'finetune' && p.labels) return { data: p.data.source, labels: p.labels };
  return undefined;
}

/** The statements of a kind in the plan, each with the layers it won. */
function statementsOf(plan: Plan, kind: TrainKind): { statement: TableStatement; layers: string[] }[] {
  const out = new Map<TableStatement, string[]>();
  for (const l of plan.layers)
    for (const a of l.actions)
      if (a.kind === kind) out.set(a.statement, [...(out.get(a.statement) ?? []), l.name]);
  return [...out].map(([statement, layers]) => ({ statement, layers }));
}

function inputSpecs(model: Model, plan: Plan): InputSpec[] {
  const g = model.graph;
  const pinned = (plan as { inputShapes?: Record<string, Dim[]> }).inputShapes ?? {};
  return g.inputs
    .filter((i) => !g.initializers.has(i.name))
    .map((i) => ({
      name: i.name,
      dtype: i.type?.dtype ?? 'float32',
      shape: pinned[i.name] ?? i.type?.shape,
    }));
}

/** A located problem as the compile reports recipe errors (file:line:col, code frame, help). */
function located(e: unknown, ctx: PassContext): unknown {
  if (!(e instanceof DataProblem)) return e;
  return new RecipeError([e.diagnostic], ctx.render ?? ((d) => renderDiagnostic(d)));
}

async function prepare(
  settings: TrainingSettings,
  model: Model,
  plan: Plan,
  ctx: PassContext,
  original: () => Model,
): Promise<Prepared> {
  const host = ctx.host ?? NO_FILES;
  const teacher = await loadTeacher(settings, original, host);
  const data = await trainingData(
    settings,
    ctx.samples,
    inputSpecs(model, plan),
    host,
    plan.settings.calibration,
    ctx.heldApartFiles,
  );
  const labels = settings.labels ? await readLabels(settings, data, host) : undefined;
  if (teacher && data.source.size > 0) {
    const first = (await data.source.get(0)).inputs;
    const shapes = Object.fromEntries(Object.entries(first).map(([k, t]) => [k, [...t.dims]]));
    const compared = [...new Set(lossTerms(settings, model).map((t) => t.value!))];
    const why = teacherMismatch(teacher, model, compared, shapes);
    if (why)
      throw new DataProblem(
        diag(
          'SQ411',
          settings.teacher!.span,
          `the teacher does not fit the model: ${why}`,
          'a teacher takes the model’s inputs and gives the values the losses compare, at the same shapes',
        ),
      );
  }
  return { ...(teacher ? { teacher } : {}), data, ...(labels ? { labels } : {}) };
}

function prepass(kind: TrainKind) {
  return (plan: Plan): Pass => ({
    name: `${kind}:prepare`,
    run: async (model, ctx) => {
      const state = passData(ctx, PREPARED);
      if (!state.original) {
        const snapshot = ctx.original ? undefined : cloneModel(model);
        state.original = ctx.original ?? (() => cloneModel(snapshot!));
      }
      const original = state.original;
      try {
        for (const { statement } of statementsOf(plan, kind))
          state.byStatement.set(
            statement,
            await prepare(trainingSettings(statement), model, plan, ctx, original),
          );
      } catch (e) {
        throw located(e, ctx);
      }
      return { changed: false };
    },
  });
}

/**
 * The trained nodes of a statement: its layers and their factorized parts, with what the plan says
 * (before clustering nothing is quantized yet: every weight trains as a float, masks kept).
 */
function trainedNodes(
  plan: Plan,
  layers: readonly string[],
  ctx: PassContext,
  phase: Phase,
): Map<string, TrainedNode> {
  const out = new Map<string, TrainedNode>();
  const byName = new Map(plan.layers.map((l) => [l.name, l]));
  for (const name of layers) {
    const l = byName.get(name);
    const quant = l?.actions.find((a) => a.kind === 'quantize-weights');
    const node: TrainedNode = {
      masked: !!l?.actions.some((a) => a.kind === SPARSE),
      ...(quant && phase === 'end' ? { quantized: weightSettings(quant) } : {}),
    };
    for (const n of [name, ...(ctx.parts?.get(name) ?? [])]) out.set(n, node);
  }
  return out;
}

/** Nodes with weights of more than one element that the statement leaves frozen. */
function frozenCount(model: Model, trained: ReadonlyMap<string, TrainedNode>): number {
  const g = model.graph;
  return g.nodes.filter(
    (n) =>
      !trained.has(layerOf(n)) &&
      n.opType !== 'Constant' &&
      !n.opType.startsWith('Quantize') &&
      !n.opType.startsWith('Dequantize') &&
      n.inputs.some((i) => i && (g.constant(i)?.data.length ?? 0) > 1 && g.constant(i)?.dtype === 'float32'),
  ).length;
}

/** Where a training pass runs: once at the end, or also before clustering (plan/phases.ts). */
type Phase = 'end' | 'before-clustering';

/** The statement's settings for a phase: its steps split, or undefined when it does not train in it. */
function phaseSettings(plan: Plan, statement: TableStatement, layers: string[], phase: Phase) {
  const settings = trainingSettings(statement);
  const early = stepsBeforeClustering(plan, layers, settings.steps);
  if (phase === 'before-clustering')
    return early
      ? {
          ...settings,
          steps: early,
          every: Math.min(settings.every, early),
          phase: 'before clustering' as const,
        }
      : undefined;
  return early
    ? { ...settings, steps: settings.steps - early, phase: 'after clustering' as const }
    : settings;
}

function trainingPass(kind: TrainKind, phase: Phase = 'end') {
  return (plan: Plan): Pass => ({
    name: phase === 'end' ? kind : `${kind}:${phase}`,
    run: async (model, ctx) => {
      const augment = augmentOf(plan.settings.calibration?.augment, plan.settings.calibration?.layout);
      for (const { statement, layers } of statementsOf(plan, kind)) {
        const settings = phaseSettings(plan, statement, layers, phase);
        if (!settings) continue;
        try {
          const state = passData(ctx, PREPARED);
          const original = state.original ?? ctx.original ?? (() => cloneModel(model));
          const prepared =
            state.byStatement.get(statement) ?? (await prepare(settings, model, plan, ctx, original));
          const nodes = trainedNodes(plan, layers, ctx, phase);
          const report = await trainStatement(model, settings, nodes, {
            data: prepared.data.source,
            ...(prepared.labels ? { labels: prepared.labels } : {}),
            ...(prepared.teacher ? { teacher: prepared.teacher } : {}),
            reference: prepared.teacher ?? original(),
            ...(augment ? { augment } : {}),
            ...(ctx.trainRunner ? { runner: ctx.trainRunner } : {}),
            ...(ctx.status ? { status: ctx.status } : {}),
            ...(ctx.warn ? { warn: ctx.warn } : {}),
            progress: (d, t) => ctx.progress?.(kind, d, t),
          });
          report.frozen_layers = frozenCount(model, nodes);
          (ctx.training ??= []).push(report);
          ctx.log?.(
            `${kind} (${settings.from})${report.phase ? `, ${report.phase}` : ''}: ${report.steps} steps in ${(report.time_ms / 1000).toFixed(1)} s on ${report.runner}; top-1 agreement ${report.agreement.before.top1 ?? '-'} → ${report.agreement.after.top1 ?? '-'}`,
          );
        } catch (e) {
          throw located(e, ctx);
        }
      }
      return { changed: true };
    },
  });
}

/** Whether an output shape holds class scores along its last axis ([N, K] or [N, T, K]). */
function classScores(shape: readonly Dim[] | undefined): boolean {
  if (!shape) return true;
  const last = shape[shape.length - 1];
  return (shape.length === 2 || shape.length === 3) && (typeof last !== 'number' || last >= 2);
}

/** Plan-time checks of a kind's statements: losses against the outputs, hint globs. */
function trainingChecks(kind: TrainKind) {
  return (model: Model, plan: Plan): Diagnostic[] => checkStatements(kind, model, plan);
}

function checkStatements(kind: TrainKind, model: Model, plan: Plan): Diagnostic[] {
  const out: Diagnostic[] = [];
  const pinned = (plan as { inputShapes?: Record<string, Dim[]> }).inputShapes ?? {};
  const types = inferShapes(model.graph, { opset: model.opset('') ?? 17, inputShapes: pinned }).types;
  for (const { statement } of statementsOf(plan, kind)) {
    const s = trainingSettings(statement);
    const outputs = model.graph.outputs.map((o) => o.name);
    const compared = kind === 'finetune' ? outputs.slice(0, 1) : outputs;
    for (const o of compared) {
      const shape = types.get(o)?.shape ?? model.graph.outputs.find((x) => x.name === o)?.type?.shape;
      const text = `[${(shape ?? ['?']).join(', ')}]`;
      if ((s.loss === 'kl' || s.loss === 'cross-entropy') && !classScores(shape))
        out.push(
          diag(
            'SQ413',
            s.lossSpan,
            `loss ${s.loss} compares class scores along the last axis, but output '${o}' is ${text}`,
            'use loss mse, l1 or cosine for maps and other outputs',
          ),
        );
      if (s.loss === 'ctc' && shape && shape.length !== 3)
        out.push(
          diag(
            'SQ413',
            s.lossSpan,
            `loss ctc needs a sequence of class scores [N, T, C]; output '${o}' is ${text}`,
            'use loss cross-entropy for one class per sample, or mse against label tensors',
          ),
        );
    }
    for (const h of s.hints)
      if (!valuesMatching(model, h.glob).length) {
        const near = nearest(h.glob, model.graph.valueNames());
        out.push(
          diag(
            'SQ401',
            h.span,
            `match "${h.glob}" names no value of the model`,
            near.length
              ? `did you mean ${near.map((n) => `"${n}"`).join(', ')}?`
              : 'hint losses match inner value names',
          ),
        );
      }
  }
  return out;
}

for (const kind of ['distill', 'finetune'] as const) {
  registerLossyPrepass(kind, prepass(kind));
  registerLossyPass(kind, trainingPass(kind));
  registerEarlyPass(kind, 'cluster', (plan) =>
    twoPhaseStatements(plan).some((t) => t.action === kind)
      ? trainingPass(kind, 'before-clustering')(plan)
      : undefined,
  );
  registerLossyCheck(kind, trainingChecks(kind));
}
