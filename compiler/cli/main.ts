// squish CLI entry: parses argv with commander, runs one command, maps errors to exit codes
// (0 ok, 1 user error with a clear message, 2 internal error). Commands live in ./commands/, one a
// file, and only the command argv names is imported.

import { Command, CommanderError } from 'commander';
import { isUserError, printable } from '../../runtime/errors.ts';
import { SQUISH_VERSION } from '../version.ts';
import { COMMANDS, commandsFor } from './commands/index.ts';
import { checkUnknownOptions, subcommandOf } from './flags.ts';
import { type CliIO, processIO } from './io.ts';
import { applyMaxMemory } from './memory.ts';
import { installProcessHandlers } from './process.ts';

async function buildProgram(io: CliIO, setCode: (code: number) => void, names: string[]): Promise<Command> {
  const program = new Command('squish')
    .description('Compile trained ONNX models into small, fast ONNX models by following a recipe.')
    .version(SQUISH_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)');
  const registers = await Promise.all(names.map((name) => COMMANDS[name]!()));
  for (const register of registers) register(program, io, setCode);
  program.hook('preAction', (_program, command) => applyMaxMemory(command.opts().maxMemory));
  return program;
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  if (io === processIO) installProcessHandlers();
  let code = 0;
  try {
    const program = await buildProgram(
      io,
      (c) => {
        code = c;
      },
      commandsFor(argv),
    );
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    const sub = subcommandOf(program, argv);
    if (sub) checkUnknownOptions(sub, argv.slice(1));
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exitCode 0; usage errors were already printed.
      return e.exitCode === 0 ? 0 : 1;
    }
    if (isUserError(e)) {
      // recipe diagnostics come rendered (file:line:col: error[CODE]: …): no second "error:"
      const message = printable(e.message, true);
      io.err((e as { rendered?: boolean }).rendered ? `${message}\n` : `error: ${message}\n`);
      if (e.help) io.err(`help: ${printable(e.help, true)}\n`);
      return 1;
    }
    const err = e as Error;
    io.err(`internal error: ${err?.message ?? String(e)}\n`);
    if (process.env.SQUISH_DEBUG) io.err(`${err?.stack}\n`);
    io.err('this is a bug in squish; set SQUISH_DEBUG=1 for the stack trace\n');
    return 2;
  }
}
