// Debian's unmodified pimd 2.3.x routing multicast (issue #11). Each scenario is written
// once and run twice: first with pimd on the kernel (Linux ipmr in the router namespaces:
// the yardstick that proves the harness), then with pimd under `mrsh exec --socket S --`
// beside an `mrsh daemon --socket S` in each router namespace (the routing socket served by
// mrsh, forwarding over its links). The mrsh half compares its results with the kernel
// half of the same run, and fails (it does not skip) saying what is missing until the
// plumbing exists. Topologies, how pimd is started and where the MFC is read:
// test/e2e/pimd-lab.ts. Waits are on conditions (pimd's own RP set and logs, the MFC,
// receptions), each bounded; traffic is bounded.
import { describe, it, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipReason } from '../dataplane/links/helpers.js';
import {
  A,
  Capture,
  KernelDataplane,
  MrshDaemon,
  MrshDataplane,
  ONE_CONF,
  PimLab,
  Pimd,
  dumpHasSG,
  joinToForward,
  mrshPimdMissing,
  pimdMissing,
  poll,
  receive,
  send,
  toolsMissing,
  type Dataplane,
  type Mfc,
  type Mode,
  type Receiver,
  type WirePacket,
} from './pimd-lab.js';

const why = process.getuid?.() !== 0 ? 'needs root (network namespaces)' : (skipReason() ?? pimdMissing() ?? toolsMissing());

/** what the mrsh half needs at each step, named in its failure (issue #11) */
const NEED = {
  start:
    'pimd must start under `mrsh exec` (strace of pimd 2.3.2 on the kernel): a raw IGMP socket (IP_HDRINCL, SO_SNDBUF/SO_RCVBUF 256 KiB, IP_MULTICAST_LOOP) that is also its routing socket (MRT_INIT 1, MRT_PIM 1, MRT_ADD_VIF with vifc_lcl_addr, not VIFF_USE_IFINDEX, and one VIFF_REGISTER vif) and its ioctl socket (SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFNETMASK, SIOCGIFMTU, SIOCGIFINDEX); a raw IPPROTO_PIM socket beside it; and after the register vif is added a `pimreg` interface: pimd calls SIOCGIFINDEX("pimreg") and exits if there is none',
  rp: "PIM on the wire through the vifs' links: pimd's Hellos and Bootstraps, sendto() on its raw PIM socket (IP_HDRINCL, IP_MULTICAST_IF set before each send) must leave on the link; PIM arriving on a link (224.0.0.13, joined with IP_ADD_MEMBERSHIP on the PIM socket) must be readable there with recvfrom(), IPv4 header included (pimd 2.3.2 asks no IP_PKTINFO: it finds the vif from the source address)",
  igmp: "IGMP arriving on a vif's link (the receiver's report to 224.0.0.22 / the group, memberships 224.0.0.2 and 224.0.0.22 joined on the IGMP socket) must be delivered to pimd's IGMP routing socket, IPv4 header included, among the upcalls (ip_p 0) in arrival order",
  upcall: "a NOCACHE upcall (igmpmsg, ip_p 0) for the sender's first packet on pimd's socket, and the MFC entry pimd then installs (MRT_ADD_MFC, 60-byte Linux mfcctl)",
  forward: 'forwarding over the AF_PACKET links for the (S,G) pimd installed',
  register:
    "at the first hop, WHOLEPKT upcalls (type 3, the whole datagram after the igmpmsg) for an (S,G) whose oifs hold the register vif; pimd's unicast Register (sendto on the PIM socket, IP_HDRINCL, TTL 255, source its address on the source's link) to the RP through the host's routing; at the RP the Register decapsulated and fed in on the register vif as Linux's pim_rcv does (a NOCACHE upcall on the register vif, then MRT_ADD_MFC with the register vif as parent)",
  native: "pimd's (S,G) Join on the transit link; at the RP a WRONGVIF upcall (type 2) for the first native datagram on t0, on which pimd moves the entry's parent to t0 and unicasts a Register-Stop to the first hop",
  leave: "the receiver's IGMPv2 Leave delivered to pimd, its group-specific queries sent on r1, and its MRT_ADD_MFC/MRT_DEL_MFC without the receiver's vif honoured",
};

/** per step: on mrsh, say which plumbing the failure points at */
function need(mode: Mode, ok: unknown, msg: string, hint: string): asserts ok {
  assert.ok(ok, mode === 'mrsh' ? `${msg}\n  => mrsh needs: ${hint}` : msg);
}

const findSG = (mfc: Mfc[], s: string, g: string): Mfc | undefined => mfc.find((e) => e.source === s && e.group === g);

/** One run of a scenario on one lab: pimds on the kernel, or each under mrsh exec with its own mrsh daemon. */
class Run {
  readonly daemons = new Map<string, MrshDaemon>();
  readonly pimds: Pimd[] = [];
  constructor(
    readonly lab: PimLab,
    readonly mode: Mode,
    readonly name: string,
  ) {}

  async open(): Promise<void> {
    for (const r of this.lab.routers) {
      assert.deepEqual(this.lab.kernelState(r.ns), { vifs: [], mfc: [] }, `${this.mode} run: ${r.name}'s kernel multicast routing is unused before it starts`);
      if (this.mode === 'mrsh') {
        const d = new MrshDaemon(this.lab, `${this.name}-${r.name}`, r.ns);
        this.daemons.set(r.name, d);
        await d.ready();
        need(this.mode, /routing sockets \(mrsh exec\) on /.test(d.log), `mrsh daemon in ${r.name} listens for routing sockets:\n${d.log}`, NEED.start);
      }
    }
  }

  dataplane(router: string): Dataplane {
    const r = this.lab.router(router);
    return this.mode === 'kernel' ? new KernelDataplane(this.lab, r.ns) : new MrshDataplane(this.daemons.get(router)!);
  }

  async pimd(router: string, conf: string): Promise<Pimd> {
    const r = this.lab.router(router);
    const p = new Pimd(this.lab, r, `${this.name}-${router}`, conf, this.mode, this.daemons.get(router)?.socket);
    this.pimds.push(p);
    try {
      await p.ready();
    } catch (e) {
      need(this.mode, false, (e as Error).message, NEED.start);
    }
    this.noKernel(`once pimd in ${router} is ready`);
    return p;
  }

  /** mrsh runs: the kernel's multicast routing in every router namespace stays untouched */
  noKernel(when: string): void {
    if (this.mode !== 'mrsh') return;
    for (const r of this.lab.routers) assert.deepEqual(this.lab.kernelState(r.ns), { vifs: [], mfc: [] }, `mrsh run: /proc/net/ip_mr_vif and ip_mr_cache in ${r.name} stay empty ${when}`);
  }

  logs(): string {
    // MRSH_PIMD_LOGS=DIR: every log in full there (the failure message keeps the tails)
    const keep = process.env.MRSH_PIMD_LOGS;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      for (const p of this.pimds) writeFileSync(join(keep, `pimd-${p.tag}.log`), p.log);
      for (const [n, d] of this.daemons) writeFileSync(join(keep, `mrsh-${this.name}-${n}.log`), d.log);
    }
    const parts = this.pimds.map((p) => `--- pimd ${p.tag} (${p.mode}) ---\n${p.log.slice(-5000)}`);
    for (const [n, d] of this.daemons) parts.push(`--- mrsh daemon ${n} ---\n${d.log.slice(-3000)}`);
    return parts.join('\n');
  }

  async close(): Promise<void> {
    for (const p of this.pimds) await p.stop();
    for (const d of this.daemons.values()) await d.stop();
    // each pimd closed its routing socket: its vifs and MFC are gone, the next run starts clean
    for (const r of this.lab.routers) await poll(() => this.lab.kernelState(r.ns).mfc.length === 0 && this.lab.kernelState(r.ns).vifs.length === 0, 5000);
  }
}

async function once<T>(lab: PimLab, mode: Mode, name: string, scenario: (run: Run) => Promise<T>): Promise<T> {
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
    if (process.env.MRSH_PIMD_LOGS) run.logs();
    await run.close();
  }
}

const R1_CONF = ['phyint r0 enable', 'phyint t0 enable', ''].join('\n');
const R2_CONF = ['phyint t0 enable', 'phyint r1 enable', 'bsr-candidate t0 priority 5', 'rp-candidate t0 time 10 priority 20', ''].join('\n');

/** pimd's log shows the receiver's IGMP report for group (pimd's igmp_proto debugging) */
const sawReport = (p: Pimd, group: string): boolean => new RegExp(`igmp_src ${A.o.replace(/\./g, '\\.')} ssm_src \\S+ group ${group.replace(/\./g, '\\.')}`).test(p.log);

/** the kernel half's results, for the mrsh half of the same run */
const kernelResults = new Map<string, unknown>();

async function mrshHalf<T>(t: TestContext, key: string, lab: PimLab, scenario: (run: Run) => Promise<T>, compare: (m: T, k: T) => void): Promise<void> {
  const k = kernelResults.get(key) as T | undefined;
  const missing = mrshPimdMissing();
  if (missing) assert.fail(`${missing} (the kernel half ${k ? `passed: ${JSON.stringify(k)}` : 'did not pass'})`);
  assert.ok(k, 'the kernel half of this scenario passed first (it is the yardstick)');
  const m = await once(lab, 'mrsh', key, scenario);
  t.diagnostic(`mrsh: ${JSON.stringify(m)}`);
  compare(m, k);
}

// ---- scenario 1: one router, pimd DR and RP ----

interface OneResult {
  received: number;
  duplicates: number;
  sg: { iif: string; oifs: string[] } | null;
  pimdHasSG: boolean;
  leftOifs: string[];
  afterLeaveForwarded: number;
  /** timings: reported, not compared */
  ms: { rp: number; join: number; leave: number };
}

const G1 = '239.0.2.1';
const P1 = 5601;
const N1 = 200;

async function oneRouter(lab: PimLab, run: Run): Promise<OneResult> {
  const mode = run.mode;
  const dp = run.dataplane('R');
  const R = lab.router('R');
  const p = await run.pimd('R', ONE_CONF);
  const rpMs = await p.rpReady(A.r0).catch((e: Error) => need(mode, false, e.message, NEED.rp) as never);
  const cap = new Capture(lab, lab.O, 'o0', A.r1);
  await cap.started();
  const rx = await receive(lab, lab.O, G1, P1, A.o);
  const joinAt = Date.now();
  need(mode, await poll(() => sawReport(p, G1), 15000), `pimd saw the receiver's IGMP report for ${G1}`, NEED.igmp);
  const joinMs = Date.now() - joinAt;
  const s = send(lab, lab.S, G1, P1, A.s, N1, 'data', 5);
  await s.done;
  const all = await rx.waitFor(N1, 10000);
  const mfc = await dp.mfc();
  const e = findSG(mfc, A.s, G1);
  need(mode, e, `${dp.where} in R shows (${A.s}, ${G1}): ${JSON.stringify(mfc)}`, NEED.upcall);
  need(mode, all || rx.count('data') > 0, `the receiver got the traffic (${rx.count('data')} of ${N1})`, NEED.forward);
  const dump = await p.dump();
  const pimdHasSG = dumpHasSG(dump, A.s, G1);
  // leave: the receiver's socket closes, the kernel in O reports the leave; pimd (querier)
  // asks the group, then drops r1 from the entry
  const leftAt = await rx.leave();
  const gone = await poll(async () => {
    const x = findSG(await dp.mfc(), A.s, G1);
    return !x || !x.oifs.includes('r1');
  }, 60000, 100);
  need(mode, gone, `pimd took r1 out of (${A.s}, ${G1}) within 60 s of the leave: ${JSON.stringify(findSG(await dp.mfc(), A.s, G1))}`, NEED.leave);
  const leaveMs = Date.now() - leftAt;
  const left = findSG(await dp.mfc(), A.s, G1);
  const in0 = lab.rxPackets(R.ns, 'r0');
  const s2 = send(lab, lab.S, G1, P1, A.s, 50, 'after', 5);
  await s2.done;
  assert.ok(await poll(() => lab.rxPackets(R.ns, 'r0') - in0 >= 50, 5000), 'the router received the datagrams sent after the leave');
  // give a forwarder that would still forward them time to do so, then read the wire
  await rx.waitFor(Infinity, 500);
  const wire = await cap.stop();
  const seen = new Set<string>();
  let dups = 0;
  for (const m of rx.messages) (seen.has(m.payload) ? dups++ : seen.add(m.payload));
  return {
    received: seen.size,
    duplicates: dups,
    sg: { iif: e.iif, oifs: e.oifs },
    pimdHasSG,
    leftOifs: left?.oifs ?? [],
    afterLeaveForwarded: wire.filter((w) => w.pim === null && w.payload?.startsWith('after-')).length,
    ms: { rp: rpMs, join: joinMs, leave: leaveMs },
  };
}

// ---- scenario 2: two routers in a line, R2 the RP ----

interface LineResult {
  received: number;
  duplicates: number;
  /** datagrams lost at the switch from the Register path to the native one (at most SWITCH_LOSS) */
  lostAtSwitch: boolean;
  /** R1 and R2's (S,G) while the source flows natively */
  sgR1: { iif: string; oifs: string[] } | null;
  sgR2: { iif: string; oifs: string[] } | null;
  /** R2's (S,G) incoming interface as it changed while the source sent */
  iifsR2: string[];
  wire: {
    hellos: string[];
    /** Registers from R1 (its address on the source's link) to the RP carrying datagrams */
    registersWithData: boolean;
    registerStops: boolean;
    joins: boolean;
    /** the first datagram delivered had reached the RP in a Register, the last natively */
    firstViaRegister: boolean;
    lastNative: boolean;
    /** every datagram that crossed t0 natively after the last Register with data reached the receiver */
    nativeAllDelivered: boolean;
    /** no Register carried a datagram 100 ms after the first Register-Stop was on the wire (R1 stopped registering) */
    noRegisterAfterStop: boolean;
  };
  /** reported, not compared */
  info: { countersR1?: unknown; countersR2?: unknown; lost?: number[]; rpMsR1: number; rpMsR2: number; received: number; viaRegister: number; native: number; registers: number; registerStops: number; registersAfterStop: number; wrongIfR2: number; switchMs: number };
}

const G2 = '239.0.2.2';
const P2 = 5602;
/** one sender, continuous (pimd ages out an idle (S,G) within ~10 s): 800 datagrams 10 ms apart */
const N2 = 800;
const SWITCH_LOSS = 3;

const idx = (payload: string | null): number => (payload && /^data-\d+$/.test(payload) ? Number(payload.slice(5)) : -1);

async function lineRouters(lab: PimLab, run: Run): Promise<LineResult> {
  const mode = run.mode;
  const dp1 = run.dataplane('R1');
  const dp2 = run.dataplane('R2');
  const R2 = lab.router('R2');
  const cap = new Capture(lab, R2.ns, 't0', A.t1);
  await cap.started();
  const p2 = await run.pimd('R2', R2_CONF);
  const p1 = await run.pimd('R1', R1_CONF);
  const fail = (e: Error): never => need(mode, false, e.message, NEED.rp) as never;
  const rpMsR2 = await p2.rpReady(A.t2).catch(fail);
  // R1 learns the RP set from R2's Bootstrap, which needs R2 as its PIM neighbour (Hello)
  // (up to a Bootstrap period, 60 s, when its first Bootstrap left before the C-RP was in)
  const rpMsR1 = await p1.rpReady(A.t2, 150000).catch(fail);
  const rx = await receive(lab, lab.O, G2, P2, A.o);
  need(mode, await poll(() => sawReport(p2, G2), 15000), `pimd in R2 saw the receiver's IGMP report for ${G2}`, NEED.igmp);
  const sentAt = Date.now();
  const s = send(lab, lab.S, G2, P2, A.s, N2, 'data', 10);
  try {
    need(mode, await rx.waitFor(1, 10000, 'data'), 'the receiver behind R2 got the first datagram (through the Register path)', NEED.register);
    // the RP joined (S,G) towards S: R2's entry comes in on t0, R1's goes out on t0 only
    let sg1: Mfc | undefined;
    let sg2: Mfc | undefined;
    // R2's (S,G) first comes in on the register vif (the Registers decapsulated), then on
    // t0: pimd moves it on the WRONGVIF upcall of the first native datagram
    const iifsR2: string[] = [];
    const native = await poll(async () => {
      sg1 = findSG(await dp1.mfc(), A.s, G2);
      sg2 = findSG(await dp2.mfc(), A.s, G2);
      if (sg2 && iifsR2[iifsR2.length - 1] !== sg2.iif) iifsR2.push(sg2.iif);
      return !!sg1 && !!sg2 && sg2.iif === 't0' && sg2.oifs.includes('r1') && sg1.iif === 'r0' && sg1.oifs.join() === 't0';
    }, 15000, 100);
    need(mode, native, `the shortest path while the source sends: R1 ${dp1.where} (${A.s}, ${G2}) r0 -> t0, R2 t0 -> r1: R1 ${JSON.stringify(sg1)}, R2 ${JSON.stringify(sg2)}`, NEED.native);
    const switchMs = Date.now() - sentAt;
    need(mode, await poll(() => /Received PIM_REGISTER_STOP/.test(p1.log), 15000, 100), 'pimd in R1 received a Register-Stop from the RP (its log)', NEED.native);
    await s.done;
    await rx.waitFor(N2, 5000, 'data');
    const wrongIfR2 = findSG(await dp2.mfc(), A.s, G2)?.wrongIf ?? -1;
    // tshark may print the last frames late on a loaded machine: wait (bounded) until the
    // capture has the last datagram the receiver got, natively, or give up and let the
    // assertion below say it was not seen
    const lastGot = rx.messages.filter((m) => idx(m.payload) >= 0).pop()?.payload;
    await poll(() => cap.packets.some((w) => w.pim === null && w.src === A.s && w.payload === lastGot), 5000, 50);
    const wire = await cap.stop();
    const pim = (type: number, src?: string, dst?: string): WirePacket[] => wire.filter((w) => w.pim === type && (!src || w.src === src) && (!dst || w.dst === dst));
    // a Register's source is R1's address on the source's link (192.0.2.1), to the RP
    const regs = pim(1, A.r0, A.t2);
    const regData = regs.map((w) => idx(w.payload)).filter((i) => i >= 0);
    const nativeIdx = wire.filter((w) => w.pim === null && w.src === A.s).map((w) => idx(w.payload)).filter((i) => i >= 0);
    const got = rx.messages.map((m) => idx(m.payload)).filter((i) => i >= 0);
    const gotSet = new Set(got);
    const lastReg = regData.length ? Math.max(...regData) : -1;
    const stopAt = Math.min(...pim(2, A.t2, A.r0).map((w) => w.t));
    const t = tallyOf(rx, 'data');
    return {
      received: t.received,
      duplicates: t.duplicates,
      lostAtSwitch: N2 - t.received <= SWITCH_LOSS,
      sgR1: sg1 ? { iif: sg1.iif, oifs: sg1.oifs } : null,
      sgR2: sg2 ? { iif: sg2.iif, oifs: sg2.oifs } : null,
      iifsR2,
      wire: {
        hellos: [...new Set(pim(0).map((w) => w.src))].sort(),
        registersWithData: regData.length > 0,
        registerStops: pim(2, A.t2, A.r0).length > 0,
        joins: pim(3, A.t2, '224.0.0.13').length > 0,
        firstViaRegister: got.length > 0 && regData.includes(got[0]!),
        lastNative: got.length > 0 && nativeIdx.includes(got[got.length - 1]!),
        nativeAllDelivered: nativeIdx.some((i) => i > lastReg) && nativeIdx.filter((i) => i > lastReg).every((i) => gotSet.has(i)),
        // 100 ms: the Register-Stop's way to R1's pimd, and the WHOLEPKT upcalls already
        // queued on its socket before it (the RP answers each of those with another Stop)
        noRegisterAfterStop: regs.filter((w) => idx(w.payload) >= 0 && w.t > stopAt + 100).length === 0,
      },
      info: { ...(mode === 'mrsh' ? { countersR1: await dp1.counters(), countersR2: await dp2.counters() } : {}), lost: [...Array(N2).keys()].filter((i) => !gotSet.has(i)), rpMsR1, rpMsR2, received: t.received, viaRegister: regData.length, native: nativeIdx.length, registers: regs.length, registerStops: pim(2).length, registersAfterStop: regs.filter((w) => idx(w.payload) >= 0 && w.t > stopAt).length, wrongIfR2, switchMs },
    };
  } finally {
    await s.stop();
    // the next run's pimd must hear its own receiver's report, not answers to its first
    // query from a socket of this run still joined on O
    await rx.leave();
  }
}

function tallyOf(rx: Receiver, prefix: string): { received: number; duplicates: number } {
  const seen = new Set<string>();
  let dups = 0;
  for (const m of rx.messages) if (m.payload.startsWith(prefix + '-')) (seen.has(m.payload) ? dups++ : seen.add(m.payload));
  return { received: seen.size, duplicates: dups };
}

describe('pimd 2.3.x on the kernel, then under mrsh exec: the same multicast routing', { concurrency: false, timeout: 900_000 }, () => {
  const one = new PimLab('one');
  const line = new PimLab('line');

  before(() => {
    if (why) return;
    one.build();
    line.build();
  });
  after(() => {
    one.cleanup();
    line.cleanup();
  });

  const ONE_EXPECT = (r: OneResult): void => {
    assert.equal(r.received, N1, `every datagram reached the joined receiver (${r.received} of ${N1})`);
    assert.equal(r.duplicates, 0, 'no datagram twice');
    assert.deepEqual(r.sg, { iif: 'r0', oifs: ['r1'] }, 'the MFC shows (S,G) from r0 to r1');
    assert.ok(r.pimdHasSG, "pimd's own table (SIGUSR1 dump) has the (S,G)");
    assert.deepEqual(r.leftOifs, [], 'after the leave the entry forwards nowhere (or is gone)');
    assert.equal(r.afterLeaveForwarded, 0, 'nothing reached the receiver link after the leave');
    assert.ok(r.ms.leave < 20000, `the IGMPv2 Leave took effect in ${r.ms.leave} ms (pimd's last-member queries), not at the membership timeout`);
  };

  it('one router (kernel): pimd DR and RP; IGMP join, traffic, (S,G) in the MFC; the leave stops forwarding', async (t) => {
    if (why) return t.skip(why);
    const r = await once(one, 'kernel', 'one', (run) => oneRouter(one, run));
    t.diagnostic(`kernel: ${JSON.stringify(r)}`);
    ONE_EXPECT(r);
    kernelResults.set('one', r);
  });

  it('one router (mrsh): the same under mrsh exec', async (t) => {
    if (why) return t.skip(why);
    await mrshHalf(t, 'one', one, (run) => oneRouter(one, run), (m, k) => {
      ONE_EXPECT(m);
      assert.deepEqual({ ...m, ms: null }, { ...k, ms: null }, 'the same receptions and MFC as pimd on the kernel');
    });
  });

  const LINE_EXPECT = (r: LineResult): void => {
    assert.ok(r.lostAtSwitch, `the traffic arrived: ${r.received} of ${N2} (at most ${SWITCH_LOSS} lost at the switch to the native path)`);
    assert.equal(r.duplicates, 0, 'no datagram twice');
    assert.deepEqual(r.sgR1, { iif: 'r0', oifs: ['t0'] }, 'R1 (first hop) forwards (S,G) r0 -> t0, no longer to its register vif');
    assert.deepEqual(r.sgR2, { iif: 't0', oifs: ['r1'] }, 'R2 (RP, last hop) forwards (S,G) t0 -> r1');
    assert.deepEqual(r.iifsR2, ['register', 't0'], "R2's (S,G) came in on the register vif first, then on t0 (pimd moved it on WRONGVIF)");
    assert.deepEqual(r.wire.hellos, [A.t1, A.t2].sort(), 'PIM Hellos from both routers on the transit link');
    assert.ok(r.wire.registersWithData, 'R1 registered the first datagrams to the RP (PIM Registers carrying them)');
    assert.ok(r.wire.registerStops, 'the RP sent Register-Stop to R1');
    assert.ok(r.wire.joins, 'R2 sent a Join/Prune on the transit link');
    assert.ok(r.wire.firstViaRegister, 'the first datagram delivered came through a Register');
    assert.ok(r.wire.lastNative, 'the last one natively');
    assert.ok(r.wire.nativeAllDelivered, 'every datagram that crossed t0 natively after the last Register was delivered');
    assert.ok(r.wire.noRegisterAfterStop, 'R1 stopped registering at the Register-Stop');
  };

  it('two routers in a line (kernel): Register at the first hop, then native; Hellos, Joins, Register-Stops on the wire', async (t) => {
    if (why) return t.skip(why);
    const r = await once(line, 'kernel', 'line', (run) => lineRouters(line, run));
    t.diagnostic(`kernel: ${JSON.stringify(r)}`);
    LINE_EXPECT(r);
    kernelResults.set('line', r);
  });

  it('two routers in a line (mrsh): the same under mrsh exec', async (t) => {
    if (why) return t.skip(why);
    await mrshHalf(t, 'line', line, (run) => lineRouters(line, run), (m, k) => {
      LINE_EXPECT(m);
      assert.deepEqual({ ...m, received: null, info: null }, { ...k, received: null, info: null }, 'the same receptions, entries and wire as pimd on the kernel');
    });
  });

  it('join_to_forward_ms (kernel): receiver join to first datagram, sender already sending', async (t) => {
    if (why) return t.skip(why);
    const ms = await once(one, 'kernel', 'j2f', (run) => joinToForward(one, (c) => run.pimd('R', c), run.dataplane('R'), ['239.0.2.11', '239.0.2.12', '239.0.2.13']));
    t.diagnostic(`kernel join_to_forward_ms: ${JSON.stringify(ms.map((x) => Math.round(x * 10) / 10))}`);
    for (const x of ms) assert.ok(x > 0 && x < 5000, `join to first datagram ${x} ms`);
    kernelResults.set('j2f', ms);
  });

  it('join_to_forward_ms (mrsh): every join forwarded, the ratio to the kernel reported (bench:daemon holds the 1.5x goal)', async (t) => {
    if (why) return t.skip(why);
    await mrshHalf(t, 'j2f', one, (run) => joinToForward(one, (c) => run.pimd('R', c), run.dataplane('R'), ['239.0.2.11', '239.0.2.12', '239.0.2.13']), (m, k) => {
      const med = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
      // a ratio of a few ms on a shared machine is no pass/fail (1 run in 10 here went 1.5x
      // over under load): the figure is bench:daemon's, on a quiet machine
      for (const x of m) assert.ok(x > 0 && x < 5000, `join to first datagram ${x} ms`);
      t.diagnostic(`join_to_forward_ms median: mrsh ${med(m).toFixed(1)}, kernel ${med(k).toFixed(1)}, ratio ${(med(m) / med(k)).toFixed(2)}`);
    });
  });
});
