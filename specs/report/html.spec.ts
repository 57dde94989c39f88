// The HTML report of a real compile (cls, int8 weights and 50% sparse MatMul, fidelity on 8 text
// lines) opened in headless Chromium: every figure the page shows is the report.json's, the charts
// are drawn from the inlined Chart.js with no network, a statement lists the layers it touched; the
// search and training sections draw their curves when a report has them; `squish report` turns the
// JSON into the same page and refuses what is not a report.

import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartScript } from '../../compiler/cli/commands/report.ts';
import { reportHtml } from '../../compiler/report/html.ts';
import type { Report } from '../../compiler/report/types.ts';
import { launchChromium, paintedPixels, screenshot } from '../support/chromium.ts';
import { runCli } from '../support/cli.ts';
import { FIXTURES, MODELS } from '../support/paths.ts';

const RECIPE = `# cls: int8 weights, half the classifier's weights pruned
recipe "report-spec"

model {
  input x: float32[1, 3, 48, 192]
}

calibrate {
  images "lines/*.png"
  samples 8
  resize 192x48
  normalize mean 0.5 std 0.5
  channels bgr
}

prune weights of matmul { sparsity 50% }
quantize weights of conv, matmul { bits 8  per-channel  symmetric }

target size <= 40%
target agreement >= 75%
`;

let tmp: string;
let browser: Browser;
let report: Report;
let html: string;

/** The value at a `data-field` path (`targets.0.achieved`) of the report. */
function at(path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], report);
}

async function open(file: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('request', (r) => requests.push(r.url()));
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-charts]');
  return { page, errors, requests };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'squish-report-'));
  symlinkSync(join(FIXTURES, 'lines'), join(tmp, 'lines'), 'dir');
  writeFileSync(join(tmp, 'cls.squish'), RECIPE);
  const r = await runCli(
    [
      'compile',
      MODELS.cls,
      '--recipe',
      'cls.squish',
      '-o',
      'cls.onnx',
      '--report',
      'r.json',
      '--report',
      'r.html',
    ],
    tmp,
  );
  expect(r.code, r.stderr).toBe(0);
  report = JSON.parse(readFileSync(join(tmp, 'r.json'), 'utf8'));
  html = readFileSync(join(tmp, 'r.html'), 'utf8');
  browser = await launchChromium(join(tmp, 'profile'));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('HTML report', () => {
  it('is one file: Chart.js inlined, the report embedded, nothing fetched', () => {
    expect(html).toContain('Chart.js v4');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    const embedded = /<script type="application\/json" id="squish-report">(.*?)<\/script>/s.exec(html)![1]!;
    expect(JSON.parse(embedded)).toEqual(report);
    console.log(
      `r.html: ${html.length} bytes for ${report.layers.length} layers (Chart.js ${chartScript().length})`,
    );
  });

  it('headless Chromium shows the figures of report.json and draws the per-layer charts', async () => {
    const { page, errors, requests } = await open(join(tmp, 'r.html'));
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    expect(await page.$eval('body', (b) => b.dataset.charts)).toBe('2');
    for (const id of ['chart-bytes', 'chart-error'])
      expect(await paintedPixels(page, id)).toBeGreaterThan(2000);

    const fields = await page.$$eval('[data-field]', (els) =>
      els.map((e) => ({
        field: e.getAttribute('data-field')!,
        value: e.getAttribute('data-value')!,
        text: e.textContent!,
      })),
    );
    const shown = new Set(fields.map((f) => f.field));
    for (const f of [
      'before.bytes',
      'after.bytes',
      'before.params',
      'after.params',
      'after.nonzero',
      'before.flops',
    ])
      expect(shown).toContain(f);
    for (const f of ['fidelity.samples', 'fidelity.agreement', 'fidelity.cosine_min', 'fidelity.snr_db'])
      expect(shown).toContain(f);
    // the interval and what it was measured on read as words, not JSON
    for (const f of ['fidelity.interval.low', 'fidelity.interval.high', 'fidelity.measured_on.samples'])
      expect(shown).toContain(f);
    const tables = await page.$$eval('table', (ts) => ts.map((t) => t.textContent).join('\n'));
    expect(tables).not.toMatch(/\{"(low|samples)"/);
    expect(tables).toMatch(/interval\d+\.\d+%–100\.00% \(95%, wilson\)/);
    expect(tables).toMatch(/measured on3 of 8 samples, held apart from every fitting step \(images\)/);
    report.targets.forEach((_, i) => {
      expect(shown).toContain(`targets.${i}.achieved`);
      expect(shown).toContain(`targets.${i}.met`);
    });
    for (const f of fields) expect(f.value, f.field).toBe(String(at(f.field)));
    // the text beside the raw value says the same thing: bytes exactly, the agreement in percent
    const texts = (field: string) => fields.filter((f) => f.field === field).map((f) => f.text);
    const text = (field: string) => texts(field)[0];
    expect(texts('before.bytes')).toContain(
      `${(report.before.bytes / 1e3).toFixed(1)} KB (${report.before.bytes.toLocaleString('en-US')} bytes)`,
    );
    expect(texts('after.bytes')).toContain(
      `${(report.after.bytes / 1e3).toFixed(1)} KB (${report.after.bytes.toLocaleString('en-US')} bytes)`,
    );
    expect(text('fidelity.agreement')).toBe(`${(report.fidelity!.agreement! * 100).toFixed(2)}%`);
    expect(text('fidelity.samples')).toBe(String(report.fidelity!.samples));
    console.log(
      `page shows ${fields.length} figures; ${report.before.bytes} → ${report.after.bytes} bytes, agreement ${report.fidelity?.agreement} on ${report.fidelity?.samples} samples`,
    );
    await screenshot(page, 'report-cls');
    await page.close();
  });

  it('a recipe statement lists exactly the layers its actions were on', async () => {
    const { page } = await open(join(tmp, 'r.html'));
    const sources = await page.$$eval('.stmt.acts', (els) => els.map((e) => e.getAttribute('data-source')!));
    expect(sources).toEqual(['cls.squish:16', 'cls.squish:17']);
    for (const source of sources) {
      const expected = report.layers
        .filter((l) => l.actions.some((a) => a.endsWith(`(${source})`)))
        .map((l) => l.name)
        .sort();
      await page.click(`.stmt[data-source="${source}"] button.touch`);
      const hits = await page.$$eval('#layers tr.hit td.name', (tds) => tds.map((t) => t.textContent!));
      const visible = await page.$$eval(
        '#layers tbody tr',
        (trs) => trs.filter((tr) => (tr as HTMLElement).offsetParent !== null).length,
      );
      expect(hits.sort()).toEqual(expected);
      expect(visible).toBe(expected.length);
      console.log(`${source}: ${hits.length} layer(s) listed`);
    }
    await screenshot(page, 'report-cls-statement');
    await page.click('#layer-filter button');
    const all = await page.$$eval(
      '#layers tbody tr',
      (trs) => trs.filter((tr) => (tr as HTMLElement).offsetParent !== null).length,
    );
    expect(all).toBe(report.layers.length);
    await page.close();
  });

  it('draws the search frontier, sensitivity curves and the loss curve when the report has them', async () => {
    // sections as the search and training passes write them (ARCHITECTURE.md "Report additions")
    const weighted = report.layers.filter((l) => l.actions.length).slice(0, 5);
    const extended = {
      ...report,
      layers: report.layers.map((l) =>
        weighted.includes(l)
          ? {
              ...l,
              chosen: { bits: 4 },
              sensitivity: [2, 4, 8].map((bits) => ({ bits, sensitivity: l.error / bits })),
            }
          : l,
      ),
      search: {
        candidates: 15,
        time_ms: 4200,
        frontier: [40_000, 60_000, 90_000, 140_000].map((bytes, i) => ({ bytes, agreement: 0.9 + i * 0.03 })),
      },
      training: {
        steps: 20,
        time_ms: 9000,
        agreement_before: 0.875,
        agreement_after: 1,
        loss_curve: Array.from({ length: 20 }, (_, step) => ({
          step,
          loss: 1 / (step + 1),
          holdout_loss: 1.2 / (step + 1),
        })),
      },
      // shapes other than the search's own (compiler/search/report.ts): the page reads either
    } as unknown as Report;
    const file = join(tmp, 'extended.html');
    writeFileSync(file, reportHtml(extended, { chartScript: chartScript() }));
    const { page, errors } = await open(file);
    expect(errors).toEqual([]);
    expect(await page.$eval('body', (b) => b.dataset.charts)).toBe('5');
    for (const id of ['chart-frontier', 'chart-sensitivity', 'chart-loss'])
      expect(await paintedPixels(page, id)).toBeGreaterThan(1000);
    const facts = await page.$$eval('#search ~ table [data-field], #training ~ table [data-field]', (els) =>
      els.map((e) => [e.getAttribute('data-field'), e.getAttribute('data-value')]),
    );
    expect(facts).toEqual(
      expect.arrayContaining([
        ['search.candidates', '15'],
        ['training.steps', '20'],
        ['training.agreement_after', '1'],
      ]),
    );
    expect(await page.$$eval('#layers th', (ths) => ths.map((t) => t.textContent))).toContain('chosen');
    await screenshot(page, 'report-search-training');
    await page.close();
  });
});

describe('squish report', () => {
  it('writes the page of a report.json; the recipe can be given when the report lacks it', async () => {
    const { recipe: _, ...bare } = report;
    writeFileSync(join(tmp, 'bare.json'), JSON.stringify(bare));
    const r = await runCli(['report', 'bare.json', '-o', 'bare.html', '--recipe', 'cls.squish'], tmp);
    expect(r.code, r.stderr).toBe(0);
    const page = readFileSync(join(tmp, 'bare.html'), 'utf8');
    expect(page).toContain('data-source="cls.squish:16"');
    expect(page).toContain('squish report — report-spec');
    const again = await runCli(['report', 'bare.json', '-o', 'bare.html'], tmp);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists[\s\S]*--force/);
  });

  it('refuses what is not a compile report with one message and exit 1', async () => {
    writeFileSync(join(tmp, 'broken.json'), '{"before": ');
    writeFileSync(join(tmp, 'other.json'), '{"name": "x"}');
    const broken = await runCli(['report', 'broken.json', '-o', 'x.html'], tmp);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^error: broken\.json is not JSON/);
    const other = await runCli(['report', 'other.json', '-o', 'x.html'], tmp);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /other\.json is not a squish compile report: it has no before, after, layers/,
    );
    const missing = await runCli(['report', 'none.json', '-o', 'x.html'], tmp);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/report file '.*none\.json' does not exist/);
  });
});
