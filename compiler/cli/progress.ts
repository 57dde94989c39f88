// Progress of long steps on stderr. On a terminal: one bar per step, and warnings printed above
// the bars on lines of their own. Elsewhere (CI logs, files): plain lines, at most one per step
// every few seconds and none in a command's first seconds, so short runs stay silent.

import cliProgress from 'cli-progress';
import { printable } from '../../runtime/errors.ts';
import type { CliIO } from './io.ts';

export interface Progress {
  update: (step: string, done: number, total: number) => void;
  /** A warning, on its own line (above the bars on a terminal). */
  warn: (line: string) => void;
  stop: () => void;
}

/** Plain progress lines: how often per step, and not before this much time has passed. */
const PLAIN_EVERY_MS = 5000;

function barsOnTerminal(io: CliIO): Progress {
  // cli-progress draws with cursor escapes on a stream; this one writes to the command's stderr
  const stream = Object.assign(Object.create(process.stderr), {
    isTTY: true,
    columns: io.columns ?? 80,
    write: (s: string) => {
      io.err(s);
      return true;
    },
  });
  const bars = new cliProgress.MultiBar(
    { format: ' {step} [{bar}] {value}/{total}', clearOnComplete: false, hideCursor: true, stream },
    cliProgress.Presets.shades_classic,
  );
  const byStep = new Map<string, cliProgress.SingleBar>();
  return {
    update(step, done, total) {
      let bar = byStep.get(step);
      if (!bar) byStep.set(step, (bar = bars.create(total, 0, { step })));
      bar.setTotal(total);
      bar.update(done, { step });
    },
    warn(line) {
      if (byStep.size === 0) io.err(`${printable(line, true)}\n`);
      else bars.log(`${printable(line, true)}\n`);
    },
    stop: () => {
      if (byStep.size) bars.stop();
    },
  };
}

function plainLines(io: CliIO, every: number, now: () => number): Progress {
  const start = now();
  const last = new Map<string, number>();
  return {
    update(step, done, total) {
      const t = now();
      if (t - start < every) return;
      const prev = last.get(step);
      const finished = done >= total;
      if (prev === Number.POSITIVE_INFINITY && finished) return; // its last line is out
      if (prev !== undefined && prev !== Number.POSITIVE_INFINITY && !finished && t - prev < every) return;
      last.set(step, finished ? Number.POSITIVE_INFINITY : t);
      const pct = total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : '';
      io.err(`progress: ${step} ${done}/${total}${pct}\n`);
    },
    warn: (line) => io.err(`${printable(line, true)}\n`),
    stop: () => {},
  };
}

/** Bars on a terminal, plain rate-limited lines elsewhere; with `quiet` only warnings are dropped too. */
export function progressReporter(io: CliIO, quiet: boolean, now: () => number = Date.now): Progress {
  if (quiet) return { update: () => {}, warn: () => {}, stop: () => {} };
  if (io.errIsTTY) return barsOnTerminal(io);
  return plainLines(io, io.progressEveryMs ?? PLAIN_EVERY_MS, now);
}
