// `squish lsp --stdio [--model MODEL]`: the recipe language server for editors (diagnostics,
// formatting, hover docs, completion), speaking the Language Server Protocol over stdin/stdout.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../../runtime/errors.ts';
import type { CliIO } from '../io.ts';
import type { RegisterCommand } from './index.ts';

export const registerLsp: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('lsp')
    .description('run the recipe language server (Language Server Protocol) for editors')
    .option('--stdio', 'talk over stdin/stdout (the only transport; editors pass it)')
    .option('--model <model>', 'an ONNX model: check recipes against it and complete its layer names')
    .action(async (opts: { stdio?: boolean; model?: string }) => {
      if (!opts.stdio)
        throw new UserError('squish lsp needs --stdio', 'run `squish lsp --stdio` from your editor');
      const { createConnection, ProposedFeatures } = await import('vscode-languageserver/node');
      const { startServer } = await import('../../lsp/server.ts');
      const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
      const closed = new Promise<void>((done) => connection.onExit(() => done()));
      startServer(connection, { model: opts.model ? resolve(io.cwd, opts.model) : undefined });
      await closed;
    });
};
