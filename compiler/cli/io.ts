// What commands use to talk to the outside world, so specs can capture it.

export interface CliIO {
  out: (text: string) => void; // stdout, text as given (add your own newline)
  err: (text: string) => void; // stderr
  /** stdout is a terminal. */
  isTTY: boolean;
  /** stderr is a terminal: progress bars there; plain progress lines otherwise. */
  errIsTTY?: boolean;
  /** Width of the terminal on stderr. */
  columns?: number;
  /** Plain progress lines: at most one per step this often, none before (default 5 s). */
  progressEveryMs?: number;
  cwd: string;
}

export const processIO: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdout.isTTY),
  errIsTTY: Boolean(process.stderr.isTTY),
  columns: process.stderr.columns,
  cwd: process.cwd(),
};
