// Mounts the Ink app on the terminal and resolves with the exit status when it leaves.
// The shell runs inline, as vtysh does: what it prints stays in the terminal's scrollback
// after it exits, and only the live part at the bottom is redrawn, when it changes.
// (Ink's incrementalRendering is not used: with <Static> output above, it left stale
// rows of the live part on screen.)
import { render } from 'ink';
import type { RouterApi } from '../router/api.js';
import type { RemoteSession } from '../control/remote.js';
import { wantColor } from '../format/style.js';
import { App } from './App.js';
import { DaemonLink } from './daemon-link.js';
import { RemoteState } from './remote-state.js';
import { historyPath } from './history-file.js';

/** an embedded router, or a daemon's session (the panes then follow its event stream) */
export async function startShell(target: { router: RouterApi } | { remote: RemoteSession; socket: string }): Promise<number> {
  // attached: the link follows the daemon away and back (the session it is given is its first)
  const link = 'remote' in target ? await DaemonLink.open(target.remote, target.socket) : null;
  const exec = (l: string) => link!.exec(l);
  const where = link ? { remote: { live: link, exec, state: new RemoteState(exec) }, attached: link } : { router: (target as { router: RouterApi }).router };
  const app = render(
    <App {...where} color={wantColor(process.stdout, process.env, false)} historyPath={historyPath()} hint={process.env.MRSH_HINT || undefined} />,
    // Ctrl-C cancels the line (or a monitor), it does not end the shell; Ctrl-D does
    { exitOnCtrlC: false, patchConsole: false, maxFps: 30 },
  );
  try {
    await app.waitUntilExit();
  } finally {
    link?.close();
  }
  return 0;
}
