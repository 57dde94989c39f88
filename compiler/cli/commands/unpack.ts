// `squish unpack FILE.sqz -o model.onnx [--force]`: restore the ONNX model a .sqz container holds
// (bit-identical tensors; clustered layers stay in their indices + codebook → Gather form, as
// compiled). A damaged container is one UserError and nothing is written.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../../runtime/errors.ts';
import { exportModel } from '../../../runtime/onnx/export.ts';
import { isSqz, readSqz } from '../../../runtime/sqz/read.ts';
import { commitFiles } from '../../io/commit.ts';
import type { CliIO } from '../io.ts';
import { checkOutputPaths } from '../output.ts';
import { readModelBytes } from './compile.ts';
import type { RegisterCommand } from './index.ts';

export const registerUnpack: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('unpack')
    .description('restore the ONNX model a .sqz container holds')
    .argument('<file>', 'the .sqz file (from `squish compile` with output { format sqz })')
    .requiredOption('-o, --output <model.onnx>', 'where to write the ONNX model')
    .option('--force', 'overwrite an existing output file')
    .addHelpText(
      'after',
      [
        '',
        'The ONNX model is the one compile packed, bit for bit: clustered layers keep their uint8/uint4',
        'indices + float codebook → Cast → Gather form (onnxruntime runs it unchanged); every other tensor',
        'is a plain dense initializer. The container format is described in docs/sqz.md.',
      ].join('\n'),
    )
    .action(async (file: string, opts: { output: string; force?: boolean }) => {
      const path = resolve(io.cwd, file);
      const out = resolve(io.cwd, opts.output);
      checkOutputPaths(
        [{ path: out, flag: '-o', what: 'the ONNX model' }],
        [{ path, flag: 'FILE', what: 'the input .sqz' }],
        Boolean(opts.force),
      );
      const bytes = readModelBytes(path, file);
      if (!isSqz(bytes)) {
        throw new UserError(
          `${file} is not a .sqz file (no \\x89SQZ magic)`,
          'pass a file written by `squish compile` with output { format sqz }',
        );
      }
      const onnx = exportModel(readSqz(bytes, file));
      await commitFiles([{ target: out, bytes: onnx, label: opts.output }], {
        overwrite: Boolean(opts.force),
      });
      io.out(`wrote ${opts.output}: ${onnx.length} bytes of ONNX from ${bytes.length} bytes of .sqz\n`);
    });
};
