import stripAnsi from 'strip-ansi';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const plain = (s: string | undefined) => stripAnsi(s ?? '');

/** waits until the last frame satisfies `ok` (Ink renders asynchronously) */
export async function waitFor(frame: () => string | undefined, ok: (s: string) => boolean, ms = 2000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const f = plain(frame());
    if (ok(f)) return f;
    if (Date.now() - t0 > ms) throw new Error(`timed out; last frame:\n${f}`);
    await sleep(10);
  }
}
