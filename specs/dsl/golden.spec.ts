// Golden corpus of wrong recipes: each file states the diagnostics it must produce (line:col, code, did-you-mean).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRecipe, renderDiagnostic } from '../../dsl/index.ts';
import { ROOT } from '../support/paths.ts';

const DIR = join(ROOT, 'specs/dsl/bad');

interface Expected {
  line: number;
  column: number;
  code: string;
  help?: string;
}

/** `# expect LINE:COL CODE [text the help or message must contain]` comments in the file. */
function expectations(text: string): Expected[] {
  return [...text.matchAll(/^\s*# expect (\d+):(\d+) (SQ\d+)(?: (.+))?$/gm)].map((m) => ({
    line: Number(m[1]),
    column: Number(m[2]),
    code: m[3]!,
    ...(m[4] ? { help: m[4].trim() } : {}),
  }));
}

describe('golden corpus of wrong recipes', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.squish'));
  it('has a corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });
  for (const f of files) {
    it(f, () => {
      const text = readFileSync(join(DIR, f), 'utf8');
      const want = expectations(text);
      expect(want.length).toBeGreaterThan(0);
      const { diagnostics } = checkRecipe(text, { file: f });
      const got = diagnostics.map((d) => `${d.span.line}:${d.span.column} ${d.code}`);
      // Exactly the expected problems, each at its place (all reported, not only the first).
      expect(got.sort()).toEqual(want.map((w) => `${w.line}:${w.column} ${w.code}`).sort());
      for (const w of want) {
        const d = diagnostics.find(
          (x) => x.span.line === w.line && x.span.column === w.column && x.code === w.code,
        )!;
        if (w.help) expect(`${d.message} | ${d.help ?? ''}`).toContain(w.help);
        const shown = renderDiagnostic(d, text);
        expect(shown.split('\n')[0]).toBe(
          `${f}:${w.line}:${w.column}: ${d.severity}[${w.code}]: ${d.message}`,
        );
        expect(shown).toMatch(/\n\s*\d+ \| .*\n\s+\| *\^+/);
      }
    });
  }
});
