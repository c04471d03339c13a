// Every command of the table against the real embedded router: its happy path, and its
// errors leaving the state exactly as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS } from '../../src/commands/table.js';
import { BASE, snapshot, testRouter } from './helpers.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR = mkdtempSync(join(tmpdir(), 'mrsh-cmd-'));
process.on('exit', () => rmSync(DIR, { recursive: true, force: true }));
const STARTUP = join(DIR, 'startup.conf');
const REPLACE = join(DIR, 'replace.conf');
writeFileSync(REPLACE, `${BASE}\nmfc add 10.1.1.2 239.1.1.2 iif 0 oif 1\n`);
const BAD = join(DIR, 'bad.conf');
writeFileSync(BAD, 'mrt init\nvif add 0 virtual eth0\nmfc add 10.1.1.1 239.1.1.1 iif 0 oif 40\n');

interface Case {
  line: string;
  setup?: string;
  /** kind of output, or a check */
  ok?: string | ((out: unknown) => void);
  /** the error message must match */
  err?: RegExp;
}

const V6 = `mrt init ipv6
vif add 0 virtual eth0 ipv6
vif add 1 virtual eth1 ipv6
mfc add 2001:db8::1 ff05::1 iif 0 oif 1`;

const CASES: Case[] = [
  { line: 'mrt init', ok: 'ok' },
  { line: 'mrt init ipv6', ok: 'ok' },
  { line: 'mrt init', setup: 'mrt init', err: /^mrt init: EADDRINUSE/ },
  { line: 'mrt done', setup: BASE, ok: 'ok' },
  { line: 'mrt done ipv6', err: /^mrt done: / },
  { line: 'mrt pim enable', setup: 'mrt init', ok: 'ok' },
  { line: 'mrt pim disable ipv6', setup: 'mrt init ipv6', ok: 'ok' },
  { line: 'mrt pim enable', err: /^mrt pim: / },
  { line: 'mrt assert enable', setup: 'mrt init', ok: 'ok' },
  { line: 'mrt assert disable', err: /^mrt assert: / },
  {
    line: 'mrt api config rp bw-upcall',
    setup: 'mrt init',
    ok: (o) => assert.match((o as { message: string }).message, /^accepted: rp bw-upcall \(0x300\)$/),
  },
  { line: 'mrt api config none rp', setup: 'mrt init', err: /'none' cannot be combined/ },
  { line: 'mrt register via 1', setup: BASE, ok: 'ok' },
  { line: 'mrt register via none', setup: BASE, ok: 'ok' },
  { line: 'mrt register via 9', setup: BASE, err: /^mrt register via: EADDRNOTAVAIL/ },
  { line: 'show mrt', ok: 'mrt' },
  { line: 'vif add 3 virtual eth3', setup: BASE, ok: 'ok' },
  { line: 'vif add 3 register', setup: BASE, ok: 'ok' },
  { line: 'vif add 2 virtual ethx', setup: BASE, err: /^vif add: EADDRINUSE/ },
  { line: 'vif add 40 virtual eth9', setup: BASE, err: /^vif add: EINVAL: vif index 40 out of range \(0-31\)$/ },
  { line: 'vif add 2 virtual eth2 ipv6', setup: V6, ok: 'ok' },
  { line: 'vif add 2 virtual eth0 ipv6', setup: V6, err: /^vif add: EADDRINUSE: mif 0 is already named eth0/ },
  { line: 'vif add 2 virtual e ipv6 threshold 3', setup: V6, err: /a mif has no TTL threshold/ },
  { line: 'vif add 2 virtual e local 2001:db8::9', setup: V6, ok: 'ok' },
  { line: 'vif del 1', setup: BASE, ok: 'ok' },
  { line: 'vif del 9', setup: BASE, err: /^vif del: / },
  { line: 'vif del 1 ipv6', setup: V6, ok: 'ok' },
  { line: 'mfc add 10.2.2.2 239.2.2.2 iif 1 oif 0:3 flags 1:disable-wrongvif rp 10.9.9.9', setup: BASE, ok: 'ok' },
  { line: 'mfc add 10.2.2.2 239.2.2.2 iif 99 oif 0', setup: BASE, ok: (o) => assert.match((o as { message: string }).message, /^% Warning: iif 99 is not a configured vif/) },
  { line: 'mfc add 10.2.2.2 239.2.2.2 iif 0 oif 40', setup: BASE, err: /^mfc add: EINVAL: oif 40 out of range/ },
  { line: 'mfc add 10.2.2.2 ff05::1 iif 0', setup: BASE, err: /source is IPv4 but group is IPv6/ },
  { line: 'mfc add 10.2.2.2 239.2.2.2 iif 0 oif 1 oif 1:4', setup: BASE, err: /oif 1 given twice/ },
  { line: 'mfc add 2001:db8::2 ff05::2 iif 1 oif 0', setup: V6, ok: 'ok' },
  { line: 'mfc del 10.1.1.1 239.1.1.1', setup: BASE, ok: 'ok' },
  { line: 'mfc del 10.7.7.7 239.1.1.1', setup: BASE, err: /^mfc del: / },
  { line: 'mfc del 2001:db8::1 ff05::1', setup: V6, ok: 'ok' },
  { line: 'bw-upcall add 10.1.1.1 239.1.1.1 geq packets 100 interval 3', setup: BASE, ok: 'ok' },
  { line: 'mrt pending-limit 100', setup: BASE, ok: 'ok' },
  { line: 'mrt workers 0', setup: BASE, ok: 'ok' },
  { line: 'mrt workers 17', setup: BASE, err: /^mrt workers: EINVAL: workers 17 out of range \(0-16\)/ },
  { line: 'bw-upcall add 10.1.1.1 239.1.1.1 geq packets 100 interval 1', setup: BASE, err: /^bw-upcall add: EINVAL/ },
  { line: 'bw-upcall add 10.1.1.1 239.1.1.1 geq interval 3', setup: BASE, err: /give packets P, bytes B or both/ },
  { line: 'bw-upcall add 2001:db8::1 ff05::1 geq packets 1 interval 3', setup: V6, err: /IPv4 only/ },
  {
    line: 'bw-upcall del 10.1.1.1 239.1.1.1 geq packets 100 interval 3',
    setup: `${BASE}\nbw-upcall add 10.1.1.1 239.1.1.1 geq packets 100 interval 3`,
    ok: 'ok',
  },
  { line: 'bw-upcall del 10.1.1.1 239.1.1.1 all', setup: `${BASE}\nbw-upcall add 10.1.1.1 239.1.1.1 leq bytes 9 interval 4`, ok: 'ok' },
  { line: 'bw-upcall del 10.1.1.1 239.1.1.1 geq packets 5 interval 3', setup: BASE, err: /^bw-upcall del: / },
  { line: 'show mroute', setup: BASE, ok: 'mroute' },
  { line: 'show mroute 239.1.1.1 10.1.1.1 count', setup: BASE, ok: (o) => assert.equal((o as { entries: unknown[] }).entries.length, 1) },
  { line: 'show mroute 239.1.1.1 239.1.1.2', setup: BASE, err: /two group addresses/ },
  { line: 'show mroute ff05::1', setup: V6, ok: (o) => assert.equal((o as { family: string }).family, 'inet6') },
  { line: 'show ipv6 mroute summary', setup: V6, ok: 'mroute' },
  { line: 'show vif', setup: BASE, ok: 'vif' },
  { line: 'show ipv6 vif', setup: V6, ok: 'vif' },
  { line: 'show mfc', setup: BASE, ok: 'mfc' },
  { line: 'show ipv6 mfc', setup: V6, ok: 'mfc' },
  { line: 'show bw-upcall', setup: BASE, ok: 'bw-upcall' },
  { line: 'show statistics', setup: BASE, ok: 'statistics' },
  { line: 'show ipv6 statistics', setup: V6, ok: 'statistics' },
  { line: 'show pending', setup: BASE, ok: 'pending' },
  { line: 'show ipv6 pending', setup: V6, ok: 'pending' },
  { line: 'show upcalls last 5', setup: BASE, ok: 'upcalls' },
  { line: 'show running-config', setup: BASE, ok: 'running-config' },
  { line: 'explain 10.1.1.1 239.1.1.1 ttl 5 vif 0', setup: BASE, ok: 'explain' },
  { line: 'explain 10.1.1.1 ff05::1', setup: BASE, err: /source is IPv4 but group is IPv6/ },
  {
    line: 'inject 0 10.1.1.1 239.1.1.1 ttl 9 size 200 count 4',
    setup: BASE,
    ok: (o) => assert.deepEqual((o as { result: unknown }).result, { sent: 4, forwarded: 8, upcalls: 0 }),
  },
  { line: 'inject 9 10.1.1.1 239.1.1.1', setup: BASE, err: /^inject: / },
  { line: 'capture 1 last 2', setup: `${BASE}\ninject 0 10.1.1.1 239.1.1.1 count 3`, ok: (o) => assert.equal((o as { packets: unknown[] }).packets.length, 2) },
  { line: 'capture 1 ipv6', setup: V6, ok: 'capture' },
  { line: 'monitor capture 1 pcap -', setup: BASE, ok: (o) => assert.deepEqual(o, { kind: 'monitor-capture', vif: 1, family: 'inet', file: '-' }) },
  { line: 'clear counters', setup: `${BASE}\ninject 0 10.1.1.1 239.1.1.1 count 3`, ok: 'ok' },
  { line: 'clear counters 10.1.1.1 239.1.1.1', setup: BASE, ok: 'ok' },
  { line: 'clear counters ipv6', setup: V6, ok: 'ok' },
  { line: 'clear counters 10.3.3.3 239.1.1.1', setup: BASE, err: /^clear counters: / },
  { line: 'monitor upcalls nocache wrongvif', ok: (o) => assert.deepEqual((o as { types: string[] }).types, ['NOCACHE', 'WRONGVIF']) },
  { line: 'policy add from 0 group 239.2.0.0/16 to 1 2:4', setup: BASE, ok: 'ok' },
  { line: 'policy add from 0 source 10.0.0.0/8 group ff0e::/16 to 1', setup: BASE, err: /source is IPv4 but group is IPv6/ },
  { line: 'policy add from 0 group 10.0.0.0/8 to 1', setup: BASE, err: /^policy add: EINVAL: group .* not within 224/ },
  { line: 'policy add from 0 group 239.2.0.0/16 to 0', setup: BASE, err: /is the rule's from vif/ },
  { line: 'policy add from 0 group ff0e::/16 to 1', setup: BASE, err: /^policy add: EPERM/ },
  { line: 'policy del from 0 group 239.2.0.0/16', setup: `${BASE}\npolicy add from 0 group 239.2.1.1/16 to 1`, ok: 'ok' },
  { line: 'policy del from 1 group 239.2.0.0/16', setup: `${BASE}\npolicy add from 0 group 239.2.0.0/16 to 1`, err: /^policy del: ENOENT/ },
  { line: 'policy expire 30', ok: 'ok' },
  {
    line: 'show policy',
    setup: `${BASE}\npolicy add from 0 group 239.2.0.0/16 to 1\ninject 0 10.9.9.9 239.2.3.4 count 2`,
    ok: (o) => {
      const p = (o as { policy: { rules: { hits: number; installed: number }[] } }).policy;
      assert.equal(p.rules[0].hits, 1);
      assert.equal(p.rules[0].installed, 1);
    },
  },
  { line: 'write memory', setup: BASE, ok: (o) => assert.match((o as { message: string }).message, /^\[OK\] .*startup\.conf \(\d+ bytes\)$/) },
  {
    line: `configure replace ${REPLACE} dry-run`,
    setup: BASE,
    ok: (o) => {
      const d = o as { add: string[]; remove: string[]; unchanged: number };
      assert.deepEqual(d.add, ['mfc add 10.1.1.2 239.1.1.2 iif 0 oif 1']);
      assert.deepEqual(d.remove, []);
    },
  },
  { line: `configure replace ${BAD}`, setup: BASE, err: /^configure replace: nothing changed; .*bad\.conf:3: / },
  { line: `configure replace ${join(DIR, 'missing.conf')}`, setup: BASE, err: /ENOENT/ },
  { line: 'help show', ok: (o) => assert.ok((o as { commands: { name: string }[] }).commands.every((c) => c.name.startsWith('show'))) },
  { line: 'exit', ok: 'exit' },
  { line: 'quit', ok: 'exit' },
  { line: 'configure terminal', ok: (o) => assert.deepEqual(o, { kind: 'mode', mode: 'config' }) },
  { line: 'end', ok: (o) => assert.deepEqual(o, { kind: 'mode', mode: 'exec' }) },
  { line: 'terminal length 0', ok: 'ok' },
  { line: 'show version', ok: (o) => assert.match((o as { version: string }).version, /^\d+\.\d+\.\d+/) },
  { line: 'show startup-config', setup: `${BASE}\nwrite memory`, ok: (o) => assert.ok((o as { lines: string[] }).lines.includes('mrt init ipv4')) },
  { line: 'sleep 0.01', ok: 'ok' },
  { line: 'inject 0 raw 4500001c', setup: BASE, ok: (o) => assert.equal((o as { result: { sent: number } }).result.sent, 1) },
];

for (const c of CASES) {
  test(`${c.err ? 'error' : 'ok'}: ${c.line}`, async () => {
    const t = await testRouter(undefined, undefined, { startupFile: STARTUP });
    try {
      if (c.setup) await t.runAll(c.setup);
      const before = snapshot(t.router);
      const r = await t.run(c.line);
      if (c.err) {
        assert.equal(r.ok, false, `expected an error from ${c.line}`);
        if (!r.ok) assert.match(r.error.message, c.err);
        assert.equal(snapshot(t.router), before, 'a failed command changes nothing');
      } else {
        assert.ok(r.ok, r.ok ? '' : r.error.message);
        if (typeof c.ok === 'string') assert.equal(r.output.kind, c.ok);
        else if (c.ok) c.ok(r.output);
      }
    } finally {
      await t.router.close();
    }
  });
}

test('every command of the table has a happy-path case here', () => {
  const covered = new Set<string>();
  for (const c of CASES) if (!c.err) covered.add(c.line);
  const missing = COMMANDS.filter((cmd) => ![...covered].some((l) => l === cmd.name || l.startsWith(`${cmd.name} `)));
  // show mroute-like names are prefixes of each other; show mrt vs show mroute differ by word
  assert.deepEqual(
    missing.map((m) => m.name),
    [],
  );
});

test('write memory saves what show running-config prints', async () => {
  const t = await testRouter(undefined, undefined, { startupFile: STARTUP });
  await t.runAll(BASE);
  await t.run('write memory');
  assert.equal(readFileSync(STARTUP, 'utf8'), t.router.runningConfig().join('\n') + '\n');
  await t.router.close();
});

test('errors from handlers point at their token', async () => {
  const t = await testRouter();
  await t.runAll(BASE);
  const line = 'mfc add 10.2.2.2 239.2.2.2 iif 0 oif 1 oif 1:4';
  const r = await t.run(line);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.offset, line.indexOf('oif 1') + 4);
  await t.router.close();
});
