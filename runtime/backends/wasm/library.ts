// The kernel library: every wasm kernel of the backend in one module, compiled once per process
// (twice at most: over a plain and over a shared memory) and instantiated per session memory.
// Kernels are shape-generic — sizes and addresses arrive as arguments — so no session ever
// compiles code. `exec` walks a range of the step table, dispatching each step through the
// function table, with a barrier between steps when several threads share the work.

import type { Code } from './asm/code.ts';
import type { ValType } from './asm/encode.ts';
import { ModuleBuilder } from './asm/module.ts';
import { CTRL, MAX_PAGES, SPIN_LIMIT, STEP_HEADER_WORDS } from './layout.ts';

/** Emits a function body into the library (params are already declared). */
export type Emit = (code: Code) => void;

interface FnDef {
  params: readonly ValType[];
  results: readonly ValType[];
  emit: Emit;
  /** Kernels are dispatched by the step table; helpers are only called. */
  kernel: boolean;
}

const FNS = new Map<string, FnDef>();
/** A kernel's signature: (args address, thread index, thread count). */
export const KERNEL_PARAMS: readonly ValType[] = ['i32', 'i32', 'i32'];

/** Register a kernel (dispatched from the step table). Call at module load. */
export function defineKernel(name: string, emit: Emit): void {
  define(name, { params: KERNEL_PARAMS, results: [], emit, kernel: true });
}

/** Register a helper function kernels `call`. */
export function defineHelper(name: string, params: ValType[], results: ValType[], emit: Emit): void {
  define(name, { params, results, emit, kernel: false });
}

function define(name: string, def: FnDef): void {
  if (FNS.has(name)) throw new Error(`wasm function ${name} defined twice`);
  if (compiled.size) throw new Error(`wasm function ${name} defined after the library was built`);
  FNS.set(name, def);
}

export interface Library {
  module: WebAssembly.Module;
  /** Table slot of each kernel, for the step table. */
  slots: Map<string, number>;
}

const compiled = new Map<boolean, Library>();

/** The library for plain (threads = 1) or shared memories, built and compiled once per process. */
export function library(shared: boolean): Library {
  let lib = compiled.get(shared);
  if (!lib) {
    lib = build(shared);
    compiled.set(shared, lib);
  }
  return lib;
}

/** Exports of an instantiated library. */
export interface LibraryExports {
  exec(first: number, last: number, tid: number, threads: number, canWait: number): void;
}

function build(shared: boolean): Library {
  const m = new ModuleBuilder().importMemory(1, MAX_PAGES, shared);
  const slots = new Map<string, number>();
  const kernelType = m.type(KERNEL_PARAMS);
  for (const [name, def] of FNS) {
    def.emit(m.func(name, def.params, def.results));
    if (def.kernel) slots.set(name, m.tableSlot(name));
  }
  emitBarrier(m.func('barrier', ['i32', 'i32'], []));
  emitExec(m.func('exec', ['i32', 'i32', 'i32', 'i32', 'i32'], [], true), kernelType);
  return { module: new WebAssembly.Module(m.toBytes() as BufferSource), slots };
}

/** Bytes of one step record: kernel slot, argument count, up to 126 argument words. */
export const STEP_BYTES = 512;

/** exec(first, last, tid, threads, canWait): run steps [first, last), barrier after each when threads > 1. */
function emitExec(c: Code, kernelType: number): void {
  const [first, last, tid, threads, canWait] = [0, 1, 2, 3, 4];
  const s = c.local('i32');
  const rec = c.local('i32');
  const table = c.local('i32');
  c.i32(CTRL.steps).i32_load().set(table);
  c.for(s, { local: first }, { local: last }, 1, () => {
    c.get(table).get(s).i32(STEP_BYTES).i32_mul().i32_add().set(rec);
    c.get(rec)
      .i32(STEP_HEADER_WORDS * 4)
      .i32_add()
      .get(tid)
      .get(threads);
    c.get(rec).i32_load().call_indirect(kernelType);
    c.get(threads)
      .i32(1)
      .i32_gt_s()
      .when(() => {
        c.get(threads).get(canWait).call('barrier');
      });
  });
}

/**
 * barrier(threads, canWait): the last thread to arrive resets the count and bumps the generation;
 * the others spin on the generation, then (where blocking is allowed) sleep on it.
 */
function emitBarrier(c: Code): void {
  const [threads, canWait] = [0, 1];
  const gen = c.local('i32');
  const spins = c.local('i32');
  c.i32(CTRL.generation).i32_atomic_load().set(gen);
  c.i32(CTRL.count).i32(1).i32_atomic_rmw_add().i32(1).i32_add().get(threads).i32_eq();
  c.if();
  c.i32(CTRL.count).i32(0).i32_atomic_store();
  c.i32(CTRL.generation).i32(1).i32_atomic_rmw_add().drop();
  c.i32(CTRL.generation).i32(-1).memory_atomic_notify().drop();
  c.else();
  c.i32(0).set(spins);
  c.block().loop();
  c.i32(CTRL.generation).i32_atomic_load().get(gen).i32_ne().br_if(1);
  c.get(spins)
    .i32(1)
    .i32_add()
    .tee(spins)
    .i32(SPIN_LIMIT)
    .i32_gt_u()
    .get(canWait)
    .i32_and()
    .when(() => {
      // sleep at most 1 ms per wait, then look again
      c.i32(CTRL.generation).get(gen).i64(1_000_000n).memory_atomic_wait32().drop();
    });
  c.br(0).end().end();
  c.end();
}
