// Validation of what the caller feeds a session: names, dtypes and shapes (symbolic dims bound consistently).

import { UserError } from '../errors.ts';
import type { Graph } from '../ir/graph.ts';
import type { Tensor } from '../ir/tensor.ts';

const fmt = (s: readonly (number | string)[] | undefined) => (s ? `[${s.join(', ')}]` : '[?]');

export function checkFeeds(
  graph: Graph,
  expected: Graph['inputs'],
  feeds: Record<string, Tensor>,
): Map<string, Tensor> {
  const names = expected.map((i) => i.name);
  const env = new Map<string, Tensor>();
  for (const name of Object.keys(feeds)) {
    const known = names.includes(name) || graph.initializers.has(name);
    if (!known)
      throw new UserError(
        `unknown input '${name}'`,
        `the model's inputs are: ${names.join(', ') || '(none)'}`,
      );
  }
  const bound = new Map<string, number>();
  for (const info of expected) {
    const t = feeds[info.name];
    if (!t) throw new UserError(`missing input '${info.name}'`, `expected inputs: ${names.join(', ')}`);
    const ty = info.type;
    if (ty && ty.dtype !== t.dtype)
      throw new UserError(`input '${info.name}' has dtype ${t.dtype}, expected ${ty.dtype}`);
    if (ty?.shape) {
      const bad = () =>
        new UserError(`input '${info.name}' has shape ${fmt(t.dims)}, expected ${fmt(ty.shape)}`);
      if (ty.shape.length !== t.dims.length) throw bad();
      ty.shape.forEach((d, i) => {
        const g = t.dims[i]!;
        if (typeof d === 'number') {
          if (d >= 0 && d !== g) throw bad();
        } else if (d && d !== '?') {
          const b = bound.get(d);
          if (b !== undefined && b !== g) throw bad();
          bound.set(d, g);
        }
      });
    }
    env.set(info.name, t);
  }
  for (const [name, t] of Object.entries(feeds)) if (!env.has(name)) env.set(name, t);
  for (const info of graph.inputs) {
    const dflt = graph.initializers.get(info.name);
    if (dflt && !env.has(info.name)) env.set(info.name, dflt);
  }
  return env;
}
