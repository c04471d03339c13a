// man/mrsh.8 is the contract: it lists exactly the commands of the table, and renders
// without warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { COMMANDS } from '../../src/commands/table.js';

const MAN = join(import.meta.dirname, '..', '..', 'man', 'mrsh.8');

/** the leading Cm words of each `.It Cm ...` line: the command's name */
function manCommands(src: string): string[] {
  const out: string[] = [];
  for (const line of src.split('\n')) {
    if (!line.startsWith('.It Cm ')) continue;
    const words: string[] = [];
    for (const w of line.slice('.It Cm '.length).split(/\s+/)) {
      if (/^[A-Z][a-z]/.test(w) || w === '|' || w.startsWith('\\')) break; // next macro
      words.push(w);
    }
    out.push(words.join(' '));
  }
  return out;
}

test('the man page lists exactly the commands of the table', () => {
  const man = manCommands(readFileSync(MAN, 'utf8')).sort();
  const table = COMMANDS.map((c) => c.name).sort();
  assert.deepEqual(man, table);
});

test('the man page renders without warnings', (t) => {
  const mandoc = spawnSync('mandoc', ['-Tlint', '-W', 'warning', MAN], { encoding: 'utf8' });
  if (mandoc.error) {
    const groff = spawnSync('groff', ['-mandoc', '-Tutf8', '-ww', '-z', MAN], { encoding: 'utf8' });
    if (groff.error) return t.skip('neither mandoc nor groff installed (scripts/ci-deps.sh installs mandoc)');
    assert.equal(groff.stderr, '');
    return;
  }
  assert.equal(`${mandoc.stdout}${mandoc.stderr}`, '');
  assert.equal(mandoc.status, 0);
});
