// The Node image loader: EXIF orientation honoured (an orientation-6 JPEG comes back upright, not
// with NaNs), each file read and decoded once, and a clear message when the optional sharp is absent.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isUserError } from '../../runtime/errors.ts';

const W = 5;
const H = 3;

/** A W×H JPEG whose pixels are all different, stored sideways with EXIF orientation 6. */
async function sidewaysJpeg(): Promise<Buffer> {
  const raw = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) raw.set([(i * 17) % 256, 255 - ((i * 29) % 256), (i * 53) % 256], i * 3);
  return sharp(raw, { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality: 100 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

async function freshLoader() {
  vi.resetModules();
  return import('../../compiler/io/images.ts');
}

afterEach(() => {
  vi.doUnmock('sharp');
  vi.resetModules();
});

describe('loadImage (Node, sharp)', () => {
  it('turns an orientation-6 JPEG upright: rotated 90° clockwise, every value finite', async () => {
    const jpeg = await sidewaysJpeg();
    const { loadImage } = await freshLoader();
    const t = await loadImage(new Uint8Array(jpeg));
    expect(t.dims).toEqual([1, 3, W, H]); // displayed as H wide, W tall
    const data = t.data as Float32Array;
    expect(data.every(Number.isFinite)).toBe(true);
    // the stored pixels (decoded by sharp without orientation), rotated here: displayed (x, y) is
    // stored (y, H−1−x)
    const stored = await sharp(jpeg).raw().toBuffer();
    const plane = W * H;
    for (let y = 0; y < W; y++) {
      for (let x = 0; x < H; x++) {
        for (let c = 0; c < 3; c++) {
          const want = stored[(((H - 1 - x) * W + y) * 3 + c) as number]! / 255;
          expect(data[c * plane + y * H + x]).toBeCloseTo(want, 6);
        }
      }
    }
  });

  it('reads and decodes a file once (one sharp instance on the file bytes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'squish-images-'));
    try {
      const file = join(dir, 'sideways.jpg');
      writeFileSync(file, await sidewaysJpeg());
      const inputs: unknown[] = [];
      vi.doMock('sharp', async (importOriginal) => {
        const real = (await importOriginal<typeof import('sharp')>()).default;
        const counted = (...args: Parameters<typeof real>) => {
          inputs.push(args[0]);
          return real(...args);
        };
        return { default: counted };
      });
      const { loadImage } = await freshLoader();
      const t = await loadImage(file, { width: 8, height: 4, fit: 'pad' });
      expect(t.dims).toEqual([1, 3, 4, 8]);
      expect(inputs).toHaveLength(1);
      expect(inputs[0]).toBeInstanceOf(Uint8Array); // bytes read once here, not a path sharp reopens
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without sharp: one UserError naming the package and how to install it', async () => {
    vi.doMock('sharp', () => {
      throw new Error("Cannot find package 'sharp' imported from images.ts");
    });
    const { loadImage } = await freshLoader();
    const err = await loadImage(new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
    expect(isUserError(err)).toBe(true); // (a fresh module graph: its own UserError class)
    if (!isUserError(err)) return;
    expect(err.message).toMatch(/optional package 'sharp'/);
    expect(err.help).toMatch(/npm install sharp/);
  });

  it('a file that is not an image is one UserError', async () => {
    const { loadImage } = await freshLoader();
    const err = await loadImage(new Uint8Array([1, 2, 3, 4])).catch((e: unknown) => e);
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(/cannot decode image/);
  });
});
