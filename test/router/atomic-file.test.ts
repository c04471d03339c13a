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
