// The version the package says it is: `show version` and `mrsh --version` print it.
import { readFileSync } from 'node:fs';

let version: string | null = null;

export function mrshVersion(): string {
  // src/commands and dist/commands are both two levels under the package root
  return (version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
}
