// `squish plan MODEL --recipe R [--json] [--explain] [--search]`: per layer, every action that will
// apply and the statement (file:line) it came from; --explain adds why layers were not selected;
// --search measures the ranges' sensitivities and prints the values the search chooses per layer,
// without compiling the whole model.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../../runtime/errors.ts';
import { runPasses } from '../../engine/pass.ts';
import { nodeHost } from '../../io/host.ts';
import { loadModelFile } from '../../io/model-file.ts';
import { cleanupPasses } from '../../passes/cleanup.ts';
import '../../passes/lossy.ts';
import { printable } from '../../../runtime/errors.ts';
import type { Dim } from '../../../runtime/ir/types.ts';
import { searchChoices } from '../../compile.ts';
import { planModel } from '../../plan/model-plan.ts';
import { loadRecipe } from '../../plan/recipe.ts';
import { planJson, planText } from '../../plan/render.ts';
import type { CliIO } from '../io.ts';
import { progressReporter } from '../progress.ts';
import { parseShape, SHAPE_HELP } from '../shape.ts';
import { cpuMs, onnxruntimeNode, readModelBytes, readText } from './compile.ts';
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
    .option(
      '--search',
      "choose the values of the recipe's ranges (measures sensitivities; compiles nothing whole)",
    )
    .option('--shape <name=dims>', `${SHAPE_HELP}; overrides the recipe's model { input … }`, parseShape, {})
    .action(
      async (
        modelArg: string,
        opts: {
          recipe: string;
          json?: boolean;
          explain?: boolean;
          search?: boolean;
          shape: Record<string, Dim[]>;
        },
      ) => {
        const path = resolve(io.cwd, modelArg);
        const model = loadModelFile(path, modelArg);
        const text = readText(resolve(io.cwd, opts.recipe), 'recipe', opts.recipe);
        if (opts.search) {
          await printSearch(io, path, modelArg, text, opts);
          return;
        }
        // the plan shows what a recipe asks for, also what compile cannot run yet (compile says so)
        const recipe = loadRecipe(text, opts.recipe, nodeHost(io.cwd), { pending: false });
        for (const w of recipe.warnings) io.err(`${printable(recipe.render(w), true)}\n`);
        const plan = planModel(model, recipe, opts.shape);
        // --explain: what the exact cleanups would rewrite, and where a rule matched but declined
        const rewrites =
          opts.explain && plan.settings.cleanup ? await dryRunCleanups(path, modelArg) : undefined;
        if (opts.json)
          io.out(
            `${JSON.stringify({ ...planJson(plan, opts.explain), ...(rewrites ? { rewrites } : {}) }, null, 2)}\n`,
          );
        else {
          io.out(printable(planText(plan, opts.explain), true));
          if (rewrites) {
            io.out('\ncleanup rewrites:\n');
            for (const [rule, n] of Object.entries(rewrites.matches)) io.out(`  ${rule}: ${n}\n`);
            for (const m of rewrites.near_misses)
              io.out(printable(`  near-miss ${m.rule} at ${m.node}: ${m.reason}\n`, true));
          }
        }
      },
    );
};

/** --search: the plan with the ranges replaced by the values the search chose, and why. */
async function printSearch(
  io: CliIO,
  path: string,
  modelArg: string,
  text: string,
  opts: { recipe: string; json?: boolean; explain?: boolean; shape: Record<string, Dim[]> },
): Promise<void> {
  const progress = progressReporter(io, Boolean(opts.json));
  let searched: Awaited<ReturnType<typeof searchChoices>>;
  try {
    searched = await searchChoices(readModelBytes(path), text, {
      recipeFile: opts.recipe,
      inputShapes: opts.shape,
      host: nodeHost(io.cwd),
      loadModel: () => loadModelFile(path, modelArg),
      onnxruntime: await onnxruntimeNode(),
      clock: cpuMs,
      onProgress: progress.update,
      info: opts.json ? undefined : (l) => io.err(`${l}\n`),
      warn: (l) => io.err(`${l}\n`),
    });
  } finally {
    progress.stop();
  }
  if (!searched)
    throw new UserError(
      '--search: the recipe has no range to search',
      'write a range, e.g. sparsity 30%..90%',
    );
  const chosen = Object.fromEntries([...searched.layers].map(([name, l]) => [name, l.chosen]));
  if (opts.json) {
    io.out(
      `${JSON.stringify({ ...planJson(searched.plan, opts.explain), chosen, search: searched.report }, null, 2)}\n`,
    );
    return;
  }
  io.out(planText(searched.plan, opts.explain));
  io.out('\nsearch: chosen per layer (sensitivity at the chosen value)\n');
  for (const [name, l] of searched.layers) {
    const values = Object.entries(l.chosen).map(([k, v]) => {
      const row = l.sensitivity.find((r) => r.option === k && r.text === v);
      return `${k} ${v}${row ? ` (${row.sensitivity.toExponential(2)})` : ''}`;
    });
    io.out(`  ${name}: ${values.join(', ')}\n`);
  }
  const f = searched.report.frontier;
  io.out(
    `frontier: ${f.length} allocations, ${searched.report.points} points measured in ${(searched.report.time_ms / 1000).toFixed(1)} s\n`,
  );
}
