// `squish report R.json -o R.html [--recipe R.squish] [--force]`: the HTML report of a compile report
// (compile writes the same page with `--report R.html`). Chart.js is read from the installed package
// and inlined, so the page works offline.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../../runtime/errors.ts';
import { commitFiles } from '../../io/commit.ts';
import { reportHtml } from '../../report/html.ts';
import type { Report } from '../../report/types.ts';
import type { CliIO } from '../io.ts';
import { checkOutputPaths } from '../output.ts';
import { readText } from './compile.ts';
import type { RegisterCommand } from './index.ts';

/** The Chart.js UMD build (it defines the global `Chart`) from the chart.js package. */
export function chartScript(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('chart.js'); // …/chart.js/dist/chart.cjs
  return readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
}

/** The HTML page of a report, as bytes to write. */
export function htmlBytes(report: Report, subtitle?: string): Uint8Array {
  return new TextEncoder().encode(reportHtml(report, { chartScript: chartScript(), subtitle }));
}

/** A compile report read from JSON, or a clear message saying why it is not one. */
export function parseReport(text: string, shown: string): Report {
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch (e) {
    throw new UserError(
      `${shown} is not JSON: ${(e as Error).message}`,
      'pass the report.json that `squish compile --report` wrote',
    );
  }
  const o = r as Record<string, unknown>;
  const missing = ['before', 'after', 'layers', 'targets', 'timings_ms'].filter(
    (k) => !(o && typeof o === 'object' && k in o),
  );
  const badLayers = Array.isArray(o?.layers)
    ? o.layers.findIndex((l) => !l || typeof l !== 'object' || !Array.isArray(l.actions))
    : -1;
  if (missing.length || !Array.isArray(o.layers) || badLayers >= 0) {
    const what = missing.length
      ? `it has no ${missing.join(', ')}`
      : `layers[${Math.max(0, badLayers)}] is not a layer`;
    throw new UserError(
      `${shown} is not a squish compile report: ${what}`,
      'pass the report.json that `squish compile --report` wrote',
    );
  }
  return r as Report;
}

export const registerReport: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('report')
    .description('turn a compile report (JSON) into one self-contained HTML page with charts')
    .argument('<report.json>', 'the report `squish compile --report R.json` wrote')
    .requiredOption('-o, --output <report.html>', 'where to write the HTML page')
    .option(
      '--recipe <recipe>',
      'the recipe, for reports that do not carry it (its statements link to the layers they touched)',
    )
    .option('--force', 'overwrite an existing output file')
    .action(async (reportArg: string, opts: { output: string; recipe?: string; force?: boolean }) => {
      const path = resolve(io.cwd, reportArg);
      const out = resolve(io.cwd, opts.output);
      checkOutputPaths(
        [{ path: out, flag: '-o', what: 'the HTML page' }],
        [
          { path, flag: 'REPORT', what: 'the report' },
          ...(opts.recipe
            ? [{ path: resolve(io.cwd, opts.recipe), flag: '--recipe', what: 'the recipe' }]
            : []),
        ],
        Boolean(opts.force),
      );
      const report = parseReport(readText(path, 'report'), reportArg);
      if (opts.recipe) {
        const text = readText(resolve(io.cwd, opts.recipe), 'recipe');
        const cited = report.layers.flatMap((l) => l.actions).map((a) => /\(([^()]*):\d+\)$/.exec(a)?.[1]);
        const file = cited.find((f) => f !== undefined) ?? opts.recipe;
        report.recipe = { file, sources: { ...report.recipe?.sources, [file]: text } };
      }
      await commitFiles([{ target: out, bytes: htmlBytes(report, reportArg), label: opts.output }], {
        overwrite: Boolean(opts.force),
      });
      io.out(`wrote ${opts.output}\n`);
    });
};
