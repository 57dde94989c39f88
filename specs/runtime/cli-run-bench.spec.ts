// `squish run` writes outputs as .npy equal to onnxruntime-node's; `squish bench` prints squish's latency and,
// interleaved with it at the same thread count, onnxruntime's and the ratio; bad input exits 1 with one clear line.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { parseNpy, serializeNpy } from '../../runtime/npy.ts';
import { runCli } from '../support/cli.ts';
import { argmax, clsInput, fixtures, runOrt } from '../support/ocr.ts';
import { MODELS } from '../support/paths.ts';

let dir: string;
let x: Tensor;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'squish-run-'));
  x = await clsInput(fixtures('flipped')[3]!.file);
  writeFileSync(join(dir, 'x.npy'), serializeNpy(x));
  writeFileSync(
    join(dir, 'bad.npy'),
    serializeNpy({ dtype: 'float32', dims: [1, 3, 48], data: new Float32Array(144) }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);

describe('squish run', () => {
  it('writes every output as .npy, equal to onnxruntime-node', async () => {
    const r = await runCli(
      ['run', MODELS.cls, '--input', 'x=x.npy', '--backend', 'cpu', '--out', 'out'],
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('softmax_0.tmp_0: float32 [1, 2]');
    expect(r.stdout).toContain('ran on cpu');
    const got = parseNpy(new Uint8Array(readFileSync(join(dir, 'out/softmax_0.tmp_0.npy'))));
    const [want] = Object.values(await runOrt(MODELS.cls, { x }));
    expect(got.dims).toEqual(want!.dims);
    const d = Array.from(got.data as Float32Array, (v, i) => Math.abs(v - (want!.data as Float32Array)[i]!));
    expect(Math.max(...d)).toBeLessThanOrEqual(1e-3);
    expect(argmax(got)).toEqual(argmax(want!));
  });

  it('takes FILE.npy without NAME= for a one-input model', async () => {
    const r = await runCli(['run', MODELS.cls, '--input', 'x.npy', '--backend', 'cpu', '--out', 'out2'], dir);
    expect(r.code).toBe(0);
  });

  it('exits 1 naming expected and given on a wrong input name, shape, file or backend', async () => {
    const cases: [string[], RegExp][] = [
      [['--input', 'img=x.npy'], /--input names 'img', but the model's inputs are 'x'/],
      [
        ['--input', 'x=bad.npy'],
        /input 'x' has shape \[1, 3, 48\], expected \[p2o.DynamicDimension.0, 3, .*\]/,
      ],
      [['--input', 'x=missing.npy'], /input file 'missing.npy' does not exist/],
      [['--input', 'x=x.npy', '--backend', 'tpu'], /--backend 'tpu' is not a backend/],
      [[], /missing input 'x'/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli(['run', MODELS.cls, ...args, '--out', 'out3'], dir);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
      noStack(r.stderr);
    }
  });
});

describe('squish bench', () => {
  it('--vs onnxruntime,onnxruntime-web --json prints both runtimes, 1 thread by default', async () => {
    const r = await runCli(
      [
        'bench',
        MODELS.cls,
        '--vs',
        'onnxruntime,onnxruntime-web',
        '--json',
        '--backend',
        'cpu',
        '--shape',
        'x=1x3x48x192',
        '--runs',
        '3',
        '--warmup',
        '1',
      ],
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.backend).toBe('cpu');
    expect(j.median_ms).toBeGreaterThan(0);
    expect(j.onnxruntime_ms).toBeGreaterThan(0);
    expect(Math.abs(j.ratio - j.median_ms / j.onnxruntime_ms) / j.ratio).toBeLessThan(0.01);
    expect(j.threads).toBe(1);
    expect(j.min_ms).toBeLessThanOrEqual(j.median_ms);
    expect(j.max_ms).toBeGreaterThanOrEqual(j.median_ms);
    expect(j.vs.map((v: { runtime: string }) => v.runtime)).toEqual(['onnxruntime-node', 'onnxruntime-web']);
    for (const v of j.vs) {
      expect(v.min_ms).toBeLessThanOrEqual(v.median_ms);
      expect(v.max_ms).toBeGreaterThanOrEqual(v.median_ms);
    }
    expect(j.vs[0].median_ms).toBe(j.onnxruntime_ms);
  });

  it('rejects an unknown --vs runtime with the list of known ones', async () => {
    const r = await runCli(['bench', MODELS.cls, '--vs', 'tflite', '--shape', 'x=1x3x48x192'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--vs 'tflite' is not supported.*\n?.*onnxruntime, onnxruntime-web/);
    noStack(r.stderr);
  });

  it('prints a readable line without --json, on real input data', async () => {
    const r = await runCli(
      ['bench', MODELS.cls, '--input', 'x=x.npy', '--backend', 'cpu', '--runs', '1', '--warmup', '1'],
      dir,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /on cpu \(1 thread\): median [\d.]+ ms \(min [\d.]+, max [\d.]+\); 1 runs after 1 warm-up/,
    );
  });

  it('asks for --shape when an input has dynamic dims', async () => {
    const r = await runCli(['bench', MODELS.cls, '--backend', 'cpu'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/input 'x' has dynamic dims/);
    expect(r.stderr).toMatch(/--shape x=Nx3xNxN/);
    noStack(r.stderr);
  });
});
