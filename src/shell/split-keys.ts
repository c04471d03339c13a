// Ink hands over a chunk of typed-ahead or pasted text as one input, control characters
// included ("sh\t", "\x15inject ..."). Split it into the keys a person pressed, so Tab, `?`,
// Enter and Ctrl-keys work however fast they arrive (tmux send-keys, a flood-busy loop).
import type { Key } from 'ink';

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

function special(input: string, key: Key): boolean {
  return key.ctrl || key.meta || key.tab || key.return || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow;
}

export function splitKeys(input: string, key: Key): [string, Key][] {
  if (input.length <= 1 || special(input, key)) return [[input, key]];
  const out: [string, Key][] = [];
  let text = '';
  const flush = () => {
    if (text) out.push([text, NO_KEY]);
    text = '';
  };
  for (const ch of input) {
    const c = ch.charCodeAt(0);
    if (ch === '?') {
      flush();
      out.push(['?', NO_KEY]);
    } else if (ch === '\t') {
      flush();
      out.push(['', { ...NO_KEY, tab: true }]);
    } else if (ch === '\r' || ch === '\n') {
      flush();
      out.push(['', { ...NO_KEY, return: true }]);
    } else if (c === 0x7f || c === 0x08) {
      flush();
      out.push(['', { ...NO_KEY, backspace: true }]);
    } else if (c >= 1 && c <= 26) {
      flush();
      out.push([String.fromCharCode(c + 96), { ...NO_KEY, ctrl: true }]);
    } else if (c < 32) {
      flush();
    } else text += ch;
  }
  flush();
  return out;
}
