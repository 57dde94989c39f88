// Gram accumulation from buffered input vectors (the hot loop of sparsegpt calibration): vectors
// are stored feature-major (row i = feature i over the buffered positions) and flushed in 4×4
// register blocks: H += A·Aᵀ (lower triangle), X += B·Aᵀ (full) for the original inputs B.

export class GramBuffer {
  /** Features padded to a multiple of 4. */
  private readonly np: number;
  private readonly a: Float64Array;
  private readonly b?: Float64Array;
  private fill = 0;

  constructor(
    readonly n: number,
    private readonly h: Float64Array,
    private readonly x?: Float64Array,
    private readonly cap = 256,
  ) {
    this.np = Math.ceil(n / 4) * 4;
    this.a = new Float64Array(this.np * cap);
    if (x) this.b = new Float64Array(this.np * cap);
  }

  /** Appends one input vector v (and the original input vo); flushes when the buffer is full. */
  push(v: ArrayLike<number>, vo?: ArrayLike<number>): void {
    const { a, b, cap, fill } = this;
    for (let i = 0; i < this.n; i++) a[i * cap + fill] = v[i]!;
    if (b && vo) for (let i = 0; i < this.n; i++) b[i * cap + fill] = vo[i]!;
    if (++this.fill === cap) this.flush();
  }

  flush(): void {
    const m = this.fill;
    if (m === 0) return;
    const { a, b, cap, np, n, h, x } = this;
    for (let i0 = 0; i0 < np; i0 += 4)
      for (let j0 = 0; j0 <= i0; j0 += 4) block(h, a, a, cap, m, n, i0, j0, true);
    if (b && x)
      for (let i0 = 0; i0 < np; i0 += 4)
        for (let j0 = 0; j0 < np; j0 += 4) block(x, b, a, cap, m, n, i0, j0, false);
    this.fill = 0;
  }
}

/** out[i][j] += Σ_p l[i][p]·r[j][p] for i in i0..i0+3, j in j0..j0+3 (lower: only j ≤ i). */
function block(
  out: Float64Array,
  l: Float64Array,
  r: Float64Array,
  cap: number,
  m: number,
  n: number,
  i0: number,
  j0: number,
  lower: boolean,
): void {
  const l0 = i0 * cap;
  const l1 = l0 + cap;
  const l2 = l1 + cap;
  const l3 = l2 + cap;
  const r0 = j0 * cap;
  const r1 = r0 + cap;
  const r2 = r1 + cap;
  const r3 = r2 + cap;
  let s00 = 0,
    s01 = 0,
    s02 = 0,
    s03 = 0,
    s10 = 0,
    s11 = 0,
    s12 = 0,
    s13 = 0;
  let s20 = 0,
    s21 = 0,
    s22 = 0,
    s23 = 0,
    s30 = 0,
    s31 = 0,
    s32 = 0,
    s33 = 0;
  for (let p = 0; p < m; p++) {
    const a0 = l[l0 + p]!;
    const a1 = l[l1 + p]!;
    const a2 = l[l2 + p]!;
    const a3 = l[l3 + p]!;
    const b0 = r[r0 + p]!;
    const b1 = r[r1 + p]!;
    const b2 = r[r2 + p]!;
    const b3 = r[r3 + p]!;
    s00 += a0 * b0;
    s01 += a0 * b1;
    s02 += a0 * b2;
    s03 += a0 * b3;
    s10 += a1 * b0;
    s11 += a1 * b1;
    s12 += a1 * b2;
    s13 += a1 * b3;
    s20 += a2 * b0;
    s21 += a2 * b1;
    s22 += a2 * b2;
    s23 += a2 * b3;
    s30 += a3 * b0;
    s31 += a3 * b1;
    s32 += a3 * b2;
    s33 += a3 * b3;
  }
  const s = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
  for (let di = 0; di < 4; di++) {
    const i = i0 + di;
    if (i >= n) break;
    for (let dj = 0; dj < 4; dj++) {
      const j = j0 + dj;
      if (j >= n || (lower && j > i)) break;
      out[i * n + j]! += s[di * 4 + dj]!;
    }
  }
}
