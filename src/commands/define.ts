// The shape of one command in the table, and helpers the command files share.
import { isIPv6 } from 'node:net';
import type { Family, RouterApi } from '../router/api.js';
import type { Args } from './args.js';
import { CommandError, type ShellError } from './errors.js';
import type { Output } from './output.js';

export interface Ctx {
  router: RouterApi;
  /** the table, for `help` */
  commands: readonly CommandDef[];
  /**
   * Reads a file a command names (`configure replace FILE`). Embedded: the file system;
   * on a daemon: the text the client sent, so files are read with the client's rights
   * and relative to its directory, never the daemon's.
   */
  readFile(path: string): string;
  /**
   * Writes a file a command produces (`capture N pcap FILE`; `-` is standard output).
   * Embedded: the file system; on a daemon: sent back with the reply, and the client
   * writes it, as readFile.
   */
  writeFile(path: string, data: Buffer): void;
  /** set on the daemon: commands that would hold up every client (sleep) are refused */
  shared?: boolean;
  /**
   * Runs one line in this context, and a batch file's text against another router (its
   * FILE:LINE errors; the first stops it). Given by context.ts, so command files need
   * not import the runners, which import the table (configure replace).
   */
  execute(line: string): LineResult | Promise<LineResult> | null;
  replay(text: string, router: RouterApi, name: string): Promise<string[]>;
}

/** what a command line came to: its output, or the error to show */
export type LineResult = { ok: true; output: Output } | { ok: false; error: ShellError };

export interface CommandDef {
  /** the leading keywords, as the man page lists the command: 'vif add', 'show mroute' */
  name: string;
  /** the grammar (syntax.ts); starts with the words of `name` */
  syntax: string;
  /** other spellings of the same command, each a full syntax string (`show ip mroute ...`) */
  aliases?: string[];
  /** the syntax as people read it (help, man page) when the grammar says it less plainly */
  usage?: string;
  /** one line for `help` and the man page */
  help: string;
  /** help for this command's keywords and parameters, by keyword or parameter name */
  tokens?: Record<string, string>;
  /** changes router state (so `--check` applies it, to the checking process's own router) */
  mutates?: boolean;
  /** a show command: has a JSON form */
  show?: boolean;
  /** only meaningful with a person at the keyboard, or streaming */
  interactive?: boolean;
  /** the parameter naming a file the command writes (the client writes what the daemon sends back) */
  writes?: string;
  /** the parameter naming a file the command reads (a client sends its text along) */
  reads?: string;
  run(ctx: Ctx, a: Args): Output | Promise<Output>;
}

export const OK: Output = { kind: 'ok' };

export function familyOf(address: string): Family {
  return address.includes(':') && isIPv6(address) ? 'inet6' : 'inet';
}

/** source and group must be of one family; the family picks the engine */
export function sgFamily(a: Args, s = 'S', g = 'G'): Family {
  const fs = familyOf(a.need<string>(s));
  const fg = familyOf(a.need<string>(g));
  if (fs !== fg) a.fail(g, `source is ${fs === 'inet' ? 'IPv4' : 'IPv6'} but group is ${fg === 'inet' ? 'IPv4' : 'IPv6'}`);
  return fs;
}

/** `ipv4`/`ipv6` keywords, defaulting to IPv4 */
export function kwFamily(a: Args): Family {
  return a.has('ipv6') ? 'inet6' : 'inet';
}

/**
 * Runs a router call, turning an MrtError into `% <command>: EINVAL: ...`. The router
 * promises that a call which throws changed nothing.
 */
export function call<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asCommandError(name, e);
  }
}

export async function callAsync<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asCommandError(name, e);
  }
}

export function asCommandError(name: string, e: unknown): CommandError {
  if (e instanceof CommandError) return e;
  const err = e as { errno?: unknown; message?: unknown };
  const errno = typeof err?.errno === 'string' ? err.errno : null;
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  return new CommandError(`${name}: ${msg}`, null, errno);
}
