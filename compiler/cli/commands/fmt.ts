// `squish fmt RECIPE [--write | --check]`: print, rewrite or verify the canonical formatting of a recipe.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatRecipe } from '../../../dsl/index.ts';
import { UserError } from '../../../runtime/errors.ts';
import type { CliIO } from '../io.ts';
import { printDiagnostics, readRecipeFile } from './check.ts';
import type { RegisterCommand } from './index.ts';

export const registerFmt: RegisterCommand = (program: Command, io: CliIO, setCode) => {
  program
    .command('fmt')
    .description('format a recipe canonically (prints it unless --write or --check)')
    .argument('<recipe>', 'the .squish recipe file')
    .option('--write', 'rewrite the file in place')
    .option('--check', 'exit 1 if the file is not formatted')
    .action((recipePath: string, opts: { write?: boolean; check?: boolean }) => {
      if (opts.write && opts.check)
        throw new UserError('--write and --check cannot be used together', 'pick one');
      const path = resolve(io.cwd, recipePath);
      const text = readRecipeFile(path, recipePath);
      const r = formatRecipe(text, { file: recipePath });
      if (!r.ok) {
        printDiagnostics(io, r.diagnostics, new Map([[recipePath, text]]));
        io.err(`${recipePath}: not formatted because of the errors above\n`);
        setCode(1);
        return;
      }
      const changed = r.text !== text;
      if (opts.check) {
        if (changed) {
          io.err(`${recipePath}: not formatted (run: squish fmt --write ${recipePath})\n`);
          setCode(1);
        } else io.out(`${recipePath}: formatted\n`);
        return;
      }
      if (opts.write) {
        if (changed) {
          try {
            writeFileSync(path, r.text);
          } catch (e) {
            throw new UserError(`cannot write '${recipePath}': ${(e as Error).message}`);
          }
          io.out(`${recipePath}: formatted\n`);
        } else io.out(`${recipePath}: already formatted\n`);
        return;
      }
      io.out(r.text);
    });
};
