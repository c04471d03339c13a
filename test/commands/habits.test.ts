// What IOS and FRR users type without thinking: the spellings they bring along.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getGrammar } from '../../src/commands/table.js';
import { ParseError } from '../../src/commands/errors.js';
import { present } from '../../src/format/present.js';
import { BASE, testRouter } from './helpers.js';

const g = getGrammar();

test('show ip mroute json, FRR style, is | json; do X is X; conf t; bare write', () => {
  let p = g.parse('show ip mroute json')!;
  assert.equal(p.command.name, 'show mroute');
  assert.equal(p.pipe.json, true);
  p = g.parse('sh ip mr count json')!;
  assert.ok(p.args.has('count') && p.pipe.json);
  assert.equal(g.parse('do show vif')!.command.name, 'show vif');
  assert.equal(g.parse('do sh ip mr')!.command.name, 'show mroute');
  assert.equal(g.parse('conf t')!.command.name, 'configure terminal');
  assert.equal(g.parse('write')!.command.name, 'write memory');
  assert.equal(g.parse('wr')!.command.name, 'write memory');
  assert.equal(g.parse('sh ver')!.command.name, 'show version');
  assert.equal(g.parse('sh start')!.command.name, 'show startup-config');
  assert.equal(g.parse('terminal length 0')!.command.name, 'terminal length');
  // json is no keyword of commands without output
  assert.throws(() => g.parse('mrt init json'), ParseError);
});

test('| begin, | include and | exclude take regular expressions', async () => {
  const t = await testRouter();
  try {
    await t.runAll(`${BASE}\nmfc add 10.1.1.2 239.1.1.2 iif 0 oif 1`);
    const out = async (line: string) => {
      const r = await t.run(line);
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      return present(r, line, { color: false, json: false }).text!;
    };
    const all = (await out('show running-config')).split('\n');
    assert.deepEqual((await out('show running-config | include ^mfc add 10\\.1\\.1\\.[12] ')).split('\n'), all.filter((l) => /^mfc add 10\.1\.1\.[12] /.test(l)));
    assert.deepEqual((await out('show running-config | exclude ^(vif|mfc)')).split('\n'), all.filter((l) => !/^(vif|mfc)/.test(l)));
    const from = all.findIndex((l) => l.startsWith('vif add'));
    assert.deepEqual((await out('show running-config | begin vif add')).split('\n'), all.slice(from));
    assert.throws(() => g.parse('show vif | include ('), /Invalid regular expression/);
  } finally {
    await t.router.close();
  }
});
