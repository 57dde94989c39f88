// Allocation without limit (issue 19, items 2 and 3): the executor checks a budget before a node's
// outputs are made and fails with the node's name and the size it asked for; pinned input shapes win
// before anything is sized. Every command runs in a child process under a time and memory limit, so
// a regression shows as a hang or as memory, not as a stuck test run.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeNpy } from '../../runtime/npy.ts';
import { Harness, hasStackTrace } from '../../scripts/fuzz.harness.ts';
import { tempDir } from '../onnx/build.ts';
import { constantOfShape, expand, f32, hugeInput, range } from './models.ts';

const dir = tempDir('memory');
const harness = new Harness({ timeoutMs: 60_000, maxRssMb: 1500 });
afterAll(() => {
  harness.close();
  rmSync(dir, { recursive: true, force: true });
});

writeFileSync(join(dir, 'x.npy'), serializeNpy(f32([1])));
const save = (name: string, bytes: Uint8Array | string) => {
  writeFileSync(join(dir, name), bytes);
  return name;
};

async function refused(argv: string[], why: RegExp) {
  const r = await harness.run(argv, dir);
  expect(r.code, `${argv.join(' ')}\n${r.stderr}`).toBe(1);
  expect(r.stderr).toMatch(why);
  expect(hasStackTrace(r.stderr)).toBe(false);
  expect(r.peakMb).toBeLessThan(1500);
  return r;
}

describe('the executor allocation budget', () => {
  it('ConstantOfShape, Expand and Range past the budget fail naming the node and the size', async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['cos.onnx', constantOfShape([40000, 40000]), /node 'fill' \(ConstantOfShape\) asks for 5\.96 GiB/],
      ['expand.onnx', expand([30000, 30000]), /node 'grow' \(Expand\) asks for 3\.35 GiB/],
      [
        'cos31.onnx',
        constantOfShape([2 ** 31, 2 ** 31]),
        /node 'fill' \(ConstantOfShape\) asks for 1\.84e\+19 bytes/,
      ],
      ['range.onnx', range(2 ** 40), /node 'count' \(Range\) asks for 4\.00 TiB/],
    ];
    for (const [name, bytes, why] of cases) {
      const r = await refused(['run', save(name, bytes), '--input', 'x=x.npy', '--out', 'o'], why);
      expect(r.stderr).toMatch(/more than the memory budget of 2\.00 GiB\nhelp: .*--max-memory/);
    }
  });

  it('--max-memory sets the budget, both ways', async () => {
    const small = save('small.onnx', expand([1024, 1024])); // 4 MiB
    expect((await harness.run(['run', small, '--input', 'x=x.npy', '--out', 'o'], dir)).code).toBe(0);
    await refused(
      ['run', small, '--input', 'x=x.npy', '--out', 'o', '--max-memory', '2M'],
      /node 'grow' \(Expand\) asks for 4\.0 MiB .*more than the memory budget of 2\.0 MiB/,
    );
    await refused(
      ['run', small, '--input', 'x=x.npy', '--max-memory', 'lots'],
      /--max-memory 'lots' is not a size/,
    );
  });

  it('pinned input shapes win over absurd declared dims before anything is sized', async () => {
    const model = save('huge.onnx', hugeInput([2 ** 31, 2 ** 31, 2 ** 31, 4]));
    const pin = save('pin.squish', 'recipe "p"\nmodel {\n  input x: float32[1, 3, 8, 8]\n}\n');
    const plan = await harness.run(['plan', model, '--recipe', pin], dir);
    expect(plan.code, plan.stderr).toBe(0);
    const cal = save(
      'pin-cal.squish',
      'recipe "p"\nmodel {\n  input x: float32[1, 3, 8, 8]\n}\ncalibrate { random  samples 2 }\n',
    );
    const c = await harness.run(['compile', model, '--recipe', cal, '-o', 'out.onnx'], dir);
    expect(c.code, c.stderr).toBe(0);
    expect(c.peakMb).toBeLessThan(1500);
    // without a pin, random calibration data of the declared size is refused before it is made
    const rnd = save('rnd.squish', 'recipe "r"\ncalibrate { random  samples 2 }\n');
    await refused(
      ['compile', model, '--recipe', rnd, '-o', 'out2.onnx'],
      /2 random samples of x \[2147483648, 2147483648, 2147483648, 4\] take .* more than the memory budget/,
    );
  });
});
