// Batch files (`mrsh -f FILE`, `mrsh < FILE`): `!`/`#` comments and blank lines skipped;
// the first error is reported as FILE:LINE: message and nothing after it is applied,
// unless keepGoing. With check, lines are parsed and the state-changing ones are applied
// to the router given (mrsh -f --check: its own fresh one), show commands are not run.
// The entry point, runBatch, is in context.ts.
import type { Ctx } from './define.js';
import { formatError } from './errors.js';
import { execute, isBlank, parseLine, run, type ExecResult } from './exec.js';
import { ParseError } from './errors.js';
import { asCommandError } from './define.js';

export interface BatchOpts {
  name: string;
  keepGoing: boolean;
  check: boolean;
  /**
   * Prints one command's result. It may return a promise (monitor capture starting), which
   * the next line waits for; a rejection is that line's error.
   */
  onResult(r: ExecResult, line: string): void | Promise<void>;
  /** one error report, already formatted as FILE:LINE: message (+ line and caret) */
  onError(text: string): void;
}

export interface BatchResult {
  lines: number;
  commands: number;
  errors: number;
  /** stopped at an error (or at exit) before the end */
  stopped: boolean;
}

/** the file's lines run in ctx (context.ts's runBatch gives a router its context) */
export async function runBatchIn(ctx: Ctx, text: string, opts: BatchOpts): Promise<BatchResult> {
  const res: BatchResult = { lines: 0, commands: 0, errors: 0, stopped: false };
  let pos = 0;
  let lineNo = 0;
  const n = text.length;
  while (pos < n) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = n;
    let line = text.slice(pos, nl);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = nl + 1;
    lineNo++;
    if (isBlank(line)) continue;
    res.commands++;
    let r: ExecResult | Promise<ExecResult> | null;
    if (opts.check) {
      try {
        const parsed = parseLine(line);
        r = parsed && parsed.command.mutates ? run(parsed, ctx) : null;
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        r = { ok: false, error: e, parsed: null };
      }
    } else r = execute(line, ctx);
    if (r instanceof Promise) r = await r;
    if (r === null) continue;
    if (r.ok && r.output.kind !== 'exit' && !opts.check) {
      try {
        const w = opts.onResult(r, line);
        if (w instanceof Promise) await w;
      } catch (e) {
        r = { ok: false, error: asCommandError(r.parsed.command.name, e), parsed: r.parsed };
      }
    }
    if (!r.ok) {
      res.errors++;
      const [first, ...rest] = formatError(r.error, line, '    ').split('\n').reverse();
      // "% message" goes on the FILE:LINE line; the source line and caret follow it
      opts.onError([`${opts.name}:${lineNo}: ${first.replace(/^% /, '')}`, ...rest.reverse()].join('\n'));
      // --check reports every line that would fail, not only the first
      if (!opts.keepGoing && !opts.check) {
        res.stopped = true;
        break;
      }
      continue;
    }
    if (r.output.kind === 'exit') {
      res.stopped = pos < n;
      break;
    }
  }
  res.lines = lineNo;
  return res;
}
