// Errors of the command layer. Both kinds can name a token of the line so every mode can
// show the line with a caret under the offending word.
import { visible } from '../format/visible.js';

/** the line did not parse: nothing was run */
export class ParseError extends Error {
  constructor(
    message: string,
    /** character offset of the offending token in the line (line length: at the end) */
    readonly offset: number,
    readonly length = 1,
  ) {
    super(message);
    this.name = 'ParseError';
  }
}

/** the command ran and refused (its own checks, or an MrtError from the router) */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly offset: number | null = null,
    readonly errno: string | null = null,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export type ShellError = ParseError | CommandError;

/** `% message` preceded, when a token is known, by the line and a caret under the token */
export function formatError(err: ShellError, line: string, indent = ''): string {
  const msg = `% ${visible(err.message)}`;
  if (err.offset === null) return msg;
  return `${indent}${visible(line)}\n${indent}${' '.repeat(err.offset)}^\n${msg}`;
}
