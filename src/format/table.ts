// cli-table3 in FRR's "blank" style: no borders, left-aligned, columns as wide as their
// widest cell, two spaces between. Headers bold on a TTY.
import { createRequire } from 'node:module';
import type TableType from 'cli-table3';
import type { Painter } from './style.js';

// loaded on first use: a one-shot `show vif --json` should not pay for it at start-up
let Table: typeof TableType | null = null;
const load = () => (Table ??= createRequire(import.meta.url)('cli-table3') as typeof TableType);

const BLANK = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: ' ',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

export function table(head: string[], rows: (string | number)[][], p: Painter): string {
  const T = load();
  const t = new T({
    head: head.map((h) => p.bold(h)),
    chars: BLANK,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) t.push(r.map(String));
  return t
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}
