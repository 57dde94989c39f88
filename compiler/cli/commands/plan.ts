// `squish plan MODEL --recipe R [--json] [--explain]`: per layer, every action that will apply
// and the statement (file:line) it came from; --explain adds why layers were not selected.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { nodeHost } from '../../io/host.ts';
import { loadModelFile } from '../../io/model-file.ts';
import { planModel } from '../../plan/model-plan.ts';
import { loadRecipe } from '../../plan/recipe.ts';
import { planJson, planText } from '../../plan/render.ts';
import type { CliIO } from '../io.ts';
import { readText } from './compile.ts';
import type { RegisterCommand } from './index.ts';

export const registerPlan: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('plan')
    .description('show the per-layer plan a recipe resolves to on a model')
    .argument('<model>', 'the ONNX model')
    .requiredOption('--recipe <recipe>', 'the .squish recipe')
    .option('--json', 'print the plan as JSON')
    .option('--explain', 'also show why layers were not selected (near-misses)')
    .action((modelArg: string, opts: { recipe: string; json?: boolean; explain?: boolean }) => {
      const model = loadModelFile(resolve(io.cwd, modelArg), modelArg);
      const text = readText(resolve(io.cwd, opts.recipe), 'recipe');
      const recipe = loadRecipe(text, opts.recipe, nodeHost(io.cwd));
      for (const w of recipe.warnings) io.err(`${recipe.render(w)}\n`);
      const plan = planModel(model, recipe);
      if (opts.json) io.out(`${JSON.stringify(planJson(plan, opts.explain), null, 2)}\n`);
      else io.out(planText(plan, opts.explain));
    });
};
