// A router for the end-to-end tests, run inside the router namespace:
//   ip netns exec NS node --import tsx test/e2e/router-child.ts
// Reads command lines on stdin, runs each through the command table against a real
// Router, and answers one JSON line per command: {ok, output} or {ok:false, error}.
// `!json METHOD ARGS...` calls a RouterApi read method directly (stats, listMfc, upcalls).
import { createInterface } from 'node:readline';
import { Router } from '../../src/router/router.js';
import { execute } from '../../src/commands/exec.js';
import { makeCtx } from '../../src/commands/context.js';

const router = await Router.create();
const ctx = makeCtx(router);
const rl = createInterface({ input: process.stdin });
const reply = (o: unknown): void => {
  process.stdout.write(JSON.stringify(o) + '\n');
};
reply({ ready: true });
for await (const line of rl) {
  try {
    if (line.startsWith('!json ')) {
      const [method, ...args] = line.slice(6).trim().split(/\s+/);
      const fn = (router as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
      reply({ ok: true, output: fn.apply(router, args.map((a) => (/^\d+$/.test(a) ? Number(a) : a))) });
      continue;
    }
    const r = await execute(line, ctx);
    if (r === null) reply({ ok: true, output: null });
    else if (!r.ok) reply({ ok: false, error: r.error.message });
    else reply({ ok: true, output: r.output });
  } catch (e) {
    reply({ ok: false, error: (e as Error).message });
  }
}
await router.close();
process.exit(0);
