// `show mroute summary`: FRR's Installed/Total table. Our engine keeps (S,G) entries only;
// an (S,G) waiting in the unresolved queue counts in Total but not in Installed.
import type { MfcInfo, PendingInfo } from '../router/api.js';
import { leftNoTrunc } from './text.js';

export function mrouteSummary(entries: readonly MfcInfo[], pending: readonly PendingInfo[]): string {
  const inst = entries.length;
  const total = inst + pending.length;
  return [
    'Mroute Type    Installed/Total',
    `${leftNoTrunc('(*, G)', 15)}0/0`,
    `${leftNoTrunc('(S, G)', 15)}${inst}/${total}`,
    '------',
    `${leftNoTrunc('Total', 15)}${inst}/${total}`,
  ].join('\n');
}
