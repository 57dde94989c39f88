// fast-check: grammar-generated recipes round-trip through the formatter; random and mutated inputs never throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkRecipe,
  type Diagnostic,
  formatRecipe,
  parseRecipe,
  renderDiagnostic,
  stripSpans,
} from '../../dsl/index.ts';
import { positionAt } from '../../dsl/span.ts';
import { noise, recipeText } from './gen.ts';

function spansInside(text: string, diags: Diagnostic[]): void {
  for (const d of diags) {
    const { offset, length, line, column } = d.span;
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(length).toBeGreaterThanOrEqual(0);
    expect(offset + length).toBeLessThanOrEqual(text.length);
    expect({ line, column }).toEqual(positionAt(text, offset));
    expect(typeof renderDiagnostic(d, text)).toBe('string');
  }
}

describe('formatter properties on grammar-generated recipes', () => {
  it('generated recipes parse without syntax errors', () => {
    fc.assert(
      fc.property(recipeText, (r) => {
        const p = parseRecipe(r, { file: 'g' });
        expect(p.diagnostics).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('parse(fmt(r)) ≡ parse(r) and fmt(fmt(r)) == fmt(r)', () => {
    fc.assert(
      fc.property(recipeText, (r) => {
        const once = formatRecipe(r, { file: 'g' });
        expect(once.ok).toBe(true);
        expect(stripSpans(parseRecipe(once.text, { file: 'g' }).ast)).toEqual(
          stripSpans(parseRecipe(r, { file: 'g' }).ast),
        );
        expect(formatRecipe(once.text, { file: 'g' }).text).toBe(once.text);
        // comments survive formatting
        const comments = (s: string) => (s.match(/#[^\n]*/g) ?? []).map((c) => c.trim()).join('|');
        expect(comments(once.text).replace(/ +/g, ' ')).toBe(comments(r).replace(/ +/g, ' '));
      }),
      { numRuns: 150 },
    );
  });
});

describe('robustness: never throws, every span inside the input', () => {
  it('random text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })),
        (t) => {
          const r = checkRecipe(t, { file: 'r' });
          spansInside(t, r.diagnostics);
          formatRecipe(t);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('mutated generated recipes', () => {
    const mutated = fc
      .tuple(
        recipeText,
        fc.array(fc.tuple(fc.nat(), fc.nat(6), fc.array(noise, { maxLength: 3 })), {
          minLength: 1,
          maxLength: 4,
        }),
      )
      .map(([r, edits]) => {
        let t = r;
        for (const [at, del, ins] of edits) {
          const i = t.length ? at % (t.length + 1) : 0;
          t = t.slice(0, i) + ins.join('') + t.slice(i + del);
        }
        return t;
      });
    fc.assert(
      fc.property(mutated, (t) => {
        const r = checkRecipe(t, { file: 'm' });
        spansInside(t, r.diagnostics);
        const f = formatRecipe(t, { file: 'm' });
        if (f.ok) expect(formatRecipe(f.text, { file: 'm' }).text).toBe(f.text);
      }),
      { numRuns: 200 },
    );
  });
});
