// Bad input never throws: empty, binary, 1 MB lines, unterminated strings/regexes, deep nesting, unicode; includes; rendering.
import { describe, expect, it } from 'vitest';
import {
  CATALOG,
  checkRecipe,
  diag,
  flattenStatements,
  formatRecipe,
  type IncludeHost,
  parseRecipe,
  renderDiagnostic,
} from '../../dsl/index.ts';
import { RecipeParser } from '../../dsl/parser.ts';

function codes(text: string): string[] {
  return checkRecipe(text, { file: 't.squish' }).diagnostics.map((d) => d.code);
}

describe('bad input gives diagnostics, never an exception', () => {
  it('empty and blank files are a valid empty recipe', () => {
    for (const t of ['', '\n\n', '   ', '# only a comment\n']) {
      const r = checkRecipe(t);
      expect(r.diagnostics).toEqual([]);
      expect(r.ast.statements).toEqual([]);
      expect(formatRecipe(t).ok).toBe(true);
    }
  });

  it('binary garbage: one diagnostic saying it is not text', () => {
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919 + 13) % 256);
    const r = checkRecipe(new TextDecoder().decode(bytes), { file: 'model.onnx' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['SQ106']);
  });

  it('garbage without NUL bytes: bounded diagnostics, quickly', () => {
    const t = Array.from({ length: 200_000 }, (_, i) => String.fromCharCode(1 + ((i * 7919) % 255))).join('');
    const t0 = performance.now();
    const r = checkRecipe(t);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.length).toBeLessThanOrEqual(110);
    for (const d of r.diagnostics) expect(d.span.offset + d.span.length).toBeLessThanOrEqual(t.length);
  });

  it('a 1 MB single line: one word, one long selector list', () => {
    const word = 'x'.repeat(1_000_000);
    const r = checkRecipe(word);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['SQ202']);
    expect(r.diagnostics[0]!.message.length).toBeLessThan(100);
    expect(renderDiagnostic(r.diagnostics[0]!, word).split('\n')[2]!.length).toBeLessThan(200);
    const keep = `keep ${'conv, '.repeat(166_000)}conv`;
    expect(keep.length).toBeGreaterThan(990_000);
    const k = parseRecipe(keep);
    expect(k.diagnostics).toEqual([]);
    expect(flattenStatements(k.ast)[0]).toMatchObject({ kind: 'keep' });
  });

  it('unterminated strings and regexes', () => {
    expect(codes('recipe "half\nkeep conv')).toContain('SQ102');
    expect(codes('keep /abc\nkeep conv')).toContain('SQ103');
    expect(codes('include "a\\"')).toContain('SQ102');
    const t = `recipe "${'a'.repeat(1_000_000)}`;
    expect(codes(t)).toEqual(['SQ102']);
  });

  it('deep nesting is refused with a diagnostic, not a stack overflow', () => {
    const parens = `prune weights of conv where ${'('.repeat(20_000)}params > 1${')'.repeat(20_000)}`;
    expect(codes(parens)).toEqual(['SQ105']);
    const lists = `calibrate { normalize mean ${'['.repeat(50_000)} std 1 }`;
    expect(codes(lists)).toEqual(['SQ105']);
    expect(codes(`keep conv where ${'not '.repeat(20_000)}depthwise`)).toEqual(['SQ105']);
    expect(codes(`keep conv where depthwise${' and depthwise'.repeat(20_000)}`)).toEqual(['SQ105']);
    expect(codes(`keep conv where ${'not '.repeat(60)}depthwise${' or depthwise'.repeat(100)}`)).toEqual([]);
    // moderate nesting is fine
    expect(codes(`keep conv where ${'('.repeat(30)}depthwise${')'.repeat(30)}`)).toEqual([]);
  });

  it('unicode names and strings', () => {
    const t =
      'recipe "モデル ✓"\nquantize weights of "ünï/ç*", "层/*" { bits 8 }\nmodel { input 入力: float32[1, 3] }\n';
    const r = checkRecipe(t);
    expect(r.diagnostics).toEqual([]);
    const s = flattenStatements(r.ast);
    expect(s[0]).toMatchObject({ kind: 'recipe', name: 'モデル ✓' });
    expect(s[1]).toMatchObject({ selectors: [{ pattern: 'ünï/ç*' }, { pattern: '层/*' }] });
    expect(s[2]).toMatchObject({ inputs: [{ name: '入力' }] });
    expect(formatRecipe(t).text).toBe(
      t
        .replace('float32[1, 3] }', 'float32[1, 3] }')
        .replace('model { input 入力: float32[1, 3] }', 'model {\n  input 入力: float32[1, 3]\n}'),
    );
    // emoji (surrogate pairs) and odd whitespace in a bad spot still give sane spans
    const bad = 'keep 😀conv\u00a0\u2028';
    for (const d of checkRecipe(bad).diagnostics)
      expect(d.span.offset + d.span.length).toBeLessThanOrEqual(bad.length);
  });

  it('a long path in a message keeps its file name; other long words keep their ends', () => {
    const at = { file: 't.squish', offset: 0, line: 1, column: 1, length: 1 };
    const deep = `/${'d'.repeat(30)}/${'e'.repeat(40)}/lines/no-such-line.png`;
    const m = diag('SQ412', at, `labels ${deep}, which does not exist`).message;
    expect(m).toMatch(/^labels \/d+\/e+…\/no-such-line\.png, which does not exist$/);
    expect(m.split(' ')[1]!.length).toBeLessThanOrEqual(60);
    const blob = diag('SQ412', at, `x ${'a'.repeat(500)}b`).message;
    expect(blob).toBe(`x ${'a'.repeat(48)}…${'a'.repeat(7)}b`);
  });

  it('CRLF line endings keep lines and columns', () => {
    const r = checkRecipe('recipe "a"\r\nprune weights of conv { sparsty 5% }\r\n');
    expect(r.diagnostics.map((d) => [d.span.line, d.span.column, d.code])).toEqual([[2, 25, 'SQ301']]);
  });
});

describe('include through a host callback', () => {
  const files: Record<string, string> = {
    '/r/main.squish': 'recipe "main"\ninclude "lib/base.squish"\nquantize weights of conv { bits 8 }\n',
    '/r/lib/base.squish': 'calibrate { random  samples 4 }\ninclude "../leaf.squish"\n',
    '/r/leaf.squish': 'output { opset 17 }\n',
    '/r/a.squish': 'include "b.squish"\n',
    '/r/b.squish': 'include "a.squish"\n',
    '/r/self.squish': 'include "self.squish"\n',
    '/r/broken.squish': 'include "bad.squish"\n',
    '/r/bad.squish': 'prune weights of conv { sparsty 5% }\n',
  };
  const host: IncludeHost = (path, from) => {
    const dir = from.slice(0, from.lastIndexOf('/'));
    const parts = `${dir}/${path}`.split('/');
    const out: string[] = [];
    for (const p of parts) {
      if (p === '..') out.pop();
      else out.push(p);
    }
    const file = out.join('/');
    const text = files[file];
    return text === undefined ? undefined : { file, text };
  };

  it('inlines included statements in place, relative to the including file', () => {
    const r = checkRecipe(files['/r/main.squish']!, { file: '/r/main.squish', include: host });
    expect(r.diagnostics).toEqual([]);
    const s = flattenStatements(r.ast);
    expect(s.map((x) => x.kind)).toEqual(['recipe', 'calibrate', 'output', 'quantize']);
    expect(s[1]!.span.file).toBe('/r/lib/base.squish');
    expect(s[2]!.span.file).toBe('/r/leaf.squish');
  });

  it('reports cycles (also a file including itself) and missing files', () => {
    const a = checkRecipe(files['/r/a.squish']!, { file: '/r/a.squish', include: host });
    expect(a.diagnostics.map((d) => d.code)).toEqual(['SQ319']);
    expect(a.diagnostics[0]!.message).toContain('/r/a.squish → /r/b.squish → /r/a.squish');
    const self = checkRecipe(files['/r/self.squish']!, { file: '/r/self.squish', include: host });
    expect(self.diagnostics.map((d) => d.code)).toEqual(['SQ319']);
    const missing = checkRecipe('include "nope.squish"', { file: '/r/x.squish', include: host });
    expect(missing.diagnostics.map((d) => [d.code, d.span.line, d.span.column])).toEqual([['SQ318', 1, 9]]);
    const throwing = checkRecipe('include "x"', {
      file: '/r/x.squish',
      include: () => {
        throw new Error('permission denied');
      },
    });
    expect(throwing.diagnostics[0]!.message).toContain('permission denied');
  });

  it('problems inside an included file point into that file', () => {
    const r = checkRecipe(files['/r/broken.squish']!, { file: '/r/broken.squish', include: host });
    expect(r.diagnostics.map((d) => `${d.span.file}:${d.span.line}:${d.span.column} ${d.code}`)).toEqual([
      '/r/bad.squish:1:25 SQ301',
    ]);
    const shown = renderDiagnostic(r.diagnostics[0]!, (f) => r.sources.get(f));
    expect(shown).toContain('sparsty 5%');
  });

  it('without a host, include is kept unresolved and is not an error', () => {
    const r = checkRecipe('include "x.squish"');
    expect(r.diagnostics).toEqual([]);
    expect(r.ast.statements[0]).toMatchObject({ kind: 'include', path: 'x.squish' });
  });
});

describe('diagnostics', () => {
  it('render as file:line:col: severity[CODE]: message, code frame with caret, help', () => {
    const text = 'recipe "x"\nprune weights of conv {\n  sparsty 25%\n}\n';
    const [d] = checkRecipe(text, { file: 'r.squish' }).diagnostics;
    expect(renderDiagnostic(d!, text)).toBe(
      [
        "r.squish:3:3: error[SQ301]: unknown option 'sparsty' in prune",
        '  |',
        '3 |   sparsty 25%',
        '  |   ^^^^^^^',
        "  = help: did you mean 'sparsity'?",
        '',
      ].join('\n'),
    );
  });

  it('every code comes from the catalog', () => {
    const texts = [
      'prun x',
      'keep conb',
      'target x <= 1',
      'prune 5:2 of conv',
      'calibrate { foo 1 }',
      'quantize weights of conv { bits 9 }',
    ];
    for (const t of texts) for (const d of checkRecipe(t).diagnostics) expect(CATALOG).toHaveProperty(d.code);
  });

  it('warnings are warnings', () => {
    const r = checkRecipe('prune 2:4 of conv { sparsity 50% }');
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['SQ317', 'warning']]);
  });
});

describe('grammar', () => {
  it('passes chevrotain self-validation (no ambiguities, no left recursion)', () => {
    expect(() => new RecipeParser(true)).not.toThrow();
  });
});
