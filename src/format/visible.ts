// Control characters from input shown as what they are, never sent to the terminal raw:
// an escape sequence in a batch file must not clear the screen or set the window title.
// Each becomes one character (the Unicode control picture, ␛ for ESC), so a caret under
// the line still lands under its token.
export function visible(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0a-\x1f\x7f\x80-\x9f]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x20 ? String.fromCharCode(0x2400 + n) : n === 0x7f ? '\u2421' : '\ufffd';
  });
}
