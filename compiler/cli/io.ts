// What commands use to talk to the outside world, so specs can capture it.

export interface CliIO {
  out: (text: string) => void; // stdout, text as given (add your own newline)
  err: (text: string) => void; // stderr
  isTTY: boolean;
  cwd: string;
}

export const processIO: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdout.isTTY),
  cwd: process.cwd(),
};
