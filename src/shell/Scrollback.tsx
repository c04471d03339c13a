// Finished output: written once above the live panes with Ink's <Static>, so it scrolls
// into the terminal's own scrollback (as vtysh's does) and is never redrawn. Lines wrap
// to the terminal's width; nothing is cut.
import { Static, Text } from 'ink';

export interface Printed {
  id: number;
  text: string;
}

/**
 * What has been printed and not yet handed to <Static>. Static renders only items added
 * since its last render, so once the array grows long it starts a new generation (a new
 * Static, keyed) with just the items not yet on screen, instead of growing without end.
 */
export interface Transcript {
  gen: number;
  items: Printed[];
}

const GENERATION = 200;

export function append(t: Transcript, text: string, id: number, shown: { gen: number; n: number }): Transcript {
  if (t.items.length < GENERATION) return { gen: t.gen, items: t.items.concat({ id, text }) };
  const unshown = shown.gen === t.gen ? t.items.slice(shown.n) : t.items;
  return { gen: t.gen + 1, items: unshown.concat({ id, text }) };
}

export function Scrollback(props: { transcript: Transcript; width: number }) {
  return (
    <Static key={props.transcript.gen} items={props.transcript.items}>
      {(item) => (
        <Text key={item.id} wrap="wrap">
          {item.text === '' ? ' ' : item.text}
        </Text>
      )}
    </Static>
  );
}
