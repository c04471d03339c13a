// `write memory`: the startup file is replaced whole or not at all. A crash (or SIGKILL)
// at any moment leaves the old file or the new one: the text goes to a temporary file in
// the same directory (rename is atomic only within one file system), is fsynced, renamed
// over the target, and the directory is fsynced so the rename itself survives power loss.
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync, statSync, fchmodSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Temporary files a killed writer left beside the target (`.NAME.PID.TIME.tmp` of a process
 * that no longer exists) are removed, so crashes do not pile them up.
 */
function sweepStaleTemps(dir: string, base: string): void {
  const prefix = `.${base}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith('.tmp')) continue;
    const pid = Number(n.slice(prefix.length).split('.')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue; // its writer is alive: not ours to remove
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    try {
      unlinkSync(join(dir, n));
    } catch {
      // raced with someone else's sweep
    }
  }
}

export function writeFileAtomic(path: string, text: string): number {
  const dir = dirname(path);
  sweepStaleTemps(dir, basename(path));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const data = Buffer.from(text, 'utf8');
  let mode = 0o644;
  try {
    mode = statSync(path).mode & 0o7777; // keep the file's permissions across saves
  } catch {
    // a new file
  }
  const fd = openSync(tmp, 'wx', mode);
  try {
    fchmodSync(fd, mode);
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
  return data.length;
}
