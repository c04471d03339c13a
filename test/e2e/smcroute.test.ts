// Debian's unmodified smcrouted, twice per scenario in the same test: first on the kernel
// (Linux ipmr in the router namespace: the yardstick that proves the harness), then under
// `mrsh exec` beside an `mrsh daemon` in the same namespace (its routing socket served by
// mrsh, forwarding over AF_PACKET links). Both runs must give the same receptions at real
// sockets that joined the groups, from a real UDP sender. In the mrsh runs the kernel's own
// multicast routing is never used: /proc/net/ip_mr_vif, ip_mr_cache, ip6_mr_vif and
// ip6_mr_cache in the router namespace stay empty. Topology: test/e2e/smcroute-lab.ts.
// Until `mrsh exec` and the daemon's routing-socket endpoint exist, every test fails after
// its kernel half, saying what is missing (it does not skip).
import { describe, it, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { skipReason } from '../dataplane/links/helpers.js';
import { A, FENCE, Lab, MrshDaemon, Smcrouted, alive, canon6, mrshExecMissing, poll, smcrouteMissing, type Mode, type SmcRoute, type SmcShow, type UdpReceiver } from './smcroute-lab.js';

const why = process.getuid?.() !== 0 ? 'needs root (network namespaces)' : (skipReason() ?? smcrouteMissing());

const PHY = ['phyint r0 enable', 'phyint r1 enable', 'phyint r2 enable'];
const FENCES = [`mroute from r0 source ${A.s4} group ${FENCE[4]} to r1 r2`, `mroute from r0 source ${A.s6} group ${FENCE[6]} to r1 r2`];
const conf = (...lines: string[]): string => [...PHY, ...FENCES, ...lines].join('\n') + '\n';

const key = (source: string, group: string): string => (source.includes(':') ? `${canon6(source)},${canon6(group)}` : `${source},${group}`);

/** per receiver (O1, O2): how many datagrams of each "<prefix>-<i>" prefix arrived */
function tally(rx: UdpReceiver[]): Record<string, number>[] {
  return rx.map((r) => {
    const seen = new Set<string>();
    const t: Record<string, number> = {};
    for (const m of r.messages) {
      assert.ok(!seen.has(m.payload), `datagram ${m.payload} received twice`);
      seen.add(m.payload);
      const p = m.payload.replace(/-\d+$/, '');
      t[p] = (t[p] ?? 0) + 1;
    }
    return t;
  });
}

/** two tallies of the same receivers, added */
function merge(a: Record<string, number>[], b: Record<string, number>[]): Record<string, number>[] {
  return a.map((x, i) => {
    const t = { ...x };
    for (const [k, v] of Object.entries(b[i]!)) t[k] = (t[k] ?? 0) + v;
    return t;
  });
}

/** One run of a scenario: on the kernel, or under mrsh exec with its own mrsh daemon. */
class Run {
  daemon: MrshDaemon | null = null;
  readonly smc: Smcrouted[] = [];
  constructor(
    readonly lab: Lab,
    readonly mode: Mode,
    readonly name: string,
  ) {}

  async open(): Promise<void> {
    this.lab.resetFences();
    assert.deepEqual(this.lab.kernelMroute(), { vif4: [], mfc4: [], vif6: [], mfc6: [] }, `${this.mode} run: the router namespace's kernel multicast routing is unused before it starts`);
    if (this.mode === 'mrsh') {
      this.daemon = new MrshDaemon(this.lab, this.name);
      await this.daemon.ready();
      assert.match(this.daemon.log, /routing sockets \(mrsh exec\) on /, `mrsh daemon listens for routing sockets:\n${this.daemon.log}`);
    }
  }

  async smcrouted(tag: string, text: string): Promise<Smcrouted> {
    const s = new Smcrouted(this.lab, `${this.name}-${tag}`, text, this.mode, this.daemon?.socket);
    this.smc.push(s);
    await s.ready();
    this.noKernel('once smcrouted is ready');
    return s;
  }

  /** mrsh runs: the kernel's multicast routing in R is untouched */
  noKernel(when: string): void {
    if (this.mode !== 'mrsh') return;
    assert.deepEqual(this.lab.kernelMroute(), { vif4: [], mfc4: [], vif6: [], mfc6: [] }, `mrsh run: /proc/net/ip_mr_* and ip6_mr_* in the router namespace stay empty ${when}`);
  }

  /** the forwarder's own (S,G) counters: /proc (kernel) or the daemon's `show [ipv6] mroute count` */
  async counters(): Promise<Map<string, { packets: number; bytes: number }>> {
    if (this.mode === 'kernel') return this.lab.kernelCounters();
    const outs: unknown[] = [];
    for (const line of ['show mroute count', 'show ipv6 mroute count']) outs.push(await this.daemon!.request(line));
    return this.mrshEntries(outs);
  }

  /** the same, as an operator reads it: `mrsh --socket S show [ipv6] mroute count --json` */
  cliCounters(): Map<string, { packets: number; bytes: number }> {
    if (this.mode === 'kernel') return this.lab.kernelCounters();
    return this.mrshEntries(['show mroute count', 'show ipv6 mroute count'].map((l) => this.daemon!.json(l)));
  }

  private mrshEntries(outs: unknown[]): Map<string, { packets: number; bytes: number }> {
    const m = new Map<string, { packets: number; bytes: number }>();
    for (const out of outs as { entries: { source: string; group: string; packets: number; bytes: number; installedBy: string }[] }[]) {
      for (const e of out.entries) {
        // every entry here came through smcrouted's routing socket
        assert.equal(e.installedBy, 'daemon', `(${e.source}, ${e.group}) installed by the program under mrsh exec`);
        m.set(key(e.source, e.group), { packets: e.packets, bytes: e.bytes });
      }
    }
    return m;
  }

  /** smcroutectl's counters of each installed entry agree with the forwarder's own */
  countersAgree(show: SmcRoute[]): void {
    const own = this.cliCounters();
    for (const e of show) {
      const k = key(e.source, e.group);
      const mine = own.get(k);
      const where = this.mode === 'kernel' ? '/proc/net/ip*_mr_cache' : 'mrsh show mroute count --json';
      assert.ok(mine, `${this.mode}: smcroutectl shows (${e.source}, ${e.group}), ${where} has no such entry: ${JSON.stringify([...own])}`);
      assert.deepEqual({ packets: e.packets, bytes: e.bytes }, mine, `${this.mode}: smcroutectl's counters of (${e.source}, ${e.group}) agree with ${where}`);
    }
  }

  logs(): string {
    const parts = this.smc.map((s) => `--- smcrouted ${s.tag} (${s.mode}) ---\n${s.log.slice(-4000)}`);
    if (this.daemon) parts.push(`--- mrsh daemon ---\n${this.daemon.log.slice(-4000)}`);
    return parts.join('\n');
  }

  async close(): Promise<void> {
    for (const s of this.smc) await s.stop();
    await this.daemon?.stop();
    this.lab.resetFences();
    // every smcrouted of this run is gone, so is its kernel state: the next run starts clean
    await poll(() => Object.values(this.lab.kernelMroute()).every((v) => v.length === 0), 5000);
  }
}

describe('smcrouted on the kernel, then under mrsh exec: the same receptions', { concurrency: false, timeout: 600_000 }, () => {
  const lab = new Lab();

  before(() => {
    if (why) return;
    lab.build();
  });
  after(() => lab.cleanup());

  async function twice<T>(t: TestContext, name: string, scenario: (run: Run) => Promise<T>, expected: T): Promise<void> {
    const once = async (mode: Mode): Promise<T> => {
      const run = new Run(lab, mode, `${name}-${mode[0]}`);
      try {
        await run.open();
        const r = await scenario(run);
        run.noKernel('after the traffic');
        return r;
      } catch (e) {
        const err = e as Error;
        err.message = `${mode} run: ${err.message}\n${run.logs()}`;
        throw err;
      } finally {
        await run.close();
      }
    };
    const k = await once('kernel');
    t.diagnostic(`kernel: ${JSON.stringify(k)}`);
    assert.deepEqual(k, expected, 'kernel run (the yardstick): receptions as the rules say');
    const missing = mrshExecMissing();
    if (missing) assert.fail(`the kernel half passed (${JSON.stringify(k)}); ${missing}`);
    const m = await once('mrsh');
    t.diagnostic(`mrsh:   ${JSON.stringify(m)}`);
    assert.deepEqual(m, k, 'smcrouted under mrsh exec: the same receptions and counters as on the kernel');
  }

  for (const fam of [4, 6] as const) {
    const G1 = fam === 4 ? '239.0.2.1' : 'ff0e::db8:1';
    const G2 = fam === 4 ? '239.0.2.2' : 'ff0e::db8:2';
    const S = fam === 4 ? A.s4 : A.s6;
    it(`IPv${fam}: a static (S,G) rule, a (*,G) rule resolved on NOCACHE (held packets included); smcroutectl's counters agree`, async (t) => {
      if (why) return t.skip(why);
      await twice(
        t,
        `sg${fam}`,
        async (run) => {
          const s = await run.smcrouted('a', conf(`mroute from r0 source ${S} group ${G1} to r1`, `mroute from r0 group ${G2} to r1 r2`));
          const r1 = await lab.join(fam, G1);
          const r2 = await lab.join(fam, G2);
          lab.send(fam, G1, 20, 'sg');
          // a burst of 3 to a group with no entry: the first one's NOCACHE makes smcrouted
          // install (S,G2) from its (*,G) rule; the forwarder holds the burst till then
          lab.send(fam, G2, 3, 'held', 0);
          await Promise.all(r2.map((r) => r.waitFor(3, 5000)));
          lab.send(fam, G2, 20, 'star');
          await lab.fence(fam);
          const show = s.routes();
          assert.deepEqual(show.templates.map((e) => [e.source, e.group, e.oifs]), [['*', G2, ['r1', 'r2']]]);
          const inst = show.kernel.find((e) => key(e.source, e.group) === key(S, G2));
          assert.ok(inst, `smcrouted installed (${S}, ${G2}) from its (*,G) rule:\n${s.ctl(['-d', '-p', 'show', 'routes'])}`);
          assert.deepEqual(inst.oifs, ['r1', 'r2']);
          const sg = show.kernel.find((e) => key(e.source, e.group) === key(S, G1))!;
          run.countersAgree(show.kernel);
          return { [G1]: tally(r1), [G2]: tally(r2), counters: { [G1]: [sg.packets, sg.bytes], [G2]: [inst.packets, inst.bytes] } };
        },
        {
          [G1]: [{ sg: 20 }, {}],
          [G2]: [{ held: 3, star: 20 }, { held: 3, star: 20 }],
          // IP datagram bytes: 20 + 8 UDP (IPv4) or 40 + 8 (IPv6), then "sg-0".."sg-19" etc.
          counters: fam === 4 ? { [G1]: [20, 650], [G2]: [23, 3 * 34 + 10 * 34 + 10 * 35] } : { [G1]: [20, 20 * 20 + 650], [G2]: [23, 23 * 20 + 3 * 34 + 10 * 34 + 10 * 35] },
        },
      );
    });
  }

  it('smcroutectl add and del at run time, IPv4 and IPv6', async (t) => {
    if (why) return t.skip(why);
    const G4 = '239.0.2.3';
    const G6 = 'ff0e::db8:3';
    await twice(
      t,
      'ctl',
      async (run) => {
        const s = await run.smcrouted('c', conf());
        const a4 = await lab.join(4, G4);
        const a6 = await lab.join(6, G6);
        // smcroutectl returns once smcrouted has answered, so the entry is installed by then
        s.ctl(['add', 'r0', A.s4, G4, 'r2']);
        s.ctl(['add', 'r0', A.s6, G6, 'r2']);
        const added = s.routes();
        for (const [src, g] of [[A.s4, G4], [A.s6, G6]] as const) {
          const e = added.kernel.find((x) => key(x.source, x.group) === key(src, g));
          assert.deepEqual(e?.oifs, ['r2'], `(${src}, ${g}) added by smcroutectl`);
          assert.ok((await run.counters()).has(key(src, g)), `(${src}, ${g}) in the forwarder`);
        }
        lab.send(4, G4, 10, 'added');
        lab.send(6, G6, 10, 'added');
        await lab.fence(4);
        await lab.fence(6);
        run.countersAgree(s.routes().kernel);
        s.ctl(['del', 'r0', A.s4, G4]);
        s.ctl(['del', 'r0', A.s6, G6]);
        const left = s.routes();
        const own = await run.counters();
        for (const [src, g] of [[A.s4, G4], [A.s6, G6]] as const) {
          assert.ok(!left.kernel.some((x) => key(x.source, x.group) === key(src, g)), `smcroutectl no longer shows (${src}, ${g})`);
          assert.ok(!own.has(key(src, g)), `(${src}, ${g}) gone from the forwarder`);
        }
        lab.send(4, G4, 10, 'deleted');
        lab.send(6, G6, 10, 'deleted');
        await lab.fence(4);
        await lab.fence(6);
        return { [G4]: tally(a4), [G6]: tally(a6) };
      },
      { [G4]: [{}, { added: 10 }], [G6]: [{}, { added: 10 }] },
    );
  });

  // smcroute 2.5.6's reload adds the oifs of a changed rule to the installed entry rather
  // than replacing them (mroute.c mfc_install), so the conf edit removes and adds rules.
  it('SIGHUP reloads the edited conf: a removed rule stops its flow, new (S,G) and (*,G) rules take effect', async (t) => {
    if (why) return t.skip(why);
    const KEEP = '239.0.2.4';
    const GONE = '239.0.2.5';
    const NEW = '239.0.2.7';
    const STAR = '239.0.2.8';
    const GONE6 = 'ff0e::db8:5';
    const NEW6 = 'ff0e::db8:7';
    const rule = (src: string, g: string, to: string) => `mroute from r0 source ${src} group ${g} to ${to}`;
    await twice(
      t,
      'hup',
      async (run) => {
        const s = await run.smcrouted('h', conf(rule(A.s4, KEEP, 'r1'), rule(A.s4, GONE, 'r1'), rule(A.s6, GONE6, 'r1')));
        const rx: Record<string, UdpReceiver[]> = {};
        for (const g of [KEEP, GONE, NEW, STAR, GONE6, NEW6]) rx[g] = await lab.join(g.includes(':') ? 6 : 4, g);
        for (const g of [KEEP, GONE, GONE6]) lab.send(g.includes(':') ? 6 : 4, g, 10, 'before');
        await lab.fence(4);
        await lab.fence(6);
        writeFileSync(s.conf, conf(rule(A.s4, KEEP, 'r1'), rule(A.s4, NEW, 'r2'), rule(A.s6, NEW6, 'r2'), `mroute from r0 group ${STAR} to r1 r2`));
        s.signal('SIGHUP');
        const has = (sh: SmcShow, src: string, g: string) => sh.kernel.some((x) => key(x.source, x.group) === key(src, g));
        const reloaded = await poll(() => {
          const sh = s.routes();
          return has(sh, A.s4, NEW) && has(sh, A.s6, NEW6) && !has(sh, A.s4, GONE) && !has(sh, A.s6, GONE6) && sh.templates.some((x) => x.group === STAR);
        }, 10000);
        assert.ok(reloaded, `smcrouted reloaded its conf:\n${s.ctl(['-d', '-p', 'show', 'routes'])}`);
        const own = await run.counters();
        assert.ok(own.has(key(A.s4, NEW)) && own.has(key(A.s6, NEW6)), 'the new rules are in the forwarder');
        assert.ok(!own.has(key(A.s4, GONE)) && !own.has(key(A.s6, GONE6)), 'the removed rules are not');
        for (const g of [KEEP, GONE, NEW, GONE6, NEW6]) lab.send(g.includes(':') ? 6 : 4, g, 10, 'after');
        lab.send(4, STAR, 3, 'new', 0);
        await Promise.all(rx[STAR]!.map((r) => r.waitFor(3, 5000)));
        await lab.fence(4);
        await lab.fence(6);
        run.countersAgree(s.routes().kernel);
        return Object.fromEntries(Object.entries(rx).map(([g, r]) => [g, tally(r)]));
      },
      {
        [KEEP]: [{ before: 10, after: 10 }, {}],
        [GONE]: [{ before: 10 }, {}],
        [NEW]: [{}, { after: 10 }],
        [STAR]: [{ new: 3 }, { new: 3 }],
        [GONE6]: [{ before: 10 }, {}],
        [NEW6]: [{}, { after: 10 }],
      },
    );
  });

  it('smcrouted killed with -9: its entries go, forwarding stops, a new smcrouted takes the socket', async (t) => {
    if (why) return t.skip(why);
    const G4 = '239.0.2.6';
    const G6 = 'ff0e::db8:6';
    const text = conf(`mroute from r0 source ${A.s4} group ${G4} to r1`, `mroute from r0 source ${A.s6} group ${G6} to r1`);
    await twice(
      t,
      'kill',
      async (run) => {
        const s1 = await run.smcrouted('k1', text);
        const r4 = await lab.join(4, G4);
        const r6 = await lab.join(6, G6);
        lab.send(4, G4, 10, 'first');
        lab.send(6, G6, 10, 'first');
        await lab.fence(4);
        await lab.fence(6);
        const installed = await run.counters();
        assert.ok(installed.has(key(A.s4, G4)) && installed.has(key(A.s6, G6)), 'entries installed');
        const pid = s1.pid;
        s1.signal('SIGKILL');
        assert.ok(await poll(() => !alive(pid), 5000, 20), 'smcrouted gone');
        // the routing sockets closed with the process: the forwarder drops what it owned
        const empty = await poll(async () => (await run.counters()).size === 0, 5000);
        assert.ok(empty, `no entry left once smcrouted died: ${JSON.stringify([...(await run.counters())])}`);
        if (run.mode === 'mrsh') {
          for (const line of ['show mroute', 'show ipv6 mroute']) {
            const out = run.daemon!.json(line) as { entries: unknown[] };
            assert.deepEqual(out.entries, [], `${line} is empty`);
          }
        } else {
          assert.deepEqual(lab.kernelMroute(), { vif4: [], mfc4: [], vif6: [], mfc6: [] }, 'kernel: vifs and MFC gone');
        }
        const in0 = lab.rxPackets(lab.R, 'r0');
        lab.send(4, G4, 10, 'dead');
        lab.send(6, G6, 10, 'dead');
        // the dead packets did reach the router; whatever forwards them must come before
        // the fence below (which needs the next smcrouted's rules)
        assert.ok(await poll(() => lab.rxPackets(lab.R, 'r0') - in0 >= 20, 5000, 20), 'the router received the packets sent while no smcrouted ran');
        const s2 = await run.smcrouted('k2', text);
        // helpers' receivers live 20 s and starting smcrouted under mrsh exec takes a few:
        // the second smcrouted's flow goes to receivers joined now, in place of the first
        // (a dead packet forwarded late would reach these as well)
        lab.stopReceivers([...r4, ...r6]);
        const a4 = await lab.join(4, G4);
        const a6 = await lab.join(6, G6);
        lab.send(4, G4, 10, 'again');
        lab.send(6, G6, 10, 'again');
        await lab.fence(4);
        await lab.fence(6);
        run.countersAgree(s2.routes().kernel);
        return { [G4]: merge(tally(r4), tally(a4)), [G6]: merge(tally(r6), tally(a6)) };
      },
      { [G4]: [{ first: 10, again: 10 }, {}], [G6]: [{ first: 10, again: 10 }, {}] },
    );
  });
});
