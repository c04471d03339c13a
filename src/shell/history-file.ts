// Persistent history: $MRSH_HISTORY or ~/.mrsh_history, one command a line, newest last.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const HISTORY_MAX = 1000;

export function historyPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MRSH_HISTORY || join(env.HOME || homedir(), '.mrsh_history');
}

export function loadHistory(path: string): string[] {
  try {
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
    return lines.slice(-HISTORY_MAX);
  } catch {
    return [];
  }
}

/** appends one line; rewrites the file now and then so it stays at HISTORY_MAX lines */
export function appendHistory(path: string, line: string, all: readonly string[]): void {
  try {
    if (all.length >= HISTORY_MAX * 2) writeFileSync(path, `${all.slice(-HISTORY_MAX).join('\n')}\n`, { mode: 0o600 });
    else appendFileSync(path, `${line}\n`, { mode: 0o600 });
  } catch {
    // a read-only home must not break the shell
  }
}
