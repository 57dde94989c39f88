// What only a real CLI process needs (specs run commands in-process without it): a closed stdout
// (`squish inspect m.onnx | head -1`) ends the output quietly instead of with an EPIPE trace, and
// SIGINT/SIGTERM/SIGHUP remove the temp files of a write in flight before the process exits, so an
// interrupted command leaves nothing half-written (outputs are committed in one synchronous step).

import { constants } from 'node:os';
import { removeTempFiles } from '../io/commit.ts';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function installProcessHandlers(): void {
  let closed = false;
  const onStreamError = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || closed) {
      closed = true; // the reader went away: nothing more to say
      return;
    }
    throw e;
  };
  process.stdout.on('error', onStreamError);
  process.stderr.on('error', onStreamError);
  for (const sig of SIGNALS) {
    process.on(sig, () => {
      removeTempFiles();
      if (!closed) process.stderr.write(`\nsquish: stopped by ${sig}; temporary files removed\n`);
      process.exit(128 + constants.signals[sig]);
    });
  }
}
