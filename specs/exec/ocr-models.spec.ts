// The three PaddleOCR models on the shared fixtures, on every available backend (and on the gpu.js
// kernels in gpu.js's webasm mode where no GPU runs them), against onnxruntime-node:
// max |Δ| ≤ 1e-3 on output probabilities, same class (cls), same decoded text (rec), text-map IoU ≥ 0.999 (det).

import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, BackendName } from '../../runtime/backends/backend.ts';
import { GpujsBackend } from '../../runtime/backends/gpujs/index.ts';
import { availableBackends } from '../../runtime/exec/backends.ts';
import { createSession, type Session } from '../../runtime/exec/index.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { importModel } from '../../runtime/onnx/index.ts';
import {
  argmax,
  clsInput,
  ctcDecode,
  detInput,
  type FixtureEntry,
  fixtures,
  recInput,
  runOrt,
  textMapIoU,
} from '../support/ocr.ts';
import { MODELS } from '../support/paths.ts';

const AVAILABLE = await availableBackends();
type Choice = [label: string, backend: () => BackendName | Backend];
const BACKENDS: Choice[] = AVAILABLE.map((n): Choice => [n, () => n]);
if (!AVAILABLE.some((n) => n === 'webgpu' || n === 'headlessgl'))
  BACKENDS.push(['gpu.js kernels (webasm mode)', () => new GpujsBackend('webasm')]);
const MODEL = {
  cls: importModel(readFileSync(MODELS.cls)),
  rec: importModel(readFileSync(MODELS.rec)),
  det: importModel(readFileSync(MODELS.det)),
};

// A spread of fixtures, kept small so the whole file runs in well under a minute per backend.
const LINES = fixtures('lines').filter((_, i) => i % 12 === 2); // 4 upright lines, Latin and CJK
const CLS = [...LINES.slice(0, 4), ...fixtures('flipped').filter((_, i) => i % 12 === 5)];
const PAGES = fixtures('pages').slice(0, 1);

function maxAbs(a: Tensor, b: Tensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let m = 0;
  for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

async function both(session: Session, modelPath: string, x: Tensor) {
  const name = session.inputs[0]!.name;
  const [ours] = Object.values(await session.run({ [name]: x }));
  const [ref] = Object.values(await runOrt(modelPath, { [name]: x }));
  expect(ours!.dims).toEqual(ref!.dims);
  return { ours: ours!, ref: ref! };
}

describe.each(BACKENDS)('OCR models on %s vs onnxruntime-node', (label, backend) => {
  const sessions = new Map<string, Promise<Session>>();
  const session = (k: keyof typeof MODEL) => {
    if (!sessions.has(k)) sessions.set(k, createSession(MODEL[k], { backend: backend() }));
    return sessions.get(k)!;
  };
  afterAll(async () => {
    for (const s of sessions.values()) (await s).dispose();
  });

  it('cls: same class, probabilities within 1e-3', async () => {
    const s = await session('cls');
    if (AVAILABLE.includes(label as BackendName)) expect(s.backend).toBe(label);
    for (const e of CLS) {
      const { ours, ref } = await both(s, MODELS.cls, await clsInput(e.file));
      expect(maxAbs(ours, ref), e.name).toBeLessThanOrEqual(1e-3);
      expect(argmax(ours), e.name).toEqual(argmax(ref));
    }
  });

  it('rec: same CTC-decoded text, probabilities within 1e-3', async () => {
    const s = await session('rec');
    for (const e of LINES as FixtureEntry[]) {
      const { ours, ref } = await both(s, MODELS.rec, await recInput(e.file));
      expect(maxAbs(ours, ref), e.name).toBeLessThanOrEqual(1e-3);
      expect(ctcDecode(ours), e.name).toBe(ctcDecode(ref));
    }
  });

  it('det: binarized text map IoU ≥ 0.999, probabilities within 1e-3', async () => {
    const s = await session('det');
    for (const e of PAGES) {
      const { ours, ref } = await both(s, MODELS.det, await detInput(e.file));
      expect(maxAbs(ours, ref), e.name).toBeLessThanOrEqual(1e-3);
      expect(textMapIoU(ours, ref, 0.3), e.name).toBeGreaterThanOrEqual(0.999);
    }
  });
});
