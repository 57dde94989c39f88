// Resize (nearest, integer upscale, the FPN upsampling of PaddleOCR det) and GlobalAveragePool on
// gpu.js; other Resize modes stay on the reference kernel.
import type { Tensor } from '../../ir/tensor.ts';
import type { NodeSpec, PreparedKernel } from '../backend.ts';
import type { KernelHost } from './gpu.ts';

/** Integer [sy, sx] upscale factors when this Resize is a nearest-neighbour floor upscale. */
export function nearestUpscale(node: NodeSpec): [number, number] | undefined {
  const a = node.attrs;
  const mode = a.mode ?? 'nearest';
  const ctm = a.coordinate_transformation_mode ?? 'half_pixel';
  const nm = a.nearest_mode ?? 'round_prefer_floor';
  if (mode !== 'nearest' || ctm !== 'asymmetric') return undefined;
  // scales: input 2 (opset ≥ 11) or input 1 (opset 10); sizes are not taken here
  const scales = node.constInputs.length >= 3 ? node.constInputs[2] : node.constInputs[1];
  if (node.constInputs.length >= 4 && node.inputTypes[3] !== undefined) return undefined;
  if (scales?.dtype !== 'float32' || scales.dims[0] !== 4) return undefined;
  const [n, c, sy, sx] = Array.from(scales.data as Float32Array) as [number, number, number, number];
  if (n !== 1 || c !== 1 || !Number.isInteger(sy) || !Number.isInteger(sx) || sy < 1 || sx < 1)
    return undefined;
  // floor is exact for integer factors; round_prefer_floor agrees with it when the factor is ≤ 2
  if (nm !== 'floor' && !(nm === 'round_prefer_floor' && sy <= 2 && sx <= 2)) return undefined;
  return [sy, sx];
}

export function prepareResize(host: KernelHost, [sy, sx]: [number, number]): PreparedKernel {
  const kernels = new Map<string, ReturnType<KernelHost['kernel']>>();
  return async (inputs) => {
    const x = inputs[0] as Tensor;
    const [n, c, h, w] = x.dims as [number, number, number, number];
    const key = x.dims.join('x');
    let k = kernels.get(key);
    if (!k) {
      const src =
        `return v[(this.thread.z * ${h} + Math.floor(this.thread.y / ${sy})) * ${w}` +
        ` + Math.floor(this.thread.x / ${sx})];`;
      k = host.kernel(['v'], src, [w * sx, h * sy, n * c]);
      kernels.set(key, k);
    }
    return [{ dtype: 'float32', dims: [n, c, h * sy, w * sx], data: await k.run([x.data as Float32Array]) }];
  };
}

export function prepareGlobalAveragePool(host: KernelHost): PreparedKernel {
  const kernels = new Map<string, ReturnType<KernelHost['kernel']>>();
  return async (inputs) => {
    const x = inputs[0] as Tensor;
    const [n, c, ...spatial] = x.dims as number[];
    const plane = spatial.reduce((a, b) => a * b, 1);
    const rows = (n as number) * (c as number);
    const key = x.dims.join('x');
    let k = kernels.get(key);
    if (!k) {
      const src =
        `let s = 0.0;\nfor (let i = 0; i < ${plane}; i++) {\ns += v[this.thread.y * ${plane} + i];\n}\n` +
        `return s / ${plane}.0;`;
      k = host.kernel(['v'], src, [1, rows]);
      kernels.set(key, k);
    }
    const data = await k.run([x.data as Float32Array]);
    return [{ dtype: 'float32', dims: [n as number, c as number, ...spatial.map(() => 1)], data }];
  };
}
