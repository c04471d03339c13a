// configure replace: only the difference is applied; unchanged entries keep counters;
// runtime state kept or dropped as asked; dry-run changes nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffConfig } from '../../src/commands/config-diff.js';
import { testRouter } from './helpers.js';

const DIR = mkdtempSync(join(tmpdir(), 'mrsh-cfg-'));
process.on('exit', () => rmSync(DIR, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(DIR, name);
  writeFileSync(p, text);
  return p;
};

const A = `mrt init
vif add 0 virtual eth0
vif add 1 virtual eth1
vif add 2 virtual eth2
mfc add 10.0.0.1 239.1.1.1 iif 0 oif 1
mfc add 10.0.0.2 239.1.1.2 iif 0 oif 1
policy add from 0 group 239.5.0.0/16 to 2
`;

describe('configure replace', () => {
  it('a change of the advanced API is refused before anything is applied', async () => {
    const t = await testRouter();
    assert.ok((await t.run(`configure replace ${file('api0.conf', A)}`)).ok);
    const before = t.router.runningConfig();
    const r = await t.run(`configure replace ${file('api1.conf', A.replace('mrt init\n', 'mrt init\nmrt api config bw-upcall\n').replace('oif 1\n', 'oif 2\n'))}`);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error.message, /nothing changed; the file changes the advanced API .*EPERM/);
    assert.deepEqual(t.router.runningConfig(), before);
  });

  it('diffConfig: keys, undo order, runtime', () => {
    const cur = ['mrt init ipv4', 'vif add 0 virtual a', 'vif add 1 virtual b', 'mfc add 1.1.1.1 239.1.1.1 iif 0 oif 1', 'mfc add 1.1.1.2 239.1.1.2 iif 0 oif 1'];
    const tgt = ['mrt init ipv4', 'vif add 0 virtual a', 'vif add 1 virtual c', 'mfc add 1.1.1.1 239.1.1.1 iif 0 oif 1:4'];
    const d = diffConfig(cur, tgt, cur.slice(0, 4), false);
    assert.deepEqual(d.remove, ['vif del 1']);
    assert.deepEqual(d.add, ['vif add 1 virtual c', 'mfc add 1.1.1.1 239.1.1.1 iif 0 oif 1:4']);
    assert.deepEqual(d.runtime, ['mfc add 1.1.1.2 239.1.1.2 iif 0 oif 1']);
    assert.equal(d.unchanged, 2);
    const d2 = diffConfig(cur, ['! empty'], cur, true);
    assert.deepEqual(d2.remove, ['mfc del 1.1.1.2 239.1.1.2', 'mfc del 1.1.1.1 239.1.1.1', 'vif del 1', 'vif del 0', 'mrt done ipv4']);
  });

  it('applies only the difference; unchanged entries keep counters; runtime kept, then dropped', async () => {
    const t = await testRouter();
    const a = file('a.conf', A);
    let r = await t.run(`configure replace ${a}`);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    t.router.inject({ vif: 0, source: '10.0.0.1', group: '239.1.1.1', count: 9 });
    await t.runAll('mfc add 10.7.7.7 239.7.7.7 iif 0 oif 2'); // runtime
    const b = file('b.conf', A.replace('mfc add 10.0.0.2 239.1.1.2 iif 0 oif 1', 'mfc add 10.0.0.3 239.1.1.3 iif 0 oif 2').replace('vif add 2 virtual eth2', 'vif add 2 virtual eth2 threshold 4'));
    const before = t.router.runningConfig();
    r = await t.run(`configure replace ${b} dry-run`);
    assert.ok(r.ok && r.output.kind === 'config-diff');
    assert.deepEqual(t.router.runningConfig(), before, 'dry-run changes nothing');
    assert.deepEqual(r.output.remove, ['mfc del 10.0.0.2 239.1.1.2', 'vif del 2']);
    assert.deepEqual(r.output.add, ['vif add 2 virtual eth2 threshold 4', 'mfc add 10.0.0.3 239.1.1.3 iif 0 oif 2']);
    assert.deepEqual(r.output.runtime, ['mfc add 10.7.7.7 239.7.7.7 iif 0 oif 2']);
    r = await t.run(`configure replace ${b}`);
    assert.ok(r.ok);
    const e = t.router.listMfc('inet').find((x) => x.group === '239.1.1.1')!;
    assert.equal(e.packets, 9, 'the unchanged entry kept its counters');
    assert.deepEqual(t.router.listMfc('inet').map((x) => x.group).sort(), ['239.1.1.1', '239.1.1.3', '239.7.7.7']);
    // again: nothing to do
    r = await t.run(`configure replace ${b}`);
    assert.ok(r.ok && r.output.kind === 'config-diff' && r.output.add.length === 0 && r.output.remove.length === 0);
    r = await t.run(`configure replace ${b} drop-runtime`);
    assert.ok(r.ok && r.output.kind === 'config-diff');
    assert.deepEqual(r.output.remove, ['mfc del 10.7.7.7 239.7.7.7']);
    assert.deepEqual(t.router.listMfc('inet').map((x) => x.group).sort(), ['239.1.1.1', '239.1.1.3']);
    await t.router.close();
  });
});
