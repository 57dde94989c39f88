// Includes for hosts that read files asynchronously only (a browser fetches): the recipe is parsed
// to find what it includes, those files are read ahead through host.readFile (nested ones on the
// next round), and the returned host serves them to the parser's synchronous `include`.

import { parseRecipe } from '../../dsl/index.ts';
import type { Host } from '../data/host.ts';

/** Deeper than the parser's own include limit: a longer chain is reported by the parser anyway. */
const MAX_ROUNDS = 64;

/**
 * A host whose `readText` serves every file `text` includes (transitively), read ahead. A host
 * that reads text synchronously already comes back as it is. `compile` calls this itself; call it
 * before `plan`/`checkRecipe` with such a host.
 */
export async function preloadIncludes(host: Host, text: string, file: string): Promise<Host> {
  if (host.readText) return host;
  const read = new Map<string, string | Error>();
  const decoder = new TextDecoder();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const wanted = new Set<string>();
    parseRecipe(text, {
      file,
      include: (path, from) => {
        const full = host.resolve(from, path);
        const got = read.get(full);
        if (got === undefined) wanted.add(full);
        return typeof got === 'string' ? { file: full, text: got } : undefined;
      },
    });
    if (wanted.size === 0) break;
    await Promise.all(
      [...wanted].map(async (full) => {
        try {
          read.set(full, decoder.decode(await host.readFile(full)));
        } catch (e) {
          read.set(full, e instanceof Error ? e : new Error(String(e)));
        }
      }),
    );
  }
  return {
    readFile: (path) => host.readFile(path),
    resolve: (from, rel) => host.resolve(from, rel),
    glob: (from, pattern) => host.glob(from, pattern),
    ...(host.loadImage ? { loadImage: host.loadImage.bind(host) } : {}),
    readText: (path) => {
      const got = read.get(path);
      if (got instanceof Error) throw got; // the parser reports its message at the include
      return got;
    },
  };
}
