// vtysh's rule: a client attaches to the daemon when its socket answers, otherwise runs
// its own embedded router. A socket file nobody answers on (a daemon that was killed) is
// stale: reported, never trusted, and the client goes on embedded. A socket named on the
// command line must answer.
import { existsSync, statSync } from 'node:fs';
import { ControlClient, ControlError } from './client.js';
import { RemoteSession } from './remote.js';
import { checkPrivateDir, defaultSocketPath, privateSocketDir } from './socket-path.js';

export type Attach = { session: RemoteSession; path: string } | { session: null; warning: string | null } | { error: string };

export async function attach(explicit: string | undefined): Promise<Attach> {
  const path = explicit ?? defaultSocketPath();
  const dir = explicit ? null : privateSocketDir(path);
  if (dir) {
    try {
      if (!checkPrivateDir(dir, false)) return { session: null, warning: null };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }
  if (!existsSync(path)) return explicit ? { error: `${path}: no such socket (is mrsh daemon running?)` } : { session: null, warning: null };
  if (!statSync(path).isSocket()) return explicit ? { error: `${path}: not a socket` } : { session: null, warning: `${path} is not a socket; running on an embedded router` };
  try {
    const client = await ControlClient.connect(path);
    return { session: await RemoteSession.open(client), path };
  } catch (e) {
    const code = e instanceof ControlError ? e.code : 'EIO';
    if (code === 'ECONNREFUSED') {
      const msg = `${path}: stale socket, no daemon answers (ECONNREFUSED)`;
      return explicit ? { error: msg } : { session: null, warning: `${msg}; running on an embedded router` };
    }
    if (code === 'EPERM') return { error: (e as Error).message };
    if (code === 'EACCES') return { error: `${path}: permission denied (${code}): the socket admits its owner and, with mrsh daemon --group, that group` };
    return { error: `${path}: ${(e as Error).message}` };
  }
}
