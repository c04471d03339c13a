// The daemon's routing-socket endpoint, spoken to by a stand-in for the preload library
// (tools/rsock_client.py) over its real SOCK_SEQPACKET socket: ownership across sockets,
// Linux layouts on the wire, upcalls on the data side, refusals for the shell while
// another program owns a family, and the teardown when the owner's socket closes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Router } from '../../src/router/router.js';
import { VirtualLink } from '../../src/dataplane/links/virtual.js';
import { MrouteEndpoint } from '../../src/control/mroute-endpoint.js';
import { loadNative } from '../../src/dataplane/links/native.js';

const TOOL = new URL('./tools/rsock_client.py', import.meta.url).pathname;
const EADDRINUSE = 98;
const ENOENT = 2;

class Client {
  private child: ChildProcess;
  private waiting: ((v: any) => void)[] = [];
  readonly unsolicited: any[] = [];
  constructor(path: string) {
    this.child = spawn('python3', [TOOL, path], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      const m = JSON.parse(l);
      if (m.mismatch !== undefined) this.unsolicited.push(m);
      else this.waiting.shift()?.(m);
    });
  }
  q(req: object): Promise<any> {
    return new Promise((r) => {
      this.waiting.push(r);
      this.child.stdin!.write(JSON.stringify(req) + '\n');
    });
  }
  get pid(): number {
    return this.child.pid!;
  }
  stop(): void {
    this.child.kill('SIGKILL');
  }
}

const int = (v: number) => Buffer.from(Int32Array.of(v).buffer).toString('hex');
/** Linux's vifctl: vifi, flags, threshold, rate_limit, lcl_addr | lcl_ifindex, rmt_addr */
function vifctl(vifi: number, ifindex: number): string {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(vifi, 0);
  b[2] = 0x8; // VIFF_USE_IFINDEX
  b[3] = 1;
  b.writeInt32LE(ifindex, 8);
  return b.toString('hex');
}
/** Linux's 60-byte mfcctl */
function mfcctl(src: string, grp: string, parent: number, oifs: number[]): string {
  const b = Buffer.alloc(60);
  b.set(src.split('.').map(Number), 0);
  b.set(grp.split('.').map(Number), 4);
  b.writeUInt16LE(parent, 8);
  for (const o of oifs) b[10 + o] = 1;
  return b.toString('hex');
}

const why = loadNative() === null ? 'the native addon is not built' : null;

describe('routing-socket endpoint', { skip: why ?? false }, () => {
  let dir: string;
  let router: Router;
  let ep: MrouteEndpoint;
  let log: string[];
  let path: string;
  const links: VirtualLink[] = [];
  const clients: Client[] = [];
  const client = () => {
    const c = new Client(path);
    clients.push(c);
    return c;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mrsh-ep-'));
    path = join(dir, 'mrsh.sock.mroute');
    router = await Router.create({
      openLink: async (spec) => {
        const l = new VirtualLink(spec.name, []);
        links.push(l);
        return l;
      },
    });
    log = [];
    ep = new MrouteEndpoint(router, { path, log: (m) => log.push(m) });
    ep.listen();
  });
  after(async () => {
    for (const c of clients) c.stop();
    await ep.close();
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const until = async (pred: () => boolean, what: string) => {
    const end = Date.now() + 5000;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; log:\n${log.join('\n')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('the first MRT_INIT owns the family; a second socket gets EADDRINUSE; the shell is refused with the owner named', async () => {
    const a = client();
    const sa = await a.q({ op: 'open', family: 4 });
    assert.equal(sa.err, 0);
    assert.equal((await a.q({ op: 'set', sock: sa.sock, name: 200, hex: int(1) })).err, 0);
    const st = router.mrtStatus('inet');
    assert.equal(st.initialized, true);
    assert.equal(st.owner?.pid, a.pid);

    const b = client();
    const sb = await b.q({ op: 'open', family: 4 });
    assert.equal((await b.q({ op: 'set', sock: sb.sock, name: 200, hex: int(1) })).err, EADDRINUSE);

    assert.throws(() => router.addMfc({ family: 'inet', source: '192.0.2.1', group: '239.1.1.1', parent: 0, oifs: [] }), (e: Error) => {
      assert.match(e.message, /^EADDRINUSE: ipv4 routing socket owned by \S+ \(pid \d+\)/);
      return true;
    });
    assert.throws(() => router.mrtInit('inet'), /EADDRINUSE/);
    assert.match(router.runningConfig().join('\n'), /! ipv4 routing socket owned by .* not part of this configuration/);
    assert.doesNotMatch(router.runningConfig().join('\n'), /^mrt init ipv4$/m);
    // the other family stays the shell's
    router.mrtInit('inet6');
    router.mrtDone('inet6');
    await a.q({ op: 'close', sock: sa.sock });
    await until(() => router.mrtStatus('inet').initialized === false, 'the teardown');
  });

  it('a daemon adds a vif by ifindex and an entry in Linux layouts; an upcall reaches its data socket; counters by ioctl', async () => {
    const a = client();
    const s = (await a.q({ op: 'open', family: 4 })).sock;
    assert.equal((await a.q({ op: 'set', sock: s, name: 200, hex: int(1) })).err, 0);
    assert.equal((await a.q({ op: 'set', sock: s, name: 202, hex: vifctl(0, 1) })).err, 0); // lo
    assert.equal((await a.q({ op: 'set', sock: s, name: 202, hex: vifctl(1, 1) })).err, 0);
    const vifs = router.listVifs('inet');
    assert.deepEqual(vifs.map((v) => v.index), [0, 1]);

    // no entry yet: the packet is held and a NOCACHE goes to the owner, byte for byte
    router.inject({ vif: 0, source: '192.0.2.1', group: '239.1.1.1', count: 1 });
    const up = await a.q({ op: 'recv', sock: s, timeout: 5 });
    assert.equal(up.kind, 1);
    const msg = Buffer.from(up.hex, 'hex');
    assert.equal(msg[8], 1, 'im_msgtype NOCACHE');
    assert.equal(msg[9], 0, 'im_mbz');
    assert.equal(msg[10], 0, 'im_vif');
    assert.deepEqual([...msg.subarray(12, 16)], [192, 0, 2, 1]);
    assert.equal(up.src.slice(0, 8), 'c0000201');

    assert.equal((await a.q({ op: 'set', sock: s, name: 204, hex: mfcctl('192.0.2.1', '239.1.1.1', 0, [1]) })).err, 0);
    const [e] = router.listMfc('inet');
    assert.equal(e.installedBy, 'daemon');
    assert.deepEqual(e.oifs.map((o) => o.vif), [1]);
    router.inject({ vif: 0, source: '192.0.2.1', group: '239.1.1.1', count: 4 });
    // SIOCGETSGCNT (SIOCPROTOPRIVATE + 1): the held packet and the four after it
    const req = Buffer.alloc(32);
    req.set([192, 0, 2, 1], 0);
    req.set([239, 1, 1, 1], 4);
    const r = await a.q({ op: 'ioctl', sock: s, name: 0x89e1, hex: req.toString('hex') });
    assert.equal(r.err, 0);
    assert.equal(Buffer.from(r.hex, 'hex').readBigUInt64LE(8), 5n);

    // a pipelined delete the library wrongly thought would succeed is reported back
    await a.q({ op: 'set', sock: s, name: 205, hex: mfcctl('192.0.2.9', '239.1.1.1', 0, []), flags: 1, expect: 0, wait: false });
    await a.q({ op: 'get', sock: s, name: 206, hex: int(0) }); // a synchronous call after it
    assert.deepEqual(a.unsolicited, [{ mismatch: a.unsolicited[0]?.mismatch, err: ENOENT }]);
    assert.equal(ep.mismatches, 1);

    // the owner goes away (as with kill -9): everything it installed goes with it
    a.stop();
    await until(() => router.mrtStatus('inet').initialized === false, 'the teardown');
    await until(() => log.some((l) => /closed its ipv4 routing socket: 2 vifs, 1 MFC entries/.test(l)), 'the log line');
    assert.equal(router.listVifs('inet').length, 0);
    assert.equal(router.listMfc('inet').length, 0);
    assert.equal(router.mrtStatus('inet').owner, null);
    // and the family is free again
    router.mrtInit('inet');
    router.mrtDone('inet');
  });

  it('IGMP arriving on a vif reaches the owner with its IP header; a socket it does not read bounds them and they are counted', async () => {
    const a = client();
    const s = (await a.q({ op: 'open', family: 4 })).sock;
    assert.equal((await a.q({ op: 'set', sock: s, name: 200, hex: int(1) })).err, 0);
    assert.equal((await a.q({ op: 'set', sock: s, name: 202, hex: vifctl(0, 1) })).err, 0);
    const link = links[links.length - 1];
    // an IGMPv2 report for 239.1.1.1 from 192.0.2.7, TTL 1
    const report = Buffer.from('46c000200000400001020000c0000207ef01010194040000' + '1600fafdef010101', 'hex');
    link.receive(report);
    const got = await a.q({ op: 'recv', sock: s, timeout: 5 });
    assert.equal(got.kind, 2);
    assert.equal(got.ifindex, link.ifindex);
    assert.equal(got.hex, report.toString('hex'));
    assert.equal(got.src.slice(0, 8), 'c0000207');
    // a flood it does not read: bounded by its socket's buffer, every one counted
    const st0 = router.stats('inet');
    for (let i = 0; i < 5000; i++) link.receive(report);
    const st = router.stats('inet');
    const delivered = st.control_to_daemon - st0.control_to_daemon;
    const dropped = st.control_dropped_sockfull - st0.control_dropped_sockfull;
    assert.equal(delivered + dropped, 5000);
    assert.ok(dropped > 0 && delivered > 0, `delivered ${delivered}, dropped ${dropped}`);
    a.stop();
    await until(() => router.mrtStatus('inet').initialized === false, 'the teardown');
  });

  it('a connection that is not the protocol is answered and closed, the router untouched', async () => {
    const c = client();
    const before = ep.socketCount;
    const r = await c.q({ op: 'raw', hex: 'deadbeef' });
    assert.equal(r.eof_after, true);
    assert.equal(Buffer.from(r.hex, 'hex').readUInt16LE(6) !== 0, true, 'an errno in the hello reply');
    assert.equal(ep.socketCount, before);
    assert.equal(router.mrtStatus('inet').initialized, false);
  });
});
