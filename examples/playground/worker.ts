// The playground's compile, off the page's thread: model bytes, recipe text and the picked files
// come in; progress, then the compressed model and the report (or the error) go back.

import { compileModel } from '../../compiler/compile.ts';
import { browserHost } from '../../compiler/io/browser.ts';
import '../../compiler/passes/lossy.ts';

export interface CompileRequest {
  model: Uint8Array;
  recipe: string;
  recipeFile: string;
  files: Record<string, Blob>;
}

export type CompileReply =
  | { type: 'progress'; step: string; done: number; total: number }
  | { type: 'done'; model: Uint8Array; report: unknown; missed?: string }
  | { type: 'error'; message: string };

const scope = self as unknown as Worker;
const reply = (m: CompileReply, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

scope.onmessage = async (e: MessageEvent<CompileRequest>) => {
  const { model, recipe, recipeFile, files } = e.data;
  try {
    const result = await compileModel(model, recipe, {
      recipeFile,
      host: browserHost({ files, base: new URL('/', self.location.href) }),
      onProgress: (step, done, total) => reply({ type: 'progress', step, done, total }),
    });
    reply({ type: 'done', model: result.model, report: result.report, missed: result.missed?.message }, [
      result.model.buffer as ArrayBuffer,
    ]);
  } catch (err) {
    const x = err as Error & { help?: string };
    reply({ type: 'error', message: `${x.message}${x.help ? `\nhelp: ${x.help}` : ''}` });
  }
};
