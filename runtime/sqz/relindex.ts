// Deep Compression relative indices, decoding side: entry i lands gaps[i] + 1 after entry i − 1
// (the first after position −1); a stream that runs past its tensor is a UserError, never a write
// out of bounds. Filler entries (the padding rule for long gaps) carry symbol 0.

import { UserError } from '../errors.ts';

export function relativeDecode(gaps: ArrayLike<number>, length: number, what: string): Uint32Array {
  const out = new Uint32Array(gaps.length);
  let p = -1;
  for (let i = 0; i < gaps.length; i++) {
    p += gaps[i]! + 1;
    if (p >= length) {
      throw new UserError(
        `.sqz file is corrupted: the sparse index stream of ${what} decodes past its tensor (entry ${i} lands at position ${p} of ${length})`,
        're-create it with `squish compile … -o model.sqz`',
      );
    }
    out[i] = p;
  }
  return out;
}
