// One run of a plan's pipeline on a fresh copy of the model: the passes lower() gives, optionally
// without training (a search measures candidates before distill/finetune). Passes up to the stage a
// search chooses share solves through a cache when the model they read is the same in every run.

import { ACTION_KINDS } from '../../dsl/table/index.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Sample } from '../data/calibration.ts';
import { type PassContext, type PassRun, runPasses } from '../engine/pass.ts';
import { lowerStaged } from '../plan/lower.ts';
import type { Plan } from '../plan/plan.ts';

export interface PipelineOptions {
  samples?: Sample[];
  training?: boolean;
  /**
   * The solve cache a lossy pass of this stage may share with other runs (those that fed it the same
   * model), or undefined for none.
   */
  cacheFor?: (stage: number) => Map<string, unknown> | undefined;
  log?: (line: string) => void;
  warn?: (line: string) => void;
  progress?: (step: string, done: number, total: number) => void;
}

export interface PipelineRun {
  model: Model;
  ctx: PassContext;
  runs: PassRun[];
}

const stageOf = (kind: string) =>
  ACTION_KINDS.find((k) => k.kind === kind)?.stage ?? Number.POSITIVE_INFINITY;

/** Runs the plan's passes over `model` (edited in place). */
export async function runPipeline(
  model: Model,
  plan: Plan,
  options: PipelineOptions = {},
): Promise<PipelineRun> {
  const staged = lowerStaged(plan, { training: options.training !== false });
  const { cacheFor } = options;
  const passes = staged.map(({ pass, kind }) => {
    const cache = kind === undefined ? undefined : cacheFor?.(stageOf(kind));
    if (!cache) return pass;
    return {
      ...pass,
      run: async (m: Model, ctx: PassContext) => {
        ctx.cache = cache;
        try {
          return await pass.run(m, ctx);
        } finally {
          ctx.cache = undefined;
        }
      },
    };
  });
  const { runs, ctx } = await runPasses(model, passes, {
    ...(options.samples ? { samples: options.samples } : {}),
    log: options.log,
    warn: options.warn,
    progress: options.progress,
  });
  return { model, ctx, runs };
}
