// What a handler receives: the keywords the line went through and the typed parameters,
// each with the offset of its token so a handler's own checks can point at it.
import { CommandError } from './errors.js';

export class Args {
  /** keywords matched (full words, never the abbreviations typed) */
  readonly kw = new Set<string>();
  readonly values: Record<string, unknown> = {};
  readonly offsets: Record<string, number> = {};

  has(word: string): boolean {
    return this.kw.has(word);
  }
  get<T>(name: string): T | undefined {
    return this.values[name] as T | undefined;
  }
  need<T>(name: string): T {
    const v = this.values[name];
    if (v === undefined) throw new CommandError(`missing ${name}`);
    return v as T;
  }
  list<T>(name: string): T[] {
    return (this.values[name] as T[] | undefined) ?? [];
  }
  /** offset of the token bound to `name` (a parameter or a keyword), or null */
  at(name: string): number | null {
    return this.offsets[name] ?? null;
  }
  fail(name: string, message: string): never {
    throw new CommandError(message, this.at(name));
  }
}
