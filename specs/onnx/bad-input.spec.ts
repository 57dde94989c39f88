// Bad model files: one clear line (what, where) and exit code 1, never a stack trace — including
// external data that tries to leave the model's folder or claims absurd sizes.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveModelFile } from '../../compiler/io/model-file.ts';
import { isUserError } from '../../runtime/errors.ts';
import { Node } from '../../runtime/ir/node.ts';
import { encode, type Msg } from '../../runtime/onnx/codec.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { runCli } from '../support/cli.ts';
import { FIXTURES, MODELS } from '../support/paths.ts';
import { f32, makeModel, rawModelWithInitializer, tempDir } from './build.ts';

const dir = tempDir('bad');
const outside = tempDir('outside');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

async function inspectFails(file: string, pattern: RegExp): Promise<string> {
  const r = await runCli(['inspect', file]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.stderr).not.toMatch(/internal error/);
  return r.stderr;
}

function write(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function externalModel(
  name: string,
  location: string,
  opts: { offset?: number; length?: number; dims?: number[] } = {},
): string {
  const ext = [{ key: 'location', value: location }];
  if (opts.offset !== undefined) ext.push({ key: 'offset', value: String(opts.offset) });
  if (opts.length !== undefined) ext.push({ key: 'length', value: String(opts.length) });
  const msg = rawModelWithInitializer(
    { dims: opts.dims ?? [4], data_type: 1, data_location: 1, external_data: ext },
    opts.dims?.[0] ?? 4,
  );
  return write(name, encode('ModelProto', msg));
}

describe('bad model files', () => {
  it('missing file', async () => {
    await inspectFails(join(dir, 'nope.onnx'), /model file '.*nope\.onnx' does not exist/);
  });
  it('empty file', async () => {
    await inspectFails(write('empty.onnx', new Uint8Array(0)), /empty\.onnx is empty \(0 bytes\)/);
  });
  it('truncated file', async () => {
    const bytes = readFileSync(MODELS.cls);
    const e = await inspectFails(
      write('trunc.onnx', bytes.subarray(0, bytes.length >> 1)),
      /not a valid ONNX model/,
    );
    expect(e).toMatch(/trunc\.onnx/);
  });
  it('non-ONNX files (a PNG, a text file)', async () => {
    const png = readFileSync(join(FIXTURES, 'lines', 'line00.png'));
    await inspectFails(write('image.onnx', png), /not (a valid )?an? ?ONNX model|not a valid ONNX model/);
    await inspectFails(write('text.onnx', 'hello, this is not a model\n'), /ONNX model/);
  });
  it('graph with a cycle', async () => {
    const m = makeModel([['x', 'float32', [2]]], [['b', 'float32', [2]]]);
    m.graph.nodes.push(new Node({ op: 'Add', inputs: ['x', 'b'], outputs: ['a'], name: 'first' }));
    m.graph.nodes.push(new Node({ op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'second' }));
    await inspectFails(
      write('cycle.onnx', exportModel(m)),
      /graph 'g' has a cycle through node '(first|second)'/,
    );
  });
  it('a value defined twice', async () => {
    const m = makeModel([['x', 'float32', [2]]], [['a', 'float32', [2]]]);
    m.graph.nodes.push(new Node({ op: 'Relu', inputs: ['x'], outputs: ['a'], name: 'one' }));
    m.graph.nodes.push(new Node({ op: 'Neg', inputs: ['x'], outputs: ['a'], name: 'two' }));
    await inspectFails(
      write('twice.onnx', exportModel(m)),
      /value 'a' is defined twice \(node 'one' \(Relu\) and node 'two' \(Neg\)\)/,
    );
  });
  it('a node reading a value nothing defines', async () => {
    const m = makeModel([['x', 'float32', [2]]], [['y', 'float32', [2]]]);
    m.graph.nodes.push(new Node({ op: 'Add', inputs: ['x', 'ghost'], outputs: ['y'], name: 'adder' }));
    await inspectFails(
      write('ghost.onnx', exportModel(m)),
      /node 'adder' \(Add\) reads 'ghost', which no node, input or initializer defines/,
    );
  });
  it('tensor data shorter than its shape', async () => {
    const msg = rawModelWithInitializer({ dims: [4], data_type: 1, raw_data: f32([1, 2]) });
    await inspectFails(
      write('short.onnx', encode('ModelProto', msg)),
      /tensor 'w': data is shorter than its shape: 8 bytes, shape \[4\] needs 16/,
    );
    const typed = rawModelWithInitializer({
      dims: [4],
      data_type: 1,
      float_data: new Float32Array([1, 2, 3]),
    });
    await inspectFails(
      write('short2.onnx', encode('ModelProto', typed)),
      /tensor 'w': data is shorter than its shape: 3 values/,
    );
  });
  it('unknown dtype number', async () => {
    const msg = rawModelWithInitializer({ dims: [4], data_type: 99, raw_data: f32([1, 2, 3, 4]) });
    await inspectFails(write('dtype.onnx', encode('ModelProto', msg)), /tensor 'w': unknown data_type 99/);
    const vi = rawModelWithInitializer({ dims: [4], data_type: 1, raw_data: f32([1, 2, 3, 4]) });
    ((vi.graph as Msg).input as Msg[])[0]!.type = { tensor_type: { elem_type: 77 } };
    await inspectFails(write('dtype2.onnx', encode('ModelProto', vi)), /value 'x': unknown elem_type 77/);
  });
});

describe('external data', () => {
  writeFileSync(join(dir, 'ok.bin'), f32([1, 2, 3, 4]));
  writeFileSync(join(outside, 'secret.bin'), f32([9, 9, 9, 9]));
  mkdirSync(join(dir, 'sub'), { recursive: true });
  symlinkSync(join(outside, 'secret.bin'), join(dir, 'link.bin'));
  symlinkSync(outside, join(dir, 'linkdir'));

  it('reads data inside the folder', async () => {
    const r = await runCli(['inspect', externalModel('ext-ok.onnx', 'ok.bin'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).totals.params).toBe(4);
  });
  it('refuses an absolute location', async () => {
    await inspectFails(
      externalModel('abs.onnx', join(outside, 'secret.bin')),
      /tensor 'w': external data location '.*secret\.bin' is an absolute path/,
    );
  });
  it("refuses '..'", async () => {
    await inspectFails(
      externalModel('dotdot.onnx', '../secret.bin'),
      /external data location '\.\.\/secret\.bin' leaves the model folder/,
    );
  });
  it("refuses a nested 'sub/../../x'", async () => {
    await inspectFails(
      externalModel('nested.onnx', 'sub/../../secret.bin'),
      /'sub\/\.\.\/\.\.\/secret\.bin' leaves the model folder/,
    );
    await inspectFails(externalModel('nested2.onnx', 'sub\\..\\..\\secret.bin'), /leaves the model folder/);
  });
  it('refuses a symlink pointing out (file or folder)', async () => {
    await inspectFails(
      externalModel('sym.onnx', 'link.bin'),
      /'link\.bin' is a symlink .*outside the model folder/,
    );
    await inspectFails(externalModel('symdir.onnx', 'linkdir/secret.bin'), /outside the model folder/);
  });
  it('refuses offset/length past the end of the file, before reading', async () => {
    await inspectFails(
      externalModel('off.onnx', 'ok.bin', { offset: 12, length: 16 }),
      /range \[12, 28\) is past the end of 'ok\.bin' \(16 bytes\)/,
    );
    await inspectFails(
      externalModel('len.onnx', 'ok.bin', { offset: 0, length: 1e15, dims: [4] }),
      /past the end of 'ok\.bin'/,
    );
  });
  it('refuses an absurd size before allocating', async () => {
    await inspectFails(
      externalModel('huge.onnx', 'ok.bin', { dims: [100000, 100000, 1000] }),
      /has 10000000000000 elements, more than squish accepts/,
    );
    const msg = rawModelWithInitializer({ dims: [1e6, 1e6], data_type: 1, raw_data: f32([1]) });
    await inspectFails(write('huge-raw.onnx', encode('ModelProto', msg)), /more than squish accepts/);
  });
  it('refuses to write external data outside the folder', () => {
    const m = makeModel([['x', 'float32', [4]]], [['y', 'float32', [4]]]);
    m.graph.addInitializer('w', { dtype: 'float32', dims: [4], data: new Float32Array(4) });
    m.graph.addNode({ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] });
    const target = join(dir, 'saved.onnx');
    for (const [location, why] of [
      ['../evil.bin', /leaves the model folder/],
      ['sub/../../evil.bin', /leaves the model folder/],
      [join(outside, 'evil.bin'), /absolute path/],
      ['link.bin', /symlink/],
      ['linkdir/evil.bin', /symlink/],
      ['saved.onnx', /is the model file itself/],
    ] as const) {
      let err: unknown;
      try {
        saveModelFile(target, m, { externalData: { location, threshold: 0 } });
      } catch (e) {
        err = e;
      }
      expect(isUserError(err), location).toBe(true);
      expect((err as Error).message).toMatch(why);
    }
    // the file the symlink points to was not touched
    expect(
      Buffer.from(readFileSync(join(outside, 'secret.bin'))).equals(Buffer.from(f32([9, 9, 9, 9]))),
    ).toBe(true);
  });
});
