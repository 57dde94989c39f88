// One Deep-Compression compile of a LeNet by its example recipe, as deep-compression.ts runs it:
// labelled finetune on onnxruntime-node, and a recipe target it misses is an error (TargetsMissedError,
// the rendered SQ502 diagnostics), as in `squish compile` — never a .sqz that quietly breaks the target.

import * as ort from 'onnxruntime-node';
import { compile } from '../../compiler/compile.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import '../../compiler/passes/lossy.ts';
import type { Report } from '../../compiler/report/types.ts';
import { type OrtLike, ortRunner } from '../../compiler/train/runner.ts';

export async function compressLeNet(
  original: Uint8Array,
  recipeText: string,
  recipeFile: string,
  log: (line: string) => void = () => {},
): Promise<{ model: Uint8Array; report: Report }> {
  return compile(original, recipeText, {
    recipeFile,
    host: nodeHost(),
    trainRunner: ortRunner(ort as unknown as OrtLike, { threads: 1 }),
    status: log,
    warn: log,
  });
}
