// The kernel registry: backend × op → the kernel that backend runs the op with, one file a kernel
// (runtime/backends/<backend>/kernels/<Op>.ts registers itself on import). The kernel's type is the
// backend's own; the reference kernels (backend 'cpu') stay with the op definitions in registry.ts.

/** Backends with kernels of their own: gpu.js kernels (webgpu, headlessgl) and the wasm backend. */
export type KernelBackend = 'gpujs' | 'webasm';

const KERNELS = new Map<string, unknown>();

function key(backend: KernelBackend, op: string, domain: string): string {
  const d = domain === 'ai.onnx' ? '' : domain;
  return `${backend}|${d}|${op}`;
}

export function registerKernel<K>(backend: KernelBackend, op: string, kernel: K, domain = ''): void {
  const k = key(backend, op, domain);
  if (KERNELS.has(k)) throw new Error(`kernel ${op} registered twice for ${backend}`);
  KERNELS.set(k, kernel);
}

export function getKernel<K>(backend: KernelBackend, op: string, domain = ''): K | undefined {
  return KERNELS.get(key(backend, op, domain)) as K | undefined;
}
