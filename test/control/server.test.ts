// The control socket in process: a real Router on virtual links behind a ControlServer,
// real unix-socket clients. Several clients at once, malformed input, a client that
// vanishes mid-request, a subscriber that never reads.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from '../../src/router/router.js';
import { ControlServer, probeSocket } from '../../src/control/server.js';
import { ControlClient, peerProblem } from '../../src/control/client.js';
import { checkPrivateDir, defaultSocketPath, privateSocketDir } from '../../src/control/socket-path.js';
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
    // the killed clients' lines run (or not) in any order with this one's: it must be answered
    const c = await ControlClient.connect(path);
    const r = await c.request('show mrt | json');
    assert.ok(r.ok);
    c.close();
  });

  it('a subscriber that never reads loses events (counted), forwarding and others go on', async () => {
    // a raw connection that subscribes, then stops reading
    const slow = createConnection(path);
    await new Promise<void>((r) => slow.once('connect', () => r()));
    // subscribed once its reply is in (then it stops reading)
    const subscribed = new Promise<void>((r) => slow.once('data', () => r()));
    slow.write('{"id":1,"subscribe":"upcalls"}\n');
    await subscribed;
    slow.pause();
    const fast = await RemoteSession.open(await ControlClient.connect(path));
    const seen: UpcallEvent[] = [];
    fast.on('upcall', (e) => seen.push(e));
    // a reply on the same connection after the subscribe: the subscription is in place
    await fast.exec('show mrt');
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
    // the last events reach the reading subscriber after the last reply
    for (let i = 0; i < 500 && seen.length <= 1000; i++) await sleep(10);
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

  // issue #14 §4: the error reply was queued for the next tick, after end(): EOF only.
  // And a line whose newline came in the same chunk was never measured.
  it('an over-long request line gets its error reply before the close, wherever its newline falls', { timeout: 10_000 }, async () => {
    const p3 = join(dir, 'small.sock');
    const r3 = await Router.create();
    const s3 = new ControlServer(r3, { path: p3, maxLine: 1000 });
    await s3.listen();
    const big = `{"id":1,"line":"show mrt ${'x'.repeat(2000)}"}`;
    for (const how of ['one chunk with its newline', 'no newline yet', 'newline in a later chunk']) {
      const c = createConnection(p3);
      await new Promise<void>((r) => c.once('connect', () => r()));
      let got = '';
      c.setEncoding('utf8').on('data', (d: string) => (got += d));
      const closed = new Promise<void>((r) => c.once('close', () => r()));
      c.on('error', () => {});
      if (how === 'one chunk with its newline') c.write(big + '\n');
      else if (how === 'no newline yet') c.write(big);
      else {
        c.write(big.slice(0, 900));
        c.write(big.slice(900) + '\n{"id":2,"line":"show mrt"}\n');
      }
      await closed;
      const replies = got.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      assert.equal(replies.length, 1, `${how}: ${got}`);
      assert.equal(replies[0].error.errno, 'EMSGSIZE', how);
      assert.match(replies[0].error.message, /request line too long/);
    }
    await s3.close();
    await r3.close();
  });

  it('never removes a non-socket at the path; close removes only its own socket', async () => {
    const f = join(dir, 'file.sock');
    writeFileSync(f, 'data\n');
    const r4 = await Router.create();
    await assert.rejects(new ControlServer(r4, { path: f }).listen(), /is not a socket: refusing to replace it/);
    assert.equal(readFileSync(f, 'utf8'), 'data\n');
    const l = join(dir, 'link.sock');
    symlinkSync(f, l);
    await assert.rejects(new ControlServer(r4, { path: l }).listen(), /is not a socket/);
    assert.ok(lstatSync(l).isSymbolicLink());
    // the socket is bound elsewhere and renamed into place: no helper directory is left
    const p5 = join(dir, 'own.sock');
    const s5 = new ControlServer(r4, { path: p5 });
    await s5.listen();
    assert.equal(statSync(p5).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.mrsh-')), []);
    const c = await ControlClient.connect(p5);
    assert.ok((await c.request('show mrt')).ok);
    c.close();
    await s5.close();
    assert.equal(existsSync(p5), false);
    await r4.close();
  });

  it('a client refuses a daemon that is neither root nor its own user', async () => {
    const c = createConnection(path);
    await new Promise<void>((r) => c.once('connect', () => r()));
    const me = process.getuid!();
    assert.equal(peerProblem(c, path, me), null);
    // the same daemon seen by another user: refused, unless the daemon is root's
    if (me !== 0) assert.match(peerProblem(c, path, me + 1) ?? '', new RegExp(`runs as uid ${me}, neither root nor you`));
    else assert.equal(peerProblem(c, path, 4242), null);
    c.destroy();
  });

  it('the default per-user socket lives in a 0700 directory the user owns, checked', () => {
    assert.equal(defaultSocketPath({}, 1000), '/tmp/mrsh-1000/mrsh.sock');
    assert.equal(defaultSocketPath({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), '/run/user/1000/mrsh.sock');
    assert.equal(defaultSocketPath({}, 0), '/run/mrsh.sock');
    assert.equal(privateSocketDir('/tmp/mrsh-1000/mrsh.sock', {}, 1000), '/tmp/mrsh-1000');
    assert.equal(privateSocketDir('/x/y.sock', { MRSH_SOCKET: '/x/y.sock' }, 1000), null);
    const me = process.getuid!();
    const d = join(dir, 'priv');
    assert.equal(checkPrivateDir(d, false, me), false);
    assert.equal(checkPrivateDir(d, true, me), true);
    assert.equal(statSync(d).mode & 0o777, 0o700);
    chmodSync(d, 0o755);
    assert.throws(() => checkPrivateDir(d, true, me), /mode 0755/);
    assert.throws(() => checkPrivateDir(d, true, me + 1), /owned by uid/);
    const l = join(dir, 'privlink');
    mkdirSync(join(dir, 'real'), { mode: 0o700 });
    symlinkSync(join(dir, 'real'), l);
    assert.throws(() => checkPrivateDir(l, true, me), /not a directory/);
  });
});
