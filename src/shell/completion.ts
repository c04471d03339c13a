// Tab and `?` over the command grammar: what the prompt does with Grammar.complete().
import type { Candidate, Grammar } from '../commands/grammar.js';
import { wrap } from '../format/misc.js';

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
export function tabComplete(g: Grammar, text: string): TabResult {
  const { candidates, partial, from } = g.complete(text);
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
export function helpLines(g: Grammar, text: string, width: number): string[] {
  const { candidates } = g.complete(text);
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
