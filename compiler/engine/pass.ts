// The pass manager: runs passes `{name, run, ensures?}` in order over a model, times them, and
// when one fails names it and the passes that ran before it.

import type { Diagnostic } from '../../dsl/diagnostics.ts';
import { isUserError, UserError } from '../../runtime/errors.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Node } from '../../runtime/ir/node.ts';
import type { Sample } from '../data/calibration.ts';
import type { Host } from '../data/host.ts';
import type { TrainingReport } from '../report/types.ts';
import type { RunnerFactory } from '../train/runner.ts';
import { emptyStats, type RewriteStats } from './driver.ts';

export interface PassContext {
  /** Rule match counts and near-misses, shared by every pass of one run. */
  stats: RewriteStats;
  /** Per-layer error a lossy pass introduced (layer name → error figure). */
  layerError: Record<string, number>;
  /** Called by long passes: done of total. */
  progress?: (pass: string, done: number, total: number) => void;
  log?: (line: string) => void;
  /** Warnings (e.g. a lossy rewrite skipped because it would not pay off); shown unless --quiet. */
  warn?: (line: string) => void;
  /** Calibration samples (model inputs by name) when the recipe has a calibrate block. */
  samples?: Sample[];
  /** The calibration files held apart for fidelity (see data/split.ts): training never reads them. */
  heldApartFiles?: ReadonlySet<string>;
  /**
   * Layers a pass split into several nodes (factorize: x·W → x·P·Q): layer name → the added nodes'
   * names. Later passes give each part the layer's actions (quantize, cluster, sparse pruning).
   */
  parts?: Map<string, string[]>;
  /** The model as the compile received it (training's `teacher original`); a fresh copy per call. */
  original?: () => Model;
  /** Files beyond the calibration samples (training data, teacher models, labels). */
  host?: Host;
  /** Executes training graphs (the CLI hands in onnxruntime-node); default: squish's runtime. */
  trainRunner?: RunnerFactory;
  /** Progress lines of long passes (training: step, loss, rate, time left), shown unless quiet. */
  status?: (line: string) => void;
  /** Renders a diagnostic with its code frame (recipe sources), for problems located in the recipe. */
  render?: (d: Diagnostic) => string;
  /** What training passes did, for the report's `training` section, in pipeline order. */
  training?: TrainingReport[];
  /** What a pass leaves for later passes of the same run, by typed key (see `passData`). */
  data?: Map<PassDataKey<unknown>, unknown>;
  /**
   * Solves a search reuses across its candidate runs (GPTQ Hessians, input means), by key. Set only
   * while the model a pass reads is the same in every run that shares it; absent otherwise.
   */
  cache?: Map<string, unknown>;
}

/** A typed slot in the pass context: the only way data goes from one pass to a later one. */
export interface PassDataKey<T> {
  name: string;
  init: () => T;
}

export function passDataKey<T>(name: string, init: () => T): PassDataKey<T> {
  return { name, init };
}

/** The value under `key` in this run's context, made by its `init` the first time. */
export function passData<T>(ctx: Pick<PassContext, 'data'>, key: PassDataKey<T>): T {
  ctx.data ??= new Map();
  if (!ctx.data.has(key)) ctx.data.set(key, key.init());
  return ctx.data.get(key) as T;
}

/** Records that `layer` now also consists of the nodes named `parts`. */
export function addParts(ctx: PassContext, layer: string, parts: readonly string[]): void {
  if (!parts.length) return;
  ctx.parts ??= new Map();
  ctx.parts.set(layer, [...(ctx.parts.get(layer) ?? []), ...parts]);
}

/** Jobs on layers, plus one copy per part of a split layer (same settings, the part's name). */
export function withParts<T extends { layer: string }>(
  jobs: readonly T[],
  ctx: Pick<PassContext, 'parts'>,
): T[] {
  return jobs.flatMap((j) => [j, ...(ctx.parts?.get(j.layer) ?? []).map((layer) => ({ ...j, layer }))]);
}

/** The model's nodes by layer name (the node name, else its first output, else op and index). */
export function nodesByLayer(model: Model): Map<string, Node> {
  const out = new Map<string, Node>();
  model.graph.topoOrder().forEach((n, i) => {
    out.set(n.name || n.outputs[0] || `${n.opType}_${i}`, n);
  });
  return out;
}

export interface PassResult {
  changed: boolean;
}

export interface Pass {
  name: string;
  run: (model: Model, ctx: PassContext) => PassResult | Promise<PassResult>;
  /** A postcondition: undefined when it holds, else what is wrong (a squish bug if violated). */
  ensures?: (model: Model) => string | undefined;
}

export interface PassRun {
  name: string;
  changed: boolean;
  ms: number;
}

export class PassError extends Error {
  override name = 'PassError';
  constructor(
    message: string,
    readonly pass: string,
    readonly before: string[],
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

function failure(pass: string, before: string[], e: unknown): Error {
  // a problem already located in the recipe (file:line:col, code frame) is reported as it is
  if (isUserError(e) && 'diagnostics' in e) return e;
  const what = e instanceof Error ? e.message : String(e);
  const after = before.length ? ` (after ${before.join(', ')})` : ' (the first pass)';
  const msg = `pass ${pass} failed${after}: ${what}`;
  if (isUserError(e)) return Object.assign(new UserError(msg, e.help), { cause: e });
  return new PassError(msg, pass, before, e);
}

export async function runPasses(
  model: Model,
  passes: Pass[],
  ctx: Partial<PassContext> = {},
): Promise<{ runs: PassRun[]; ctx: PassContext }> {
  const full: PassContext = { stats: emptyStats(), layerError: {}, ...ctx };
  const runs: PassRun[] = [];
  for (const [i, pass] of passes.entries()) {
    full.progress?.('passes', i, passes.length);
    const t0 = performance.now();
    let res: PassResult;
    try {
      res = await pass.run(model, full);
      const broken = pass.ensures?.(model);
      if (broken) throw new Error(`postcondition violated: ${broken}`);
    } catch (e) {
      throw failure(
        pass.name,
        runs.map((r) => r.name),
        e,
      );
    }
    runs.push({ name: pass.name, changed: res.changed, ms: performance.now() - t0 });
    full.progress?.('passes', i + 1, passes.length);
    full.log?.(
      `pass ${pass.name}: ${res.changed ? 'changed' : 'no change'} (${(performance.now() - t0).toFixed(0)} ms)`,
    );
  }
  return { runs, ctx: full };
}
