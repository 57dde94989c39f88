// Runs squish CLI commands in a child process under a time and memory limit (used by the fuzz
// script and the hostile-input specs). One worker (scripts/fuzz.worker.ts) serves many commands;
// when a command runs past the time limit or the worker's resident memory passes the limit, the
// worker is killed, the command is reported as a hang or as over memory, and a fresh worker
// starts for the next one. Peak memory is sampled from /proc while a command runs.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'fuzz.worker.ts');
/** tsx's loader by its full path: workers may run in any folder. */
export const TSX = import.meta.resolve('tsx');

export interface CaseResult {
  /** Exit code, or what stopped the command. */
  code: number | 'hang' | 'memory' | 'crash';
  stdout: string;
  stderr: string;
  ms: number;
  /** Highest resident memory of the worker seen while the command ran, MiB. */
  peakMb: number;
}

export interface HarnessOptions {
  timeoutMs: number;
  maxRssMb: number;
  /** Extra environment for the worker (e.g. TMPDIR). */
  env?: Record<string, string>;
}

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

interface Pending {
  id: number;
  resolve: (r: { code: number | 'crash'; stdout: string; stderr: string }) => void;
}

export class Harness {
  private child?: ChildProcess;
  private pending?: Pending;
  private stray = '';
  private nextId = 1;

  constructor(private readonly opts: HarnessOptions) {}

  private start(): ChildProcess {
    const child = spawn(process.execPath, ['--import', TSX, WORKER], {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...this.opts.env },
    });
    child.stdout!.on('data', (d) => {
      this.stray += String(d);
    });
    child.stderr!.on('data', (d) => {
      this.stray += String(d);
    });
    createInterface({ input: child.stdio[3] as NodeJS.ReadableStream }).on('line', (line) => {
      const msg = JSON.parse(line) as {
        id?: number;
        code?: number;
        stdout?: string;
        stderr?: string;
        fatal?: string;
      };
      const p = this.pending;
      if (!p) return;
      this.pending = undefined;
      if (msg.fatal !== undefined) p.resolve({ code: 'crash', stdout: '', stderr: msg.fatal });
      else p.resolve({ code: msg.code!, stdout: msg.stdout ?? '', stderr: msg.stderr ?? '' });
    });
    child.on('exit', () => {
      // a worker killed after a hang exits later, while the next command runs in a fresh worker:
      // only the current worker's exit ends the pending command
      if (this.child !== child) return;
      this.child = undefined;
      const p = this.pending;
      this.pending = undefined;
      p?.resolve({ code: 'crash', stdout: '', stderr: `worker exited\n${this.stray}` });
    });
    this.child = child;
    return child;
  }

  private kill(): void {
    const c = this.child;
    this.child = undefined;
    this.pending = undefined;
    c?.kill('SIGKILL');
  }

  /** Run `squish ...argv` in `cwd`; never throws. */
  async run(argv: string[], cwd: string): Promise<CaseResult> {
    const child = this.child ?? this.start();
    this.stray = '';
    const id = this.nextId++;
    const t0 = performance.now();
    let peak = rssMb(child.pid);
    let stop: 'hang' | 'memory' | undefined;
    const done = new Promise<{ code: number | 'crash'; stdout: string; stderr: string }>((resolve) => {
      this.pending = { id, resolve };
    });
    child.stdin!.write(`${JSON.stringify({ id, argv, cwd })}\n`);
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<void>((resolve) => {
      timer = setInterval(() => {
        peak = Math.max(peak, rssMb(child.pid));
        if (peak > this.opts.maxRssMb) stop = 'memory';
        else if (performance.now() - t0 > this.opts.timeoutMs) stop = 'hang';
        if (stop) resolve();
      }, 25);
    });
    const r = await Promise.race([done, watchdog.then(() => undefined)]);
    clearInterval(timer);
    const ms = Math.round(performance.now() - t0);
    if (!r) {
      this.kill();
      return { code: stop!, stdout: '', stderr: this.stray, ms, peakMb: Math.round(peak) };
    }
    const stray = this.stray;
    if (r.code === 'crash') this.kill();
    return { ...r, stderr: r.stderr + stray, ms, peakMb: Math.round(peak) };
  }

  close(): void {
    this.kill();
  }
}

/** A stack trace in command output: "    at fn (file:line:col)" lines. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>)\s*$/m.test(text);
}
