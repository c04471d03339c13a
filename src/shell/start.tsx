// Mounts the Ink app on the terminal and resolves with the exit status when it leaves.
// The shell is full-screen (its own scrollback), so it runs on the alternate screen and
// gives the terminal back as it found it.
import { render } from 'ink';
import type { RouterApi } from '../router/api.js';
import type { RemoteSession } from '../control/remote.js';
import { wantColor } from '../format/style.js';
import { App } from './App.js';
import { historyPath } from './history-file.js';

const ALT_ON = '\x1b[?1049h\x1b[H';
const ALT_OFF = '\x1b[?1049l';

/** an embedded router, or a daemon's session (the panes then follow its event stream) */
export async function startShell(target: { router: RouterApi } | { remote: RemoteSession }): Promise<number> {
  process.stdout.write(ALT_ON);
  const where = 'router' in target ? { router: target.router } : { remote: { live: target.remote, exec: (l: string) => target.remote.exec(l) } };
  const app = render(
    <App {...where} color={wantColor(process.stdout, process.env, false)} historyPath={historyPath()} />,
    // Ctrl-C cancels the line (or a monitor), it does not end the shell; Ctrl-D does
    { exitOnCtrlC: false, patchConsole: false, maxFps: 30 },
  );
  try {
    await app.waitUntilExit();
  } finally {
    process.stdout.write(ALT_OFF);
  }
  return 0;
}
