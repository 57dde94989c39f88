// Files that are not regular files (issue 19, item 1): external data, a model, a recipe or an input
// that is a FIFO, a folder or a device is refused before a read can block or run without end —
// exit 1 with one message, never a hang and never "internal error: EISDIR". The commands run in a
// child process under a time limit, so a regression shows as a hang.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeNpy } from '../../runtime/npy.ts';
import { encode } from '../../runtime/onnx/codec.ts';
import { Harness, hasStackTrace } from '../../scripts/fuzz.harness.ts';
import { rawModelWithInitializer, tempDir } from '../onnx/build.ts';
import { MODELS } from '../support/paths.ts';
import { f32 } from './models.ts';

const dir = tempDir('files');
const harness = new Harness({ timeoutMs: 30_000, maxRssMb: 1500 });
afterAll(() => {
  harness.close();
  rmSync(dir, { recursive: true, force: true });
});

spawnSync('mkfifo', [join(dir, 'pipe')]);
mkdirSync(join(dir, 'folder'));
mkdirSync(join(dir, 'sub'));
symlinkSync('/dev/zero', join(dir, 'sub', 'zero')); // inside the folder by name, a device in fact
writeFileSync(join(dir, 'x.npy'), serializeNpy(f32([1, 2, 3, 4])));
writeFileSync(join(dir, 'r.squish'), 'recipe "r"\n');

/** x[4] + w → y, with w's data in `location`. */
function external(name: string, location: string): string {
  const msg = rawModelWithInitializer({
    dims: [4],
    data_type: 1,
    data_location: 1,
    external_data: [{ key: 'location', value: location }],
  });
  writeFileSync(join(dir, name), encode('ModelProto', msg));
  return name;
}

async function refused(argv: string[], why: RegExp): Promise<void> {
  const r = await harness.run(argv, dir);
  expect(r.code, `${argv.join(' ')}: ${r.code} ${r.stderr}`).toBe(1);
  expect(r.stderr).toMatch(why);
  expect(r.stderr).not.toMatch(/internal error|EISDIR/);
  expect(hasStackTrace(r.stderr)).toBe(false);
}

describe('only regular files are read', () => {
  it('external data that is a FIFO, a folder or a device: inspect, compile and run refuse it', async () => {
    const cases: [string, RegExp][] = [
      [
        external('fifo.onnx', 'pipe'),
        /tensor 'w': external data file 'pipe' is a FIFO \(named pipe\), not a regular file/,
      ],
      [
        external('dir.onnx', 'folder'),
        /tensor 'w': external data file 'folder' is a folder, not a regular file/,
      ],
    ];
    for (const [model, why] of cases) {
      await refused(['inspect', model], why);
      await refused(['compile', model, '--recipe', 'r.squish', '-o', 'out.onnx'], why);
      await refused(['run', model, '--input', 'x=x.npy', '--out', 'o'], why);
    }
    await refused(['inspect', external('dev.onnx', 'sub/zero')], /outside the model folder|is a device/);
  });

  it('a model, a recipe or an input that is a FIFO or a folder', async () => {
    await refused(['inspect', 'pipe'], /model 'pipe' is a FIFO \(named pipe\), not a regular file/);
    await refused(['inspect', 'folder'], /model 'folder' is a folder, not a regular file/);
    await refused(['compile', MODELS.cls, '--recipe', 'pipe', '-o', 'out.onnx'], /recipe 'pipe' is a FIFO/);
    await refused(['check', 'pipe'], /recipe 'pipe' is a FIFO/);
    await refused(['run', MODELS.cls, '--input', 'x=pipe'], /input 'pipe' is a FIFO/);
  });
});
