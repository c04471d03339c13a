// Interface settings survive a crash (issue #14 §6): a daemon with an xdp vif tunes the
// interface's NAPI; killed with SIGKILL it leaves them changed and its state file behind.
// The next daemon must restore the true originals, not the tuned values, when it stops.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, nsExec, skipReason } from '../dataplane/links/helpers.js';
import { Daemon, cleanupDaemons, tempDir } from '../control/daemon-helpers.js';

const why = skipReason();
const ATTRS = ['threaded', 'napi_defer_hard_irqs', 'gro_flush_timeout'];

describe('NAPI settings survive a daemon killed with SIGKILL', { concurrency: false, timeout: 120_000 }, () => {
  const ns = new Netns(`mrsh-nc-${process.pid}`);
  const runDir = mkdtempSync(join(tmpdir(), 'mrsh-run-'));
  after(() => {
    cleanupDaemons();
    ns.cleanup();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('kill -9 → restart → SIGTERM: the interface as it was before the first start', async (t) => {
    if (why) return t.skip(why);
    const S = ns.add('s');
    const R = ns.add('r');
    ns.veth(S, 's0', R, 'r0');
    const attrs = () => ATTRS.map((a) => nsExec(R, 'cat', [`/sys/class/net/r0/${a}`]).trim());
    // odd originals, so neither "0" nor the tuned values can pass for them by chance
    nsExec(R, 'sh', ['-c', 'echo 1 > /sys/class/net/r0/napi_defer_hard_irqs; echo 15000 > /sys/class/net/r0/gro_flush_timeout']);
    const before = attrs();
    assert.deepEqual(before.slice(1), ['1', '15000']);
    const dir = tempDir();
    writeFileSync(join(dir, 'startup.conf'), 'mrt init ipv4\nvif add 0 dev r0 xdp\n');
    const env = { MRSH_RUN_DIR: runDir };
    const start = async (): Promise<Daemon> => {
      const d = new Daemon(join(dir, 'mrsh.sock'), ['-f', join(dir, 'startup.conf')], { ns: R, env });
      await d.ready(30_000);
      assert.match(d.log, /2 of 2 commands applied/, d.log);
      return d;
    };
    const d1 = await start();
    assert.deepEqual(attrs(), ['1', '2', '200000'], 'tuned while the first daemon runs');
    assert.equal(readdirSync(runDir).filter((f) => f.startsWith('napi-')).length, 1, 'the originals are kept in a state file');
    d1.kill('SIGKILL');
    await d1.exited;
    assert.deepEqual(attrs().slice(1), ['2', '200000'], 'SIGKILL left them tuned');
    const d2 = await start();
    assert.match(d2.log, /a daemon that died left its NAPI settings/, d2.log);
    d2.kill('SIGTERM');
    assert.equal(await d2.exited, 0, d2.log);
    assert.deepEqual(attrs(), before, 'the interface as before the first start');
    assert.deepEqual(readdirSync(runDir).filter((f) => f.startsWith('napi-')), [], 'no state file left');
    // and a clean stop of a daemon that found no leftover leaves nothing either
    const d3 = await start();
    d3.kill('SIGTERM');
    assert.equal(await d3.exited, 0);
    assert.deepEqual(attrs(), before);
  });
});
