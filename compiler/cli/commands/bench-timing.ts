// Fair latency comparison, shared by `squish bench` and `npm run bench`: every contender runs in turn
// (A B C A B C …) after its warm-up, in one process and at the same thread count, so load from
// other processes on a shared machine falls on all of them alike.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../../../runtime/errors.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';

export interface Contender {
  name: string;
  run(): Promise<unknown>;
  close(): Promise<void>;
}

export interface Timing {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export const OTHER_RUNTIMES = ['onnxruntime', 'onnxruntime-web'] as const;
export type OtherRuntime = (typeof OTHER_RUNTIMES)[number];

function summarize(ts: number[]): Timing {
  const s = [...ts].sort((a, b) => a - b);
  const m = s.length >> 1;
  const median = s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
  return { median, min: s[0] as number, max: s[s.length - 1] as number, runs: s.length };
}

/**
 * `warmup` untimed rounds, then `runs` timed rounds; each round runs every contender once, in turn,
 * starting one further along each round (A B C, B C A, …) so none always runs first.
 */
export async function interleaved(contenders: Contender[], warmup: number, runs: number): Promise<Timing[]> {
  for (let i = 0; i < warmup; i++) for (const c of contenders) await c.run();
  const ts: number[][] = contenders.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (let r = 0; r < contenders.length; r++) {
      const j = (i + r) % contenders.length;
      const t = performance.now();
      await (contenders[j] as Contender).run();
      (ts[j] as number[]).push(performance.now() - t);
    }
  }
  return ts.map(summarize);
}

let webThreads: number | undefined;

/**
 * An onnxruntime session (node: native, web: its wasm build) over the same feeds, on `threads`
 * intra-op threads. onnxruntime-web fixes its thread count when its wasm starts: one count a process.
 */
export async function openOther(
  runtime: OtherRuntime,
  model: string | Uint8Array,
  feeds: Record<string, Tensor>,
  threads: number,
): Promise<Contender> {
  const missing = () =>
    new UserError(
      `--vs ${runtime} needs the ${runtimePackage(runtime)} package`,
      `npm install ${runtimePackage(runtime)}`,
    );
  if (runtime === 'onnxruntime') {
    const ort = await import('onnxruntime-node').catch(() => {
      throw missing();
    });
    const options = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential' as const,
    };
    const session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, options)
        : await ort.InferenceSession.create(model, options);
    const f: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const [k, t] of Object.entries(feeds))
      f[k] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]);
    return { name: 'onnxruntime-node', run: () => session.run(f), close: () => session.release() };
  }
  const ort = await import('onnxruntime-web').catch(() => {
    throw missing();
  });
  if (webThreads !== undefined && webThreads !== threads)
    throw new Error(`onnxruntime-web already started with ${webThreads} threads in this process`);
  webThreads = threads;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-web')), '/');
  const bytes = typeof model === 'string' ? (await import('node:fs')).readFileSync(model) : model;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const f: Record<string, import('onnxruntime-web').Tensor> = {};
  for (const [k, t] of Object.entries(feeds))
    f[k] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]);
  return { name: 'onnxruntime-web', run: () => session.run(f), close: () => session.release() };
}

function runtimePackage(r: OtherRuntime): string {
  return r === 'onnxruntime' ? 'onnxruntime-node' : 'onnxruntime-web';
}
