// The live upcall pane: a title with counts per type and the rate, then the newest events.
import { Box, Text } from 'ink';
import type { Painter } from '../format/style.js';
import { typeColor, upcallLine } from '../format/upcalls.js';
import { UPCALL_TYPES, type TallySnapshot } from './upcall-tally.js';

export function paneTitle(snap: TallySnapshot, p: Painter): string {
  const counts = UPCALL_TYPES.map((t) => `${typeColor(p, t)} ${snap.counts[t]}`).join('  ');
  return `${p.bold('upcalls')} ${counts}  ${Math.round(snap.rate)}/s`;
}

export function UpcallPane(props: { snap: TallySnapshot; height: number; width: number; p: Painter }) {
  const { snap, height, p } = props;
  const rows = Math.max(0, height - 1);
  const recent = snap.recent.slice(-rows);
  const lines = recent.map((e) => upcallLine(e, p));
  while (lines.length < rows) lines.unshift(lines.length === 0 && snap.total === 0 && rows > 0 ? p.dim('  (no upcalls yet)') : '');
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate">{p.dim('─ ') + paneTitle(snap, p)}</Text>
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate">
          {l || ' '}
        </Text>
      ))}
    </Box>
  );
}
