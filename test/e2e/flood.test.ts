// One client cannot take the daemon down (issue #14 §2): a client that pipelines 2,000
// `show mfc` requests against 3,000 entries in one write, while real traffic crosses the
// daemon between namespaces. The daemon stays up, its RSS stays under the bound the man
// page states, another client's `show mrt` is answered while the flood is still being
// answered, and every datagram sent is either received or in a drop counter. Likewise a
// million-packet `inject`: the real flow keeps being forwarded while it runs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { Netns, nsExec, skipReason } from '../dataplane/links/helpers.js';
import { ControlClient } from '../../src/control/client.js';
import { Daemon, cleanupDaemons, tempDir } from '../control/daemon-helpers.js';
import { countReceive, ifStat, paceSend, rssOf, udpSnmp, type Counter } from './traffic.js';

const why = skipReason();
const SRC = '198.51.100.2';
const FLOW = '239.51.0.1';
const PORT = 5420;
const ENTRIES = 3000;
const REQUESTS = 2000;
/** the bound man/mrsh.8 states for a daemon with a few thousand entries under such a flood */
const RSS_BOUND = 256 << 20;

function startup(): string {
  const l = ['mrt init ipv4', 'vif add 0 dev r0', 'vif add 1 dev r1'];
  for (let i = 0; i < ENTRIES; i++) l.push(`mfc add ${SRC} 239.51.${i >> 8}.${(i & 255) + 1} iif 0 oif 1`);
  l.push(`mfc add ${SRC} 239.52.0.1 iif 0`); // inject's target: forwarded nowhere
  return l.join('\n') + '\n';
}

/** a connection that writes the whole flood at once and counts the reply lines */
function flood(path: string, n: number): Promise<{ sock: Socket; replies: () => number; bytes: () => number }> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let replies = 0;
    let bytes = 0;
    sock.on('data', (d: Buffer) => {
      bytes += d.length;
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) replies++;
    });
    sock.once('error', reject);
    sock.once('connect', () => {
      let text = '';
      for (let i = 1; i <= n; i++) text += JSON.stringify({ id: i, line: 'show mfc' }) + '\n';
      sock.write(text);
      resolve({ sock, replies: () => replies, bytes: () => bytes });
    });
  });
}

interface VifJson {
  index: number;
  pktsOut: number;
  txDropped: number;
  rx?: { dropped: Record<string, number>; kernelDropped: Record<string, number> };
}

const sum = (o: Record<string, number> | undefined): number => Object.values(o ?? {}).reduce((a, b) => a + b, 0);

describe('one client cannot take the daemon down', { concurrency: false, timeout: 240_000 }, () => {
  const ns = new Netns(`mrsh-fl-${process.pid}`);
  let S = '';
  let R = '';
  let O = '';
  let d: Daemon | null = null;
  let sock = '';
  let rx: Counter | null = null;

  before(async () => {
    if (why) return;
    S = ns.add('s');
    R = ns.add('r');
    O = ns.add('o');
    ns.veth(S, 's0', R, 'r0');
    ns.veth(O, 'o0', R, 'r1');
    nsExec(S, 'ip', ['addr', 'add', `${SRC}/24`, 'dev', 's0']);
    nsExec(S, 'ip', ['route', 'add', '239.0.0.0/8', 'dev', 's0']);
    nsExec(O, 'ip', ['addr', 'add', '203.0.113.2/24', 'dev', 'o0']);
    nsExec(O, 'ip', ['route', 'add', '239.0.0.0/8', 'dev', 'o0']);
    const dir = tempDir();
    sock = join(dir, 'mrsh.sock');
    writeFileSync(join(dir, 'startup.conf'), startup());
    d = new Daemon(sock, ['-f', join(dir, 'startup.conf')], { ns: R });
    await d.ready(60_000);
    rx = await countReceive(O, FLOW, PORT, '203.0.113.2');
  });

  after(() => {
    rx?.stop();
    cleanupDaemons();
    ns.cleanup();
  });

  /** datagrams lost on the way, by where they were counted */
  async function drops(c: ControlClient): Promise<Record<string, number>> {
    const v = await c.request('show vif | json');
    assert.ok(v.ok && v.output?.kind === 'vif');
    const vifs = v.output.vifs as unknown as VifJson[];
    const v0 = vifs.find((x) => x.index === 0)!;
    const v1 = vifs.find((x) => x.index === 1)!;
    const snmp = udpSnmp(O);
    return {
      's0 tx_dropped': ifStat(S, 's0', 'tx_dropped'),
      'r0 rx_dropped': ifStat(R, 'r0', 'rx_dropped'),
      'vif 0 link drops': sum(v0.rx?.dropped),
      'vif 0 kernel ring drops': sum(v0.rx?.kernelDropped),
      'vif 1 txDropped': v1.txDropped,
      'r1 tx_dropped': ifStat(R, 'r1', 'tx_dropped'),
      'o0 rx_dropped': ifStat(O, 'o0', 'rx_dropped'),
      'O udp RcvbufErrors': snmp.RcvbufErrors ?? 0,
      'O udp InErrors': snmp.InErrors ?? 0,
    };
  }

  it('2,000 pipelined `show mfc` against 3,000 entries, traffic flowing: alive, bounded, others answered, nothing lost uncounted', async (t) => {
    if (why) return t.skip(why);
    const other = await ControlClient.connect(sock);
    const before = await drops(other);
    const got0 = rx!.count;
    let maxRss = rssOf(d!.child.pid!);
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssOf(d!.child.pid!))), 50);
    try {
      const f = await flood(sock, REQUESTS);
      // the flood is being answered before anything else is asked
      while (f.replies() < 3) await new Promise((r) => setTimeout(r, 10));
      const traffic = paceSend(S, FLOW, PORT, SRC, 20_000, 100, 5);
      // another client is answered while the flood goes on, again and again
      for (let k = 0; k < 5; k++) {
        const at = f.replies();
        const m = await other.request('show mrt');
        assert.ok(m.ok, 'show mrt answered');
        assert.ok(f.replies() < REQUESTS, `show mrt #${k} answered while the flood is in progress (${f.replies()} of ${REQUESTS} replies out)`);
        assert.ok(at < REQUESTS);
      }
      const sent = await traffic;
      const progress = f.replies();
      assert.ok(progress < REQUESTS, 'the flood outlasts the traffic');
      f.sock.destroy();
      const got = (await rx!.settle(300, 5000)) - got0;
      const after = await drops(other);
      const delta = Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - before[k]!]));
      const counted = Object.values(delta).reduce((a, b) => a + b, 0);
      t.diagnostic(`sent ${sent.sent}, received ${got}, counted drops ${JSON.stringify(delta)}; flood replies ${progress}; max RSS ${(maxRss / 1048576).toFixed(0)} MB`);
      assert.equal(sent.failed, 0, 'the sender sent everything');
      assert.equal(got + counted, sent.sent, 'every datagram was received or counted as dropped');
      assert.ok(maxRss < RSS_BOUND, `RSS ${(maxRss / 1048576).toFixed(0)} MB under ${RSS_BOUND >> 20} MB`);
      // alive, and still forwarding
      const m = await other.request('show mrt');
      assert.ok(m.ok);
      assert.equal(d!.child.exitCode, null);
    } finally {
      clearInterval(sampler);
      other.close();
    }
  });

  it('`inject … count 1000000` runs while the real flow keeps being forwarded', async (t) => {
    if (why) return t.skip(why);
    const c = await ControlClient.connect(sock);
    try {
      const traffic = paceSend(S, FLOW, PORT, SRC, 12_000, 20, 5);
      const start = rx!.count;
      while (rx!.count === start) await new Promise((r) => setTimeout(r, 5));
      const atInject = rx!.count;
      const r = await c.request(`inject 0 ${SRC} 239.52.0.1 count 1000000`);
      const atReply = rx!.count;
      assert.ok(r.ok && r.output?.kind === 'inject', r.ok ? '' : r.error.message);
      assert.equal(r.output.result.sent, 1_000_000);
      await traffic;
      t.diagnostic(`flow datagrams received while the inject ran: ${atReply - atInject}`);
      assert.ok(atReply > atInject, 'the flow was forwarded while the million packets were injected');
    } finally {
      c.close();
    }
  });
});
