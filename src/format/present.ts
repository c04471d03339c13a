// One command's result as the user sees it, shared by the shell, batch and one-shot modes:
// rendered text or JSON, `| include` filtering, and errors with their caret.
import type { ExecResult } from '../commands/exec.js';
import { formatError } from '../commands/errors.js';
import { renderJson, toJson } from './json.js';
import { filterLines, renderText } from './render.js';

export interface PresentOpts {
  color: boolean;
  /** --json on the command line; `| json` in the line asks for it too */
  json: boolean;
  /** JSON on one line (batch and streams) rather than indented */
  compact?: boolean;
  width?: number;
}

export function present(r: ExecResult, line: string, opts: PresentOpts): { text: string | null; error: boolean } {
  if (!r.ok) return { text: formatError(r.error, line), error: true };
  const pipe = r.parsed.pipe;
  if ((opts.json || pipe.json) && r.parsed.command.show) {
    const text = opts.compact ? JSON.stringify(toJson(r.output)) : renderJson(r.output);
    return { text, error: false };
  }
  const text = renderText(r.output, { color: opts.color && !pipe.json, width: opts.width });
  return { text: text === null ? null : filterLines(text, pipe), error: false };
}
