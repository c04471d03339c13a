// examples/demo/lab.sh, the newcomer's lab, in its scripted mode: traffic is forwarded,
// NOCACHE upcalls were answered by the policy rule, and nothing is left behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { skipReason } from '../dataplane/links/helpers.js';

const why = skipReason();

test('examples/demo/lab.sh forwards the lab traffic and cleans up', { skip: why ?? false }, () => {
  const root = new URL('../..', import.meta.url).pathname;
  const r = spawnSync('bash', ['examples/demo/lab.sh'], { cwd: root, env: { ...process.env, DEMO_SECONDS: '3' }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const m = /Group: 239\.99\.1\.1, Source count: 1, Group pkt count: (\d+)/.exec(r.stdout);
  assert.ok(m && Number(m[1]) > 10, r.stdout);
  assert.match(r.stdout, /NOCACHE\s+IPv4\s+0\s+10\.99\.0\.2\s+239\.99\.1\.1/);
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(!/mrsh-demo-/.test(left), `namespaces left: ${left}`);
});
