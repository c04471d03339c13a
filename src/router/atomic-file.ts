// `write memory`: the startup file is replaced whole or not at all. A crash (or SIGKILL)
// at any moment leaves the old file or the new one: the text goes to a temporary file in
// the same directory (rename is atomic only within one file system), is fsynced, renamed
// over the target, and the directory is fsynced so the rename itself survives power loss.
// A startup file that is a symlink stays one: the link's target is what gets replaced (in
// its own directory), and the replacement keeps the old file's owner, group and mode.
import { closeSync, fchmodSync, fchownSync, fsyncSync, lstatSync, openSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** an error with an errno code, as fs throws them, for the caller to report by name */
function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** the file to replace: path itself, or the file its symlink chain ends at */
function targetOf(path: string): string {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return path; // a new file
  }
  if (!st.isSymbolicLink()) return path;
  try {
    return realpathSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw errnoError(code, `${path} is a symlink whose target cannot be resolved (${code}); not replacing the link with a file`);
  }
}

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

/** Replaces path (or, for a symlink, its target) whole; returns the bytes written and throws fs's errors (code set). */
export function writeFileAtomic(path: string, text: string): number {
  path = targetOf(path);
  const dir = dirname(path);
  sweepStaleTemps(dir, basename(path));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const data = Buffer.from(text, 'utf8');
  let mode = 0o644;
  let owner: { uid: number; gid: number } | null = null;
  try {
    const st = statSync(path);
    mode = st.mode & 0o7777; // keep the file's permissions across saves
    owner = { uid: st.uid, gid: st.gid };
  } catch {
    // a new file
  }
  const fd = openSync(tmp, 'wx', mode & 0o777);
  try {
    // owner and group as before (a new file would be the daemon's); chown before chmod,
    // which it would clear set-id bits after. Not able to keep them is a refusal, not a
    // silent change of who may read the file.
    if (owner && (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.())) {
      try {
        fchownSync(fd, owner.uid, owner.gid);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
        throw errnoError(code, `cannot keep the owner ${owner.uid}:${owner.gid} of ${path} on its replacement (${code}); it is left as it was`);
      }
    }
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
