// Compile and check errors a user can act on: every diagnostic carries one file:line:col (ranges, a
// cluster + quantize conflict, a missed target, a calibration glob that matches nothing, a dynamic
// shape under random data), "error" is never printed twice on a line, a 200,000-character token is
// not echoed whole, names that contain dots are asked for in quotes (one error, the same from check
// and compile), and an unmatched name gets the nearest layer names and a pointer to `squish inspect`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { MODELS } from '../support/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'squish-diag-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PIN = 'model { input x: float32[1, 3, 48, 192] }\n';

/** Writes a recipe into the temp folder; its name is relative to it (the CLI runs there). */
function recipe(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

async function compile(name: string, text: string) {
  return runCli(
    ['compile', MODELS.cls, '--recipe', recipe(name, text), '-o', join(dir, `${name}.onnx`)],
    dir,
  );
}

/** The first line names one place and says "error" once. */
function oneLocation(stderr: string, file: string, code: string): RegExpExecArray {
  const first = stderr.split('\n')[0]!;
  expect(first.match(/error/g), first).toHaveLength(1);
  const m = new RegExp(`^${file.replace('.', '\\.')}:(\\d+):(\\d+): error\\[${code}\\]: `).exec(first);
  expect(m, stderr).not.toBeNull();
  return m!;
}

describe('compile errors: one file:line:col each', () => {
  it.each([
    ['range', `${PIN}prune weights of conv { sparsity 20%..60% }\n`, 'SQ322', '2:34'],
    [
      'conflict',
      `${PIN}cluster weights of conv[0] { clusters 4 }\nquantize weights of conv { bits 8 }\n`,
      'SQ406',
      '3:1',
    ],
    ['glob', `${PIN}calibrate { images "nothing/*.png"  samples 2 }\n`, 'SQ408', '2:20'],
    ['dynamic', 'calibrate { random  samples 2 }\nquantize weights of conv { bits 8 }\n', 'SQ407', '1:1'],
    ['target', `${PIN}target params <= 1k\n`, 'SQ502', '2:8'],
  ])('%s', async (name, text, code, at) => {
    const r = await compile(`${name}.squish`, text);
    expect(r.code).toBe(1);
    const m = oneLocation(r.stderr, `${name}.squish`, code);
    expect(`${m[1]}:${m[2]}`).toBe(at);
    expect(r.stderr).toMatch(/\n\s*\d+ \| .*\n\s+\| *\^+/); // the code frame
  });

  it('a 200,000-character token is shown in part, in the message and in the frame', async () => {
    const long = 'w'.repeat(200_000);
    const text = `quantize weights of conv { ${long} 8 }\n`;
    const c = await compile('long.squish', text);
    const k = await runCli(['check', recipe('long.squish', text)], dir);
    for (const r of [c, k]) {
      expect(r.code).toBe(1);
      expect(r.stderr.length).toBeLessThan(1500);
      expect(r.stderr).toMatch(
        /long\.squish:1:28: error\[SQ301\]: unknown option 'w+…w+' in quantize weights/,
      );
    }
  });
});

describe('names', () => {
  it('an unquoted name with dots: one error, check and compile agree', async () => {
    const text = 'quantize weights of p2o.Conv.9 { bits 8 }\n';
    const k = await runCli(['check', recipe('dots.squish', text), '--model', MODELS.cls], dir);
    const c = await compile('dots.squish', text);
    for (const r of [k, c]) {
      expect(r.code).toBe(1);
      oneLocation(r.stderr, 'dots.squish', 'SQ326');
      expect(r.stderr).toContain('names that contain dots are quoted');
      expect(r.stderr).toContain('help: write "p2o.Conv.9"');
      expect(r.stderr.match(/error\[/g)).toHaveLength(1);
    }
    expect(k.stderr.split('\n')[0]).toBe(c.stderr.split('\n')[0]);
  });

  it('a name that matches nothing: the nearest layer names (not folded BatchNormalization) and squish inspect', async () => {
    const k = await runCli(
      ['check', recipe('far.squish', 'keep "backbone/stage9/conv*"\n'), '--model', MODELS.cls],
      dir,
    );
    expect(k.code).toBe(1);
    const help = /= help: (.*)/.exec(k.stderr)![1]!;
    expect(help).toMatch(/^the nearest layer names are "p2o\.[A-Za-z]+\.\d+"/);
    expect(help).toContain('`squish inspect MODEL` lists every layer');
    expect(help).not.toMatch(/BatchNormalization|batch_norm/);
    const near = await runCli(
      ['check', recipe('near.squish', 'keep "p2o.Conv.9x"\n'), '--model', MODELS.cls],
      dir,
    );
    expect(near.stderr).toMatch(/did you mean "p2o\.Conv\.9"/);
  });
});
