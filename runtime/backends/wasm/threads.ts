// Helper threads for the wasm backend: one process-wide pool of workers (Node worker_threads or
// browser Workers), shared by every session. A worker instantiates the kernel library once per
// session memory; during a run it sleeps on the memory's `go` word and runs each segment of steps
// the main thread starts, meeting the other threads at the barriers between steps. No message
// travels per step or per segment: one per worker starts a run, one shared-memory count ends it.

import { nodeBuiltin } from '../../platform.ts';
import { CTRL } from './layout.ts';

/** Extra control words (bytes) beyond layout.ts: the run's end flag and the workers' exit count. */
export const RUN_END = 80;
export const EXITED = 84;

const WORKER_SOURCE = `
const instances = new Map();
function handle(msg, post) {
  if (msg.type === 'bind') {
    const instance = new WebAssembly.Instance(msg.module, { env: { memory: msg.memory } });
    instances.set(msg.id, { exec: instance.exports.exec, i32: new Int32Array(msg.memory.buffer), memory: msg.memory });
    post({ type: 'ready', id: msg.id });
  } else if (msg.type === 'drop') {
    instances.delete(msg.id);
  } else if (msg.type === 'run') {
    const s = instances.get(msg.id);
    if (s.i32.buffer !== s.memory.buffer) s.i32 = new Int32Array(s.memory.buffer);
    const i32 = s.i32;
    let seen = msg.go;
    for (;;) {
      let g = Atomics.load(i32, ${CTRL.go / 4});
      if (g === seen) {
        if (Atomics.load(i32, ${RUN_END / 4}) !== 0) break;
        Atomics.wait(i32, ${CTRL.go / 4}, seen, 20);
        continue;
      }
      seen++;
      s.exec(Atomics.load(i32, ${CTRL.first / 4}), Atomics.load(i32, ${CTRL.last / 4}), msg.tid, msg.threads, 1);
    }
    Atomics.add(i32, ${EXITED / 4}, 1);
    Atomics.notify(i32, ${EXITED / 4});
  }
}
if (typeof self !== 'undefined' && typeof postMessage === 'function') {
  self.onmessage = (e) => handle(e.data, (m) => postMessage(m));
} else {
  const { parentPort } = require('node:worker_threads');
  parentPort.on('message', (m) => handle(m, (r) => parentPort.postMessage(r)));
}
`;

interface WorkerHandle {
  postMessage(m: unknown): void;
  terminate(): unknown;
  unref?(): void;
  ref?(): void;
  on?(event: 'message', f: (m: unknown) => void): void;
  onmessage?: ((e: { data: unknown }) => void) | null;
}

/** Helpers waiting for their workers' 'ready', by session id. */
const waiting = new Map<number, Helpers>();

function listen(w: WorkerHandle): void {
  const onMessage = (m: unknown) => {
    const msg = m as { type?: string; id?: number };
    if (msg.type === 'ready' && msg.id !== undefined) waiting.get(msg.id)?.markReady(w);
  };
  if (w.on) w.on('message', onMessage);
  else w.onmessage = (e) => onMessage(e.data);
}

// ES2024's Atomics.waitAsync (Node 16+, current browsers); absent, the wait polls on timers
const waitAsync = (
  Atomics as unknown as {
    waitAsync?: (
      a: Int32Array,
      i: number,
      v: number,
      t: number,
    ) => { async: boolean; value: Promise<unknown> };
  }
).waitAsync;

const workers: WorkerHandle[] = [];
let nodeWorker: (new (src: string, o: { eval: boolean }) => WorkerHandle) | undefined;
let nextId = 1;

async function spawn(): Promise<WorkerHandle> {
  if (typeof Worker === 'function' && typeof Blob === 'function' && typeof process === 'undefined') {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const w = new Worker(url) as unknown as WorkerHandle;
    URL.revokeObjectURL(url);
    listen(w);
    return w;
  }
  if (!nodeWorker) {
    const wt = await nodeBuiltin<typeof import('node:worker_threads')>('worker_threads');
    if (!wt) throw new Error('no worker threads here');
    nodeWorker = wt.Worker as unknown as typeof nodeWorker;
  }
  const Ctor = nodeWorker as NonNullable<typeof nodeWorker>;
  const w = new Ctor(WORKER_SOURCE, { eval: true });
  // listen first: adding a 'message' listener refs a Node worker again, and a ref'd idle helper
  // would keep the process from exiting
  listen(w);
  w.unref?.();
  return w;
}

/**
 * Helper threads available to one session (its memory bound to each). A helper joins runs once its
 * worker reports the library instantiated, so no run waits for a thread still starting.
 */
export class Helpers {
  private readonly id = nextId++;
  /** Workers that have instantiated the library over this memory. */
  private readonly ready: WorkerHandle[] = [];
  /** Workers taking part in the current run. */
  private running: WorkerHandle[] = [];

  private constructor(
    private readonly bound: WorkerHandle[],
    private readonly i32: () => Int32Array,
  ) {}

  /** `count` helper threads with the library instantiated over `memory`. */
  static async bind(count: number, module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<Helpers> {
    while (workers.length < count) workers.push(await spawn());
    const h = new Helpers(workers.slice(0, count), () => new Int32Array(memory.buffer));
    waiting.set(h.id, h);
    for (const w of h.bound) w.postMessage({ type: 'bind', id: h.id, module, memory });
    return h;
  }

  markReady(w: WorkerHandle): void {
    if (this.bound.includes(w) && !this.ready.includes(w)) this.ready.push(w);
    if (this.ready.length === this.bound.length) waiting.delete(this.id);
  }

  /** Start a run with the helpers that are ready (tid 1…k); returns the run's thread count. */
  start(): number {
    const i32 = this.i32();
    Atomics.store(i32, RUN_END / 4, 0);
    Atomics.store(i32, EXITED / 4, 0);
    const go = Atomics.load(i32, CTRL.go / 4);
    this.running = [...this.ready];
    const threads = this.running.length + 1;
    this.running.forEach((w, k) => {
      w.ref?.();
      w.postMessage({ type: 'run', id: this.id, tid: k + 1, threads, go });
    });
    return threads;
  }

  /** Run steps [first, last) on every thread of the run (the caller is thread 0; returns when all are done). */
  segment(
    exec: (first: number, last: number, tid: number, threads: number, canWait: number) => void,
    first: number,
    last: number,
    canWait: boolean,
  ): void {
    const threads = this.running.length + 1;
    if (threads > 1) {
      const i32 = this.i32();
      Atomics.store(i32, CTRL.first / 4, first);
      Atomics.store(i32, CTRL.last / 4, last);
      Atomics.add(i32, CTRL.go / 4, 1);
      Atomics.notify(i32, CTRL.go / 4);
    }
    exec(first, last, 0, threads, canWait ? 1 : 0);
  }

  /** End the run: helpers leave their loop; returns once all have. */
  async finish(): Promise<void> {
    const i32 = this.i32();
    Atomics.store(i32, RUN_END / 4, 1);
    Atomics.notify(i32, CTRL.go / 4);
    const n = this.running.length;
    for (;;) {
      const done = Atomics.load(i32, EXITED / 4);
      if (done >= n) break;
      const w = waitAsync?.(i32, EXITED / 4, done, 50);
      if (w?.async) await w.value;
      else if (!w) await new Promise((r) => setTimeout(r, 0));
    }
    for (const w of this.running) w.unref?.();
    this.running = [];
  }

  dispose(): void {
    waiting.delete(this.id);
    for (const w of this.bound) w.postMessage({ type: 'drop', id: this.id });
  }
}
