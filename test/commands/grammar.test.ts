// The parser, `?` help and Tab completion, all from the one table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getGrammar, COMMANDS } from '../../src/commands/table.js';
import { ParseError } from '../../src/commands/errors.js';
import { tabComplete, helpLines } from '../../src/shell/completion.js';

const g = getGrammar();

function parse(line: string) {
  const p = g.parse(line);
  assert.ok(p, line);
  return p;
}
function err(line: string): ParseError {
  try {
    g.parse(line);
  } catch (e) {
    assert.ok(e instanceof ParseError, String(e));
    return e;
  }
  assert.fail(`parsed: ${line}`);
}

test('every command parses its own words, and names are unique', () => {
  const names = new Set<string>();
  for (const c of COMMANDS) {
    assert.ok(!names.has(c.name), `duplicate ${c.name}`);
    names.add(c.name);
    assert.ok(c.syntax.startsWith(c.name), `${c.name}: syntax starts with the name`);
  }
});

test('unique prefixes abbreviate; mroute wins "mr"', () => {
  assert.equal(parse('sh mr').command.name, 'show mroute');
  assert.equal(parse('sh mrt').command.name, 'show mrt');
  assert.equal(parse('sh ipv6 mr cou').command.name, 'show ipv6 mroute');
  assert.ok(parse('sh ipv6 mr cou').args.has('count'));
  assert.equal(parse('SHOW VIF').command.name, 'show vif');
  assert.equal(err('show m').message, "Ambiguous command at 'm' (mfc, mroute, mrt)");
});

test('parameters are typed and bound', () => {
  const p = parse('mfc add 10.0.0.1 239.1.1.1 iif 0 oif 1 oif 2:5 flags 0:disable-wrongvif flags 1:b rp 10.9.9.9');
  assert.equal(p.command.name, 'mfc add');
  assert.deepEqual(p.args.values.OIF, [
    { vif: 1, ttl: 1 },
    { vif: 2, ttl: 5 },
  ]);
  assert.deepEqual(p.args.values.FLAG, [
    { vif: 0, flag: 'disable-wrongvif' },
    { vif: 1, flag: 'border' },
  ]);
  assert.deepEqual(p.args.values.RP, ['10.9.9.9']);
  const v = parse('vif add 3 virtual e3 local 10.0.0.3 threshold 4');
  assert.deepEqual(v.args.values, { N: 3, NAME: 'e3', LOCAL: '10.0.0.3', T: 4 });
  assert.ok(v.args.has('virtual'));
  const b = parse('bw-upcall add 10.0.0.1 239.1.1.1 leq bytes 1000 packets 3 interval 3.5');
  assert.deepEqual(b.args.values, { S: '10.0.0.1', G: '239.1.1.1', B: 1000, P: 3, SECONDS: 3.5 });
});

test('errors point at the offending token', () => {
  const line = 'mfc add 10.0.0.1 239.1.1.1 iif 0 ttl=5';
  const e = err(line);
  assert.equal(e.message, "Invalid input at 'ttl=5'");
  assert.equal(e.offset, line.indexOf('ttl=5'));
  assert.equal(err('vif add 0 virtual e0 threshold 300').offset, 'vif add 0 virtual e0 threshold '.length);
  assert.match(err('vif add 0 virtual e0 threshold 300').message, /expected <0-255>/);
  assert.equal(err('frobnicate').message, "Unknown command 'frobnicate'");
  const inc = err('mfc add 10.0.0.1');
  assert.equal(inc.message, 'Incomplete command');
  // options of {...} are taken once each
  assert.equal(err('vif add 0 virtual e0 threshold 1 threshold 2').offset, 'vif add 0 virtual e0 threshold 1 '.length);
  assert.equal(err('show mroute | frob').message.startsWith('Invalid input'), true);
  assert.match(err('mfc del 1.1.1.1 239.1.1.1 | json').message, /no output to pipe/);
});

test('pipes: | json, | include', () => {
  assert.equal(parse('show vif | json').pipe.json, true);
  assert.equal(parse('show vif | j').pipe.json, true);
  assert.equal(parse('show mroute | include eth1').pipe.include?.source, 'eth1');
});

test('? lists what may follow, with help', () => {
  const { candidates } = g.complete('show ');
  const words = candidates.map((c) => c.word);
  for (const w of ['mroute', 'vif', 'mfc', 'bw-upcall', 'statistics', 'upcalls', 'running-config', 'ipv6', 'mrt']) assert.ok(words.includes(w), w);
  assert.ok(!words.includes('<cr>'));
  const after = g.complete('show mroute ').candidates.map((c) => c.word);
  assert.deepEqual(after.slice(0, 3), ['count', 'detail', 'summary']);
  assert.ok(after.includes('<A.B.C.D|X:X::X:X>'));
  assert.ok(after.includes('<cr>'));
  const lines = helpLines(g, 'vif add 0 ', 80);
  assert.ok(lines.some((l) => /virtual\s+an in-process link/.test(l)), lines.join('\n'));
  // once-only options are not offered again
  const again = g.complete('vif add 0 virtual e0 threshold 2 ').candidates.map((c) => c.word);
  assert.ok(!again.includes('threshold'));
  assert.ok(again.includes('local'));
});

test('Tab completes a unique word, extends a common prefix, lists otherwise', () => {
  assert.deepEqual(tabComplete(g, 'sh'), { text: 'show ', list: null });
  assert.equal(tabComplete(g, 'show ru').text, 'show running-config ');
  assert.equal(tabComplete(g, 'show m').text, 'show m');
  assert.ok(tabComplete(g, 'show m').list!.some((c) => c.word === 'mfc'));
  assert.equal(tabComplete(g, 'show mr').text, 'show mr');
  assert.equal(tabComplete(g, 'vif add 0 vi').text, 'vif add 0 virtual ');
  assert.equal(tabComplete(g, 'bw').text, 'bw-upcall ');
  assert.ok(tabComplete(g, 'mfc add ').list!.some((c) => c.kind === 'param'));
});

test('parser is fast: 100,000 mfc add lines well under a second', () => {
  const t0 = performance.now();
  for (let i = 0; i < 100_000; i++) g.parse(`mfc add 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} 239.1.1.1 iif 0 oif 1 oif 2:8`);
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `${ms} ms`);
});

test('show ip X is IPv4 as in IOS and FRR, show ipv6 X IPv6; a shared prefix is ambiguous', () => {
  for (const l of ['show ip mroute', 'sh ip mr', 'sh ip mroute count', 'SH IP MR 239.1.1.1']) assert.equal(parse(l).command.name, 'show mroute', l);
  assert.ok(parse('sh ip mroute count').args.has('count'));
  for (const w of ['vif', 'mfc', 'statistics', 'pending']) assert.equal(parse(`sh ip ${w}`).command.name, `show ${w}`);
  assert.equal(parse('sh ipv6 mr').command.name, 'show ipv6 mroute');
  assert.equal(parse('sh ipv mr').command.name, 'show ipv6 mroute');
  assert.equal(err('show i mroute').message, "Ambiguous command at 'i' (ip, ipv6)");
  assert.equal(err('mrt init ipv').message, "Ambiguous command at 'ipv' (ipv4, ipv6)");
  const help = g.complete('show ip').candidates.map((c) => c.word);
  assert.deepEqual(help.filter((w) => w.startsWith('ip')), ['ip', 'ipv6']);
});

test('? help never just repeats the keyword; optional parts look optional; help inject says 60 bytes', async () => {
  const { displaySyntax } = await import('../../src/format/misc.js');
  const seen: string[] = [];
  const walk = (line: string, depth: number) => {
    for (const c of g.complete(line).candidates) {
      if (c.kind !== 'kw') continue;
      if (c.help === c.word) seen.push(`${line}${c.word}`);
      if (depth < 2) walk(`${line}${c.word} `, depth + 1);
    }
  };
  walk('', 0);
  assert.deepEqual(seen, []);
  const inject = COMMANDS.find((c) => c.name === 'inject')!;
  assert.equal(displaySyntax(inject.syntax), 'inject N (S G [ttl T] [size Z] [count C] | raw H [count C])');
  assert.match(inject.help, /60-byte/);
  assert.match(inject.tokens!.Z, /default 60/);
});
