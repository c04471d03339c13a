// A line cut into rows of exactly the terminal's width, as the terminal itself would wrap
// it, so a caret can be put under a column of an echoed command.
export function hardWrap(line: string, width: number): string[] {
  if (width <= 0 || line.length <= width) return [line];
  const rows: string[] = [];
  for (let i = 0; i < line.length; i += width) rows.push(line.slice(i, i + width));
  return rows;
}

/**
 * The caret line under an echoed command whose error is at `column` of the whole line:
 * under the last row when the error is there, else null (the message names the word).
 */
export function caretLine(lineLength: number, column: number, width: number): string | null {
  const lastRow = Math.max(0, Math.ceil(lineLength / width) - 1);
  const row = Math.floor(column / width);
  if (row < lastRow && lineLength > width) return null;
  return `${' '.repeat(column - row * width)}^`;
}
