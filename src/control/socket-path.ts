// Where the control socket lives when no --socket is given: $MRSH_SOCKET, else
// /run/mrsh.sock for root (the system daemon), else a per-user path so an unprivileged
// daemon and its clients meet without configuration.
//
// The per-user path without $XDG_RUNTIME_DIR sits in a directory of its own,
// /tmp/mrsh-UID/ (tmux's rule): created 0700 by whoever comes first, and used only while
// it is a real directory owned by the user that nobody else may enter. A bare
// /tmp/mrsh-UID.sock could be bound first by another user, who would then receive the
// victim's commands and files.
import { lstatSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? -1): string {
  if (env.MRSH_SOCKET) return env.MRSH_SOCKET;
  if (uid === 0) return '/run/mrsh.sock';
  if (env.XDG_RUNTIME_DIR) return `${env.XDG_RUNTIME_DIR}/mrsh.sock`;
  return `${privateDirOf(uid)}/mrsh.sock`;
}

function privateDirOf(uid: number): string {
  return `/tmp/mrsh-${uid}`;
}

/** the directory that defaultSocketPath must check before it is trusted, or null */
export function privateSocketDir(path: string, env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? -1): string | null {
  if (env.MRSH_SOCKET || uid === 0 || env.XDG_RUNTIME_DIR) return null;
  const dir = privateDirOf(uid);
  return dirname(path) === dir ? dir : null;
}

/**
 * Checks (and with create, makes) a per-user socket directory: a directory, not a link,
 * owned by uid, with no access for group or others. Returns false when it does not exist
 * (and create is off); throws with the reason when it exists and is not private.
 */
export function checkPrivateDir(dir: string, create: boolean, uid: number = process.getuid?.() ?? -1): boolean {
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (!create) return false;
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e2) {
      // another process of ours made it meanwhile: checked below like any other
      if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST') throw e2;
    }
    st = lstatSync(dir);
  }
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory: refusing to use it for the control socket`);
  if (st.uid !== uid) throw new Error(`${dir} is owned by uid ${st.uid}, not ${uid}: refusing to use it for the control socket`);
  if (st.mode & 0o077) throw new Error(`${dir} has mode 0${(st.mode & 0o777).toString(8)}: refusing to use it for the control socket (it must be 0700)`);
  return true;
}
