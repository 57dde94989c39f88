// Bias correction after lossy weight changes: shift each output's bias so the mean output on the
// calibration data is what the original weights gave (Nagel et al. 2019, "shift the output mean back").
//
// API: biasShift(w, what, shape, mean) → Float32Array(shape[0]) to ADD to the bias, Δb = (W − Ŵ)·μ.
//   shape[0] is the output axis (Gemm/MatMul given as [out, in]; Conv [Cout, Cin/g, kh, kw]);
//   mean is either per input feature (length = prod(shape[1:])) or per input channel (length
//   shape[1], broadcast over the kernel window, exact for convs away from the padded border).

export function biasShift(
  w: ArrayLike<number>,
  what: ArrayLike<number>,
  shape: readonly number[],
  mean: ArrayLike<number>,
): Float32Array {
  const out = shape[0]!;
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  if (w.length !== out * per || what.length !== w.length) {
    throw new RangeError(`biasShift: weights of ${w.length} and ${what.length} values for shape [${shape}]`);
  }
  const channels = shape[1] ?? 1;
  const window = per / channels;
  let pick: (j: number) => number;
  if (mean.length === per) pick = (j) => mean[j]!;
  else if (mean.length === channels) pick = (j) => mean[Math.floor(j / window)]!;
  else throw new RangeError(`biasShift: mean has ${mean.length} values; expected ${per} or ${channels}`);
  const delta = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let s = 0;
    for (let j = 0; j < per; j++) s += (w[o * per + j]! - what[o * per + j]!) * pick(j);
    delta[o] = s;
  }
  return delta;
}
