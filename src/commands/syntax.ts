// Compiles a command's syntax string into a graph of token nodes (the FRR way): the parser,
// `?` help and Tab completion all walk the same graph, so they can never disagree.
//
//   word          a keyword; any unique prefix abbreviates it
//   <name:type>   a parameter (types.ts); bound to args under `name`
//   ( a | b )     exactly one of
//   [ a | b ]     at most one of
//   { a | b }     any of them, in any order, each at most once
//   x...          x once or more ([x]... for zero or more); parameters inside collect arrays
import { TYPES, type ParamType } from './types.js';

export interface GNode {
  id: number;
  kind: 'kw' | 'param' | 'end';
  /** keyword text, or the parameter's name */
  word: string;
  type: ParamType | null;
  /** parameter inside a repetition: its values collect into an array */
  multi: boolean;
  /** inside {...}: a command passes it at most once */
  once: boolean;
  /** successors: token nodes and/or this command's end node */
  next: GNode[];
  /** index of the command in the table (all nodes know it, for help lookups) */
  cmd: number;
}

type Ast =
  | { t: 'tok'; kw: boolean; word: string; type: ParamType | null }
  | { t: 'seq'; items: Ast[] }
  | { t: 'alt'; opts: Ast[]; optional: boolean; any: boolean }
  | { t: 'rep'; item: Ast };

function lex(src: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ') {
      i++;
    } else if ('()[]{}|'.includes(c)) {
      out.push(c);
      i++;
    } else if (src.startsWith('...', i)) {
      out.push('...');
      i += 3;
    } else if (c === '<') {
      const j = src.indexOf('>', i);
      if (j < 0) throw new Error(`syntax: unterminated < in "${src}"`);
      out.push(src.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < src.length && !' ()[]{}|<'.includes(src[j]) && !src.startsWith('...', j)) j++;
      out.push(src.slice(i, j));
      i = j;
    }
  }
  return out;
}

function parseSyntax(src: string): Ast {
  const toks = lex(src);
  let p = 0;
  const seq = (closers: string): Ast => {
    const items: Ast[] = [];
    while (p < toks.length && !closers.includes(toks[p]) && toks[p] !== '|') {
      let item = atom();
      while (toks[p] === '...') {
        p++;
        item = { t: 'rep', item };
      }
      items.push(item);
    }
    return { t: 'seq', items };
  };
  const atom = (): Ast => {
    const tk = toks[p++];
    const close = tk === '(' ? ')' : tk === '[' ? ']' : tk === '{' ? '}' : null;
    if (close) {
      const opts = [seq(close)];
      while (toks[p] === '|') {
        p++;
        opts.push(seq(close));
      }
      if (toks[p++] !== close) throw new Error(`syntax: expected ${close} in "${src}"`);
      return { t: 'alt', opts, optional: tk !== '(', any: tk === '{' };
    }
    if (tk.startsWith('<')) {
      const [name, tname] = tk.slice(1, -1).split(':');
      const type = TYPES[tname ?? ''];
      if (!type) throw new Error(`syntax: unknown type ${tname} in "${src}"`);
      return { t: 'tok', kw: false, word: name, type };
    }
    if (!/^[a-z0-9][a-z0-9-]*$/.test(tk)) throw new Error(`syntax: bad token "${tk}" in "${src}"`);
    return { t: 'tok', kw: true, word: tk, type: null };
  };
  const ast = seq('');
  if (p !== toks.length) throw new Error(`syntax: trailing "${toks[p]}" in "${src}"`);
  return ast;
}

let nextId = 1;

/**
 * Builds the graph of one command and returns its first set. Works backwards: each
 * piece is built knowing the set that follows it. Repetitions share a mutable follow set
 * that the loop body's first set is added to afterwards, which closes the loop.
 */
export function compileSyntax(src: string, cmd: number, all: GNode[]): GNode[] {
  const end: GNode = { id: nextId++, kind: 'end', word: '<cr>', type: null, multi: false, once: false, next: [], cmd };
  all.push(end);
  const follows: Set<GNode>[] = [];
  const build = (a: Ast, follow: Set<GNode>, multi: boolean, once: boolean): Set<GNode> => {
    switch (a.t) {
      case 'tok': {
        const n: GNode = {
          id: nextId++,
          kind: a.kw ? 'kw' : 'param',
          word: a.word,
          type: a.type,
          multi: multi && !a.kw,
          once,
          next: [],
          cmd,
        };
        (n as GNode & { _f?: Set<GNode> })._f = follow;
        follows.push(follow);
        all.push(n);
        return new Set([n]);
      }
      case 'seq': {
        let f = follow;
        for (let i = a.items.length - 1; i >= 0; i--) f = build(a.items[i], f, multi, once);
        return f;
      }
      case 'alt': {
        if (a.any) {
          // {a|b}: a loop over the alternatives, each node passable once
          const loop = new Set(follow);
          const first = new Set<GNode>();
          for (const o of a.opts) for (const n of build(o, loop, multi, true)) first.add(n);
          for (const n of first) loop.add(n);
          return new Set([...first, ...follow]);
        }
        const first = new Set<GNode>();
        for (const o of a.opts) for (const n of build(o, follow, multi, once)) first.add(n);
        if (a.optional) for (const n of follow) first.add(n);
        return first;
      }
      case 'rep': {
        const loop = new Set(follow);
        const first = build(a.item, loop, true, once);
        for (const n of first) loop.add(n);
        return first;
      }
    }
  };
  const first = build(parseSyntax(src), new Set([end]), false, false);
  return [...first];
}

/** Freezes the follow sets into arrays once every loop has been closed. */
export function finishGraph(all: GNode[]): void {
  for (const n of all) {
    const f = (n as GNode & { _f?: Set<GNode> })._f;
    if (f) {
      n.next = [...f];
      delete (n as GNode & { _f?: Set<GNode> })._f;
    }
  }
}
