// `mrsh exec`: what it refuses (nothing may run when the library could not reach the
// program), and what it runs: the command with the library, under its own pid.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execKind } from '../../src/exec/elf.js';
import { parseExecArgs } from '../../src/exec/exec.js';
import { cleanupDaemons, tempDir, ROOT } from '../control/daemon-helpers.js';
import { CLI, LIB, Lab, compile, labMissing, until } from './lab.js';

function mrshExec(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(CLI[0]!, [...CLI.slice(1), 'exec', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20000 });
}

after(() => cleanupDaemons()); // the temporary directories, also when the lab is skipped

describe('mrsh exec: arguments and ELF', () => {
  it('takes --socket before the command, and the command with its own options after --', () => {
    assert.deepEqual(parseExecArgs(['--socket', '/s', '--', 'smcrouted', '-n', '-f', 'x']), { socket: '/s', command: ['smcrouted', '-n', '-f', 'x'] });
    assert.deepEqual(parseExecArgs(['smcrouted', '-n']), { socket: undefined, command: ['smcrouted', '-n'] });
    assert.deepEqual(parseExecArgs(['--socket=/s', 'pimd']), { socket: '/s', command: ['pimd'] });
    assert.equal(parseExecArgs(['-n', 'smcrouted']), 'unknown option -n (put -- before the command\'s own options)');
    assert.equal(parseExecArgs(['--']), 'no COMMAND given');
  });

  it('tells a dynamic ELF from a script', () => {
    const sh = execKind('/bin/sh');
    assert.equal(sh.kind, 'dynamic');
    assert.match((sh as { interp: string }).interp, /ld-linux|ld-musl/);
    const d = tempDir();
    writeFileSync(join(d, 's'), '#!/bin/sh -e\necho hi\n');
    assert.deepEqual(execKind(join(d, 's')), { kind: 'script', interp: '/bin/sh' });
    writeFileSync(join(d, 't'), 'plain text');
    assert.equal(execKind(join(d, 't')).kind, 'unknown');
  });

  it('a missing command exits 127 and an empty one is a usage error', () => {
    const r = mrshExec(['--socket', '/nonexistent', '--', 'mrsh-no-such-command']);
    assert.equal(r.status, 127);
    assert.match(r.stderr, /mrsh-no-such-command: command not found/);
    assert.equal(mrshExec([]).status, 2);
  });
});

const skip = labMissing();

describe('mrsh exec: refusals and a run', { skip: skip ?? false }, () => {
  const dir = tempDir();
  const marker = join(dir, 'ran');
  let probe = '';
  before(() => {
    probe = compile(dir, 'rsock_probe');
  });

  /** a copy of a program that would leave a marker if it ran */
  function touchProgram(name: string, extra: string[] = []): string {
    const src = join(dir, `${name}.c`);
    writeFileSync(src, `#include <stdio.h>\nint main(void){FILE*f=fopen("${marker}","w");if(f)fclose(f);return 0;}\n`);
    const out = join(dir, name);
    const r = spawnSync('cc', ['-O2', '-o', out, src, ...extra], { encoding: 'utf8' });
    return r.status === 0 ? out : '';
  }

  function refused(file: string, why: RegExp): void {
    const r = mrshExec(['--socket', join(dir, 'absent.sock'), '--', file]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, why);
    assert.match(r.stderr, /nothing was run/);
    assert.ok(!existsSync(marker), 'the program ran');
  }

  it('refuses a statically linked program', (t) => {
    const file = touchProgram('static', ['-static']);
    if (!file) return t.skip('cc -static failed: no libc.a (libc6-dev static parts)');
    refused(file, /statically linked: LD_PRELOAD cannot reach it/);
  });

  it('refuses setuid and setgid programs', () => {
    const file = touchProgram('plain');
    for (const [name, mode] of [['suid', 0o4755], ['sgid', 0o2755]] as const) {
      const copy = join(dir, name);
      copyFileSync(file, copy);
      chmodSync(copy, mode);
      refused(copy, name === 'suid' ? /is setuid: the dynamic loader ignores LD_PRELOAD/ : /is setgid: /);
    }
  });

  it('refuses a program with file capabilities', (t) => {
    const copy = join(dir, 'capped');
    copyFileSync(touchProgram('plain2'), copy);
    const r = spawnSync('setcap', ['cap_net_raw+ep', copy], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return t.skip(`setcap unavailable: ${r.error?.message ?? r.stderr.trim()}`);
    refused(copy, /has file capabilities \(cap_net_raw=ep\)/);
  });

  it('refuses when no daemon answers at the endpoint', () => {
    refused(touchProgram('plain3'), /no mrsh daemon at .*absent\.sock\.mroute/);
  });

  describe('with a daemon', () => {
    const lab = new Lab();
    before(() => lab.open());
    after(() => lab.close());

    it('runs the command in its own pid with the library and the endpoint, which kill -9 closes', async () => {
      const p = lab.probe(probe, { exec: true });
      assert.match(await p.q('open4'), /^ok 0 /);
      assert.equal(await p.q('init 0'), 'ok');
      // the pid that mrsh exec started is the one the daemon names as the owner
      assert.match(lab.daemon.log, new RegExp(`rsock_probe \\(pid ${p.child.pid}\\) owns the ipv4 routing socket`));
      assert.equal(await p.q('addmfc 0 198.51.100.1 239.5.5.5 0'), 'ok');
      assert.equal(await p.q('calls 0 ver'), 'ok 0');
      process.kill(p.child.pid!, 'SIGKILL');
      await p.exited;
      await until(() => /rsock_probe \(pid \d+\) closed its ipv4 routing socket: 0 vifs, 1 MFC entries/.test(lab.daemon.log), () => lab.daemon.log);
    });

    it('hands the program LD_PRELOAD and MRSH_MROUTE_SOCKET, keeping an LD_PRELOAD it had, and default signals', () => {
      const r = spawnSync('ip', ['netns', 'exec', lab.ns, ...CLI, 'exec', '--socket', lab.socket, '--', 'sh', '-c', 'echo "$LD_PRELOAD|$MRSH_MROUTE_SOCKET"; exec grep -E "^Sig(Blk|Ign)" /proc/self/status'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, LD_PRELOAD: '/nonexistent/other.so' },
      });
      assert.equal(r.status, 0, r.stderr);
      const [env, blk, ign] = r.stdout.trim().split('\n');
      assert.equal(env, `${LIB}:/nonexistent/other.so|${lab.endpoint}`);
      // Node ignores SIGPIPE and blocks signals in threads: none of that reaches the program
      // (read by an exec'd grep: a forking dash blocks every signal until its child execs)
      assert.equal(blk, 'SigBlk:\t0000000000000000');
      assert.equal(ign, 'SigIgn:\t0000000000000000');
    });
  });
});
