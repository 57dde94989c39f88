// `squish plan MODEL --recipe R [--json] [--explain]`: per layer, every action that will apply
// and the statement (file:line) it came from; --explain adds why layers were not selected.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runPasses } from '../../engine/pass.ts';
import { nodeHost } from '../../io/host.ts';
import { loadModelFile } from '../../io/model-file.ts';
import { cleanupPasses } from '../../passes/cleanup.ts';
import '../../passes/lossy.ts';
import type { Dim } from '../../../runtime/ir/types.ts';
import { planModel } from '../../plan/model-plan.ts';
import { loadRecipe } from '../../plan/recipe.ts';
import { planJson, planText } from '../../plan/render.ts';
import type { CliIO } from '../io.ts';
import { parseShape, SHAPE_HELP } from '../shape.ts';
import { readText } from './compile.ts';
import type { RegisterCommand } from './index.ts';

async function dryRunCleanups(path: string, display: string) {
  const { ctx } = await runPasses(loadModelFile(path, display), cleanupPasses());
  return { matches: ctx.stats.matches, near_misses: ctx.stats.nearMisses };
}

export const registerPlan: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('plan')
    .description('show the per-layer plan a recipe resolves to on a model')
    .argument('<model>', 'the ONNX model')
    .requiredOption('--recipe <recipe>', 'the .squish recipe')
    .option('--json', 'print the plan as JSON')
    .option('--explain', 'also show why layers were not selected (near-misses)')
    .option('--shape <name=dims>', `${SHAPE_HELP}; overrides the recipe's model { input … }`, parseShape, {})
    .action(
      async (
        modelArg: string,
        opts: { recipe: string; json?: boolean; explain?: boolean; shape: Record<string, Dim[]> },
      ) => {
        const path = resolve(io.cwd, modelArg);
        const model = loadModelFile(path, modelArg);
        const text = readText(resolve(io.cwd, opts.recipe), 'recipe');
        // the plan shows what a recipe asks for, also what compile cannot run yet (compile says so)
        const recipe = loadRecipe(text, opts.recipe, nodeHost(io.cwd), { pending: false });
        for (const w of recipe.warnings) io.err(`${recipe.render(w)}\n`);
        const plan = planModel(model, recipe, opts.shape);
        // --explain: what the exact cleanups would rewrite, and where a rule matched but declined
        const rewrites =
          opts.explain && plan.settings.cleanup ? await dryRunCleanups(path, modelArg) : undefined;
        if (opts.json)
          io.out(
            `${JSON.stringify({ ...planJson(plan, opts.explain), ...(rewrites ? { rewrites } : {}) }, null, 2)}\n`,
          );
        else {
          io.out(planText(plan, opts.explain));
          if (rewrites) {
            io.out('\ncleanup rewrites:\n');
            for (const [rule, n] of Object.entries(rewrites.matches)) io.out(`  ${rule}: ${n}\n`);
            for (const m of rewrites.near_misses) io.out(`  near-miss ${m.rule} at ${m.node}: ${m.reason}\n`);
          }
        }
      },
    );
};
