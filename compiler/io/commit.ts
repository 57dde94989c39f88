// Writing a command's outputs as one commit: every file goes to a temp file beside its target
// first; only when all are complete are they moved into place, in one synchronous step that a
// signal handler cannot interrupt, and a failure there puts back what was moved (both or neither).
// Without overwrite a target is created exclusively (a hard link, which fails when the name exists),
// so two runs writing the same path cannot both succeed. Temp files in flight are known, so a
// signal handler can remove them (removeTempFiles).

import { randomBytes } from 'node:crypto';
import { constants, copyFileSync, existsSync, linkSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../runtime/errors.ts';

export interface PendingFile {
  /** Absolute path to write. */
  target: string;
  bytes: Uint8Array;
  /** How the file is named in messages (default: its path). */
  label?: string;
}

const inFlight = new Set<string>();

/** Test hook: runs when half of a file's bytes are in its temp file (specs inject failures, signals). */
export const commitHooks: { midWrite?: (tmp: string) => void | Promise<void> } = {};

/** Remove every temp file this process has in flight (for signal handlers; synchronous). */
export function removeTempFiles(): void {
  for (const p of inFlight) rmSync(p, { force: true });
  inFlight.clear();
}

function tempName(target: string, tag: string): string {
  const id = `${process.pid}.${randomBytes(4).toString('hex')}`;
  return join(dirname(target), `.${basename(target).slice(0, 100)}.${id}.${tag}.squish-tmp`);
}

function writeError(f: PendingFile, e: unknown): UserError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOSPC'
      ? 'the disk is full'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'permission denied'
        : code === 'ENOENT'
          ? 'its folder does not exist'
          : code === 'ENAMETOOLONG'
            ? 'the name is too long'
            : ((e as Error).message ?? String(e));
  return new UserError(`cannot write ${f.label ?? f.target}: ${why}`, 'nothing was written');
}

async function writeTemp(f: PendingFile): Promise<string> {
  const tmp = tempName(f.target, 'new');
  inFlight.add(tmp);
  try {
    const h = await open(tmp, 'wx');
    try {
      const half = Math.floor(f.bytes.length / 2);
      let done = 0;
      while (done < f.bytes.length) {
        const end = done < half ? half : f.bytes.length;
        const { bytesWritten } = await h.write(f.bytes, done, Math.min(end - done, 1 << 24));
        done += bytesWritten;
        if (done === half) await commitHooks.midWrite?.(tmp);
      }
    } finally {
      await h.close();
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    inFlight.delete(tmp);
    throw writeError(f, e);
  }
  return tmp;
}

/** Create `target` from `tmp` only if nothing is there yet. */
function createExclusive(tmp: string, target: string): void {
  try {
    linkSync(tmp, target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw e;
    copyFileSync(tmp, target, constants.COPYFILE_EXCL); // file systems without hard links
  }
}

interface Moved {
  target: string;
  backup?: string;
}

function rollBack(moved: Moved[]): void {
  for (const m of [...moved].reverse()) {
    rmSync(m.target, { force: true });
    if (m.backup) {
      renameSync(m.backup, m.target);
      inFlight.delete(m.backup);
    }
  }
}

/**
 * Write `files` as one commit. Throws a UserError (and leaves every target as it was) when a file
 * cannot be written or, without `overwrite`, when a target already exists.
 */
export async function commitFiles(files: PendingFile[], opts: { overwrite: boolean }): Promise<void> {
  const temps: string[] = [];
  const moved: Moved[] = [];
  try {
    for (const f of files) temps.push(await writeTemp(f));
    let at = 0;
    try {
      for (; at < files.length; at++) {
        const { target } = files[at]!;
        if (!opts.overwrite) {
          createExclusive(temps[at]!, target);
          moved.push({ target });
          continue;
        }
        const backup = existsSync(target) ? tempName(target, 'old') : undefined;
        if (backup) {
          inFlight.add(backup);
          renameSync(target, backup);
        }
        moved.push({ target, backup });
        renameSync(temps[at]!, target);
      }
    } catch (e) {
      rollBack(moved);
      moved.length = 0;
      const f = files[at]!;
      if ((e as NodeJS.ErrnoException).code === 'EEXIST')
        throw new UserError(
          `${f.label ?? f.target} already exists: another process created it while squish was working`,
          'nothing was written; pick another path, or pass --force to overwrite',
        );
      throw writeError(f, e);
    }
  } finally {
    for (const p of [...temps, ...moved.map((m) => m.backup)]) {
      if (!p) continue;
      rmSync(p, { force: true });
      inFlight.delete(p);
    }
  }
}
