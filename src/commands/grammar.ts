// The compiled command table: tokenizer, matcher, completion and `?` help over one graph.
// The matcher runs the graph like an NFA (a handful of threads at most), preferring an
// exact keyword to an abbreviation and an abbreviation to a parameter, as Cisco does.
import { Args } from './args.js';
import type { CommandDef } from './define.js';
import { ParseError } from './errors.js';
import { TOKEN_HELP } from './token-help.js';
import { compileSyntax, finishGraph, type GNode } from './syntax.js';

export interface Token {
  text: string;
  offset: number;
}

export interface Parsed {
  command: CommandDef;
  args: Args;
  /** `| json`, `| include RE`: what the shell does with the output */
  pipe: Pipe;
}

/** `| include`, `| exclude` and `| begin` take regular expressions, as on IOS */
export interface Pipe {
  json: boolean;
  include: RegExp | null;
  exclude: RegExp | null;
  begin: RegExp | null;
}

export interface Candidate {
  /** a keyword, `<name>` for a parameter, `<cr>` when the line may end here */
  word: string;
  help: string;
  kind: 'kw' | 'param' | 'end';
  /** a parameter the partial word is not yet a value of (listed only when asked for) */
  unfit?: boolean;
}

interface Bind {
  node: GNode;
  value: unknown;
  offset: number;
  prev: Bind | null;
}
interface Thread {
  node: GNode;
  binds: Bind | null;
}

/**
 * Keywords that win an ambiguous abbreviation, so the habits of Cisco users work:
 * `sh mr` is show mroute although show mrt also starts with "mr".
 */
const PREFERRED = new Set(['mroute']);

const NO_PIPE: Pipe = { json: false, include: null, exclude: null, begin: null };
const JSON_PIPE: Pipe = { ...NO_PIPE, json: true };

export function tokenize(line: string): Token[] {
  const out: Token[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && (c = line.charCodeAt(i)) !== 32 && c !== 9) i++;
    out.push({ text: line.slice(start, i), offset: start });
  }
  return out;
}

function used(b: Bind | null, n: GNode): boolean {
  for (; b; b = b.prev) if (b.node === n) return true;
  return false;
}

export class Grammar {
  readonly commands: readonly CommandDef[];
  private readonly root: GNode;

  constructor(commands: readonly CommandDef[]) {
    this.commands = commands;
    const all: GNode[] = [];
    const first: GNode[] = [];
    commands.forEach((c, i) => {
      for (const src of [c.syntax, ...(c.aliases ?? [])]) first.push(...compileSyntax(src, i, all));
    });
    finishGraph(all);
    this.root = { id: 0, kind: 'end', word: '', type: null, multi: false, once: false, next: first, cmd: -1 };
  }

  /** Walks tokens through the graph; throws ParseError at the first token that fits nowhere. */
  private walk(tokens: Token[]): Thread[] {
    let threads: Thread[] = [{ node: this.root, binds: null }];
    for (let ti = 0; ti < tokens.length; ti++) {
      const tok = tokens[ti];
      const low = tok.text.toLowerCase();
      const exact: Thread[] = [];
      const prefix: Thread[] = [];
      const param: Thread[] = [];
      let paramHint: GNode | null = null;
      for (const t of threads) {
        for (const n of t.node.next) {
          if (n.kind === 'end') continue;
          if (n.once && used(t.binds, n)) continue;
          if (n.kind === 'kw') {
            if (n.word === low) exact.push({ node: n, binds: { node: n, value: n.word, offset: tok.offset, prev: t.binds } });
            else if (exact.length === 0 && n.word.startsWith(low))
              prefix.push({ node: n, binds: { node: n, value: n.word, offset: tok.offset, prev: t.binds } });
          } else if (exact.length === 0 && prefix.length === 0) {
            const v = n.type!.parse(tok.text);
            if (v !== undefined) param.push({ node: n, binds: { node: n, value: v, offset: tok.offset, prev: t.binds } });
            else paramHint ??= n;
          }
        }
      }
      if (exact.length) threads = exact;
      else if (prefix.length) {
        const w = prefix[0].node.word;
        if (prefix.some((p) => p.node.word !== w)) {
          const pref = low.length >= 2 ? prefix.filter((p) => PREFERRED.has(p.node.word)) : [];
          if (pref.length) {
            threads = pref;
            continue;
          }
          const words = [...new Set(prefix.map((p) => p.node.word))].sort().join(', ');
          throw new ParseError(`Ambiguous command at '${tok.text}' (${words})`, tok.offset, tok.text.length);
        }
        threads = prefix;
      } else if (param.length) threads = param;
      else {
        const hint = paramHint ? ` (expected ${paramHint.type!.display})` : '';
        if (ti === 0) throw new ParseError(`Unknown command '${tok.text}'`, tok.offset, tok.text.length);
        throw new ParseError(`Invalid input at '${tok.text}'${hint}`, tok.offset, tok.text.length);
      }
      // Loops can reach one node along several paths; keep the first thread per node.
      if (threads.length > 8) {
        const seen = new Set<GNode>();
        threads = threads.filter((t) => (seen.has(t.node) ? false : (seen.add(t.node), true)));
      }
    }
    return threads;
  }

  /** Parses one line (without comments). Returns null for an empty line. */
  parse(line: string): Parsed | null {
    let tokens = tokenize(line);
    // IOS's `do X` runs an exec command from configuration mode; here every mode is one
    if (tokens.length > 1 && tokens[0].text.toLowerCase() === 'do') tokens = tokens.slice(1);
    if (tokens.length === 0) return null;
    let pipe = NO_PIPE;
    const bar = tokens.findIndex((t) => t.text === '|');
    if (bar >= 0) {
      pipe = parsePipe(tokens.slice(bar + 1), line.length);
      tokens = tokens.slice(0, bar);
      if (tokens.length === 0) throw new ParseError('Missing command before |', 0);
    }
    let threads: Thread[];
    try {
      threads = this.walk(tokens);
    } catch (e) {
      // FRR's `show ... json`: a trailing json on a show command is `| json`
      const json = pipe === NO_PIPE && tokens.length > 1 && tokens[tokens.length - 1].text.toLowerCase() === 'json';
      if (!json) throw e;
      const p = this.parseTokens(tokens.slice(0, -1), line, JSON_PIPE);
      if (!p.command.show) throw e;
      return p;
    }
    return this.finish(threads, tokens, line, pipe);
  }

  private parseTokens(tokens: Token[], line: string, pipe: Pipe): Parsed {
    return this.finish(this.walk(tokens), tokens, line, pipe);
  }

  private finish(threads: Thread[], tokens: Token[], line: string, pipe: Pipe): Parsed {
    for (const t of threads) {
      const end = t.node.next.find((n) => n.kind === 'end');
      if (!end) continue;
      const command = this.commands[end.cmd];
      if (pipe !== NO_PIPE && !command.show) throw new ParseError(`'${command.name}' has no output to pipe`, tokens.length ? lastEnd(tokens) + 1 : 0);
      return { command, args: toArgs(t.binds), pipe };
    }
    throw new ParseError('Incomplete command', line.trimEnd().length + 1);
  }

  /**
   * What may come at the end of `line`: if the line ends in a space, everything that may
   * follow; otherwise completions of the last, partial word. `?` help and Tab share it.
   */
  complete(line: string, unfitParams = false): { candidates: Candidate[]; partial: string; from: number } {
    const tokens = tokenize(line);
    const endsInSpace = line.length === 0 || line.endsWith(' ') || line.endsWith('\t');
    const partialTok = endsInSpace ? null : tokens.pop()!;
    if (tokens.length > 0 && tokens[0].text.toLowerCase() === 'do') tokens.shift();
    const partial = partialTok?.text ?? '';
    const from = partialTok ? partialTok.offset : line.length;
    if (tokens.some((t) => t.text === '|') || partial === '|') return { candidates: pipeCandidates(tokens, partial), partial, from };
    let threads: Thread[];
    try {
      threads = this.walk(tokens);
    } catch {
      return { candidates: [], partial, from };
    }
    const low = partial.toLowerCase();
    const byWord = new Map<string, Candidate>();
    for (const t of threads) {
      for (const n of t.node.next) {
        if (n.once && used(t.binds, n)) continue;
        if (n.kind === 'end') {
          if (!partial) byWord.set('<cr>', { word: '<cr>', help: 'run the command', kind: 'end' });
        } else if (n.kind === 'kw') {
          if (n.word.startsWith(low) && !byWord.has(n.word)) byWord.set(n.word, { word: n.word, help: this.helpOf(n), kind: 'kw' });
        } else {
          const key = n.type!.display;
          const fits = !partial || n.type!.parse(partial) !== undefined;
          if ((fits || unfitParams) && (!byWord.has(key) || (fits && byWord.get(key)!.unfit)))
            byWord.set(key, { word: key, help: this.helpOf(n), kind: 'param', ...(fits ? {} : { unfit: true }) });
        }
      }
    }
    const list = [...byWord.values()];
    list.sort((a, b) => order(a) - order(b) || a.word.localeCompare(b.word));
    return { candidates: list, partial, from };
  }

  private helpOf(n: GNode): string {
    const c = this.commands[n.cmd];
    return c?.tokens?.[n.word] ?? TOKEN_HELP[n.word] ?? (n.type ? n.type.describe : n.word);
  }
}

function order(c: Candidate): number {
  return c.kind === 'kw' ? 0 : c.kind === 'param' ? 1 : 2;
}

function lastEnd(tokens: Token[]): number {
  const t = tokens[tokens.length - 1];
  return t.offset + t.text.length;
}

function toArgs(b: Bind | null): Args {
  const a = new Args();
  const binds: Bind[] = [];
  for (; b; b = b.prev) binds.push(b);
  for (let i = binds.length - 1; i >= 0; i--) {
    const { node, value, offset } = binds[i];
    if (node.kind === 'kw') {
      a.kw.add(node.word);
      a.offsets[node.word] ??= offset;
    } else if (node.multi) {
      ((a.values[node.word] ??= []) as unknown[]).push(value);
      a.offsets[node.word] ??= offset;
    } else {
      a.values[node.word] = value;
      a.offsets[node.word] = offset;
    }
  }
  return a;
}

const PIPES = ['json', 'include', 'exclude', 'begin'];

function parsePipe(rest: Token[], lineLength: number): Pipe {
  if (rest.length === 0) throw new ParseError('Incomplete command after |', lineLength + 1);
  const w = rest[0].text.toLowerCase();
  const hits = PIPES.filter((p) => p.startsWith(w));
  if (hits.length !== 1) {
    const what = hits.length ? 'Ambiguous' : 'Invalid input';
    throw new ParseError(`${what} at '${rest[0].text}' (after | comes json, include RE, exclude RE or begin RE)`, rest[0].offset);
  }
  if (hits[0] === 'json') {
    if (rest.length > 1) throw new ParseError(`Invalid input at '${rest[1].text}'`, rest[1].offset);
    return JSON_PIPE;
  }
  if (rest.length < 2) throw new ParseError('Incomplete command', lineLength + 1);
  const pattern = rest.slice(1).map((t) => t.text).join(' ');
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    throw new ParseError((e as Error).message, rest[1].offset);
  }
  return { ...NO_PIPE, [hits[0]]: re };
}

function pipeCandidates(tokens: Token[], partial: string): Candidate[] {
  const bar = tokens.findIndex((t) => t.text === '|');
  if (partial === '|' || bar === tokens.length - 1)
    return PIPES.filter((p) => p.startsWith(partial === '|' ? '' : partial)).map((p) => ({
      word: p,
      help: TOKEN_HELP[`|${p}`] ?? p,
      kind: 'kw' as const,
    }));
  return [];
}
