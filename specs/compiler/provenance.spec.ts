// Provenance keeps the included recipe files, not only the top-level text; a host that reads files
// only asynchronously (a browser's fetch) gets its includes read ahead by compile().
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, type Host, loadModel } from '../../compiler/index.ts';
import { nodeHost } from '../../compiler/io/host.ts';
import { isUserError } from '../../runtime/errors.ts';
import { MODELS } from '../support/paths.ts';

const TOP = 'recipe "top"\ninclude "parts/a.squish"\n';
const A = 'include "../b.squish"\ncleanup none\n';
const B = 'target params <= 100%\n';

let bytes: Uint8Array;
const dirs: string[] = [];

/** The three recipe files under a new temp folder `depth` levels deep; returns the top file. */
function layOut(depth: number): string {
  const root = mkdtempSync(join(tmpdir(), 'squish-prov-'));
  dirs.push(root);
  const dir = join(root, ...Array.from({ length: depth }, (_, i) => `d${i}`));
  mkdirSync(join(dir, 'parts'), { recursive: true });
  writeFileSync(join(dir, 'top.squish'), TOP);
  writeFileSync(join(dir, 'parts/a.squish'), A);
  writeFileSync(join(dir, 'b.squish'), B);
  return join(dir, 'top.squish');
}

/** The Node host without its synchronous readText: files arrive through readFile only. */
function asyncOnly(host: Host): Host {
  return { readFile: host.readFile, resolve: host.resolve, glob: host.glob };
}

beforeAll(() => {
  bytes = new Uint8Array(readFileSync(MODELS.cls));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('provenance of included recipes', () => {
  it('squish.recipe_includes holds every included file by its path from the recipe folder', async () => {
    const top = layOut(1);
    const { model } = await compile(bytes, TOP, { recipeFile: top, host: nodeHost() });
    const m = loadModel(model);
    expect(m.metadata('squish.recipe')).toBe(TOP);
    expect(JSON.parse(m.metadata('squish.recipe_includes') ?? 'null')).toEqual({
      'parts/a.squish': A,
      'b.squish': B,
    });
    expect(m.graph.nodes.some((n) => n.opType === 'BatchNormalization')).toBe(true); // it took effect
  });

  it('the output does not depend on where the recipe folder lives', async () => {
    const near = await compile(bytes, TOP, { recipeFile: layOut(1), host: nodeHost() });
    const far = await compile(bytes, TOP, { recipeFile: layOut(6), host: nodeHost() });
    expect(far.model).toEqual(near.model);
  });

  it('a recipe without includes writes no squish.recipe_includes', async () => {
    const { model } = await compile(bytes, 'recipe "plain"\n');
    expect(loadModel(model).metadata('squish.recipe_includes')).toBeUndefined();
  });
});

describe('includes through an asynchronous host', () => {
  it('compile reads them ahead: the same model as with synchronous reads', async () => {
    const top = layOut(2);
    const sync = await compile(bytes, TOP, { recipeFile: top, host: nodeHost() });
    const async_ = await compile(bytes, TOP, { recipeFile: top, host: asyncOnly(nodeHost()) });
    expect(async_.model).toEqual(sync.model);
  });

  it("a missing include is the recipe error, with the host's reason", async () => {
    const top = layOut(1);
    rmSync(join(top, '../b.squish'));
    const err = await compile(bytes, TOP, { recipeFile: top, host: asyncOnly(nodeHost()) }).catch(
      (e: unknown) => e,
    );
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /cannot include "\.\.\/b\.squish": file '.*b\.squish' does not exist/,
    );
  });
});
