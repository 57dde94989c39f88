// compile(): model bytes + recipe text → compressed model bytes + report. Core: no file I/O; a
// host supplies includes and calibration data, a runner executes models for fidelity.

import '../runtime/ops/reference/index.ts';
import { diag } from '../dsl/diagnostics.ts';
import { UserError } from '../runtime/errors.ts';
import type { Model } from '../runtime/ir/model.ts';
import type { Dim } from '../runtime/ir/shape/index.ts';
import type { Tensor } from '../runtime/ir/tensor.ts';
import { exportModel } from '../runtime/onnx/export.ts';
import { importModel } from '../runtime/onnx/import.ts';
import { importAnyModel } from '../runtime/sqz/read.ts';
import { checkNoFidelityTargets, passOf, pinInputs, whyItRuns } from './compile-guards.ts';
import { calibrationFiles, type InputSpec, loadCalibration, type Sample } from './data/calibration.ts';
import type { Host } from './data/host.ts';
import { runPasses } from './engine/pass.ts';
import { heldApartLabels } from './fidelity/accuracy-labels.ts';
import type { Runner } from './fidelity/compare.ts';
import { heldApartFidelity, splitCalibration } from './fidelity/held-apart.ts';
import type { Fidelity } from './fidelity/metrics.ts';
import './passes/lossy.ts';
import { preloadIncludes } from './io/includes.ts';
import { packSqz, sqzReport } from './pack/index.ts';
import { includedTexts } from './plan/included-texts.ts';
import { lower } from './plan/lower.ts';
import { type ModelPlan, planModel } from './plan/model-plan.ts';
import { type LoadedRecipe, loadRecipe, RecipeError } from './plan/recipe.ts';
import { planJson } from './plan/render.ts';
import { layerReports } from './report/layers.ts';
import { measure } from './report/stats.ts';
import { evaluateTargets, missedTargets } from './report/targets.ts';
import type { Report } from './report/types.ts';
import { skipSummary } from './report/warnings.ts';
import { hasRanges, latencyTimer, searchEngine, searchPlan, searchSettings } from './search/index.ts';
import { sha256Hex } from './sha256.ts';
import type { OrtLike, RunnerFactory } from './train/runner.ts';
import { SQUISH_VERSION } from './version.ts';

export interface CompileOptions {
  /** Name of the recipe file: diagnostics and relative paths (calibration, include) use it. */
  recipeFile?: string;
  /** Concrete shapes for dynamic model inputs (over the recipe's `model { input … }`). */
  inputShapes?: Record<string, Dim[]>;
  /** Files for include and calibration data (none by default). */
  host?: Host;
  /** Runs a model on feeds, for fidelity; default: the squish runtime. */
  runner?: (model: Model) => Promise<Runner>;
  /** Long steps report progress here. */
  onProgress?: (step: string, done: number, total: number) => void;
  /** Lines worth showing while a long step works (a search: measured, compiled, best so far). */
  info?: (line: string) => void;
  /**
   * An onnxruntime module (onnxruntime-node, or onnxruntime-web in a browser) the host hands in: a
   * search measures candidates with it, and `target latency` times the model in it. Without it a
   * search runs on squish's runtime (slower) and a latency target is an error.
   */
  onnxruntime?: OrtLike;
  /** Milliseconds for timing latency (the Node CLI passes the process's CPU time); default wall time. */
  clock?: () => number;
  /** Verbose log lines. */
  log?: (line: string) => void;
  /** Progress lines of long passes (training: step, loss, rate, time left). */
  status?: (line: string) => void;
  /** Executes training graphs (distill, finetune); default: squish's runtime. */
  trainRunner?: RunnerFactory;
  /** Warnings (recipe warnings, skipped work). */
  warn?: (line: string) => void;
  /** Measure fidelity when there is calibration data (default true; false: no model is run for it). */
  fidelity?: boolean;
  /**
   * Imports the model (default: importModel(modelBytes)). The CLI passes its file loader so
   * external data beside the model file is read; the output always holds all its data.
   */
  loadModel?: () => Model;
}

export interface CompileResult {
  model: Uint8Array;
  report: Report;
  plan: ModelPlan;
  /** Set when targets were missed: the report is complete, the model must not be used. */
  missed?: RecipeError;
}

/** The squish runtime as a fidelity runner, on a backend ('auto' picks the fastest available). */
export function runtimeRunner(backend = 'auto'): (model: Model) => Promise<Runner> {
  return async (model) => {
    const { createSession } = await import('../runtime/exec/index.ts');
    const session = await createSession(model, { backend: backend as 'auto' });
    return (feeds: Record<string, Tensor>) => session.run(feeds);
  };
}

function inputSpecs(model: Model, plan: ModelPlan): InputSpec[] {
  const g = model.graph;
  return g.inputs
    .filter((i) => !g.initializers.has(i.name))
    .map((i) => ({
      name: i.name,
      dtype: i.type?.dtype ?? 'float32',
      shape: plan.inputShapes[i.name] ?? i.type?.shape,
    }));
}

/** The calibration samples the recipe asks for, and the files they came from (undefined without `calibrate`). */
async function calibrationSamples(
  model: Model,
  plan: ModelPlan,
  recipe: LoadedRecipe,
  host: Host | undefined,
): Promise<{ samples: Sample[]; files?: string[] } | undefined> {
  const cal = plan.settings.calibration;
  if (!cal) return undefined;
  const files = cal.source === 'random' ? [] : await calibrationFiles(cal, host ?? (await noHost()));
  if (!Array.isArray(files) && files.span)
    throw new RecipeError([diag('SQ408', files.span, files.message, files.help)], recipe.render);
  const samples = await loadCalibration(cal, inputSpecs(model, plan), host ?? (await noHost()));
  return { samples, ...(cal.source !== 'random' && Array.isArray(files) ? { files } : {}) };
}

/** The recipe, its includes, the plan and both hashes, written into the output model's metadata. */
async function stampProvenance(
  model: Model,
  plan: ModelPlan,
  recipe: LoadedRecipe,
  recipeText: string,
  modelBytes: Uint8Array,
): Promise<void> {
  // The plan kept in the model's metadata is compact (small models feel every KB): only the layers
  // something happens to, each action by kind and statement (file:line); options are in the recipe.
  // Sources are named by file name only, so the output's bytes do not depend on where the recipe
  // lives (a recipe at a longer path must not make the model bigger or change its hash).
  // two_phase_training is derived from the actions (plan/phases.ts): not stored twice
  const { two_phase_training: _, ...full } = planJson(plan);
  const planText = JSON.stringify(
    {
      ...full,
      layers: full.layers
        .filter((l) => l.actions.length || l.kept_by)
        .map((l) => ({
          name: l.name,
          actions: l.actions.map((a) => `${a.kind}@${fileName(a.from)}`),
          ...(l.kept_by ? { kept_by: l.kept_by } : {}),
        })),
    },
    (key, value) => (SOURCE_KEYS.has(key) && typeof value === 'string' ? fileName(value) : value),
  );
  model.setMetadata('squish.version', SQUISH_VERSION);
  model.setMetadata('squish.recipe', recipeText);
  model.setMetadata('squish.recipe_sha256', await sha256Hex(new TextEncoder().encode(recipeText)));
  const includes = includedTexts(recipe);
  if (Object.keys(includes).length) model.setMetadata('squish.recipe_includes', JSON.stringify(includes));
  model.setMetadata('squish.model_sha256', await sha256Hex(modelBytes));
  model.setMetadata('squish.plan', planText);
}

/** What compile and `plan --search` share: the recipe, plan, data, shapes and the original's figures. */
async function prepare(
  modelBytes: Uint8Array,
  recipeText: string,
  options: CompileOptions,
  timings: Record<string, number>,
) {
  const mark = (k: string, since: number) => {
    timings[k] = Math.round(performance.now() - since);
  };
  let t = performance.now();
  const recipeFile = options.recipeFile ?? 'recipe.squish';
  const host = options.host ? await preloadIncludes(options.host, recipeText, recipeFile) : undefined;
  const recipe = loadRecipe(recipeText, recipeFile, host);
  for (const w of recipe.warnings) options.warn?.(recipe.render(w));
  const loadAsIs = options.loadModel ?? (() => importModel(modelBytes));
  const model = loadAsIs();
  const plan = planModel(model, recipe, options.inputShapes);
  for (const w of pinInputs(model, plan.inputShapes)) options.warn?.(w);
  if (options.fidelity === false) checkNoFidelityTargets(plan);
  /** The model with the recipe's pinned inputs: what passes, fidelity, latency and search work on. */
  const load = () => {
    const m = loadAsIs();
    pinInputs(m, plan.inputShapes);
    return m;
  };
  mark('plan', t);

  // calibration data first: its shapes fix the FLOPs where the recipe pins no input
  t = performance.now();
  const loaded = await calibrationSamples(model, plan, recipe, host);
  const samples = loaded?.samples;
  if (samples) mark('calibration_data', t);
  // fitting steps (passes, the search) get split.fit; fidelity is measured on split.heldApart
  const { split, warnings } = splitCalibration(plan.settings.calibration, samples);
  const heldApartFiles = new Set(split?.heldIndices.map((i) => loaded?.files?.[i] ?? '') ?? []);
  const at = { files: loaded?.files, split, host: host ?? (await noHost()) };
  const labels = await heldApartLabels(recipe, plan.settings.targets, at);
  for (const w of warnings) options.warn?.(w);
  const shapes: Record<string, Dim[]> = {};
  for (const [k, v] of Object.entries(samples?.[0] ?? {})) shapes[k] = [...v.dims];
  Object.assign(shapes, plan.inputShapes);
  const before = measure(model, modelBytes.length, shapes);
  const latencyTarget = plan.settings.targets.some((x) => x.metric === 'latency');
  const engine = searchEngine(options.onnxruntime, options.clock);
  const latency = latencyTarget
    ? await latencyTimer(engine, !!options.onnxruntime, load, samples)
    : undefined;
  return {
    recipe,
    load,
    model,
    plan,
    samples,
    split,
    warnings,
    shapes,
    before,
    engine,
    latency,
    host,
    heldApartFiles,
    labels,
  };
}

type Prepared = Awaited<ReturnType<typeof prepare>>;

/** A search's input from what compile prepared (without `compile`: allocate only). */
function searchInput(p: Prepared, options: CompileOptions) {
  if (!p.split) throw new Error('a range without calibration data passed the recipe checks (SQ322)');
  const { latency } = p;
  return {
    plan: p.plan,
    settings: searchSettings(p.recipe.statements),
    load: p.load,
    copy: (m: Model) => importModel(exportModel(m)),
    samples: p.split.fit,
    engine: p.engine,
    shapes: p.shapes,
    original: {
      size: p.before.totals.bytes,
      params: p.before.totals.params,
      flops: p.before.totals.flops,
      latency: latency?.originalMs ?? Number.NaN,
    },
    ...(latency ? { latencyOf: async (m: Model) => (await latency.of(m)).compiled_ms } : {}),
    progress: options.onProgress,
    log: options.log,
    info: options.info,
  };
}

/**
 * `squish plan --explain --search`: the values a search chooses for the recipe's ranges (sensitivity
 * measured, allocation made), without compiling the whole model. Undefined when there is no range.
 */
export async function searchChoices(
  modelBytes: Uint8Array,
  recipeText: string,
  options: CompileOptions = {},
) {
  const p = await prepare(modelBytes, recipeText, options, {});
  if (!hasRanges(p.plan)) return undefined;
  return searchPlan(searchInput(p, options));
}

/**
 * Compile a model by a recipe and return everything, also when targets were missed (`missed`).
 * Bad input (model, recipe, data) → UserError.
 */
export async function compileModel(
  modelBytes: Uint8Array,
  recipeText: string,
  options: CompileOptions = {},
): Promise<CompileResult> {
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  const prepared = await prepare(modelBytes, recipeText, options, timings);
  const { recipe, load, plan, split, shapes, before, latency, host, heldApartFiles, labels } = prepared;
  const cal = plan.settings.calibration;

  /** The whole pipeline for a plan, written and measured: what compile returns, or one try of a search. */
  const build = async (chosen: ModelPlan) => {
    const tb = performance.now();
    const work = load();
    const passWarnings: string[] = [];
    const { runs, ctx } = await runPasses(work, lower(chosen), {
      log: options.log,
      progress: options.onProgress,
      warn: (line) => {
        passWarnings.push(line);
        options.log?.(line);
      },
      samples: split?.fit,
      heldApartFiles,
      original: load,
      ...(host ? { host } : {}),
      ...(options.trainRunner ? { trainRunner: options.trainRunner } : {}),
      ...(options.status ? { status: options.status } : {}),
      render: recipe.render,
    }).catch((e) => {
      skipSummary(passWarnings, plan.statements, options.warn);
      throw whyItRuns(e, chosen, `${passOf(e)} runs the model on the calibration data`);
    });
    const passesMs = performance.now() - tb;
    const te = performance.now();
    await stampProvenance(work, chosen, recipe, recipeText, modelBytes);
    const out = chosen.settings.format === 'sqz' ? packSqz(work).bytes : exportModel(work);
    // a .sqz is read back: the pack section measures the file as written, fidelity the model it holds
    const packed = chosen.settings.format === 'sqz' ? sqzReport(out) : undefined;
    const exportMs = performance.now() - te;
    const after = measure(work, out.length, shapes);
    let fidelity: Fidelity | undefined;
    let fidelityMs = 0;
    let fidelityWarnings: string[] = [];
    if (cal && split && options.fidelity !== false) {
      const tf = performance.now();
      const make = options.runner ?? runtimeRunner();
      const why = 'measuring fidelity runs the model on the calibration data';
      const run = (m: Model) =>
        make(m).catch((e) => {
          throw whyItRuns(e, chosen, why);
        });
      const judged = await heldApartFidelity(
        await run(load()),
        await run(packed?.model ?? importAnyModel(out)),
        split,
        cal,
        (done, total) => options.onProgress?.('fidelity', done, total),
        labels,
      );
      ({ fidelity, warnings: fidelityWarnings } = judged);
      fidelityMs = performance.now() - tf;
    }
    const timed = latency ? await latency.of(packed?.model ?? importAnyModel(out)) : undefined;
    const targets = evaluateTargets(chosen.settings.targets, before.totals, after.totals, fidelity, timed);
    return {
      out,
      runs,
      ctx,
      after,
      fidelity,
      packed,
      passWarnings,
      fidelityWarnings,
      targets,
      ...(timed ? { latency: timed } : {}),
      // the search scores each try on the fitting samples: the model as the file holds it
      model: packed?.model ?? work,
      totals: {
        size: after.totals.bytes,
        params: after.totals.params,
        flops: after.totals.flops,
        latency: timed?.compiled_ms ?? Number.NaN,
      },
      ms: { passes: passesMs, export: exportMs, fidelity: fidelityMs },
    };
  };

  let chosenPlan = plan;
  let built: Awaited<ReturnType<typeof build>>;
  let searched: Awaited<ReturnType<typeof searchPlan<typeof built>>> | undefined;
  if (hasRanges(plan)) {
    const ts = performance.now();
    searched = await searchPlan({ ...searchInput(prepared, options), compile: build });
    timings.search = Math.round(performance.now() - ts);
    chosenPlan = searched.plan;
    built = searched.compiled!;
  } else built = await build(plan);
  timings.passes = Math.round(built.ms.passes);
  for (const r of built.runs) timings[`pass:${r.name}`] = Math.round(r.ms);
  for (const [rule, n] of Object.entries(built.ctx.stats.matches))
    options.log?.(`rule ${rule}: ${n} match${n === 1 ? '' : 'es'}`);
  for (const m of built.ctx.stats.nearMisses) options.log?.(`near-miss ${m.rule} at ${m.node}: ${m.reason}`);
  timings.export = Math.round(built.ms.export);
  if (built.fidelity) timings.fidelity = Math.round(built.ms.fidelity);
  timings.total = Math.round(performance.now() - t0);
  const { fidelity, packed, passWarnings, fidelityWarnings, targets } = built;
  for (const w of [...skipSummary(passWarnings, plan.statements), ...fidelityWarnings]) options.warn?.(w);
  const warnings = [...prepared.warnings, ...passWarnings, ...fidelityWarnings];
  const layers = layerReports(chosenPlan, before, built.after, built.ctx.layerError, built.ctx.parts).map(
    (l) => {
      const s = searched?.layers.get(l.part_of ?? l.name);
      return s ? { ...l, ...s } : l;
    },
  );
  const report: Report = {
    before: before.totals,
    after: built.after.totals,
    layers,
    ...(fidelity ? { fidelity } : {}),
    targets,
    ...(built.latency ? { latency: built.latency } : {}),
    ...(searched ? { search: searched.report } : {}),
    timings_ms: timings,
    ...(warnings.length ? { warnings } : {}),
    ...(packed ? { pack: packed.report } : {}),
    ...(built.ctx.training?.length
      ? {
          training: {
            ...built.ctx.training.at(-1)!,
            ...(built.ctx.training.length > 1 ? { runs: built.ctx.training } : {}),
          },
        }
      : {}),
    recipe: { file: recipe.file, sources: Object.fromEntries(recipe.sources) },
  };
  const missedList = searched?.missed ?? missedTargets(plan.settings.targets, targets);
  const missed = missedList.length ? new RecipeError(missedList, recipe.render) : undefined;
  return { model: built.out, report, plan: chosenPlan, ...(missed ? { missed } : {}) };
}

const SOURCE_KEYS = new Set(['from', 'recipe', 'kept_by']);
/** `/any/dir/recipe.squish:12` → `recipe.squish:12`. */
const fileName = (source: string): string => source.replace(/^.*[\\/]/, '');

async function noHost(): Promise<Host> {
  const { NO_FILES } = await import('./data/host.ts');
  return NO_FILES;
}

/** A missed target: the UserError carries the full report. */
export class TargetsMissedError extends UserError {
  /** The message is rendered diagnostics (see RecipeError). */
  readonly rendered = true;
  constructor(
    cause: RecipeError,
    readonly report: Report,
  ) {
    super(cause.message, cause.help);
  }
}

/** Compile a model by a recipe → {model, report}. Missed targets throw TargetsMissedError (a UserError). */
export async function compile(
  modelBytes: Uint8Array,
  recipeText: string,
  options: CompileOptions = {},
): Promise<{ model: Uint8Array; report: Report }> {
  const r = await compileModel(modelBytes, recipeText, options);
  if (r.missed) throw new TargetsMissedError(r.missed, r.report);
  return { model: r.model, report: r.report };
}
