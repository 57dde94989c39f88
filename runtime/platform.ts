// The one door to Node's built-in modules from core code (worker threads, the CPU count, module
// resolution): undefined outside Node. The specifier is computed, so browser bundlers leave the
// import alone instead of failing on a `node:` module they cannot resolve.

const NODE = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

export async function nodeBuiltin<T>(name: 'os' | 'worker_threads' | 'module'): Promise<T | undefined> {
  if (!NODE) return undefined;
  const specifier = `node:${name}`;
  return (await import(/* @vite-ignore */ specifier)) as T;
}
