// Binary elementwise ops (Add/Sub/Mul/Div) of two runtime tensors on gpu.js: same shape, a
// per-channel operand ([1,C,1,1] against [1,C,H,W], SE blocks) or a scalar; x runs along the plane
// so quads read consecutive elements. Other broadcasts are computed in plain TypeScript.
import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import { getOp, type KernelContext } from '../../ops/registry.ts';
import type { NodeSpec, PreparedKernel } from '../backend.ts';
import { applyEpilogue, type Epilogue } from '../fusion/epilogue.ts';
import { epilogueSource } from './epilogue-source.ts';
import type { KernelHost } from './gpu.ts';

export const ELTWISE_OPS: Record<string, string> = { Add: '+', Sub: '-', Mul: '*', Div: '/' };

type Layout = 'full' | 'chan' | 'scalar';

function layoutOf(t: Tensor, full: readonly number[]): Layout | undefined {
  const n = sizeOf(t.dims);
  if (n === sizeOf(full) && t.dims.length === full.length && t.dims.every((d, i) => d === full[i]))
    return 'full';
  if (n === 1) return 'scalar';
  const d = t.dims;
  if (
    full.length === 4 &&
    full[0] === 1 &&
    n === full[1] &&
    d.length === 4 &&
    d[0] === 1 &&
    d[2] === 1 &&
    d[3] === 1
  ) {
    return 'chan';
  }
  return undefined;
}

/** Output dims of a numpy-style broadcast, or undefined when the shapes do not broadcast. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
}

/** Plain-TS broadcast for the shapes the kernel does not take. */
function broadcastTs(a: Tensor, b: Tensor, dims: number[], op: string): Tensor {
  const n = sizeOf(dims);
  const rank = dims.length;
  const strides = (t: Tensor) => {
    const p = [...Array(rank - t.dims.length).fill(1), ...t.dims] as number[];
    const s = new Array<number>(rank).fill(0);
    let acc = 1;
    for (let i = rank - 1; i >= 0; i--) {
      s[i] = p[i] === 1 ? 0 : acc;
      acc *= p[i] as number;
    }
    return s;
  };
  const sa = strides(a);
  const sb = strides(b);
  const ad = a.data as Float32Array;
  const bd = b.data as Float32Array;
  const out = new Float32Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      ia += (idx[d] as number) * (sa[d] as number);
      ib += (idx[d] as number) * (sb[d] as number);
    }
    const x = ad[ia] as number;
    const y = bd[ib] as number;
    out[i] = op === 'Add' ? x + y : op === 'Sub' ? x - y : op === 'Mul' ? x * y : x / y;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (dims[d] as number)) break;
      idx[d] = 0;
    }
  }
  return { dtype: 'float32', dims, data: out };
}

/**
 * A prepared binary op (with a fused epilogue when it anchors one): kernels built per (shape,
 * layout) signature at first use; small or unusual broadcasts run in plain TypeScript.
 */
export function prepareEltwise(
  host: KernelHost,
  node: NodeSpec,
  ctx: KernelContext,
  ep: Epilogue = { steps: [], channels: [] },
): PreparedKernel {
  const op = node.op.replace(/^Fused/, '');
  const sym = ELTWISE_OPS[op] as string;
  const kernels = new Map<string, ReturnType<KernelHost['kernel']>>();
  return async (inputs) => {
    const a = inputs[0] as Tensor;
    const b = inputs[1] as Tensor;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') {
      const ref = getOp(op)?.reference;
      if (!ref || ep.steps.length > 0)
        throw new Error(`${op} ${node.name}: float32 inputs expected, got ${a.dtype}`);
      return ref(inputs, node.attrs, ctx);
    }
    const dims = broadcastDims(a.dims, b.dims);
    if (!dims) throw new Error(`${op}: shapes [${a.dims}] and [${b.dims}] do not broadcast`);
    const la = layoutOf(a, dims);
    const lb = layoutOf(b, dims);
    const n = sizeOf(dims);
    const plane = dims.length === 4 ? (dims[2] as number) * (dims[3] as number) : n;
    const channels = dims.length === 4 ? (dims[1] as number) : 1;
    const chansFit = ep.channels.every((c) => c.length === channels);
    if (
      !la ||
      !lb ||
      (la !== 'full' && lb !== 'full') ||
      n < 4096 ||
      !chansFit ||
      (dims[0] !== 1 && ep.channels.length > 0)
    ) {
      const out = broadcastTs(a, b, dims, op);
      if (ep.steps.length > 0) {
        const zeros: Tensor = { dtype: 'float32', dims, data: new Float32Array(n) };
        const full = [a, b].map((t) => broadcastTs(t, zeros, dims, 'Add').data as Float32Array);
        applyEpilogue(out.data as Float32Array, ep, plane, channels, full);
      }
      return [out];
    }
    const rows = n / plane;
    const key = `${dims.join('x')}|${la}|${lb}`;
    let k = kernels.get(key);
    if (!k) {
      const read = (name: string, l: Layout) =>
        l === 'full'
          ? `${name}[this.thread.y * ${plane} + this.thread.x]`
          : l === 'chan'
            ? `${name}[this.thread.y]`
            : `${name}[0]`;
      const { lines, result } = epilogueSource(
        ep.steps,
        (c) => `this.constants.e${c}[this.thread.y]`,
        'v',
        (i) => (i === 0 ? read('a', la) : read('b', lb)),
      );
      const constants: Record<string, Float32Array> = {};
      ep.channels.forEach((c, i) => {
        constants[`e${i}`] = c;
      });
      const src = `let v0 = ${read('a', la)} ${sym} ${read('b', lb)};\n${lines}return ${result};`;
      k = host.kernel(['a', 'b'], src, [plane, rows], constants);
      kernels.set(key, k);
    }
    const data = await k.run([a.data as Float32Array, b.data as Float32Array]);
    return [{ dtype: 'float32', dims, data }];
  };
}
