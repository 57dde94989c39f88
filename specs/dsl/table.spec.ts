// The statement table: its entries are consistent (keywords, ids, action kinds, option examples) and
// everything derived from it agrees — hover docs name each statement and option, every option's
// example checks clean in its statement, and the keyword union covers the table.
import { describe, expect, it } from 'vitest';
import { checkRecipe, hoverAt } from '../../dsl/index.ts';
import {
  ACTION_KINDS,
  type OptionSpec,
  STATEMENT_KEYWORDS,
  STATEMENTS,
  type StatementKeyword,
} from '../../dsl/table/index.ts';

const KEYWORDS: Record<StatementKeyword, true> = {
  recipe: true,
  include: true,
  model: true,
  calibrate: true,
  prune: true,
  factorize: true,
  quantize: true,
  cluster: true,
  keep: true,
  cleanup: true,
  distill: true,
  finetune: true,
  output: true,
  search: true,
  target: true,
};

/** A statement head that takes a block, for trying one option. */
function head(id: string): string {
  const d = STATEMENTS.find((x) => x.id === id)!;
  const words = [d.keyword, ...(d.variant ? [d.variant] : [])];
  if (d.shape.granularity) words.push('channels');
  if (d.shape.selectors === 'of') words.push('of conv');
  if (d.shape.selectors === 'bare') words.push('conv');
  return words.join(' ');
}

describe('the statement table', () => {
  it('ids are unique, every keyword is in the keyword union, action kinds are unique', () => {
    expect(new Set(STATEMENTS.map((d) => d.id)).size).toBe(STATEMENTS.length);
    expect(STATEMENT_KEYWORDS.sort()).toEqual(Object.keys(KEYWORDS).sort());
    expect(new Set(ACTION_KINDS.map((k) => k.kind)).size).toBe(ACTION_KINDS.length);
    expect(ACTION_KINDS.map((k) => k.kind)).toEqual([
      'prune-structure',
      'factorize',
      'prune-sparse',
      'cluster',
      'quantize-weights',
      'quantize-activations',
      'distill',
      'finetune',
    ]);
  });

  for (const d of STATEMENTS.filter((x) => x.options?.length)) {
    it(`${d.id}: each option's example checks clean inside its statement`, () => {
      for (const o of d.options!) {
        const extra = d.id === 'finetune' && o.name !== 'labels' ? '  labels "l.tsv"' : '';
        const text = `calibrate { random }\n${d.id === 'calibrate' ? '' : `${head(d.id)} `}${d.id === 'calibrate' ? `calibrate { ${o.example} }` : `{ ${o.example}${extra} }`}\n`;
        const got = checkRecipe(d.id === 'calibrate' ? text.replace('calibrate { random }\n', '') : text, {
          file: 't',
        });
        expect(
          got.diagnostics.filter((x) => x.severity === 'error').map((x) => x.message),
          `${d.id} ${o.example}`,
        ).toEqual([]);
      }
    });
  }
});

describe('hover docs from the table', () => {
  it('a statement keyword shows its syntax and summary', () => {
    const text = 'prune channels of conv { sparsity 25% }\n';
    const h = hoverAt(text, 2)!;
    expect(h.markdown).toContain('prune GRANULARITY of SELECTORS [where PRED] [{ … }]');
    expect(h.markdown).toContain('remove units of the selected layers');
    expect(h.span).toMatchObject({ line: 1, column: 1, length: 5 });
  });

  it('an option (nested ones too) shows its values, meaning and example', () => {
    const text =
      'calibrate {\n  images "a/*.png"\n  augment { crop 0.8..1  flip }\n}\ndistill { loss kl  temperature 4 }\n';
    expect(hoverAt(text, text.indexOf('images'))!.markdown).toContain('a quoted glob of images');
    expect(hoverAt(text, text.indexOf('crop'))!.markdown).toContain('random crop');
    expect(hoverAt(text, text.indexOf('temperature'))!.markdown).toContain('softmax temperature');
    expect(hoverAt(text, text.indexOf('distill'))!.markdown).toContain('knowledge distillation');
  });

  it('a target metric shows what it compares', () => {
    const text = 'target latency <= 60%\n';
    expect(hoverAt(text, text.indexOf('latency'))!.markdown).toContain('onnxruntime-node');
    expect(hoverAt(text, text.length - 1)).toBeUndefined();
  });

  it('every statement and every option has docs', () => {
    const all = (specs: readonly OptionSpec[]): OptionSpec[] =>
      specs.flatMap((o) => [o, ...o.forms.flat().flatMap((v) => (v.type === 'block' ? all(v.options) : []))]);
    for (const d of STATEMENTS) {
      expect(d.summary.length, d.id).toBeGreaterThan(10);
      expect(d.examples.length, d.id).toBeGreaterThan(0);
      for (const o of all(d.options ?? [])) expect(o.doc.length, `${d.id} ${o.name}`).toBeGreaterThan(5);
    }
  });
});
