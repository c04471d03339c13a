// A second `mrsh daemon` on a socket where one already answers refuses before it touches
// any link: the first daemon's vifs and entries stay as they were, its interface keeps its
// settings, and the TUN device the second one's startup file names never appears (watched
// with `ip monitor link` in the namespace while the second one runs).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Netns, nsExec, skipReason } from '../dataplane/links/helpers.js';
import { Daemon, cleanupDaemons, mrsh, tempDir } from '../control/daemon-helpers.js';

const why = skipReason();

describe('a second daemon on a live socket', { concurrency: false }, () => {
  const ns = new Netns(`mrsh-2d-${process.pid}`);
  let R = '';
  let dir = '';
  let sock = '';

  before(async () => {
    if (why) return;
    const S = ns.add('s');
    R = ns.add('r');
    ns.veth(S, 's0', R, 'r0');
    dir = tempDir();
    sock = join(dir, 'mrsh.sock');
    writeFileSync(join(dir, 'a.conf'), 'mrt init ipv4\nvif add 0 dev r0\nmfc add 192.0.2.1 239.2.2.2 iif 0\n');
    const a = new Daemon(sock, ['-f', join(dir, 'a.conf')], { ns: R });
    await a.ready();
  });

  after(() => {
    cleanupDaemons();
    ns.cleanup();
  });

  it('refuses with the reason, and the first daemon, its links and interfaces are unchanged', async (t) => {
    if (why) return t.skip(why);
    const tun = `m2t${process.pid % 100000}`;
    writeFileSync(join(dir, 'b.conf'), `mrt init ipv4\nvif add 0 dev r0\nvif add 1 tun ${tun}\nmfc add 192.0.2.9 239.9.9.9 iif 0 oif 1\n`);
    // the vifs as configured; the Link input counters below them count the kernel's own
    // chatter on r0 (IPv6 router solicitations, MLD), which may arrive at any time
    const vifTable = (): string => mrsh(['--socket', sock, 'show', 'vif']).stdout.split('Link input')[0]!;
    const vifsBefore = vifTable();
    const mfcBefore = mrsh(['--socket', sock, 'show', 'mfc']).stdout;
    const linkBefore = nsExec(R, 'ip', ['-d', 'link', 'show', 'r0']);

    // every link event in the namespace while the second daemon runs (line-buffered: ip
    // monitor holds its output in a pipe otherwise)
    const mon = spawn('ip', ['netns', 'exec', R, 'stdbuf', '-oL', 'ip', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let events = '';
    mon.stdout.setEncoding('utf8').on('data', (d: string) => (events += d));
    try {
      // the monitor is listening once it reports a probe link
      const probe = `m2p${process.pid % 100000}`;
      for (let i = 0; i < 200 && !events.includes(probe); i++) {
        nsExec(R, 'ip', ['link', 'add', probe, 'type', 'veth', 'peer', 'name', `${probe}b`], { allowFail: true });
        nsExec(R, 'ip', ['link', 'del', probe], { allowFail: true });
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(events.includes(probe), 'ip monitor started');
      events = '';

      const b = new Daemon(sock, ['-f', join(dir, 'b.conf')], { ns: R });
      assert.equal(await b.exited, 1);
      assert.match(b.log, /a daemon is already answering there; nothing was changed/);
      assert.doesNotMatch(b.log, /commands applied/, 'its startup file was not applied');
      // whatever the kernel had to say about links has been said by the time a probe shows
      nsExec(R, 'ip', ['link', 'add', `${tun}x`, 'type', 'veth', 'peer', 'name', `${tun}y`]);
      nsExec(R, 'ip', ['link', 'del', `${tun}x`]);
      for (let i = 0; i < 200 && !events.includes(`${tun}x`); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(events.includes(`${tun}x`));
      assert.equal(events.split('\n').filter((l) => l.includes(tun) && !l.includes(`${tun}x`) && !l.includes(`${tun}y`)).length, 0, `no ${tun} appeared: ${events}`);
      assert.equal(events.split('\n').filter((l) => /\br0\b/.test(l)).length, 0, `r0 was not touched: ${events}`);
    } finally {
      mon.kill();
    }
    assert.equal(vifTable(), vifsBefore);
    assert.equal(mrsh(['--socket', sock, 'show', 'mfc']).stdout, mfcBefore);
    assert.equal(nsExec(R, 'ip', ['-d', 'link', 'show', 'r0']), linkBefore);
  });
});
