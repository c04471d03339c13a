// The version the package says it is: `show version` and `mrsh --version` print it.
import { readFileSync } from 'node:fs';

let version: string | null = null;

export function mrshVersion(): string {
  // src/commands and dist/commands are both two levels under the package root
  // (a bundled copy has no package.json beside it: it says so rather than failing to start)
  if (version === undefined || version === null) {
    try {
      version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      version = 'unknown (no package.json beside this copy)';
    }
  }
  return version;
}
