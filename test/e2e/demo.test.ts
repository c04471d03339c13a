// examples/demo/lab.sh, the newcomer's lab, in its scripted mode: traffic is forwarded,
// NOCACHE upcalls were answered by the policy rule, and nothing is left behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { skipReason, sleep } from '../dataplane/links/helpers.js';

const why = skipReason();
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
/** what the lab may leave in /tmp: nothing */
const leftovers = () => readdirSync('/tmp').filter((f) => f.startsWith('mrsh-demo-'));
/** the lab's sender and receivers (node -e scripts that name its groups) still running */
const labProcesses = (): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        return cmd.includes('239.99.1.1') && cmd.includes('dgram');
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
/** waits (bounded) for the lab's processes started since `before` to be gone; returns those left */
async function labProcessesLeft(before: number[]): Promise<number[]> {
  const end = Date.now() + 5000;
  for (;;) {
    const left = labProcesses().filter((p) => !before.includes(p));
    if (left.length === 0 || Date.now() > end) return left;
    await sleep(50);
  }
}
/** the lab's namespaces that exist now (a run before this one may have left some) */
const labNamespaces = (): string[] => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith('mrsh-demo-'));

test('examples/demo/lab.sh forwards the lab traffic and cleans up', { skip: why ?? false }, async () => {
  const root = new URL('../..', import.meta.url).pathname;
  const before = leftovers();
  const procsBefore = labProcesses();
  const nsBefore = labNamespaces();
  const r = spawnSync('bash', ['examples/demo/lab.sh'], { cwd: root, env: { ...process.env, DEMO_SECONDS: '3' }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const m = /Group: 239\.99\.1\.1, Source count: 1, Group pkt count: (\d+)/.exec(r.stdout);
  assert.ok(m && Number(m[1]) > 10, r.stdout);
  assert.match(r.stdout, /NOCACHE\s+IPv4\s+0\s+192\.0\.2\.2\s+239\.99\.1\.1/);
  const left = labNamespaces().filter((n) => !nsBefore.includes(n));
  assert.deepEqual(left, [], 'no namespace left behind');
  assert.deepEqual(leftovers().filter((f) => !before.includes(f)), [], 'no socket or log file left behind');
  assert.deepEqual(await labProcessesLeft(procsBefore), [], 'no sender or receiver left running');
});

test('the lab in a terminal: the hint in the shell, traffic once it is attached, upcalls in its pane, nothing left after Ctrl-D', { skip: why ?? (hasTmux ? false : 'tmux not installed') }, async () => {
  const root = new URL('../..', import.meta.url).pathname;
  const S = `mrsh-demo-t-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', S, ...args], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', S).stdout;
  const until = async (ok: (s: string) => boolean, ms: number): Promise<string> => {
    const end = Date.now() + ms;
    for (;;) {
      const s = screen();
      if (ok(s)) return s;
      if (Date.now() > end) throw new Error(`timed out; screen:\n${s}`);
      await sleep(50);
    }
  };
  const before = leftovers();
  const nsBefore = labNamespaces();
  const procsBefore = labProcesses();
  assert.equal(tmux('new-session', '-d', '-s', S, '-x', '100', '-y', '30', `cd ${root} && NO_COLOR=1 bash examples/demo/lab.sh`).status, 0);
  tmux('set-option', '-t', S, 'remain-on-exit', 'on');
  try {
    // the hint is the shell's, under its banner, not a line printed before it started
    let s = await until((x) => /^mrsh@mrsh\.sock#/m.test(x), 60_000);
    const lines = s.split('\n');
    const banner = lines.findIndex((l) => l.includes('multicast router shell, attached to the daemon'));
    assert.ok(banner >= 0, s);
    assert.match(lines.slice(banner, banner + 3).join(' '), /This is the lab's router; the sender starts now\. Try: show mroute count/);
    // the policy answered the NOCACHE of both groups: they arrive in the pane
    s = await until((x) => /NOCACHE\s+vif 0 \(192\.0\.2\.2, 239\.99\.1\.1\)/.test(x) && /NOCACHE\s+vif 0 \(192\.0\.2\.2, 239\.99\.1\.2\)/.test(x), 20_000);
    // keys sent before Ink turns the tty's canonical mode off (raw mode) would be cooked by
    // the line discipline, not read as typed: wait for that
    const tty = tmux('display-message', '-p', '-t', S, '#{pane_tty}').stdout.trim();
    await until(() => /(^|\s)-icanon(\s|$)/.test(spawnSync('stty', ['-F', tty, '-a'], { encoding: 'utf8' }).stdout), 10_000);
    tmux('send-keys', '-t', S, '-l', 'show mroute count');
    tmux('send-keys', '-t', S, 'Enter');
    await until((x) => /Group: 239\.99\.1\.1, Source count: 1, Group pkt count: [1-9]/.test(x), 10_000);
    tmux('send-keys', '-t', S, 'C-d');
    await until(() => tmux('list-panes', '-t', S, '-F', '#{pane_dead}').stdout.trim() === '1', 20_000);
  } finally {
    tmux('kill-server');
  }
  const left = labNamespaces().filter((n) => !nsBefore.includes(n));
  assert.deepEqual(left, [], 'no namespace left behind');
  assert.deepEqual(leftovers().filter((f) => !before.includes(f)), [], 'no socket or log file left behind');
  assert.deepEqual(await labProcessesLeft(procsBefore), [], 'no sender or receiver left running');
});
