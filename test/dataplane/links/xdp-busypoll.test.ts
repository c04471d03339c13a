// Busy polling shared by the xdp links of one interface (threads of one process): the first
// that tunes the device saves its NAPI settings (and their state file), later ones keep
// them, and only the last to close restores them. Busy polling tunes through sysfs, which
// shows the mounting namespace only, so the links run in a child process inside the
// interface's namespace (xdp-busypoll-child.ts under `ip netns exec`).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Netns, nsExec, sh, skipReason } from './helpers.js';
import { NAPI_ATTRS } from '../../../src/dataplane/links/napi-state.js';

const why = skipReason();

describe('XDP busy polling shared by the links of one interface', { skip: why ?? false }, () => {
  const nets = new Netns(`mrsh-xb-${process.pid}`);
  let R = '';
  const run = mkdtempSync(join(tmpdir(), 'mrsh-xb-'));

  before(() => {
    const A = nets.add('a');
    R = nets.add('r');
    sh('ip', ['link', 'add', 'a0', 'netns', A, 'numtxqueues', '2', 'numrxqueues', '2', 'type', 'veth', 'peer', 'name', 'r0', 'netns', R, 'numtxqueues', '2', 'numrxqueues', '2']);
    nsExec(A, 'ip', ['link', 'set', 'a0', 'up']);
    nsExec(R, 'ip', ['link', 'set', 'r0', 'up']);
  });

  after(() => {
    nets.cleanup();
    rmSync(run, { recursive: true, force: true });
  });

  const child = fileURLToPath(new URL('./xdp-busypoll-child.ts', import.meta.url));
  const runChild = (...args: string[]): string => sh('ip', ['netns', 'exec', R, 'env', `MRSH_RUN_DIR=${run}`, process.execPath, '--import', 'tsx', child, 'r0', ...args]);

  it('the first link saves the NAPI settings, the last to close restores them', () => {
    const out = runChild();
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      steps: Record<string, { napi: string[]; stateFile: boolean }>;
      links: { xdp: boolean; error: string | null }[];
      warnings: string[];
    };
    assert.deepEqual(r.links, [{ xdp: true, error: null }, { xdp: true, error: null }]);
    const { before: b, first, second, firstClosed, lastClosed } = r.steps as Record<string, { napi: string[]; stateFile: boolean }>;
    // [threaded, napi_defer_hard_irqs, gro_flush_timeout]
    assert.deepEqual(first!.napi, ['1', '2', '200000'], `tuned by the first link (${r.warnings.join('; ')})`);
    assert.ok(first!.stateFile, 'originals recorded');
    assert.deepEqual(second!.napi, first!.napi);
    assert.deepEqual(firstClosed!.napi, first!.napi, 'still tuned while a link polls');
    assert.ok(firstClosed!.stateFile, 'the record stays while tuned');
    assert.deepEqual(lastClosed!.napi, b!.napi, 'the originals back after the last close');
    assert.equal(lastClosed!.stateFile, false, 'the record removed');
    assert.deepEqual(r.warnings.filter((w) => /died|busy polling/.test(w)), [], 'no warning of a leftover or of tuning failing');
  });

  it('xdpCoalesceUs sets how long the device stays masked, and is restored with the rest', () => {
    const r = JSON.parse(runChild('750').trim().split('\n').pop()!) as { steps: Record<string, { napi: string[] }> };
    const { before: b, first, second, lastClosed } = r.steps;
    assert.deepEqual(first!.napi, ['1', '2', '750000'], 'gro_flush_timeout in ns');
    assert.deepEqual(second!.napi, first!.napi, 'the second link keeps the first one\'s setting');
    assert.deepEqual(lastClosed!.napi, b!.napi);
  });

  it('a bad coalescing time is refused before anything is opened or tuned', () => {
    const napi = (): string[] => NAPI_ATTRS.map((a) => nsExec(R, 'cat', [`/sys/class/net/r0/${a}`]).trim());
    const was = napi();
    for (const bad of ['0', '10001', '2.5']) {
      assert.throws(() => runChild(bad), (e: Error) => e.message.includes(`xdpCoalesceUs=${bad}: expected microseconds, an integer 1..10000`), bad);
      assert.deepEqual(napi(), was, `${bad}: the device untouched`);
      assert.doesNotMatch(nsExec(R, 'ip', ['-d', 'link', 'show', 'r0']), /prog\/xdp/, `${bad}: no program attached`);
    }
  });
});
