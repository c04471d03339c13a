// Mounts the Ink app on the terminal and resolves with the exit status when it leaves.
// The shell runs inline, as vtysh does: what it prints stays in the terminal's scrollback
// after it exits, and only the live part at the bottom is redrawn, line by line.
import { render } from 'ink';
import type { RouterApi } from '../router/api.js';
import type { RemoteSession } from '../control/remote.js';
import { wantColor } from '../format/style.js';
import { App } from './App.js';
import { historyPath } from './history-file.js';

/** an embedded router, or a daemon's session (the panes then follow its event stream) */
export async function startShell(target: { router: RouterApi } | { remote: RemoteSession }): Promise<number> {
  const where = 'router' in target ? { router: target.router } : { remote: { live: target.remote, exec: (l: string) => target.remote.exec(l) } };
  const app = render(
    <App {...where} color={wantColor(process.stdout, process.env, false)} historyPath={historyPath()} />,
    // Ctrl-C cancels the line (or a monitor), it does not end the shell; Ctrl-D does
    { exitOnCtrlC: false, patchConsole: false, maxFps: 30, incrementalRendering: true },
  );
  await app.waitUntilExit();
  return 0;
}
