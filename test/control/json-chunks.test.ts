// The pieces of a streamed reply join to exactly JSON.stringify's text.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jsonChunks } from '../../src/control/json-chunks.js';

describe('jsonChunks', () => {
  it('joins to JSON.stringify for the shapes replies take, in pieces near the size asked', () => {
    const entries = Array.from({ length: 5000 }, (_, i) => ({ source: '198.51.100.2', group: `239.1.${i >> 8}.${i & 255}`, oifs: [{ vif: 1, ttl: 1 }], skip: undefined, f: () => 1, n: null }));
    const values: unknown[] = [
      { id: 1, ok: true, output: { kind: 'mfc', entries, pending: [], nowMs: 5 } },
      { id: 2, ok: true, output: null },
      { id: null, ok: false, error: { message: 'x "quoted" \n', offset: null, errno: 'EINVAL', parse: false } },
      { id: 3, ok: true, result: { when: new Date(0), list: [undefined, 1, 'a', [2, [3]], { toJSON: () => 'j' }] } },
      [],
      {},
      'text',
      7,
    ];
    for (const v of values) assert.equal([...jsonChunks(v, 4096)].join(''), JSON.stringify(v));
    const pieces = [...jsonChunks(values[0], 4096)];
    assert.ok(pieces.length > 50, `${pieces.length} pieces`);
    for (const p of pieces.slice(0, -1)) assert.ok(p.length >= 4096 && p.length < 4096 + 200, `piece of ${p.length}`);
  });
});
