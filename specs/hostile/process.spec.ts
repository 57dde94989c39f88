// What only a real process shows (issue 19, items 8 and 13): a signal in the middle of writing
// removes the temp files and leaves the outputs as they were (model and report: both or neither);
// a closed stdout ends quietly, without an EPIPE trace.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TSX } from '../../scripts/fuzz.harness.ts';
import { tempDir } from '../onnx/build.ts';
import { MODELS, ROOT } from '../support/paths.ts';

const dir = tempDir('process');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SLOW = join(ROOT, 'specs/hostile/fixtures/slow-commit.ts');
const RECIPE = join(dir, 'clean.squish');
writeFileSync(RECIPE, 'recipe "clean"\n');

/** Compile with a commit that stalls halfway; send `signal` there; resolve with the exit. */
function interrupted(
  signal: NodeJS.Signals,
  extra: string[],
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', TSX, SLOW, 'compile', MODELS.cls, '--recipe', RECIPE, '--no-fidelity', ...extra],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no MIDWRITE within 90 s:\n${stderr}`));
    }, 90_000);
    child.stderr!.on('data', (d) => {
      stderr += String(d);
      if (stderr.includes('MIDWRITE ') && !child.killed) child.kill(signal);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('signals and pipes', () => {
  it('SIGINT and SIGTERM in the middle of the write: temp files removed, outputs untouched', async () => {
    writeFileSync(join(dir, 'old.onnx'), 'old model');
    writeFileSync(join(dir, 'old.json'), 'old report');
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const fresh = await interrupted(signal, ['-o', 'new.onnx', '--report', 'new.json']);
      expect(fresh.code, fresh.stderr).toBe(code);
      expect(fresh.stderr).toMatch(new RegExp(`squish: stopped by ${signal}; temporary files removed`));
      const over = await interrupted(signal, ['-o', 'old.onnx', '--report', 'old.json', '--force']);
      expect(over.code, over.stderr).toBe(code);
      expect(readdirSync(dir).sort()).toEqual(['clean.squish', 'old.json', 'old.onnx']);
      expect(readFileSync(join(dir, 'old.onnx'), 'utf8')).toBe('old model');
      expect(readFileSync(join(dir, 'old.json'), 'utf8')).toBe('old report');
    }
  }, 360_000); // four compiles in processes of their own

  it('`squish inspect MODEL | head -1` ends quietly (exit 0, no EPIPE trace)', () => {
    const r = spawnSync(
      'bash',
      [
        '-c',
        `node bin/squish.js inspect '${MODELS.det}' 2>'${join(dir, 'err.txt')}' | head -1; echo "status \${PIPESTATUS[0]}"`,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.stdout).toMatch(/^model {4}.*det_infer\.onnx\nstatus 0\n$/);
    expect(readFileSync(join(dir, 'err.txt'), 'utf8')).toBe('');
    rmSync(join(dir, 'err.txt'));
  });
});
