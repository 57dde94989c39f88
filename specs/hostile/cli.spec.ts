// The command line against hostile input (issue 19): outputs that would collide or be lost,
// output paths checked before the work, a failed compile that writes nothing, control characters
// escaped, misspelled flags, user errors that are exit 1, a custom op explained, progress off a TTY.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../compiler/cli/io.ts';
import { main } from '../../compiler/cli/main.ts';
import { progressReporter } from '../../compiler/cli/progress.ts';
import type { Report } from '../../compiler/report/types.ts';
import { serializeNpy } from '../../runtime/npy.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { makeModel, tempDir } from '../onnx/build.ts';
import { captureIO, runCli } from '../support/cli.ts';
import { MODELS } from '../support/paths.ts';
import { f32 } from './models.ts';

const dir = tempDir('cli');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const save = (name: string, bytes: Uint8Array | string) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const CLEAN = save('clean.squish', 'recipe "clean"\n');
const noTrace = (text: string) => expect(text).not.toMatch(/\n\s+at |internal error/);

/** x → Relu → each of `names` (Identity), so the model has outputs with those names. */
function outputsNamed(names: string[]): Uint8Array {
  const m = makeModel(
    [['x', 'float32', [2]]],
    names.map((n) => [n, 'float32', [2]]),
  );
  m.graph.addNode({ op: 'Relu', inputs: ['x'], outputs: ['r'], name: 'relu' });
  names.forEach((n, i) => {
    m.graph.addNode({ op: 'Identity', inputs: ['r'], outputs: [n], name: `id${i}` });
  });
  return exportModel(m);
}

describe('squish run: output files', () => {
  writeFileSync(join(dir, 'x.npy'), serializeNpy(f32([-1, 2])));

  it('outputs whose names collide once sanitized get unique files, and it says so', async () => {
    const model = save('collide.onnx', outputsNamed(['a/b', 'a:b', 'A_b']));
    const r = await runCli(['run', model, '--input', 'x=x.npy', '--out', 'o1'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(dir, 'o1')).sort()).toEqual(['A_b-3.npy', 'a_b-2.npy', 'a_b.npy']);
    expect(r.stderr).toMatch(
      /note: output 'a:b' is written as a_b-2\.npy \(another output has that file name\)/,
    );
    expect(r.stderr).toMatch(/note: output 'A_b' is written as A_b-3\.npy/);
    expect(r.stdout).toMatch(/a:b: float32 \[2\] → o1\/a_b-2\.npy/);
  });

  it('a 10,000-character output name is cut to a file name the file system accepts (exit 0, not ENAMETOOLONG)', async () => {
    const long = 'n'.repeat(10_000);
    const model = save('long.onnx', outputsNamed([long, `${long}x`]));
    const r = await runCli(['run', model, '--input', 'x=x.npy', '--out', 'o2'], dir);
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(join(dir, 'o2'));
    expect(files).toHaveLength(2);
    for (const f of files) expect(f.length).toBeLessThanOrEqual(104);
  });

  it('--out naming a file is refused before the model runs', async () => {
    const r = await runCli(
      ['run', save('r.onnx', outputsNamed(['y'])), '--input', 'x=x.npy', '--out', 'x.npy'],
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--out x\.npy is a file; it needs a folder/);
  });
});

describe('squish compile: outputs', () => {
  it('-o naming a folder, and --report naming the -o file, are refused before any work, in the right words', async () => {
    mkdirSync(join(dir, 'folder'), { recursive: true });
    // the model is not even read first: a missing model would be the first complaint otherwise
    const r = await runCli(['compile', 'no-such-model.onnx', '--recipe', CLEAN, '-o', 'folder'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: -o .*folder is a folder; it needs the path of a file for the model/);
    const r2 = await runCli(
      ['compile', 'no-such-model.onnx', '--recipe', CLEAN, '-o', 'same.json', '--report', 'same.json'],
      dir,
    );
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/^error: -o and --report name the same file, .*same\.json/);
    expect(r2.stderr).not.toMatch(/input/);
    expect(existsSync(join(dir, 'same.json'))).toBe(false);
  });

  it('two compiles to the same -o without --force: one wins, the other is refused (nothing lost)', async () => {
    const out = join(dir, 'race.onnx');
    const [a, b] = await Promise.all([
      runCli(['compile', MODELS.cls, '--recipe', CLEAN, '-o', out, '-q']),
      runCli(['compile', MODELS.cls, '--recipe', CLEAN, '-o', out, '-q']),
    ]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    expect([a, b].find((r) => r.code === 1)!.stderr).toMatch(
      /race\.onnx already exists: another process created it while squish was working/,
    );
    expect(readdirSync(dir).filter((f) => f.includes('squish-tmp'))).toEqual([]);
  });

  it('a compile that misses a target writes nothing, and with --report-on-failure only that report', async () => {
    const miss = save('miss.squish', 'recipe "m"\ntarget size <= 1KB\n');
    const out = join(dir, 'miss.onnx');
    const report = join(dir, 'miss.json');
    writeFileSync(report, 'old report');
    const r = await runCli([
      'compile',
      MODELS.cls,
      '--recipe',
      miss,
      '-o',
      out,
      '--report',
      report,
      '--force',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/target size <= 1KB missed/);
    expect(r.stderr).toMatch(/nothing was written \(--report-on-failure FILE keeps the report/);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(report, 'utf8')).toBe('old report');
    const fail = join(dir, 'why.json');
    const r2 = await runCli([
      'compile',
      MODELS.cls,
      '--recipe',
      miss,
      '-o',
      out,
      '--report-on-failure',
      fail,
    ]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/the report of this compile is in .*why\.json, nothing else was written/);
    expect((JSON.parse(readFileSync(fail, 'utf8')) as Report).targets[0]!.met).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it('the model and its report are one commit: a failure writing the second leaves neither', async () => {
    const { commitHooks } = await import('../../compiler/io/commit.ts');
    const out = join(dir, 'pair.onnx');
    const report = join(dir, 'pair.json');
    let calls = 0;
    commitHooks.midWrite = () => {
      if (++calls === 2) throw new Error('disk full (injected)');
    };
    try {
      const r = await runCli(['compile', MODELS.cls, '--recipe', CLEAN, '-o', out, '--report', report]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot write .*pair\.json: disk full \(injected\)/);
    } finally {
      commitHooks.midWrite = undefined;
    }
    expect(existsSync(out)).toBe(false);
    expect(existsSync(report)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('squish-tmp'))).toEqual([]);
  });
});

describe('messages', () => {
  it('a misspelled required flag is named as unknown, with the nearest flag', async () => {
    const r = await runCli(['compile', MODELS.cls, '--recpie', CLEAN, '-o', join(dir, 'x.onnx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: unknown option --recpie, did you mean --recipe\?/);
    const r2 = await runCli(['inspect', MODELS.cls, '--jsno']);
    expect(r2.stderr).toMatch(/unknown option --jsno, did you mean --json\?/);
  });

  it('control characters and bidi overrides from a model are escaped in human output', async () => {
    const evil = 'a\x1b[31mred\r\x00\u202e\nz';
    const model = save('evil.onnx', outputsNamed([evil]));
    const r = await runCli(['inspect', model]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('a\\x1b[31mred\\x0d\\x00\\u202e\\x0az');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none got through
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
  });

  it('a recipe glob over 65,536 characters is a user error (exit 1)', async () => {
    const glob = save('glob.squish', `recipe "g"\ncalibrate {\n  images "${'a'.repeat(70_000)}*.png"\n}\n`);
    const r = await runCli(['compile', MODELS.cls, '--recipe', glob, '-o', join(dir, 'g.onnx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot search for files matching "a+…" \(70005 characters\)/);
    noTrace(r.stderr);
  });

  it('a custom op without a kernel: which statement needed to run the model, and how to avoid it', async () => {
    const m = makeModel([['x', 'float32', [1, 3, 8, 8]]], [['y', 'float32', [1, 4, 8, 8]]]);
    m.opsetImports.push({ domain: 'com.example', version: 1 });
    m.graph.addInitializer('w', f32(new Array(108).fill(0.1), [4, 3, 3, 3]));
    m.graph.addNode({
      op: 'Conv',
      inputs: ['x', 'w'],
      outputs: ['c'],
      name: 'conv',
      attrs: { pads: [1, 1, 1, 1] },
    });
    m.graph.addNode({ op: 'Swish2', domain: 'com.example', inputs: ['c'], outputs: ['y'], name: 'custom' });
    const model = save('custom.onnx', exportModel(m));
    const cal = save('cal.squish', 'recipe "c"\ncalibrate { random  samples 2 }\n');
    const r = await runCli(['compile', model, '--recipe', cal, '-o', join(dir, 'c.onnx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: measuring fidelity runs the model on the calibration data \(calibrate at .*cal\.squish:2:1\), but no kernel for op com\.example::Swish2 \(node 'custom'\)/m,
    );
    expect(r.stderr).toMatch(/help: pass --no-fidelity .* or register a kernel for com\.example::Swish2/);
    expect(r.stderr).not.toMatch(/registered ops/);
    const r2 = await runCli([
      'compile',
      model,
      '--recipe',
      cal,
      '-o',
      join(dir, 'c.onnx'),
      '--no-fidelity',
      '-q',
    ]);
    expect(r2.stderr).toBe('');
    expect(r2.code).toBe(0);
    const q = save(
      'q.squish',
      'recipe "c"\ncalibrate { random  samples 2 }\nquantize weights of conv { bits 8 }\n',
    );
    const r3 = await runCli(['compile', model, '--recipe', q, '-o', join(dir, 'q.onnx'), '--no-fidelity']);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(
      /pass quantize-weights runs the model .* for quantize weights at .*q\.squish:3\)/,
    );
  });
});

describe('progress', () => {
  const io = (errIsTTY: boolean): CliIO & { stderr: string } =>
    Object.assign(captureIO(), { errIsTTY, progressEveryMs: 1000 });

  it('off a terminal: plain lines, at most one per step each interval, none at first', () => {
    const sink = io(false);
    let now = 0;
    const p = progressReporter(sink, false, () => now);
    p.update('fidelity', 1, 10); // t=0: too early
    now = 1500;
    for (let i = 2; i <= 9; i++) p.update('fidelity', i, 10); // one line for the burst
    now = 2600;
    p.update('fidelity', 10, 10); // done: always shown once
    p.warn('a warning');
    expect(sink.stderr).toBe('progress: fidelity 2/10 (20%)\nprogress: fidelity 10/10 (100%)\na warning\n');
  });

  it('on a terminal: warnings go on lines of their own above the bars', async () => {
    const sink = io(true);
    const p = progressReporter(sink, false);
    p.update('calibration', 3, 10);
    p.warn('quantize activations skipped conv');
    p.update('calibration', 4, 10);
    await new Promise((r) => setTimeout(r, 150)); // the bars redraw on a timer
    p.stop();
    const lines = sink.stderr.split(/\r?\n/);
    const escapes = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]|\r`, 'g'); // cursor moves
    const warned = lines.filter((l) => l.replace(escapes, '') === 'quantize activations skipped conv');
    expect(warned).toHaveLength(1);
  });

  it('a compile off a terminal prints plain progress lines (CI logs are not silent until the end)', async () => {
    const sink = Object.assign(captureIO(), { errIsTTY: false, progressEveryMs: 0 });
    const cal = save(
      'prog.squish',
      'recipe "p"\nmodel {\n  input x: float32[1, 3, 48, 192]\n}\ncalibrate { random  samples 12 }\n',
    );
    const code = await main(['compile', MODELS.cls, '--recipe', cal, '-o', join(dir, 'prog.onnx')], sink);
    expect(code, sink.stderr).toBe(0);
    expect(sink.stderr).toMatch(/^progress: passes \d+\/\d+/m);
    // 12 samples, a quarter held apart: fidelity runs on 3
    expect(sink.stderr).toMatch(/^progress: fidelity 3\/3 \(100%\)$/m);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no cursor escapes off a terminal
    expect(sink.stderr).not.toMatch(/\x1b\[/);
  });
});
