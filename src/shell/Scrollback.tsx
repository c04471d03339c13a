// Command output: the last `height` lines, or an older window when scrolled (PgUp/PgDn).
import { Box, Text } from 'ink';

export function Scrollback(props: { lines: readonly string[]; height: number; offset: number }) {
  const { lines, height, offset } = props;
  const end = Math.max(0, lines.length - offset);
  const start = Math.max(0, end - height);
  const shown = lines.slice(start, end);
  const pad = height - shown.length;
  return (
    <Box flexDirection="column" height={height}>
      {Array.from({ length: pad }, (_, i) => (
        <Text key={`pad${i}`}> </Text>
      ))}
      {shown.map((l, i) => (
        <Text key={start + i} wrap="truncate">
          {l === '' ? ' ' : l}
        </Text>
      ))}
    </Box>
  );
}
