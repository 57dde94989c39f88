// Bad input to distill/finetune is one catalogued diagnostic at the statement's file:line:col, before
// any output: a teacher that cannot be read or does not fit, labels naming files that do not exist,
// finetune without labels, a loss that does not fit the outputs, training that diverges. Through the
// CLI: exit 1, the located message, no output file. A finetune with good labels trains.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { MODELS } from '../support/paths.ts';
import { clsHeader, compileCls, TRANSFER } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'squish-distill-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The recipe with one training statement on line 13 (after the header and a blank line). */
const recipe = (statement: string) => `${clsHeader(4)}\n${statement}\n`;

async function failure(statement: string): Promise<string> {
  const e = await compileCls(recipe(statement)).then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  expect(e, 'the compile should fail').toBeInstanceOf(Error);
  return e!.message;
}

describe('distill and finetune: bad input', () => {
  it('a teacher file that does not exist, or whose outputs do not fit', { timeout: 120_000 }, async () => {
    const missing = await failure('distill { teacher "no-such-teacher.onnx"  steps 2  batch 2 }');
    expect(missing).toMatch(
      /inline\.squish:13:19: error\[SQ411\]: cannot read the teacher "no-such-teacher\.onnx"/,
    );
    const rec = await failure(`distill { teacher "${MODELS.rec}"  loss mse  steps 2  batch 2 }`);
    expect(rec).toMatch(/inline\.squish:13:19: error\[SQ411\]: the teacher does not fit the model: /);
    console.log(rec.split('\n')[0]);
  });

  it('labels for files that do not exist; finetune without labels', { timeout: 120_000 }, async () => {
    const tsv = join(dir, 'labels.tsv');
    const rows = Array.from({ length: 1200 }, (_, i) => `line${String(i).padStart(4, '0')}.png`);
    const labelled = rows.flatMap((r) => [`${TRANSFER}/lines/${r}\t0`, `${TRANSFER}/flipped/${r}\t1`]);
    writeFileSync(tsv, ['file\tlabel', ...labelled, `${TRANSFER}/lines/no-such-line.png\t1`].join('\n'));
    const m = await failure(`finetune { labels "${tsv}"  loss cross-entropy  steps 2  batch 2 }`);
    expect(m).toMatch(
      /inline\.squish:13:19: error\[SQ412\]: .* labels .*no-such-line\.png, which does not exist/,
    );
    const none = await failure('finetune { loss cross-entropy  steps 2  batch 2 }');
    expect(none).toMatch(/inline\.squish:13:1: error\[SQ323\]: finetune needs labels/);
  });

  it('a loss that does not fit the outputs; training that diverges', { timeout: 120_000 }, async () => {
    const ctc = await failure('distill { loss ctc  steps 2  batch 2 }');
    expect(ctc).toMatch(/inline\.squish:13:\d+: error\[SQ\d+\]: .*ctc/);
    const diverged = await failure('distill { loss mse  steps 6  batch 2  optimizer sgd  lr 1e30 }');
    expect(diverged).toMatch(/inline\.squish:13:1: error\[SQ414\]/);
    console.log(diverged.split('\n')[0]);
  });

  it('finetune with labels for every training file trains and reports', { timeout: 120_000 }, async () => {
    const tsv = join(dir, 'good.tsv');
    const rows = Array.from({ length: 1200 }, (_, i) => `line${String(i).padStart(4, '0')}.png`);
    writeFileSync(
      tsv,
      rows.flatMap((r) => [`${TRANSFER}/lines/${r}\t0`, `${TRANSFER}/flipped/${r}\t1`]).join('\n'),
    );
    const r = await compileCls(
      recipe(`finetune { labels "${tsv}"  loss cross-entropy  steps 2  batch 2  lr 1e-4 }`),
    );
    const t = r.report.training!;
    expect(t.kind).toBe('finetune');
    expect(t.steps).toBe(2);
    expect(t.loss_curve.every((p) => Number.isFinite(p.loss))).toBe(true);
  });

  it('through the CLI: exit 1, the located message, no output written', { timeout: 120_000 }, async () => {
    const file = join(dir, 'bad.squish');
    writeFileSync(file, recipe('distill { teacher "missing.onnx"  steps 2  batch 2 }'));
    const out = join(dir, 'out.onnx');
    const r = await runCli(['compile', MODELS.cls, '--recipe', file, '-o', out, '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad.squish:13:19: error[SQ411]: cannot read the teacher "missing.onnx"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });
});
