// Mounts the Ink app on the terminal and resolves with the exit status when it leaves.
// The shell is full-screen (its own scrollback), so it runs on the alternate screen and
// gives the terminal back as it found it.
import { render } from 'ink';
import type { RouterApi } from '../router/api.js';
import { wantColor } from '../format/style.js';
import { App } from './App.js';
import { historyPath } from './history-file.js';

const ALT_ON = '\x1b[?1049h\x1b[H';
const ALT_OFF = '\x1b[?1049l';

export async function startShell(router: RouterApi): Promise<number> {
  process.stdout.write(ALT_ON);
  const app = render(
    <App router={router} color={wantColor(process.stdout, process.env, false)} historyPath={historyPath()} />,
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
