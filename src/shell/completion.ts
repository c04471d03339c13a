// Tab and `?` over the command grammar: what the prompt does with Grammar.complete().
import type { Candidate, Grammar } from '../commands/grammar.js';
import { wrap } from '../format/misc.js';
import type { StateWords } from './state-words.js';

/**
 * The grammar's candidates, with a parameter the router's state can fill in (a vif, an
 * address) replaced by the values that fit what is typed so far.
 */
function candidatesOf(g: Grammar, text: string, state?: StateWords): { candidates: Candidate[]; partial: string; from: number } {
  if (!state) return g.complete(text);
  // parameters too that what is typed is only the start of (239.1 of 239.1.1.1)
  const r = g.complete(text, true);
  const low = r.partial.toLowerCase();
  const out: Candidate[] = [];
  for (const c of r.candidates) {
    const words = c.kind === 'param' ? state(c.word).filter((w) => w.word.toLowerCase().startsWith(low)) : [];
    if (words.length === 0 && !c.unfit) out.push(c);
    for (const w of words) if (!out.some((o) => o.word === w.word)) out.push({ word: w.word, help: w.help, kind: 'kw' });
  }
  return { ...r, candidates: out };
}

export interface TabResult {
  /** the new line (unchanged when nothing could be completed) */
  text: string;
  /** candidates to list when the completion is not unique */
  list: Candidate[] | null;
}

function commonPrefix(words: string[]): string {
  if (words.length === 0) return '';
  let p = words[0];
  for (const w of words) while (!w.startsWith(p)) p = p.slice(0, -1);
  return p;
}

/** Completes the word at the end of the line (the cursor is at the end). */
export function tabComplete(g: Grammar, text: string, state?: StateWords): TabResult {
  const { candidates, partial, from } = candidatesOf(g, text, state);
  const kws = candidates.filter((c) => c.kind === 'kw');
  if (kws.length === 1 && candidates.length === 1) {
    return { text: text.slice(0, from) + kws[0].word + ' ', list: null };
  }
  const prefix = commonPrefix(kws.map((c) => c.word));
  if (kws.length > 0 && kws.length === candidates.filter((c) => c.kind !== 'end').length && prefix.length > partial.length) {
    return { text: text.slice(0, from) + prefix, list: null };
  }
  // a complete keyword that also prefixes others ("show" vs "show-x"): finish the word
  if (partial && kws.some((c) => c.word === partial.toLowerCase()) && !text.endsWith(' ')) {
    return { text: `${text} `, list: null };
  }
  return { text, list: candidates.length ? candidates : null };
}

/** `?`: everything that may come next (or completions of the partial word), with help */
export function helpLines(g: Grammar, text: string, width: number, state?: StateWords): string[] {
  const { candidates } = candidatesOf(g, text, state);
  if (candidates.length === 0) return ['% Unrecognized command'];
  const w = Math.min(24, Math.max(...candidates.map((c) => c.word.length)));
  // a help text longer than the terminal is wide goes on below its column, never cut
  const indent = w + 4;
  const room = Math.max(20, width - indent);
  return candidates.flatMap((c) => {
    const [first, ...rest] = wrap(c.help, room);
    return [`  ${c.word.padEnd(w)}  ${first ?? ''}`, ...rest.map((l) => ' '.repeat(indent) + l)];
  });
}
