// Files commands write (capture ... pcap FILE), on the side of the person who asked: the
// embedded router's process, or the client of a daemon (which sends the bytes back).
// `-` is standard output, which only a one-shot command may take: in the shell it is the
// terminal, in a batch the other commands' output.
import { writeFileSync } from 'node:fs';

export const STDOUT_ONLY_ONE_SHOT = 'standard output (-) is for a one-shot command (mrsh capture 1 pcap - | tshark -r -); give a file name';

/** A writer for Ctx.writeFile; stdout: where `-` goes, or null to refuse it. */
export function localFileWriter(stdout: ((data: Buffer) => void) | null): (path: string, data: Buffer) => void {
  return (path, data) => {
    if (path === '-') {
      if (stdout === null) throw Object.assign(new Error(STDOUT_ONLY_ONE_SHOT), { code: 'EINVAL' });
      stdout(data);
    } else writeFileSync(path, data);
  };
}

/** `FILE: ENOENT: no such file or directory` from a failed write or open */
export function fileErrorText(path: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' && err.code !== 'EINVAL' ? err.code : null;
  const msg = String(err?.message ?? e).replace(/^[A-Z]+: /, '').replace(/, open '.*'$/, '');
  return `${path}: ${code ? `${code}: ` : ''}${msg}`;
}

/** for a promise's rejection: the same error, its message naming the file */
export function rethrowFileError(path: string): (e: unknown) => never {
  return (e) => {
    throw Object.assign(new Error(fileErrorText(path, e)), { errno: (e as NodeJS.ErrnoException)?.code });
  };
}
