// The router's persistent configuration: the startup file `write memory` saves to, and
// the baseline (what of the running state came from a file). The lines themselves are
// written by the command layer from the router's state (commands/running-config.ts).

import { FILE_ERRNOS, MrtError, fail, type Errno } from '../dataplane/errno.js';
import { writeFileAtomic } from './atomic-file.js';
import type { ConfigSource } from './api.js';

export class StartupConfig {
  private baseline: string[] = [];

  constructor(private readonly file: string | null) {}

  source(): ConfigSource {
    return { startupFile: this.file, baseline: [...this.baseline] };
  }

  setBaseline(lines: string[]): void {
    this.baseline = [...lines];
  }

  /** saves the lines atomically; they become the baseline */
  write(lines: string[]): { path: string; bytes: number } {
    if (this.file === null) fail('ENOENT', 'this router has no startup file (mrsh daemon -f FILE names one)');
    let bytes: number;
    try {
      bytes = writeFileAtomic(this.file, lines.join('\n') + '\n');
    } catch (e) {
      // the real errno by name (ENOSPC, EROFS, EACCES, EPERM...), EIO only for the unknown
      const err = e as NodeJS.ErrnoException;
      const errno = err.code && (FILE_ERRNOS as readonly string[]).includes(err.code) ? (err.code as Errno) : 'EIO';
      const text = err.code && err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
      throw new MrtError(errno, text.includes(this.file) ? text : `${this.file}: ${text}`);
    }
    this.baseline = lines;
    return { path: this.file, bytes };
  }
}
