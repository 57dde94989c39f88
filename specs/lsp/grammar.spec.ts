// The TextMate grammar (editors/vscode) stays in step with the statement table: its statement
// pattern names exactly the table's keywords and variant words, every pattern compiles, and the
// value pattern takes the language's units (`25%`, `1.5MB`, `64k`, `3x3`, `2:4`, `20%..60%`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATEMENT_KEYWORDS, STATEMENTS } from '../../dsl/table/index.ts';
import { ROOT } from '../support/paths.ts';

interface Rule {
  match?: string;
  begin?: string;
  end?: string;
  patterns?: Rule[];
}
const grammar = JSON.parse(
  readFileSync(join(ROOT, 'editors/vscode/syntaxes/squish.tmLanguage.json'), 'utf8'),
) as { scopeName: string; repository: Record<string, Rule> };

/** Oniguruma and JavaScript agree on the constructs this grammar uses. */
const js = (p: string) => new RegExp(p, 'u');
const all = (r: Rule): string[] => [
  ...[r.match, r.begin, r.end].filter((p): p is string => p !== undefined),
  ...(r.patterns ?? []).flatMap(all),
];

describe('TextMate grammar for .squish', () => {
  it('compiles every pattern', () => {
    const patterns = Object.values(grammar.repository).flatMap(all);
    expect(patterns.length).toBeGreaterThan(10);
    for (const p of patterns) expect(() => js(p), p).not.toThrow();
  });

  it('names exactly the statement table’s keywords and variants', () => {
    const statement = grammar.repository.statement!.match!;
    const words = (i: number) => [...statement.matchAll(/\(([a-z|]+)\)/g)][i]![1]!.split('|');
    expect(new Set(words(0))).toEqual(new Set(STATEMENT_KEYWORDS));
    expect(new Set(words(1))).toEqual(new Set(STATEMENTS.flatMap((d) => (d.variant ? [d.variant] : []))));
    for (const d of STATEMENTS) {
      const line = `  ${d.keyword}${d.variant ? ` ${d.variant}` : ''} of conv`;
      const m = js(statement).exec(line);
      expect(m?.[1]).toBe(d.keyword);
      expect(m?.[2]).toBe(d.variant);
    }
    expect(js(statement).exec('  bits 8')).toBeNull();
  });

  it('marks the language’s values as numbers, whole', () => {
    const number = grammar.repository.value!.patterns![0]!.match!;
    for (const v of ['8', '25%', '1.5MB', '200KiB', '64k', '3x3', '2:4', '20%..60%', '4..8', '0.5', '1e-3'])
      expect(js(`^${number}$`).test(v), v).toBe(true);
    expect(js(number).exec('conv2')).toBeNull();
  });
});
