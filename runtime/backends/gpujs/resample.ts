// Resize (nearest, integer upscale, the FPN upsampling of PaddleOCR det) and GlobalAveragePool on
// gpu.js; other Resize modes stay on the reference kernel.
import type { Tensor } from '../../ir/tensor.ts';
import type { PreparedKernel } from '../backend.ts';
import type { KernelHost } from './gpu.ts';

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
