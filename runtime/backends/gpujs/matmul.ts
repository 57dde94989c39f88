// MatMul (A × constant 2-D B) and Gemm (constant B and C) on gpu.js: x runs along N, so a quad
// reads 4 consecutive B elements; each cell returns Array(4) = 4 rows (one B load feeds 4
// accumulators) when the rows split in 4; B packed [K][N] and resident; K unrolled ×4.
import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import type { NodeSpec, PreparedKernel } from '../backend.ts';
import { lit } from './epilogue-source.ts';
import { gpujsPatched, type KernelHost } from './gpu.ts';

/** Kernel body for out[r][n] = alpha · Σk a[r][k] · b[k][n] (+ beta · c). */
export function matmulSource(k: number, n: number, alpha: number, cExpr: string | undefined): string {
  const kq = Math.floor(k / 4);
  let body = '';
  for (let j = 0; j < 4; j++) {
    body += `v0 += a[this.thread.y * ${k} + kq * 4 + ${j}] * this.constants.b[(kq * 4 + ${j}) * ${n} + this.thread.x];\n`;
  }
  let tail = '';
  for (let kk = kq * 4; kk < k; kk++) {
    tail += `v0 += a[this.thread.y * ${k} + ${kk}] * this.constants.b[${kk * n} + this.thread.x];\n`;
  }
  const loop = kq > 0 ? `for (let kq = 0; kq < ${kq}; kq++) {\n${body}}\n` : '';
  const scaled = alpha === 1 ? 'v0' : `v0 * ${lit(alpha)}`;
  return `let v0 = 0.0;\n${loop}${tail}return ${cExpr ? `${scaled} + ${cExpr}` : scaled};`;
}

/**
 * Kernel body for 4 rows per cell (x = n, y < rows/4): component j is row j · rows/4 + y, so the
 * planar Array(4) result is row-major [rows][n]. `cRow(r)` renders the bias for row expression r.
 */
export function matmulSource4(
  k: number,
  n: number,
  rows: number,
  alpha: number,
  cRow: ((r: string) => string) | undefined,
): string {
  const q = rows / 4;
  const row = (j: number) => `(${j * q} + this.thread.y)`;
  const kq = Math.floor(k / 4);
  const step = (kk: string) => {
    let t = `bv = this.constants.b[${kk} * ${n} + this.thread.x];\n`;
    for (let j = 0; j < 4; j++) t += `s${j} += a[${row(j)} * ${k} + ${kk}] * bv;\n`;
    return t;
  };
  let body = '';
  for (let j = 0; j < 4; j++) body += step(`(kq * 4 + ${j})`);
  let tail = '';
  for (let kk = kq * 4; kk < k; kk++) tail += step(`${kk}`);
  const loop = kq > 0 ? `for (let kq = 0; kq < ${kq}; kq++) {\n${body}}\n` : '';
  const out = (j: number) => {
    const scaled = alpha === 1 ? `s${j}` : `s${j} * ${lit(alpha)}`;
    return cRow ? `${scaled} + ${cRow(row(j))}` : scaled;
  };
  return (
    `let bv = 0.0;\nlet s0 = 0.0;\nlet s1 = 0.0;\nlet s2 = 0.0;\nlet s3 = 0.0;\n${loop}${tail}` +
    `return [${[0, 1, 2, 3].map(out).join(', ')}];`
  );
}

/** A builder for MatMul/Gemm when B (and C) are constant float32; undefined otherwise. */
export function prepareMatMul(
  host: KernelHost,
  node: NodeSpec,
): ((x: Tensor) => PreparedKernel | undefined) | undefined {
  const b = node.constInputs[1];
  if (b?.dtype !== 'float32' || b.dims.length !== 2) return undefined;
  const gemm = node.op === 'Gemm';
  const transB = gemm && Number(node.attrs.transB ?? 0) === 1;
  const transA = gemm && Number(node.attrs.transA ?? 0) === 1;
  const alpha = gemm ? Number(node.attrs.alpha ?? 1) : 1;
  const beta = gemm ? Number(node.attrs.beta ?? 1) : 1;
  const [k, n] = (transB ? [b.dims[1], b.dims[0]] : b.dims) as [number, number];
  const packed = new Float32Array(k * n);
  const bd = b.data as Float32Array;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < n; j++) packed[i * n + j] = (transB ? bd[j * k + i] : bd[i * n + j]) as number;
  }
  const c = gemm ? node.constInputs[2] : undefined;
  if (gemm && node.inputTypes[2] && c?.dtype !== 'float32') return undefined;
  const aRank = node.inputTypes[0]?.shape?.length;
  if (gemm && aRank !== undefined && aRank !== 2) return undefined;
  if (aRank !== undefined && aRank < 2) return undefined;
  return (x) => {
    if (x.dims.length < 2 || (gemm && x.dims.length !== 2)) return undefined;
    const m = transA ? (x.dims[1] as number) : (x.dims[x.dims.length - 2] as number);
    const kx = transA ? (x.dims[0] as number) : (x.dims[x.dims.length - 1] as number);
    if (kx !== k) return undefined;
    const rows = transA ? m : sizeOf(x.dims) / k;
    const constants: Record<string, Float32Array> = { b: packed };
    let cExpr: string | undefined;
    let cRow: ((r: string) => string) | undefined;
    if (c) {
      const cn = sizeOf(c.dims);
      const cd = new Float32Array(c.data as Float32Array).map((v) => v * beta);
      constants.c = cd;
      if (cn === 1) cRow = () => 'this.constants.c[0]';
      else if (cn === n && (c.dims.length === 1 || c.dims[0] === 1))
        cRow = () => 'this.constants.c[this.thread.x]';
      else if (cn === m * n && c.dims.length === 2)
        cRow = (r) => `this.constants.c[${r} * ${n} + this.thread.x]`;
      else if (cn === m && c.dims.length === 2 && c.dims[1] === 1) cRow = (r) => `this.constants.c[${r}]`;
      else return undefined;
      cExpr = cRow('this.thread.y');
    }
    const quad = rows % 4 === 0 && host.mode === 'webasm' && gpujsPatched();
    const kern = quad
      ? host.kernel(['a'], matmulSource4(k, n, rows, alpha, cRow), [n, rows / 4], constants, 4)
      : host.kernel(['a'], matmulSource(k, n, alpha, cExpr), [n, rows], constants);
    const outDims = gemm ? [m, n] : [...x.dims.slice(0, -1), n];
    return async (inputs) => {
      let a = inputs[0]?.data as Float32Array;
      if (transA) {
        const t = new Float32Array(a.length);
        for (let i = 0; i < k; i++) for (let j = 0; j < m; j++) t[j * k + i] = a[i * m + j] as number;
        a = t;
      }
      return [{ dtype: 'float32', dims: outDims, data: await kern.run([a]) }];
    };
  };
}
