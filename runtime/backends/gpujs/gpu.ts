// gpu.js plumbing: which gpu.js backends exist here, one GPU per mode, and a typed kernel runner.
import * as gpujs from 'gpu.js';

const { GPU } = gpujs;
// gpu.js's typings declare `input` as a type only; the module exports the function
const input = (gpujs as unknown as { input: (v: Float32Array, size: number[]) => unknown }).input;

import type { BackendName } from '../backend.ts';

export type GpujsMode = Exclude<BackendName, 'cpu'>;

/** The gpu.js backends this process can use, fastest first (webgpu, headlessgl, webasm). */
export function availableGpujsModes(): GpujsMode[] {
  const out: GpujsMode[] = [];
  const g = GPU as unknown as Record<string, unknown>;
  if (g.isWebGPUSupported === true) out.push('webgpu');
  if (g.isHeadlessGLSupported === true) out.push('headlessgl');
  if (g.isWebAssemblySupported === true) out.push('webasm');
  return out;
}

/**
 * The gpu.js backends that can run kernels here: webgpu only when an adapter is granted (headless
 * Chromium exposes navigator.gpu without one, and its kernels would fail on first use).
 */
export async function usableGpujsModes(): Promise<GpujsMode[]> {
  const modes = availableGpujsModes();
  if (!modes.includes('webgpu')) return modes;
  const probe = (GPU as unknown as { isWebGPUAvailable?: () => Promise<boolean> }).isWebGPUAvailable;
  const adapter = probe ? await probe.call(GPU).catch(() => false) : true;
  return adapter ? modes : modes.filter((m) => m !== 'webgpu');
}

let patched: boolean | undefined;
/**
 * Whether gpu.js carries patches/gpu.js+2.24.1.patch (applied by patch-package at install): planar
 * Array(n) results and lane-contiguous loads. Without it the backend keeps to one output per cell.
 */
export function gpujsPatched(): boolean {
  if (patched === undefined) {
    const node = (gpujs as unknown as { WebAssemblyFunctionNode?: { prototype: Record<string, unknown> } })
      .WebAssemblyFunctionNode;
    patched = typeof node?.prototype.vContiguousLoad === 'function';
  }
  return patched;
}

/** 'auto': the first available gpu.js backend, or undefined when none is (use 'cpu'). */
export function pickGpujsMode(): GpujsMode | undefined {
  return availableGpujsModes()[0];
}

interface KernelInternals {
  _pool?: unknown;
  _shapeOutput?: (d: Float32Array) => unknown;
}
const flatShape = (d: Float32Array) => d;
interface RunShortcut {
  (...args: unknown[]): unknown;
  kernel: KernelInternals;
  destroy(): void;
}

/** A compiled kernel over flat float32 arrays: call(args) → flat output of `cells` floats. */
export interface FlatKernel {
  run(args: Float32Array[]): Promise<Float32Array>;
  readonly cells: number;
}

/**
 * Owns one gpu.js GPU in async mode (webasm threads engage under the async contract) and the
 * kernels built on it. All webasm kernels share one worker pool (gpu.js gives each kernel its
 * own by default: a graph of 100 kernels would otherwise start 100 pools).
 */
export class KernelHost {
  readonly gpu: InstanceType<typeof GPU>;
  private readonly kernels: RunShortcut[] = [];
  private pool: unknown;

  constructor(
    readonly mode: GpujsMode,
    /** webasm worker pool size (undefined: one worker per core). */
    private readonly threads?: number,
  ) {
    this.gpu = new GPU({ mode });
  }

  /**
   * Build a kernel from generated source. `output` is gpu.js's [x, y, z] (x fastest); every
   * argument is a flat Float32Array passed as a 1-D input; `constants` hold resident arrays
   * (copied into wasm memory once, when the kernel is instantiated).
   */
  kernel(
    argNames: string[],
    body: string,
    output: number[],
    constants: Record<string, Float32Array> = {},
    components: 1 | 2 | 3 | 4 = 1,
    layout: 'planar' | 'interleaved' = 'planar',
  ): FlatKernel {
    const fn = new Function(...argNames, body);
    const consts: Record<string, unknown> = {};
    const constantTypes: Record<string, string> = {};
    for (const [k, v] of Object.entries(constants)) {
      consts[k] = input(v, [v.length]);
      constantTypes[k] = 'Input';
    }
    const settings: Record<string, unknown> = {
      output,
      asyncMode: true,
      tactic: 'precision',
      ...(this.threads ? { poolSize: this.threads } : {}),
      // Array(n) results, planar (patched gpu.js: component k of every cell in plane k) or
      // interleaved (gpu.js's default: [cell][component])
      ...(components > 1 ? { returnType: `Array(${components})`, componentLayout: layout } : {}),
      ...(Object.keys(consts).length > 0 ? { constants: consts, constantTypes } : {}),
    };
    const k = this.gpu.createKernel(fn as never, settings as never) as unknown as RunShortcut;
    this.kernels.push(k);
    const cells = output.reduce((a, b) => a * b, 1) * components;
    const run = async (args: Float32Array[]): Promise<Float32Array> => {
      if (this.pool && !k.kernel._pool) k.kernel._pool = this.pool;
      // webasm: keep gpu.js's flat result buffer instead of nested rows / per-cell arrays (other
      // backends shape as usual and flatOf copes)
      if (this.mode === 'webasm') k.kernel._shapeOutput = flatShape;
      const res = await k(...args.map((a) => input(a, [a.length])));
      if (!this.pool && k.kernel._pool) this.pool = k.kernel._pool;
      return flatOf(res, cells);
    };
    return { run, cells };
  }

  dispose(): void {
    // kernels share one pool: detach it from all but the last so it is destroyed exactly once
    for (let i = 0; i < this.kernels.length; i++) {
      const k = this.kernels[i] as RunShortcut;
      if (i < this.kernels.length - 1 && k.kernel._pool === this.pool) k.kernel._pool = null;
    }
    const last = this.kernels[this.kernels.length - 1];
    if (last && this.pool && !last.kernel._pool) last.kernel._pool = this.pool;
    for (const k of this.kernels) k.destroy();
    this.kernels.length = 0;
    this.pool = undefined;
  }
}

/**
 * gpu.js shapes results as nested rows (Array(4) results: one 4-array per cell). On webasm the rows
 * are consecutive views of one fresh buffer: return that buffer's view; otherwise copy in order.
 */
function flatOf(res: unknown, cells: number): Float32Array {
  if (res instanceof Float32Array) return res.length === cells ? res : res.subarray(0, cells);
  const leaves: Float32Array[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Float32Array) leaves.push(v);
    else if (Array.isArray(v)) for (const e of v) walk(e);
    else throw new Error('gpu.js kernel returned something other than float32 rows');
  };
  walk(res);
  const first = leaves[0];
  if (!first) throw new Error('gpu.js kernel returned no data');
  let offset = first.byteOffset;
  let contiguous = true;
  for (const l of leaves) {
    if (l.buffer !== first.buffer || l.byteOffset !== offset) {
      contiguous = false;
      break;
    }
    offset += l.byteLength;
  }
  if (contiguous && offset - first.byteOffset >= cells * 4)
    return new Float32Array(first.buffer, first.byteOffset, cells);
  const out = new Float32Array(cells);
  let at = 0;
  for (const l of leaves) {
    out.set(l.subarray(0, Math.min(l.length, cells - at)), at);
    at += l.length;
  }
  return out;
}
