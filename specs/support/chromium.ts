// Headless Chromium for the browser specs (Debian's chromium driven by puppeteer-core) and a local
// HTTP server for the pages they open. Screenshots go to $SQUISH_SCREENSHOTS when it is set, so a
// person can look at what the specs saw.

import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join } from 'node:path';
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

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.onnx': 'application/octet-stream',
  '.squish': 'text/plain',
};

/** Serves what `files` returns for a path (undefined: 404), cross-origin isolated, on 127.0.0.1. */
export async function serveFiles(
  files: (path: string) => Buffer | string | Uint8Array | undefined,
): Promise<{ server: Server; base: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const body = files(path);
    // cross-origin isolation lets gpu.js's webasm backend share memory with its workers
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'text/html' }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  return { server, base, close: () => new Promise((done) => server.close(() => done())) };
}

/** A full-page screenshot into $SQUISH_SCREENSHOTS/<name>.png when that is set. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.SQUISH_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) as `${string}.png`, fullPage: true });
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
