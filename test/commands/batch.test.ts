// Batch files: comments, FILE:LINE errors, nothing applied after the first error,
// --keep-going, --check against a scratch router.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBatch } from '../../src/commands/context.js';
import { present } from '../../src/format/present.js';
import { testRouter } from './helpers.js';

const FILE = `! a comment
# another
mrt init

vif add 0 virtual eth0
vif add 1 virtual eth1
mfc add 10.0.0.1 239.1.1.1 iif 0 oif 1
vif add 40 virtual eth9
mfc add 10.0.0.2 239.1.1.1 iif 0 oif 1
show vif
`;

async function go(text: string, opts: { keepGoing?: boolean; check?: boolean } = {}) {
  const t = await testRouter();
  const out: string[] = [];
  const errs: string[] = [];
  const res = await runBatch(text, t.router, {
    name: 'r.conf',
    keepGoing: opts.keepGoing ?? false,
    check: opts.check ?? false,
    onResult: (r, line) => {
      const p = present(r, line, { color: false, json: false });
      if (p.text) out.push(p.text);
    },
    onError: (e) => errs.push(e),
  });
  const mfc = t.router.listMfc('inet').map((e) => e.source);
  await t.router.close();
  return { res, out, errs, mfc };
}

test('stops at the first error with FILE:LINE, applies nothing after it', async () => {
  const { res, out, errs, mfc } = await go(FILE);
  assert.equal(res.errors, 1);
  assert.equal(res.stopped, true);
  assert.deepEqual(errs, ['r.conf:8: vif add: EINVAL: vif index 40 out of range (0-31)']);
  assert.deepEqual(mfc, ['10.0.0.1']);
  assert.deepEqual(out, []);
});

test('parse errors carry the line and a caret', async () => {
  const { errs } = await go('mrt init\nmfc add 10.0.0.1 239.1.1.1 iif 0 ttl=5\n');
  assert.equal(errs[0], ["r.conf:2: Invalid input at 'ttl=5'", '    mfc add 10.0.0.1 239.1.1.1 iif 0 ttl=5', `    ${' '.repeat(33)}^`].join('\n'));
});

test('--keep-going reports every error and goes on', async () => {
  const { res, out, errs, mfc } = await go(`${FILE}frob\n`, { keepGoing: true });
  assert.equal(res.errors, 2);
  assert.equal(errs.length, 2);
  assert.match(errs[1], /^r\.conf:11: Unknown command 'frob'/);
  assert.deepEqual(mfc, ['10.0.0.1', '10.0.0.2']);
  assert.match(out[0], /IPv4 Virtual Interface Table/);
});

test('--check validates through the engine without running shows', async () => {
  const bad = await go(FILE, { check: true });
  assert.equal(bad.res.errors, 1);
  assert.deepEqual(bad.out, []);
  const good = await go('mrt init\nvif add 0 virtual e0\nshow vif\n', { check: true });
  assert.equal(good.res.errors, 0);
  assert.equal(good.res.commands, 3);
  assert.deepEqual(good.out, []);
});

test('exit stops the batch', async () => {
  const { res, mfc } = await go('mrt init\nvif add 0 virtual e0\nexit\nmfc add 1.1.1.1 239.1.1.1 iif 0\n');
  assert.equal(res.errors, 0);
  assert.deepEqual(mfc, []);
});

test('--check validates every line, not only up to the first error', async () => {
  const { res, errs } = await go(`${FILE}frob\n`, { check: true });
  assert.equal(res.errors, 2);
  assert.match(errs[0], /^r\.conf:8: /);
  assert.match(errs[1], /^r\.conf:11: Unknown command 'frob'/);
});

test('control characters in a line are shown, never written raw', async () => {
  const { errs } = await go('mrt init\nshow vif \x1b]0;pwned\x07\x1b[2J\n');
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(errs.join('\n')), JSON.stringify(errs));
  assert.match(errs[0], /␛\]0;pwned␇␛\[2J/);
  const lines = errs[0].split('\n');
  assert.equal(lines[2].indexOf('^'), lines[1].indexOf('␛'), 'the caret still under its token');
});

// issue #14 §8: a batch could not let time pass, nor send a malformed packet
test('sleep lets timers fire during a batch; inject raw sends any bytes (counted by the ledger)', async () => {
  const { Router } = await import('../../src/router/router.js');
  const router = await Router.create(); // the real clock: sleep is real time
  const out: string[] = [];
  const errs: string[] = [];
  const res = await runBatch(
    `mrt init
mrt api config bw-upcall
vif add 0 virtual eth0
vif add 1 virtual eth1
mfc add 10.0.0.1 239.1.1.1 iif 0 oif 1
bw-upcall add 10.0.0.1 239.1.1.1 leq packets 0 interval 3
sleep 4.5
show upcalls
inject 0 raw 4500001c000000004011 count 3
inject 0 raw 45
inject 0 10.0.0.1 239.1.1.1 ttl 0
show statistics | json
`,
    router,
    { name: 'sleep.conf', keepGoing: false, check: false, onResult: (r, line) => void out.push(present(r, line, { color: false, json: false }).text ?? ''), onError: (t) => errs.push(t) },
  );
  await router.close();
  assert.deepEqual(errs, []);
  assert.equal(res.errors, 0);
  const upcalls = out.find((t) => /BW_UPCALL/.test(t));
  assert.ok(upcalls, `the LEQ meter reported during the sleep:\n${out.join('\n')}`);
  const stats = JSON.parse(out[out.length - 1]) as { counters: { field: string; value: number }[] };
  const v = (f: string) => stats.counters.find((c) => c.field === f)!.value;
  assert.equal(v('pkt_bad_short'), 3 + 1);
  assert.equal(v('pkt_local_scope'), 1, 'TTL 0 is taken and not forwarded');
});
