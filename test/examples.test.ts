// Every batch file under examples/ runs without an error on a fresh embedded router.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Router } from '../src/router/router.js';
import { runBatch } from '../src/commands/context.js';

const dir = new URL('../examples/', import.meta.url);

describe('examples', () => {
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.conf'))) {
    it(name, async () => {
      const r = await Router.create({ clock: () => 0, autoTimers: false });
      const errors: string[] = [];
      const res = await runBatch(readFileSync(new URL(name, dir), 'utf8'), r, { name, keepGoing: true, check: false, onResult: () => {}, onError: (t) => errors.push(t) });
      assert.deepEqual(errors, []);
      assert.ok(res.commands > 3);
      await r.close();
    });
  }
});
