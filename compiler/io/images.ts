// Image loader (Node): decodes PNG/JPEG with sharp (an optional dependency, imported on the first
// image) and turns it into a normalized float32 tensor. Each file is read and decoded once, turned
// upright by its EXIF orientation. This is a loader, not core: core code receives tensors from a host.

import { readFile } from 'node:fs/promises';
import { UserError } from '../../runtime/errors.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { type ImageOptions, outputSize, pixelsToTensor } from './pixels.ts';

type SharpFactory = typeof import('sharp').default;
let sharpModule: Promise<SharpFactory> | undefined;

/** sharp, or one clear UserError when the optional dependency is not installed. */
function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then(
    (m) => m.default,
    (e: Error) => {
      sharpModule = undefined;
      throw new UserError(
        `reading images needs the optional package 'sharp', which cannot be loaded here (${e.message.split('\n')[0]})`,
        'install it with `npm install sharp`, or give calibration data as .npy tensors',
      );
    },
  );
  return sharpModule;
}

/** Decode an image file (or bytes) into a [1,3,H,W] (or [1,H,W,3]) float32 tensor. */
export async function loadImage(source: string | Uint8Array, opts: ImageOptions = {}): Promise<Tensor> {
  const where = typeof source === 'string' ? source : 'image';
  const bytes = typeof source === 'string' ? await readImageFile(source) : source;
  const sharp = await loadSharp();
  const decodeError = (e: unknown) =>
    new UserError(`${where}: cannot decode image (${(e as Error).message})`, 'use PNG or JPEG files');
  const img = sharp(bytes).autoOrient();
  let srcW: number;
  let srcH: number;
  try {
    const meta = await img.metadata(); // the header only: sizes as stored and after orientation
    srcW = meta.autoOrient?.width ?? meta.width ?? 0;
    srcH = meta.autoOrient?.height ?? meta.height ?? 0;
  } catch (e) {
    throw decodeError(e);
  }
  const size = outputSize(srcW, srcH, opts);
  img.flatten({ background: '#ffffff' }).removeAlpha().toColourspace('srgb');
  if (size.contentW !== srcW || size.outH !== srcH)
    img.resize(size.contentW, size.outH, { fit: 'fill', kernel: 'linear' });
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    decoded = await img.raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw decodeError(e);
  }
  const { data, info } = decoded;
  if (info.width !== size.contentW || info.height !== size.outH)
    throw new Error(`${where}: decoded ${info.width}×${info.height}, expected ${size.contentW}×${size.outH}`);
  return pixelsToTensor(data, info.channels, size, opts);
}

async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot read image ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message}`,
    );
  }
}
