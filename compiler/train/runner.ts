// What executes training graphs: squish's runtime, or an onnxruntime module the host hands in
// (onnxruntime-node, the fast path on CPU, or onnxruntime-web in a browser). Nothing here imports
// onnxruntime, so the engine stays free of Node-only code.

import type { BackendName } from '../../runtime/backends/backend.ts';
import { UserError } from '../../runtime/errors.ts';
import type { DType } from '../../runtime/ir/dtype.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Tensor, TensorData } from '../../runtime/ir/tensor.ts';
import { exportModel } from '../../runtime/onnx/export.ts';

export interface GraphRunner {
  /** Every graph output by name. */
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
  /** Which engine runs it, for progress lines and reports. */
  readonly name: string;
}

export type RunnerFactory = (model: Model) => Promise<GraphRunner>;

/** squish's own runtime ('auto' picks the fastest backend here). */
export function squishRunner(backend: 'auto' | BackendName = 'auto'): RunnerFactory {
  return async (model) => {
    const { createSession } = await import('../../runtime/exec/session.ts');
    const session = await createSession(model, { backend });
    return {
      name: `squish (${session.backend})`,
      run: (feeds) => session.run(feeds),
      release: async () => session.dispose(),
    };
  };
}

/** The part of the onnxruntime JavaScript API (node and web alike) the engine uses. */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}
export interface OrtSessionLike {
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}
export interface OrtLike {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike> };
  Tensor: new (type: string, data: TensorData, dims: readonly number[]) => OrtTensorLike;
}

const ORT_TYPES: Partial<Record<DType, string>> = {
  float32: 'float32',
  float64: 'float64',
  int64: 'int64',
  int32: 'int32',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

/** An onnxruntime module as a runner; `threads` pins intra-op threads (1 for the benchmark). */
export function ortRunner(ort: OrtLike, options: { threads?: number } = {}): RunnerFactory {
  return async (model) => {
    let session: OrtSessionLike;
    try {
      session = await ort.InferenceSession.create(exportModel(model), {
        logSeverityLevel: 3,
        ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
      });
    } catch (e) {
      throw new UserError(`onnxruntime rejected the training graph: ${(e as Error).message}`);
    }
    return {
      name: 'onnxruntime',
      async run(feeds) {
        const input: Record<string, OrtTensorLike> = {};
        for (const [k, t] of Object.entries(feeds)) {
          const type = ORT_TYPES[t.dtype];
          if (!type) throw new UserError(`input '${k}': onnxruntime runner cannot feed ${t.dtype}`);
          input[k] = new ort.Tensor(type, t.data, [...t.dims]);
        }
        const res = await session.run(input);
        const out: Record<string, Tensor> = {};
        for (const [k, v] of Object.entries(res))
          out[k] = {
            dtype: (v.type === 'bool' ? 'bool' : v.type) as DType,
            dims: [...v.dims],
            data: v.data as TensorData,
          };
        return out;
      },
      release: () => session.release(),
    };
  };
}
