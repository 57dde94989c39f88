// The structured prune pass (kind 'prune-structure', `prune channels`): dependency groups from
// compiler/prune/groups.ts, units ranked per group by l1/l2 (leader weight rows), bn-gamma (|γ| of a
// BatchNormalization still in the graph), activation (channel std × consumer weight norm) or apoz
// (calibration data), random; round/min; optional least-squares refit of consumer convs on the
// calibration activations ([x; 1], so the removed channels' means move into the bias).

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { inferShapes } from '../../../runtime/ir/shape/index.ts';
import { rng } from '../../data/random.ts';
import type { Pass, PassContext } from '../../engine/pass.ts';
import { nodesByLayer } from '../../engine/pass.ts';
import type { Plan } from '../../plan/plan.ts';
import { type ChannelSettings, channelSettings, globalCounts, keptCount } from './channel-options.ts';
import { type ChannelStats, channelStats } from './channel-stats.ts';
import { capturedGamma } from './gamma.ts';
import { type ChannelUnit, channelGroups, type LayerGroup } from './groups.ts';
import { pruneLayers } from './layers.ts';
import { lowest } from './masks.ts';
import { refitConsumer } from './refit.ts';
import { removeUnits } from './shrink.ts';
import { channelTaylor, taylorData } from './taylor.ts';

export interface GroupOutcome {
  leaders: string[];
  channels: number;
  removed: number;
  /** Why nothing was removed, when so. */
  skipped?: string;
}

export type Job = { group: LayerGroup; s: ChannelSettings; units: ChannelUnit[]; hasBn: boolean };

const hasBnAction = (units: ChannelUnit[]) =>
  units.some((u) => u.actions.some((a) => a.kind === 'bn' && a.node.opType === 'BatchNormalization'));
const hasCaptured = (ctx: Pick<PassContext, 'data'>, units: ChannelUnit[]) =>
  units.some((u) =>
    u.actions.some((a) => (a.kind === 'out' || a.kind === 'dw') && capturedGamma(ctx, a.node)),
  );

function rowNorm(model: Model, node: Node, axis: number, c: number, l2: boolean): number {
  const w = model.graph.constant(node.inputs[1]!)!;
  const d = w.data as Float32Array;
  const dims = w.dims;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  let s = 0;
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const x = d[(o * dims[axis]! + c) * inner + i]!;
      s += l2 ? x * x : Math.abs(x);
    }
  return s;
}

const inAxis = (n: Node) => (n.opType === 'ConvTranspose' ? 0 : 1);
const outAxis = (n: Node) => (n.opType === 'ConvTranspose' ? 1 : 0);

function scores(
  model: Model,
  job: Job,
  stats: Map<string, ChannelStats>,
  seed: number,
  ctx: Pick<PassContext, 'data'>,
  taylor: Map<Node, Float64Array>,
): Float64Array {
  const { s, units } = job;
  const next = rng(seed);
  return Float64Array.from(units, (u) => {
    if (s.criterion === 'random') return next();
    let score = 0;
    for (const a of u.actions) {
      if (s.criterion === 'l1' || s.criterion === 'l2') {
        if (a.kind === 'out') score += rowNorm(model, a.node, outAxis(a.node), a.c, s.criterion === 'l2');
        if (a.kind === 'dw') score += rowNorm(model, a.node, 0, a.c, s.criterion === 'l2');
      } else if (s.criterion === 'bn-gamma') {
        if (a.kind === 'bn' && a.node.opType === 'BatchNormalization')
          score += Math.abs((model.graph.constant(a.node.inputs[1]!)!.data as Float32Array)[a.c]!);
        // BN already folded by the cleanups: γ as read before them
        if (!job.hasBn && (a.kind === 'out' || a.kind === 'dw'))
          score += Math.abs(capturedGamma(ctx, a.node)?.[a.c] ?? 0);
      } else if (s.criterion === 'taylor') {
        if (a.kind === 'out' || a.kind === 'dw') score += taylor.get(a.node)?.[a.c] ?? 0;
      } else if (a.kind === 'in') {
        const st = stats.get(a.node.inputs[0]!)!;
        if (s.criterion === 'apoz') score += 1 - st.zeros[a.c]!;
        else score += st.std[a.c]! * Math.sqrt(rowNorm(model, a.node, inAxis(a.node), a.c, true));
      }
    }
    return score;
  });
}

/**
 * The groups the selected layers lead, as jobs; the others skipped with the reason (coupled with a
 * layer the statement does not select, split across statements, or blocked by an op).
 */
export function groupJobs(
  groups: LayerGroup[],
  settingsOf: Map<Node, ChannelSettings>,
  nameOf: Map<Node, string>,
): {
  jobs: Job[];
  outcomes: GroupOutcome[];
  skipped: { s: ChannelSettings; leaders: string[]; why: string }[];
} {
  const jobs: Job[] = [];
  const outcomes: GroupOutcome[] = [];
  const skipped: { s: ChannelSettings; leaders: string[]; why: string }[] = [];
  for (const group of groups) {
    const mine = group.leaders.filter((l) => settingsOf.has(l));
    if (!mine.length) continue;
    const leaders = group.leaders.map((l) => nameOf.get(l) ?? l.name);
    const s = settingsOf.get(mine[0]!)!;
    const other = group.leaders.find((l) => !settingsOf.has(l));
    const why = other
      ? `its channels are coupled with ${other.opType} ${nameOf.get(other) ?? other.name}, which the statement does not select (or a keep protects)`
      : mine.some((l) => settingsOf.get(l) !== s)
        ? 'its coupled layers are selected by different prune statements'
        : group.blocked;
    if (why) {
      outcomes.push({ leaders, channels: group.units.length, removed: 0, skipped: why });
      skipped.push({ s, leaders, why });
      continue;
    }
    jobs.push({ group, s, units: group.units.filter((u) => !u.blocked), hasBn: hasBnAction(group.units) });
    outcomes.push({ leaders, channels: group.units.length, removed: 0 });
  }
  return { jobs, outcomes, skipped };
}

/** The model's channel groups, shapes inferred at the first sample's input shapes (as the pass sees them). */
export function modelChannelGroups(model: Model, samples?: PassContext['samples']): LayerGroup[] {
  const g = model.graph;
  const inputShapes: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(samples?.[0] ?? {})) inputShapes[k] = [...v.dims];
  const types = inferShapes(g, { opset: model.opset('') ?? 17, inputShapes }).types;
  return channelGroups(g, (n) => types.get(n) ?? g.declaredType(n));
}

/** Layer names of each channel group's leaders: the layers that must lose channels together. */
export function coupledChannelLayers(model: Model, samples?: PassContext['samples']): string[][] {
  const nameOf = new Map([...nodesByLayer(model)].map(([l, n]) => [n, l]));
  return modelChannelGroups(model, samples)
    .filter((grp) => grp.leaders.length > 1)
    .map((grp) => grp.leaders.map((n) => nameOf.get(n) ?? n.name));
}

/** Runs channel pruning for the given layers and settings (model edited in place). */
export async function pruneChannels(
  model: Model,
  selected: Map<string, ChannelSettings>,
  ctx: Pick<PassContext, 'samples' | 'warn' | 'log' | 'layerError' | 'data' | 'trainRunner'>,
): Promise<GroupOutcome[]> {
  const byLayer = nodesByLayer(model);
  const settingsOf = new Map<Node, ChannelSettings>();
  const nameOf = new Map<Node, string>();
  for (const [layer, s] of selected) {
    const n = byLayer.get(layer);
    if (n) {
      settingsOf.set(n, s);
      nameOf.set(n, layer);
    }
  }
  const groups = modelChannelGroups(model, ctx.samples);
  const { jobs, outcomes, skipped } = groupJobs(groups, settingsOf, nameOf);
  for (const k of skipped)
    (ctx.warn ?? ctx.log)?.(`${k.s.from}: ${k.s.action} cannot prune ${k.leaders.join(' + ')}: ${k.why}`);
  const noBn = jobs.find((j) => j.s.criterion === 'bn-gamma' && !j.hasBn && !hasCaptured(ctx, j.group.units));
  if (noBn)
    throw new Error(`${noBn.s.from}: bn-gamma on a group without BatchNormalization passed the model checks`);
  const needData = jobs.some(
    (j) => j.s.reconstruct || j.s.criterion === 'activation' || j.s.criterion === 'apoz',
  );
  let stats = new Map<string, ChannelStats>();
  let grams = new Map<Node, Float64Array>();
  const consumers = (j: Job, ops: string[]) =>
    j.units.flatMap((u) =>
      u.actions.filter((a) => a.kind === 'in' && ops.includes(a.node.opType)).map((a) => a.node),
    );
  const consumerConvs = (j: Job) => consumers(j, ['Conv']);
  if (needData && ctx.samples?.length) {
    // every consumer's input is scored (activation, apoz), a ConvTranspose's too; only Convs refit
    const values = new Set<string>();
    for (const j of jobs) for (const n of consumers(j, ['Conv', 'ConvTranspose'])) values.add(n.inputs[0]!);
    const ls = [...new Set(jobs.filter((j) => j.s.reconstruct).flatMap(consumerConvs))];
    ({ stats, grams } = await channelStats(model, [...values], ls, ctx.samples));
  }
  const taylorJobs = jobs.filter((j) => j.s.criterion === 'taylor');
  let taylor = new Map<Node, Float64Array>();
  if (taylorJobs.length) {
    const leaders = taylorJobs.flatMap((j) =>
      j.units.flatMap((u) => u.actions.filter((a) => a.kind === 'out' || a.kind === 'dw').map((a) => a.node)),
    );
    taylor = await channelTaylor(model, leaders, await taylorData(ctx), ctx.trainRunner);
  }
  const removed: ChannelUnit[] = [];
  const removedIn = new Map<Node, Set<number>>();
  const outIdx = outcomes.filter((o) => !o.skipped);
  const scored = jobs.map((j, i) => scores(model, j, stats, j.s.seed + i, ctx, taylor));
  const counts = jobs.map((j) => {
    const n = j.group.units.length;
    const kept = keptCount(n, j.s) - (n - j.units.length);
    return Math.max(0, j.units.length - Math.max(kept, 0));
  });
  for (const s of new Set(jobs.filter((j) => j.s.scope === 'global').map((j) => j.s))) {
    const idx = jobs.flatMap((j, i) => (j.s === s ? [i] : []));
    const k = globalCounts(
      idx.map((i) => scored[i]!),
      idx.map((i) => jobs[i]!.group.units.length),
      s,
    );
    idx.forEach((i, t) => {
      counts[i] = k[t]!;
    });
  }
  jobs.forEach((j, i) => {
    const n = j.group.units.length;
    const k = counts[i]!;
    const drop = lowest(scored[i]!, k);
    for (const d of drop) {
      const u = j.units[d]!;
      removed.push(u);
      for (const a of u.actions)
        if (a.kind === 'in' && j.s.reconstruct && grams.has(a.node)) {
          let set = removedIn.get(a.node);
          if (!set) removedIn.set(a.node, (set = new Set()));
          set.add(a.c);
        }
    }
    outIdx[i]!.removed = k;
    for (const l of j.group.leaders) {
      const name = nameOf.get(l)!;
      ctx.layerError[name] = Math.max(ctx.layerError[name] ?? 0, k / n);
    }
    ctx.log?.(`${j.s.action} ${outIdx[i]!.leaders.join(' + ')}: ${n} → ${n - k} channels (${j.s.criterion})`);
  });
  for (const [node, drop] of removedIn) refitConsumer(model, node, drop, grams.get(node)!);
  if (removed.length) removeUnits(model, removed);
  return outcomes;
}

export function channelPass(plan: Plan): Pass {
  const selected = new Map<string, ChannelSettings>();
  // by statement object: a search hands layers of one statement different values as distinct objects
  const cache = new Map<object, ChannelSettings>();
  for (const l of plan.layers) {
    const a = l.actions.find((x) => x.kind === 'prune-structure');
    if (!a) continue;
    let s = cache.get(a.statement);
    if (!s) cache.set(a.statement, (s = channelSettings(a)));
    selected.set(l.name, s);
  }
  return {
    name: 'prune-structure',
    run: async (model, ctx) => {
      const byLayer = nodesByLayer(model);
      const layerJobs = new Map<Node, ChannelSettings>();
      const names = new Map<Node, string>();
      for (const [l, s] of selected) {
        const n = byLayer.get(l);
        if (n && s.granularity === 'layers') {
          layerJobs.set(n, s);
          names.set(n, l);
        }
      }
      const gone = layerJobs.size
        ? await pruneLayers(model, layerJobs, ctx, (n) => names.get(n) ?? n.name)
        : [];
      const channels = new Map([...selected].filter(([, s]) => s.granularity === 'channels'));
      const res = channels.size ? await pruneChannels(model, channels, ctx) : [];
      return { changed: gone.length > 0 || res.some((r) => r.removed > 0) };
    },
  };
}
