// vitest globalSetup: every spec's temp folders go into one folder made for this run (TMPDIR, which
// the spec workers inherit), and the run fails if anything is left there at the end — specs clean
// up after themselves (issue 19, item 22).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'squish-specs-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    // only what specs make (squish-*): tools that honour TMPDIR keep caches there (tsx-0, …)
    const left = readdirSync(root).filter((f) => f.startsWith('squish-'));
    rmSync(root, { recursive: true, force: true });
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    if (left.length)
      throw new Error(`specs left ${left.length} temp folder(s) behind: ${left.slice(0, 10).join(', ')}`);
  };
}
