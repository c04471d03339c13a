// THE command table: every mode (shell, batch, one-shot, and the daemon's control socket), `?`
// help, Tab completion and the man page's command list come from this one array.
import type { CommandDef } from './define.js';
import { bwUpcallCommands } from './bw-upcall.js';
import { diagCommands } from './diag.js';
import { Grammar } from './grammar.js';
import { mfcCommands } from './mfc.js';
import { mrtCommands } from './mrt.js';
import { policyCommands } from './policy.js';
import { configureCommands } from './configure.js';
import { sessionCommands } from './session.js';
import { showCommands } from './show.js';
import { vifCommands } from './vif.js';

export const COMMANDS: readonly CommandDef[] = [
  ...mrtCommands,
  ...vifCommands,
  ...mfcCommands,
  ...bwUpcallCommands,
  ...showCommands,
  ...policyCommands,
  ...diagCommands,
  ...configureCommands,
  ...sessionCommands,
];

let grammar: Grammar | null = null;

/** compiled once per process, on first use */
export function getGrammar(): Grammar {
  return (grammar ??= new Grammar(COMMANDS));
}
