// vitest globalSetup: dist/ (what bin/squish.js, the package spec and the browser page run) is
// rebuilt before the specs whenever a source, config or patch changed since it was last built.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.ts';

export default function buildDist(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--if-stale'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
