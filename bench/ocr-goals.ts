// Fidelity of compiled det and rec models on fixtures/ocr (never trained or calibrated on), measured
// in onnxruntime-node against the original: det by text-map IoU at 0.3 on the 4 pages plus its
// latency ratio (interleaved runs, one thread each, median), rec by CTC-decoded text agreement with
// spaces ignored on the 48 upright lines. Used by bench/distill.ts.

import * as ort from 'onnxruntime-node';
import type { Tensor } from '../runtime/ir/tensor.ts';
import { ctcDecode, detInput, fixtures, recInput, textMapIoU } from '../specs/support/ocr.ts';

type Session = ort.InferenceSession;

const open = (bytes: Uint8Array, extra?: Record<string, unknown>): Promise<Session> =>
  ort.InferenceSession.create(bytes, {
    logSeverityLevel: 3,
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    ...(extra ? { extra } : {}),
  } as ort.InferenceSession.SessionOptions);

async function run1(s: Session, x: Tensor): Promise<Tensor> {
  const r = await s.run({
    [s.inputNames[0]!]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]),
  });
  const y = r[s.outputNames[0]!]!;
  return { dtype: 'float32', dims: [...y.dims], data: y.data as Float32Array };
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Mean text-map IoU at 0.3 over the fixture pages; `note` carries the median latency ratio, with
 * default session options and again with session.disable_quant_qdq = 1 on the compiled model (then
 * onnxruntime constant-folds the weights' DequantizeLinear at load instead of running it per call).
 */
export async function detFidelity(original: Uint8Array, compiled: Uint8Array, runs = 21) {
  const pages = await Promise.all(fixtures('pages').map((f) => detInput(f.file)));
  const a = await open(original);
  const b = await open(compiled);
  const c = await open(compiled, { session: { disable_quant_qdq: '1' } });
  try {
    let iou = 0;
    for (const x of pages) iou += textMapIoU(await run1(a, x), await run1(b, x), 0.3);
    const sessions = [a, b, c];
    const times: number[][] = [[], [], []];
    for (let i = 0; i < runs; i++) {
      const x = pages[i % pages.length]!;
      for (let k = 0; k < 3; k++) {
        const j = (i + k) % 3; // each session takes each place in the order in turn
        const t0 = performance.now();
        await run1(sessions[j]!, x);
        times[j]!.push(performance.now() - t0);
      }
    }
    const [ta, tb, tc] = times.map(median) as [number, number, number];
    const r = (t: number) => `${t.toFixed(0)} / ${ta.toFixed(0)} ms = ${(t / ta).toFixed(3)}×`;
    return {
      share: iou / pages.length,
      samples: pages.length,
      note: `latency ${r(tb)} the original (median of ${runs} interleaved runs, 1 thread; goal ≤ 0.5×: ${tb / ta <= 0.5 ? 'met' : 'MISSED'}); with session.disable_quant_qdq = 1: ${r(tc)}`,
    };
  } finally {
    for (const s of [a, b, c]) await s.release();
  }
}

/** Share of the fixture lines whose greedy CTC text (spaces removed) equals the original's. */
export async function recFidelity(original: Uint8Array, compiled: Uint8Array) {
  const lines = await Promise.all(fixtures('lines').map((f) => recInput(f.file)));
  const [a, b] = [await open(original), await open(compiled)];
  try {
    let same = 0;
    for (const x of lines) {
      const ta = ctcDecode(await run1(a, x)).replace(/\s+/g, '');
      const tb = ctcDecode(await run1(b, x)).replace(/\s+/g, '');
      if (ta === tb) same++;
    }
    return { share: same / lines.length, samples: lines.length };
  } finally {
    await a.release();
    await b.release();
  }
}
