// A one-shot CLI run whose graph the webasm backend splits across helper threads (`squish bench` on
// PP-OCRv4 det, 2 threads) exits once it has printed: idle helper threads never keep the process alive.
// Runs the built CLI (dist/) in a child process, since only a separate process can show a hang.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeNpy } from '../../runtime/npy.ts';
import { detInput, fixtures } from '../support/ocr.ts';
import { MODELS, ROOT } from '../support/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'squish-run-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Exit code of the child, or 'hang' when it is still running `limitMs` after start. */
function exitOf(args: string[], limitMs: number): Promise<number | 'hang'> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/squish.js'), ...args], {
      cwd: dir,
      stdio: 'ignore',
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('hang');
    }, limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}

describe('the CLI on helper threads', () => {
  it('bench of det on webasm with 2 threads exits after printing', { timeout: 300_000 }, async () => {
    writeFileSync(join(dir, 'x.npy'), serializeNpy(await detInput(fixtures('pages')[0]!.file)));
    // generous: the run itself needs a few CPU seconds, on a machine shared by other work
    const code = await exitOf(
      [
        'bench',
        MODELS.det,
        '--input',
        'x.npy',
        '--backend',
        'webasm',
        '--threads',
        '2',
        '--runs',
        '2',
        '--warmup',
        '1',
      ],
      240_000,
    );
    expect(code).toBe(0);
  });
});
