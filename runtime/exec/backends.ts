// Backend registry for the executor: 'cpu' (reference kernels) always, the wasm backend where WebAssembly
// SIMD runs, gpu.js on a GPU. 'auto' picks webgpu → headlessgl → webasm → cpu, the first available.

import type { Backend, BackendName } from '../backends/backend.ts';
import { gpuModes } from '../backends/gpujs/probe.ts';
import { WasmBackend, wasmSimdAvailable } from '../backends/wasm/index.ts';
import { UserError } from '../errors.ts';

/** What a session asks of its backend. */
export interface BackendOptions {
  /** Threads the backend may compute on (1: the calling thread only). Default: one per core. */
  threads?: number;
}

export type BackendFactory = (options: BackendOptions) => Backend | undefined | Promise<Backend | undefined>;

export const AUTO_ORDER: readonly BackendName[] = ['webgpu', 'headlessgl', 'webasm', 'cpu'];
const FACTORIES = new Map<BackendName, BackendFactory>();

/** The reference backend: prepares nothing, so every node runs on its plain-TypeScript kernel. */
export const cpuBackend: Backend = { name: 'cpu', prepareNode: () => undefined };

/** Make a backend available to sessions (gpu.js backends call this when their module loads). */
export function registerBackend(name: BackendName, factory: BackendFactory): void {
  FACTORIES.set(name, factory);
}

let builtins: Promise<void> | undefined;
/**
 * Register the backends this process can use, once: gpu.js on a GPU (webgpu, headlessgl; loaded
 * only then) and the wasm backend (webasm) wherever WebAssembly SIMD runs.
 */
export function loadBuiltinBackends(): Promise<void> {
  builtins ??= (async () => {
    for (const mode of await gpuModes())
      if (!FACTORIES.has(mode))
        registerBackend(
          mode,
          async (o) => new (await import('../backends/gpujs/index.ts')).GpujsBackend(mode, o),
        );
    if (!FACTORIES.has('webasm') && wasmSimdAvailable()) registerBackend('webasm', (o) => new WasmBackend(o));
  })();
  return builtins;
}

/** Backends that can run here, in 'auto' order (always ends with 'cpu'). */
export async function availableBackends(): Promise<BackendName[]> {
  await loadBuiltinBackends();
  const out: BackendName[] = [];
  for (const name of AUTO_ORDER) {
    if (name === 'cpu') out.push(name);
    else if (FACTORIES.has(name)) out.push(name);
  }
  return out;
}

async function tryCreate(name: BackendName, options: BackendOptions): Promise<Backend | undefined> {
  if (name === 'cpu') return cpuBackend;
  const f = FACTORIES.get(name);
  if (!f) return undefined;
  try {
    return (await f(options)) ?? undefined;
  } catch {
    return undefined;
  }
}

/** A backend instance for a session: the named one (UserError when unavailable) or the 'auto' pick. */
export async function createBackend(
  name: BackendName | 'auto' = 'auto',
  options: BackendOptions = {},
): Promise<Backend> {
  await loadBuiltinBackends();
  if (name === 'auto') {
    for (const n of AUTO_ORDER) {
      const b = await tryCreate(n, options);
      if (b) return b;
    }
    return cpuBackend;
  }
  if (!AUTO_ORDER.includes(name))
    throw new UserError(`unknown backend '${name}'`, `use one of: auto, ${AUTO_ORDER.join(', ')}`);
  const b = await tryCreate(name, options);
  if (!b) {
    const avail = await availableBackends();
    throw new UserError(`backend '${name}' is not available here`, `available: ${avail.join(', ')}`);
  }
  return b;
}
