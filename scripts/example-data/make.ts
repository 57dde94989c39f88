// Writes examples/data/: text-line images for the default recipe's calibration and held-apart
// fidelity samples, drawn with the project's own bitmap font (font.ts) — nothing fetched, the same
// files on every run. Each text is drawn upright and turned 180° (the two answers of PP-OCR's
// text-direction classifier), grey ink on a paper-grey background with seeded noise, anti-aliased
// by drawing at 4× and averaging. Run: npx tsx scripts/example-data/make.ts
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font.ts';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '../../examples/data');
const TEXTS = [
  'prune 30 l',
  'int8 codes',
  'share them',
  'fold norms',
  'keep it up',
  'line 42 of',
  'held apart',
  '16 centres',
  'four times',
  'squish it',
  'the answer',
  'page 7, 12',
];
/** Text lines about 4:1 (the classifier's 192×48 input), the glyphs filling most of the height. */
const HEIGHT = 36;
/** Pixels per font cell, and the supersampling factor of the anti-aliasing. */
const SCALE = 3;
const SUPER = 4;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ink coverage 0..1 of a text line, HEIGHT rows, upright. */
function coverage(text: string): { width: number; ink: Float32Array } {
  const cell = SCALE * SUPER;
  const advance = (GLYPH_WIDTH + 1) * cell;
  const margin = cell;
  const top = Math.round((HEIGHT * SUPER - GLYPH_HEIGHT * cell) / 2);
  const wSuper = margin * 2 + text.length * advance;
  const hSuper = HEIGHT * SUPER;
  const hi = new Uint8Array(wSuper * hSuper);
  [...text].forEach((ch, k) => {
    const g = glyph(ch);
    if (!g) throw new Error(`the font has no '${ch}'`);
    g.forEach((row, r) => {
      row.forEach((on, c) => {
        if (!on) return;
        for (let y = 0; y < cell; y++)
          for (let x = 0; x < cell; x++)
            hi[(top + r * cell + y) * wSuper + margin + k * advance + c * cell + x] = 1;
      });
    });
  });
  const width = wSuper / SUPER;
  const ink = new Float32Array(width * HEIGHT);
  for (let y = 0; y < HEIGHT; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let dy = 0; dy < SUPER; dy++)
        for (let dx = 0; dx < SUPER; dx++) s += hi[(y * SUPER + dy) * wSuper + x * SUPER + dx]!;
      ink[y * width + x] = s / (SUPER * SUPER);
    }
  return { width, ink };
}

/** RGB bytes of the line: paper and ink greys with noise; turned 180° when `flip`. */
function render(text: string, seed: number, flip: boolean): { width: number; rgb: Uint8Array } {
  const { width, ink } = coverage(text);
  const next = rng(seed);
  const paper = 225 + Math.floor(next() * 25);
  const pen = 20 + Math.floor(next() * 50);
  const rgb = new Uint8Array(width * HEIGHT * 3);
  const n = width * HEIGHT;
  for (let i = 0; i < n; i++) {
    const v = paper + (pen - paper) * ink[i]! + (next() - 0.5) * 16;
    const at = flip ? n - 1 - i : i;
    rgb.fill(Math.max(0, Math.min(255, Math.round(v))), at * 3, at * 3 + 3);
  }
  return { width, rgb };
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const manifest = ['file\ttext\tdirection'];
for (const [i, text] of TEXTS.entries()) {
  for (const flip of [false, true]) {
    const name = `line${String(i).padStart(2, '0')}-${flip ? 'down' : 'up'}.png`;
    const { width, rgb } = render(text, 7919 * (i + 1), flip);
    const png = await sharp(rgb, { raw: { width, height: HEIGHT, channels: 3 } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    writeFileSync(join(OUT, name), png);
    manifest.push(`${name}\t${text}\t${flip ? 180 : 0}`);
  }
}
writeFileSync(join(OUT, 'manifest.tsv'), `${manifest.join('\n')}\n`);
console.log(`wrote ${TEXTS.length * 2} text lines to ${OUT}`);
