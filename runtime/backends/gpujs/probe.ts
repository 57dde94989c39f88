// Which gpu.js backends could run here, found without loading gpu.js when no GPU library is there:
// gpu.js takes a few hundred ms to load, which one-shot runs on machines without a GPU should not
// pay. In Node its webgpu mode needs the `webgpu` package (Dawn) to load and headlessgl the `gl`
// package; in a browser, navigator.gpu or a WebGL canvas.

import { nodeBuiltin } from '../../platform.ts';

/** GPU modes gpu.js would offer here, fastest first; gpu.js is imported only when one may exist. */
export async function gpuModes(): Promise<('webgpu' | 'headlessgl')[]> {
  if (!(await gpuLibraryPresent())) return [];
  try {
    const { usableGpujsModes } = await import('./gpu.ts');
    return (await usableGpujsModes()).filter((m): m is 'webgpu' | 'headlessgl' => m !== 'webasm');
  } catch {
    return [];
  }
}

async function gpuLibraryPresent(): Promise<boolean> {
  if (typeof process === 'undefined' || typeof process.versions?.node !== 'string') {
    const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
    return nav?.gpu !== undefined || typeof (globalThis as { document?: unknown }).document !== 'undefined';
  }
  const node = await nodeBuiltin<typeof import('node:module')>('module');
  if (!node) return false;
  const require = node.createRequire(import.meta.url);
  for (const lib of ['webgpu', 'gl']) {
    try {
      require(lib);
      return true;
    } catch {
      // not installed, or its native part does not load here
    }
  }
  return false;
}
