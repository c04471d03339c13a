// The control socket in process: a real Router on virtual links behind a ControlServer,
// real unix-socket clients. Several clients at once, malformed input, a client that
// vanishes mid-request, a subscriber that never reads.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from '../../src/router/router.js';
import { ControlServer, probeSocket } from '../../src/control/server.js';
import { ControlClient } from '../../src/control/client.js';
import { RemoteSession } from '../../src/control/remote.js';
import type { UpcallEvent } from '../../src/router/api.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** raw JSON-lines connection, for what a well-behaved client never sends */
function raw(path: string): Promise<{ send(s: string): void; next(): Promise<any>; destroy(): void }> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    const lines: string[] = [];
    const waiters: ((l: string) => void)[] = [];
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const w = waiters.shift();
        if (w) w(l);
        else lines.push(l);
      }
    });
    s.once('error', reject);
    s.once('connect', () =>
      resolve({
        send: (t) => s.write(t),
        next: () => new Promise((r) => (lines.length ? r(JSON.parse(lines.shift()!)) : waiters.push((l) => r(JSON.parse(l))))),
        destroy: () => s.destroy(),
      }),
    );
  });
}

describe('control socket server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-ctl-'));
  const path = join(dir, 'mrsh.sock');
  let router: Router;
  let server: ControlServer;

  before(async () => {
    router = await Router.create();
    server = new ControlServer(router, { path, eventHighWater: 64 << 10 });
    await server.listen();
    const c = await ControlClient.connect(path);
    for (const l of ['mrt init', 'vif add 0 virtual eth0', 'vif add 1 virtual eth1', 'vif add 2 virtual eth2', 'mfc add 10.0.0.1 239.1.1.1 iif 0 oif 1']) {
      const r = await c.request(l);
      assert.ok(r.ok, l);
    }
    c.close();
  });
  after(async () => {
    await server.close();
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the socket is mode 0600 and answers', async () => {
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(await probeSocket(path), 'live');
  });

  it('serves several clients at once, each reply after its command was applied', async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => ControlClient.connect(path)));
    await Promise.all(
      clients.map(async (c, i) => {
        for (let k = 0; k < 50; k++) {
          const r = await c.request(`mfc add 10.1.${i}.${k} 239.2.${i}.${k} iif 0 oif 1 oif 2`);
          assert.ok(r.ok);
          // applied: the entry is visible to the very next request of any client
          const s = await c.request(`show mroute 10.1.${i}.${k} 239.2.${i}.${k} | json`);
          assert.ok(s.ok && s.output && s.output.kind === 'mroute' && s.output.entries.length === 1);
        }
      }),
    );
    assert.equal(router.listMfc('inet').length, 1 + 8 * 50);
    for (const c of clients) c.close();
  });

  it('an async command (vif add) is answered only once applied, in order with later lines', async () => {
    const c = await ControlClient.connect(path);
    const [a, b] = await Promise.all([c.request('vif add 5 virtual eth5'), c.request('mfc add 10.0.0.5 239.5.5.5 iif 5 oif 1')]);
    assert.ok(a.ok && b.ok);
    assert.equal(router.listVifs('inet').some((v) => v.index === 5), true);
    c.close();
  });

  it('malformed JSON gets an error reply and the connection survives', async () => {
    const r = await raw(path);
    r.send('this is not json\n');
    const e1 = await r.next();
    assert.equal(e1.ok, false);
    assert.match(e1.error.message, /^malformed request/);
    r.send('{"line":"show mrt"}\n');
    assert.match((await r.next()).error.message, /numeric id/);
    r.send('{"id":7,"what":1}\n');
    assert.equal((await r.next()).id, 7);
    r.send('{"id":8,"line":"show mrt"}\n');
    const ok = await r.next();
    assert.equal(ok.id, 8);
    assert.equal(ok.ok, true);
    assert.equal(ok.output.kind, 'mrt');
    r.send('{"id":9,"line":"show mr 1.2.3.4.5"}\n');
    const pe = await r.next();
    assert.equal(pe.error.parse, true);
    assert.equal(pe.error.offset, 8);
    r.destroy();
  });

  it('a client killed mid-request harms nobody', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await raw(path);
      r.send(`{"id":1,"line":"vif add ${10 + (i % 5)} virtual k${i}"}\n{"id":2,"line":"show mroute"}\n{"id":3,"line":"inject 0 10.0.0.1 239.1.1.1 count 50"}\n{"id":4,"line":"show mr`);
      r.destroy();
    }
    await sleep(50);
    const c = await ControlClient.connect(path);
    const r = await c.request('show mrt | json');
    assert.ok(r.ok);
    c.close();
  });

  it('a subscriber that never reads loses events (counted), forwarding and others go on', async () => {
    // a raw connection that subscribes, then stops reading
    const slow = createConnection(path);
    await new Promise<void>((r) => slow.once('connect', () => r()));
    slow.write('{"id":1,"subscribe":"upcalls"}\n');
    await sleep(20);
    slow.pause();
    const fast = await RemoteSession.open(await ControlClient.connect(path));
    const seen: UpcallEvent[] = [];
    fast.on('upcall', (e) => seen.push(e));
    await sleep(20);
    const c = await ControlClient.connect(path);
    const t0 = Date.now();
    for (let k = 0; k < 40; k++) {
      // new groups each time: NOCACHE upcalls, 250 per request
      const r = await c.request(`inject 0 10.3.${k}.1 239.3.${k}.1 count 1`);
      assert.ok(r.ok);
      for (let j = 0; j < 250; j++) router.inject({ vif: 0, source: `10.4.${k}.${j}`, group: '239.4.4.4' });
      await sleep(1);
    }
    assert.ok(Date.now() - t0 < 10_000);
    await sleep(100);
    assert.ok(server.droppedEvents > 0, 'events for the stalled subscriber were dropped');
    assert.ok(seen.length > 1000, `the reading subscriber got its events (${seen.length})`);
    slow.destroy();
    fast.close();
    c.close();
  });

  it('the live view follows the status of the daemon', async () => {
    const s = await RemoteSession.open(await ControlClient.connect(path));
    assert.equal(s.status().inet.initialized, true);
    s.close();
  });

  it('close removes the socket file; a stale one is detected', async () => {
    const p2 = join(dir, 'b.sock');
    const r2 = await Router.create();
    const s2 = new ControlServer(r2, { path: p2 });
    await s2.listen();
    await assert.rejects(new ControlServer(r2, { path: p2 }).listen(), /already answering/);
    await s2.close();
    assert.equal(existsSync(p2), false);
    await r2.close();
  });
});
