// write memory's file replacement: whole or not at all, and no pile of temporary files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/router/atomic-file.js';

test('writeFileAtomic replaces the file and sweeps temporaries of dead writers only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-atomic-'));
  try {
    const target = join(dir, 'startup.conf');
    writeFileSync(target, 'old\n');
    // a writer that died (no such pid) and one that is alive (pid 1 always is)
    writeFileSync(join(dir, '.startup.conf.4194303.1.tmp'), 'half');
    writeFileSync(join(dir, '.startup.conf.1.2.tmp'), 'busy');
    writeFileSync(join(dir, '.other.conf.4194303.3.tmp'), 'not ours');
    assert.equal(writeFileAtomic(target, 'new\n'), 4);
    assert.equal(readFileSync(target, 'utf8'), 'new\n');
    assert.deepEqual(readdirSync(dir).sort(), ['.other.conf.4194303.3.tmp', '.startup.conf.1.2.tmp', 'startup.conf']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// issue #14 §5: a symlinked startup file became a regular file, its owner and group were
// lost, and every failure was EIO.
import { chownSync, chmodSync, lstatSync, mkdirSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Router } from '../../src/router/router.js';
import { MrtError } from '../../src/dataplane/errno.js';

const isRoot = process.getuid?.() === 0;

test('write memory keeps a symlink (writing through to its target), owner, group and mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-atomic-'));
  try {
    mkdirSync(join(dir, 'real'));
    const target = join(dir, 'real', 'startup.conf');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o640);
    if (isRoot) chownSync(target, 4321, 4321);
    const link = join(dir, 'startup.conf');
    symlinkSync('real/startup.conf', link);
    writeFileAtomic(link, 'new\n');
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link stays a link');
    assert.equal(readlinkSync(link), 'real/startup.conf');
    assert.equal(readFileSync(target, 'utf8'), 'new\n');
    const st = statSync(target);
    assert.equal(st.mode & 0o7777, 0o640);
    if (isRoot) assert.deepEqual([st.uid, st.gid], [4321, 4321]);
    // the temporary file went to the target's directory, and nothing is left
    assert.deepEqual(readdirSync(join(dir, 'real')), ['startup.conf']);
    assert.deepEqual(readdirSync(dir).sort(), ['real', 'startup.conf']);
    // a dangling link is refused by name, not replaced by a file
    const dangling = join(dir, 'gone.conf');
    symlinkSync('real/nothing/here.conf', dangling);
    assert.throws(() => writeFileAtomic(dangling, 'x\n'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && /symlink whose target cannot be resolved/.test(e.message));
    assert.ok(lstatSync(dangling).isSymbolicLink());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('write memory names the real errno: ENOTDIR, and ENOSPC and EROFS (root) or EACCES (others)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsh-atomic-'));
  const errnoOf = async (file: string): Promise<string> => {
    const r = await Router.create({ startupFile: file });
    try {
      r.writeMemory();
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof MrtError, String(e));
      assert.ok(e.message.includes(file), e.message);
      return e.errno;
    } finally {
      await r.close();
    }
  };
  try {
    writeFileSync(join(dir, 'plain'), '');
    assert.equal(await errnoOf(join(dir, 'plain', 'startup.conf')), 'ENOTDIR');
    if (!isRoot) {
      mkdirSync(join(dir, 'ro'), { mode: 0o555 });
      assert.equal(await errnoOf(join(dir, 'ro', 'startup.conf')), 'EACCES');
      return;
    }
    // a tiny tmpfs of our own, in a directory of our own: full, then read-only
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', mnt]).status !== 0) return;
    try {
      try {
        writeFileSync(join(mnt, 'fill'), Buffer.alloc(8192));
      } catch {
        // full: that is the point
      }
      assert.equal(await errnoOf(join(mnt, 'startup.conf')), 'ENOSPC');
      assert.equal(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0);
      assert.equal(await errnoOf(join(mnt, 'startup.conf')), 'EROFS');
    } finally {
      spawnSync('umount', [mnt]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
