// The prompt's editing rules as pure functions over { text, cursor }, so they are tested
// without a terminal: emacs-style keys, as on a router CLI.

export interface LineState {
  text: string;
  cursor: number;
}

export const EMPTY_LINE: LineState = { text: '', cursor: 0 };

export function insert(s: LineState, str: string): LineState {
  return { text: s.text.slice(0, s.cursor) + str + s.text.slice(s.cursor), cursor: s.cursor + str.length };
}
export function backspace(s: LineState): LineState {
  if (s.cursor === 0) return s;
  return { text: s.text.slice(0, s.cursor - 1) + s.text.slice(s.cursor), cursor: s.cursor - 1 };
}
export function deleteForward(s: LineState): LineState {
  return { text: s.text.slice(0, s.cursor) + s.text.slice(s.cursor + 1), cursor: s.cursor };
}
export function left(s: LineState): LineState {
  return { ...s, cursor: Math.max(0, s.cursor - 1) };
}
export function right(s: LineState): LineState {
  return { ...s, cursor: Math.min(s.text.length, s.cursor + 1) };
}
export function home(s: LineState): LineState {
  return { ...s, cursor: 0 };
}
export function end(s: LineState): LineState {
  return { ...s, cursor: s.text.length };
}
/** Ctrl-U: kill to the start of the line */
export function killToStart(s: LineState): LineState {
  return { text: s.text.slice(s.cursor), cursor: 0 };
}
/** Ctrl-K: kill to the end */
export function killToEnd(s: LineState): LineState {
  return { text: s.text.slice(0, s.cursor), cursor: s.cursor };
}
/** Ctrl-W: kill the word before the cursor */
export function killWord(s: LineState): LineState {
  let i = s.cursor;
  while (i > 0 && s.text[i - 1] === ' ') i--;
  while (i > 0 && s.text[i - 1] !== ' ') i--;
  return { text: s.text.slice(0, i) + s.text.slice(s.cursor), cursor: i };
}
export function set(text: string): LineState {
  return { text, cursor: text.length };
}
