// The web playground as `squish serve` serves it (the built CLI and dist/playground), in headless
// Chromium: a model and a recipe dropped in through the file picker show the plan; a typo typed
// into the editor is underlined and listed as squish check lists it, and goes away when undone;
// Compile runs in a worker with progress, and the model it offers for download is byte for byte
// what `squish compile` writes; the HTML report it offers shows the same sizes. The recipe reads
// no calibration data: with data, weight quantization's bias correction runs the model on the
// runtime's 'auto' backend (webasm in Node, cpu in browsers) and the corrected biases differ in
// their last bits (587 of 182,761 bytes for this recipe with `calibrate { random samples 4 }`).

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/chromium.ts';
import { runCli } from '../support/cli.ts';
import { MODELS, ROOT } from '../support/paths.ts';

const RECIPE = `# cls with int8 weights and half of the classifier pruned
recipe "playground-spec"

model {
  input x: float32[1, 3, 48, 192]
}

prune weights of matmul { sparsity 50% }
quantize weights of conv, matmul { bits 8  per-channel  symmetric }

target size <= 40%
`;

let tmp: string;
let server: ChildProcess;
let base: string;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'squish-playground-'));
  writeFileSync(join(tmp, 'cls.squish'), RECIPE);
  server = spawn(process.execPath, [join(ROOT, 'bin/squish.js'), 'serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise<string>((done, fail) => {
    let out = '';
    server.stdout!.on('data', (b: Buffer) => {
      out += b;
      const m = /at (http:\/\/\S+\/)/.exec(out);
      if (m) done(m[1]!);
    });
    server.once('exit', (code) => fail(new Error(`squish serve exited with ${code}: ${out}`)));
  });
  browser = await launchChromium(join(tmp, 'profile'));
  page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(base);
  await page.waitForSelector('body[data-ready]');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The recipe in the editor (CodeMirror draws each line of the document as a .cm-line). */
function editorText(): Promise<string> {
  return page.$$eval('.cm-content .cm-line', (lines) => lines.map((l) => l.textContent ?? '').join('\n'));
}

/** Bytes behind a download link's blob: URL. */
async function linkBytes(id: string): Promise<Buffer> {
  const bytes = await page.$eval(`#${id}`, async (a) => {
    const buf = await (await fetch((a as HTMLAnchorElement).href)).arrayBuffer();
    return Array.from(new Uint8Array(buf));
  });
  return Buffer.from(bytes);
}

describe('playground (squish serve)', () => {
  it('takes a dropped model and recipe, shows the plan, underlines a typo as you type', async () => {
    const picker = await page.$('#files');
    await (picker as unknown as { uploadFile: (...p: string[]) => Promise<void> }).uploadFile(
      MODELS.cls,
      join(tmp, 'cls.squish'),
    );
    await page.waitForFunction(() => document.querySelectorAll('#plan tr').length > 1, { timeout: 60_000 });
    const plan = await page.$$eval('#plan tr', (rows) => rows.map((r) => r.textContent ?? ''));
    expect(plan.some((r) => r.includes('MatMul') && r.includes('prune'))).toBe(true);
    expect(await editorText()).toBe(RECIPE);

    // a typo at the end of the recipe, typed as a person types it
    await page.click('.cm-content');
    await page.keyboard.down('Control');
    await page.keyboard.press('End');
    await page.keyboard.up('Control');
    await page.keyboard.type('\nsqueeze everything');
    await page.waitForSelector('#diagnostics:not([data-errors="0"])', { timeout: 30_000 });
    await page.waitForSelector('.cm-lintRange-error');
    const shown = await page.$eval('#diagnostics', (e) => e.textContent ?? '');
    writeFileSync(join(tmp, 'typo.squish'), `${RECIPE}\nsqueeze everything`);
    const check = await runCli(['check', 'typo.squish'], tmp);
    const head = check.stderr.split('\n')[0]!; // typo.squish:L:C: error[SQ202]: unknown statement 'squeeze'
    const [, line, column, rest] = /^typo\.squish:(\d+):(\d+): (.*)$/.exec(head)!;
    expect(shown).toBe(`${line}:${column} ${rest!.replace(/\]: /, '] ')}`);
    expect(await page.$eval('#compile', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await screenshot(page, 'playground-typo');
    for (let i = 0; i < '\nsqueeze everything'.length; i++) await page.keyboard.press('Backspace');
    await page.waitForSelector('#diagnostics[data-errors="0"]', { timeout: 30_000 });
    expect(await editorText()).toBe(RECIPE);
  }, 180_000);

  it('compiles in a worker with progress; the model equals squish compile’s bytes', async () => {
    await page.click('#compile');
    await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', {
      timeout: 540_000,
    });
    const status = await page.$eval('#status', (e) => e.textContent ?? '');
    expect(status).not.toMatch(/error/i);
    await screenshot(page, 'playground-compiled');
    const progress = await page.$eval('#progress', (e) => [
      (e as HTMLProgressElement).value,
      (e as HTMLProgressElement).max,
    ]);
    expect(progress[0]).toBe(progress[1]);

    const browserModel = await linkBytes('download-model');
    const out = join(tmp, 'cli.onnx');
    const cli = await runCli(['compile', MODELS.cls, '--recipe', 'cls.squish', '-o', out, '--quiet'], tmp);
    expect(cli.code).toBe(0);
    expect(browserModel.length).toBeLessThan(0.4 * readFileSync(MODELS.cls).length);
    expect(Buffer.compare(browserModel, readFileSync(out))).toBe(0);

    const html = (await linkBytes('download-report')).toString('utf8');
    expect(html).toContain(`data-field="after.bytes" data-value="${browserModel.length}"`);
    expect(status).toContain(`→ ${browserModel.length} bytes`);
    expect(errors).toEqual([]);
  }, 600_000);
});
