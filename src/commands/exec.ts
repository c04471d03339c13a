// Runs one line: parse against the table, run the handler, hand back data or an error.
// Stays synchronous when the handler is (mfc add is), so a batch of 100,000 lines does not
// pay a promise per line.
import { readFileSync } from 'node:fs';
import type { RouterApi } from '../router/api.js';
import type { Ctx } from './define.js';
import { asCommandError } from './define.js';
import { CommandError, ParseError, type ShellError } from './errors.js';
import type { Parsed } from './grammar.js';
import type { Output } from './output.js';
import { COMMANDS, getGrammar } from './table.js';
import { resolveVifNames } from './vif-names.js';
import { localFileWriter } from './out-file.js';

export type ExecResult =
  | { ok: true; output: Output; parsed: Parsed }
  | { ok: false; error: ShellError; parsed: Parsed | null };

/** a line that holds no command: blank, or a `!` / `#` comment */
export function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) continue;
    return c === 33 /* ! */ || c === 35 /* # */;
  }
  return true;
}

export function makeCtx(
  router: RouterApi,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  writeFile: (path: string, data: Buffer) => void = localFileWriter(null),
): Ctx {
  return { router, commands: COMMANDS, readFile, writeFile };
}

/** Parses without running; null for a blank line. */
export function parseLine(line: string): Parsed | null {
  return isBlank(line) ? null : getGrammar().parse(line);
}

export function execute(line: string, ctx: Ctx): ExecResult | Promise<ExecResult> | null {
  let parsed: Parsed | null;
  try {
    parsed = parseLine(line);
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: e, parsed: null };
    throw e;
  }
  if (!parsed) return null;
  return run(parsed, ctx);
}

export function run(parsed: Parsed, ctx: Ctx): ExecResult | Promise<ExecResult> {
  const fail = (e: unknown): ExecResult => ({
    ok: false,
    error: e instanceof CommandError || e instanceof ParseError ? e : asCommandError(parsed.command.name, e),
    parsed,
  });
  try {
    // FreeBSD's commands see the kernel's current time: a meter added after a quiet spell
    // starts now, not at the last packet
    ctx.router.catchUp?.();
    resolveVifNames(parsed.args, ctx.router, parsed.command.name);
    const out = parsed.command.run(ctx, parsed.args);
    if (out instanceof Promise) return out.then((output) => ({ ok: true as const, output, parsed }), fail);
    return { ok: true, output: out, parsed };
  } catch (e) {
    return fail(e);
  }
}
