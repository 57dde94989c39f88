// Headless Chromium for the browser specs (Debian's chromium driven by puppeteer-core). Screenshots
// go to $SQUISH_SCREENSHOTS when it is set, so a person can look at what the specs saw.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = '/usr/bin/chromium';

/** A headless Chromium with its profile in `profileDir` (the caller removes it). */
export function launchChromium(profileDir: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profileDir}`,
    ],
  });
}

/** A full-page screenshot into $SQUISH_SCREENSHOTS/<name>.png when that is set. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.SQUISH_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  // A full-page capture resizes the viewport, and responsive charts clear and redraw on a resize:
  // grow the viewport to the page first and let two frames pass, so the capture sees drawn charts.
  const view = page.viewport() ?? { width: 1200, height: 900 };
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewport({ ...view, height: Math.max(view.height, height) });
  await page.evaluate(
    () => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))),
  );
  await page.screenshot({ path: join(dir, `${name}.png`) as `${string}.png`, fullPage: true });
  await page.setViewport(view);
}

/** How many pixels of a canvas are not transparent (a drawn chart has thousands). */
export function paintedPixels(page: Page, id: string): Promise<number> {
  return page.$eval(`#${id}`, (el) => {
    const c = el as HTMLCanvasElement;
    const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    if (data) for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });
}
