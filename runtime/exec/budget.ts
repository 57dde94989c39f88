// The executor's allocation budget: before a node's outputs are made, their size (from the output
// shapes inferred at the actual inputs) is checked against a limit, so a model that asks for 6 GB
// fails with the node's name and the size it wanted instead of growing until the machine gives out.

import { UserError } from '../errors.ts';
import type { DType } from '../ir/dtype.ts';
import type { Tensor } from '../ir/tensor.ts';
import type { Attrs, ValueType } from '../ir/types.ts';
import { getOp, type KernelContext } from '../ops/registry.ts';

/** 2 GiB: a default that fits a laptop; hosts lower it on small machines, users raise it. */
export const DEFAULT_MAX_MEMORY = 2 * 2 ** 30;

let defaultMaxMemory = DEFAULT_MAX_MEMORY;

/** The budget sessions use when their options name none (the CLI sets it from --max-memory). */
export function setDefaultMaxMemory(bytes: number): void {
  if (!(bytes > 0)) throw new UserError(`the memory budget must be positive, got ${bytes}`);
  defaultMaxMemory = bytes;
}

export function defaultMaxMemoryBytes(): number {
  return defaultMaxMemory;
}

/** Bytes one element takes in memory (the runtime unpacks 4- and 2-bit types to a byte; strings: a guess). */
function elementBytes(dtype: DType): number {
  switch (dtype) {
    case 'float64':
    case 'int64':
    case 'uint64':
    case 'complex64':
    case 'string':
      return 8;
    case 'complex128':
      return 16;
    case 'float32':
    case 'int32':
    case 'uint32':
      return 4;
    case 'float16':
    case 'bfloat16':
    case 'int16':
    case 'uint16':
      return 2;
    default:
      return 1;
  }
}

/** Bytes a tensor of this type takes in memory, or undefined when a dim is not a number. */
export function typeBytes(t: ValueType | undefined): number | undefined {
  if (!t?.shape?.every((d) => typeof d === 'number' && d >= 0)) return undefined;
  let n = elementBytes(t.dtype);
  for (const d of t.shape as number[]) n *= d;
  return n;
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 50) return `${n.toExponential(2)} bytes`;
  if (n >= 2 ** 40) return `${(n / 2 ** 40).toFixed(2)} TiB`;
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.ceil(n / 2 ** 10)} KiB`;
}

/** What the budget needs to know of a node: the registry finds its shape function by op and domain. */
export interface BudgetNode {
  name: string;
  op: string;
  domain: string;
  attrs: Attrs;
  /** Static output types, used when the op has no shape function (a backend's fused ops). */
  outputTypes?: (ValueType | undefined)[];
}

function outputTypes(
  node: BudgetNode,
  inputs: (Tensor | undefined)[],
  ctx: KernelContext,
): (ValueType | undefined)[] {
  const def = getOp(node.op, node.domain);
  if (!def?.shape) return node.outputTypes ?? [];
  const types = inputs.map((t) => (t ? { dtype: t.dtype, shape: [...t.dims] } : undefined));
  try {
    return def.shape(types, node.attrs, ctx, inputs);
  } catch {
    return []; // the kernel reports a bad node itself
  }
}

/**
 * Throw a UserError when the outputs `node` is about to make, sized at its actual inputs, would take
 * more than the budget (ctx.maxMemory, else the default). Outputs of unknown size are not counted.
 */
export function checkOutputBudget(
  node: BudgetNode,
  inputs: (Tensor | undefined)[],
  ctx: KernelContext,
): void {
  checkOutputTypes(node, outputTypes(node, inputs, ctx), ctx);
}

/** Throw a UserError when outputs of these types would take more than the budget. */
export function checkOutputTypes(
  node: BudgetNode,
  outs: (ValueType | undefined)[],
  ctx: KernelContext,
): void {
  const limit = ctx.maxMemory ?? defaultMaxMemory;
  let total = 0;
  for (const t of outs) total += typeBytes(t) ?? 0;
  if (total <= limit) return;
  const what = outs
    .filter((t) => t?.shape)
    .map((t) => `${t!.dtype} [${t!.shape!.join(', ')}]`)
    .join(', ');
  throw new UserError(
    `node '${node.name}' (${node.op}) asks for ${formatBytes(total)} for its output ${what}, more than the memory budget of ${formatBytes(limit)}`,
    'if the model really needs it and the machine has the memory, raise the budget (--max-memory 8G, or the maxMemory session option); otherwise the model or its inputs are wrong',
  );
}
