// Hostile includes end quickly with one clear diagnostic: a fan-out of 21 files that each include the
// next twice (2^20 inclusions, no cycle), an included text of megabytes, and — through the Node
// host — /dev/zero, a FIFO and a folder, which are not read at all.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../compiler/io/host.ts';
import { inspectRecipe } from '../../compiler/plan/recipe.ts';
import { checkRecipe, type IncludeHost } from '../../dsl/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'squish-include-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('include limits', () => {
  it('a fan-out of 2^20 inclusions stops at 256 files with one SQ325', () => {
    let reads = 0;
    const host: IncludeHost = (path) => {
      reads++;
      const i = Number(/f(\d+)/.exec(path)![1]);
      const text = i < 20 ? `include "f${i + 1}.squish"\ninclude "f${i + 1}.squish"\n` : 'cleanup none\n';
      return { file: path, text };
    };
    const t = performance.now();
    const r = checkRecipe('include "f0.squish"\n', { file: 'top.squish', include: host });
    const limits = r.diagnostics.filter((d) => d.code === 'SQ325');
    expect(limits).toHaveLength(1);
    expect(limits[0]!.message).toBe('more than 256 includes in all');
    expect(reads).toBeLessThanOrEqual(257);
    expect(performance.now() - t).toBeLessThan(30_000);
  });

  it('included text past 4 MB in all is SQ325, once', () => {
    const big = `# ${'x'.repeat(1_500_000)}\n`;
    const host: IncludeHost = (path) => ({ file: path, text: big });
    const text = Array.from({ length: 5 }, (_, i) => `include "b${i}.squish"`).join('\n');
    const r = checkRecipe(text, { file: 'top.squish', include: host });
    expect(r.diagnostics.map((d) => `${d.span.line}:${d.span.column} ${d.code}`)).toEqual(['3:9 SQ325']);
  });

  it('the Node host reads only regular files: /dev/zero, a FIFO and a folder are SQ318 at once', () => {
    const fifo = join(dir, 'pipe.squish');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(join(dir, 'folder.squish'));
    for (const target of ['/dev/zero', fifo, join(dir, 'folder.squish')]) {
      const text = `include "${target}"\n`;
      const r = inspectRecipe(text, join(dir, 'top.squish'), nodeHost(dir));
      const d = r.diagnostics.filter((x) => x.severity === 'error');
      expect(d.map((x) => x.code)).toEqual(['SQ318']);
      expect(d[0]!.message).toMatch(/is not a regular file/);
    }
  });

  it('a regular file larger than 4 MB is not read', () => {
    const huge = join(dir, 'huge.squish');
    writeFileSync(huge, Buffer.alloc(4_000_001, 0x23));
    const r = inspectRecipe('include "huge.squish"\n', join(dir, 'top.squish'), nodeHost(dir));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['SQ318']);
    expect(r.diagnostics[0]!.message).toMatch(/a recipe is at most 4 MB/);
  });
});
