// The input line: prompt, text, and the cursor drawn as an inverse cell. Long lines scroll
// horizontally so the cursor stays visible in 80 columns.
import { Text } from 'ink';
import type { Painter } from '../format/style.js';
import type { LineState } from './line-editor.js';
import { visible } from '../format/visible.js';

export function promptView(prompt: string, s: LineState, width: number): { before: string; at: string; after: string } {
  const room = Math.max(10, width - prompt.length - 1);
  let start = 0;
  if (s.cursor > room) start = s.cursor - room;
  const visible = s.text.slice(start, start + room + 1);
  const c = s.cursor - start;
  return { before: visible.slice(0, c), at: visible[c] ?? ' ', after: visible.slice(c + 1) };
}

export function PromptLine(props: { prompt: string; line: LineState; width: number; p: Painter; busy: boolean }) {
  const v = promptView(props.prompt, { ...props.line, text: visible(props.line.text) }, props.width);
  // a dim prompt while a command runs: what is typed now waits its turn
  return (
    <Text wrap="truncate">
      {props.busy ? props.p.dim(props.prompt) : props.prompt}
      {v.before}
      {props.p.inverse(v.at)}
      {v.after}
    </Text>
  );
}
